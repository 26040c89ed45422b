"""`jobsimport status` and `created` read Postgres; runs come from GraphQL when it answers."""

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from jobsimport_dagster.cli import main
from jobsimport_dagster.codes import RowStatus
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.tables import import_rows
from jobsimport_dagster.intake import folders

KEY = "movies-20250101T000000-diary-0a1b2c3d"
# (line, title in the file, outcome): the posted title is OMDb's, which may differ.
ROWS = [
    (2, "the spirit of st louis", (RowStatus.SUCCESS, None, "The Spirit of St. Louis", "41")),
    (3, "Up", (RowStatus.SKIPPED, "already_imported", None, None)),
    (4, "Bad Date Film", (RowStatus.FAILED, "invalid_date", None, None)),
    (5, "Nowhere", (RowStatus.FAILED, "not_found", None, None)),
    (6, "Heat", (RowStatus.SUCCESS, None, "Heat", "42")),
    (7, "Alien", (RowStatus.PENDING, None, None, None)),
]


@pytest.fixture
def closed_url() -> str:
    """A web server address nothing answers at: the CLI must still show the counters."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def imported(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        job = jobs.create_job(
            conn,
            jobs.NewImportJob(
                partition_key=KEY, type="movies", source="letterboxd-diary",
                file_name="diary.csv", file_sha256="0" * 64, file_bytes=1, uploaded_by="me",
            ),
        )  # fmt: skip
        for line, name, (status, code, posted, record_id) in ROWS:
            conn.execute(
                import_rows.insert().values(
                    job_id=job.id,
                    row_number=line,
                    raw_payload={"Name": name},
                    normalized_payload={"body": {"title": posted}} if posted else None,
                    status=status,
                    error_code=code,
                    target_record_id=record_id,
                )
            )
        jobs.refresh_counters(conn, job.id)
        jobs.set_status(conn, job.id, jobs.JobStatus.PARTIAL)


def invoke(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {
        "DATABASE_URL": database_url,
        "JOBSIMPORT_PROJECT_ROOT": str(tmp_path),
        "JOBSIMPORT_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def test_status_shows_counters_and_says_why_runs_are_missing(
    imported: None, database_url: str, tmp_path: Path, closed_url: str
) -> None:
    failed_csv = tmp_path / "uploads" / "failed" / f"{KEY}.failed.csv"
    failed_csv.parent.mkdir(parents=True)
    failed_csv.write_text("Name\n", encoding="utf-8")
    code, output = invoke(database_url, tmp_path, "status", KEY, "--url", closed_url)
    assert code == 0
    lines = output.splitlines()
    assert lines[0].startswith(f"runs not shown: nothing answers at {closed_url}")
    assert lines[1].split() == [
        "PARTITION", "KEY", "STATUS", "TOTAL", "SUCCESS", "FAILED", "SKIPPED", "LEFT", "RUN",
        "RUN", "STATUS",
    ]  # fmt: skip
    # 6 rows: 2 success, 2 failed, 1 skipped and 1 left to do; no run to show.
    assert lines[3].split() == [KEY, "partial", "6", "2", "2", "1", "1"]
    assert "failed rows by code: invalid_date 1, not_found 1" in output
    assert f"failed rows CSV: {failed_csv}" in output


def test_status_of_an_unknown_key_is_refused(
    imported: None, database_url: str, tmp_path: Path, closed_url: str
) -> None:
    code, output = invoke(database_url, tmp_path, "status", "movies-nope", "--url", closed_url)
    assert code == 1
    assert "unknown partition key: movies-nope" in output


def test_status_without_imports_says_how_to_start(
    database_url: str, tmp_path: Path, closed_url: str
) -> None:
    code, output = invoke(database_url, tmp_path, "status", "--url", closed_url)
    assert code == 0
    assert "no import yet" in output


def test_created_lists_line_posted_title_and_record_id(
    imported: None, database_url: str, tmp_path: Path
) -> None:
    code, output = invoke(database_url, tmp_path, "created", KEY)
    assert code == 0
    assert output.splitlines() == [
        "LINE  TITLE                    TARGET RECORD ID",
        "----  -----------------------  ----------------",
        "   2  The Spirit of St. Louis  41",
        "   6  Heat                     42",
    ]


def test_created_of_an_unknown_key_is_refused(
    imported: None, database_url: str, tmp_path: Path
) -> None:
    code, output = invoke(database_url, tmp_path, "created", "movies-nope")
    assert code == 1
    assert "unknown partition key: movies-nope" in output


def test_status_lists_rejected_files_with_their_reasons(
    imported: None, database_url: str, tmp_path: Path, closed_url: str
) -> None:
    uploads = tmp_path / "uploads"
    folders.ensure_tree(uploads)
    dropped = uploads / "movies" / "watchlist.csv"
    dropped.write_text("Date,Name,Year,Letterboxd URI\n", encoding="utf-8")
    reason = "A Letterboxd watchlist is not a watch history; drop diary.csv instead."
    moved = folders.reject(uploads, dropped, reason, datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    code, output = invoke(database_url, tmp_path, "status", "--url", closed_url)
    assert code == 0
    assert f"rejected files (1, newest first, kept in {uploads / 'rejected'}):" in output
    assert f"  2025-01-02 03:04:05 UTC  watchlist.csv: {reason} (moved to {moved.name})" in output
    # The status of one import keeps to that import.
    code, output = invoke(database_url, tmp_path, "status", KEY, "--url", closed_url)
    assert code == 0 and "rejected files" not in output
