"""`jobsimport rows`: one import's rows as a table, CSV or JSON, with its filters and pages."""

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from jobsimport_dagster.cli import main
from jobsimport_dagster.codes import RowStatus
from jobsimport_dagster.db import jobs
from jobsimport_dagster_tests.stored_rows import store_row

KEY = "movies-20250101T000000-diary-0a1b2c3d"


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
        values = [
            dict(
                row_number=2, status=RowStatus.SUCCESS, target_record_id="41",
                raw_payload={"Name": "Amélie", "Year": "2001", "Date": "2024-05-01"},
                normalized_payload={
                    "title": "Amélie", "viewing_date": "2024-05-01", "year": 2001,
                    "match": {"imdb_id": "tt0211915"},
                    "match_verdict": {"verdict": "verified", "route": "omdb_title"},
                },
            ),
            dict(
                row_number=3, status=RowStatus.FAILED, error_code="invalid_date",
                error_message="The date 2024-13-01 is not a date.",
                raw_payload={"Name": "=cmd", "Year": "1999", "Date": "2024-13-01"},
            ),
            dict(
                row_number=4, status=RowStatus.SKIPPED, error_code="already_imported",
                raw_payload={"Name": "Heat", "Year": "1995", "Date": "2024-01-01"},
                normalized_payload={"title": "Heat", "viewing_date": "2024-01-01", "year": 1995},
            ),
        ]  # fmt: skip
        for row in values:
            store_row(conn, job.id, **row)


def rows(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"DATABASE_URL": database_url, "JOBSIMPORT_PROJECT_ROOT": str(tmp_path)}
    result = CliRunner().invoke(main, ["rows", KEY, *args], env=env)
    return result.exit_code, result.output


def test_rows_as_a_table_with_what_the_page_shows(
    imported: None, database_url: str, tmp_path: Path
) -> None:
    code, output = rows(database_url, tmp_path, "--limit", "2")
    assert code == 0
    lines = output.splitlines()
    assert lines[0].split() == [
        "LINE", "STATUS", "CODE", "MESSAGE", "TITLE", "YEAR", "VIEWING", "DATE", "IMDB", "ID",
        "VERDICT", "TARGET", "RECORD", "ID",
    ]  # fmt: skip
    assert lines[2].split() == [
        "2", "success", "Amélie", "2001", "2024-05-01", "tt0211915", "verified", "41"
    ]  # fmt: skip
    assert lines[3].split()[:3] == ["3", "failed", "invalid_date"]
    assert "The date 2024-13-01 is not a date." in lines[3]
    assert lines[-1] == "rows 1-2 of 3 (--offset 2 for the next page)"


def test_rows_past_the_end_say_how_many_match(
    imported: None, database_url: str, tmp_path: Path
) -> None:
    assert rows(database_url, tmp_path, "--offset", "5") == (0, "no rows from offset 5 (3 match)\n")


def test_rows_as_json_is_the_console_object(
    imported: None, database_url: str, tmp_path: Path
) -> None:
    code, output = rows(database_url, tmp_path, "--format", "json", "--status", "failed")
    assert code == 0
    assert json.loads(output) == {
        "rows": [
            {
                "line": 3, "status": "failed", "error_code": "invalid_date",
                "error_message": "The date 2024-13-01 is not a date.", "title": "=cmd",
                "year": 1999, "viewing_date": "2024-13-01", "imdb_id": None,
                "target_record_id": None, "verdict": None,
            }
        ],
        "total": 1,
    }  # fmt: skip


def test_rows_as_csv_neutralise_formulas(imported: None, database_url: str, tmp_path: Path) -> None:
    code, output = rows(database_url, tmp_path, "--format", "csv", "--search", "AMELIE CMD")
    assert (code, output) == (0, "line,status,error_code,error_message,title,year,"
                                 "viewing_date,imdb_id,target_record_id,verdict\n")  # fmt: skip
    code, output = rows(database_url, tmp_path, "--format", "csv", "--code", "invalid_date")
    assert code == 0
    records = list(csv.DictReader(io.StringIO(output)))
    # a title a spreadsheet would run as a formula is prefixed with ', as in the failed CSV
    assert [(r["line"], r["title"], r["imdb_id"]) for r in records] == [("3", "'=cmd", "")]


def test_rows_search_ignores_accents_and_case(
    imported: None, database_url: str, tmp_path: Path
) -> None:
    code, output = rows(database_url, tmp_path, "--format", "json", "--search", "AMELIE")
    assert code == 0
    assert [r["line"] for r in json.loads(output)["rows"]] == [2]
    code, output = rows(database_url, tmp_path, "--format", "json", "--search", "already")
    assert [r["line"] for r in json.loads(output)["rows"]] == [4]  # the code matches too


def test_rows_of_an_unknown_key_is_refused(database_url: str, tmp_path: Path) -> None:
    code, output = rows(database_url, tmp_path)
    assert code == 1
    assert output == f"Error: unknown partition key: {KEY}\n"


def test_rows_refuses_an_unknown_status(database_url: str, tmp_path: Path) -> None:
    code, output = rows(database_url, tmp_path, "--status", "done")
    assert code == 2
    assert "'done' is not one of" in output
