"""The import console over real HTTP (uvicorn on 127.0.0.1) and a real Postgres.

Dagster is not running here: its GraphQL address answers nothing, so the pages show their
counters with a note instead of the runs (the running system, runs and retries included, is
driven in `e2e/test_console_browser.py`).
"""

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import uvicorn
from click.testing import CliRunner
from starlette.applications import Starlette

from jobsimport_dagster.cli import main
from jobsimport_dagster.codes import JobStatus, RowStatus
from jobsimport_dagster.db import jobs, uploads
from jobsimport_dagster.db.tables import import_rows
from jobsimport_dagster.intake.screen import screen_file
from jobsimport_dagster.web.console import ConsoleConfig, as_flag, console_routes, upload_name
from jobsimport_dagster_tests.e2e.conftest import free_port
from jobsimport_dagster_tests.export_zips import letterboxd_zip
from jobsimport_dagster_tests.stored_rows import store_row

MAX_BYTES = 200_000
DIARY = "letterboxd/agosvenezia_diary_2024-06-01.csv"
SEMICOLONS = b"Title;Year;Watched Date;IMDb ID\nUp;2009;2024-01-01;\n"


class Console:
    """The console's routes served by uvicorn in a thread, as `jobsimport dev` mounts them."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = Starlette(routes=console_routes(config))
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Console":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the console did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return requests.get(self.url + path, timeout=20, allow_redirects=False, **kwargs)

    def upload(
        self, name: str, content: bytes, *, headers: dict[str, str] | None = None, **fields: str
    ) -> requests.Response:
        data = {"type": "movies", **fields}
        return requests.post(
            self.url + "/upload",
            files={"file": (name, content, "text/csv")},
            data=data,
            headers={"Origin": self.url, **(headers or {})},
            timeout=20,
            allow_redirects=False,
        )


def watched_files(root: Path) -> list[Path]:
    """Files in the four watched folders (and anywhere else but rejected/)."""
    return [p for p in root.rglob("*") if p.is_file() and "rejected" not in p.parts]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def console(database_url: str, root: Path) -> Iterator[Console]:
    config = ConsoleConfig(
        database_url=database_url,
        upload_dir=root,
        max_upload_bytes=MAX_BYTES,
        sensor_interval=1,
        graphql_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        ui_token=None,
    )
    with Console(config) as running:
        yield running


def _import(
    engine: sa.Engine,
    key: str,
    import_type: str = "movies",
    rows: list[tuple[str, str, str | None]] = (),  # type: ignore[assignment]
) -> uuid.UUID:
    new = jobs.NewImportJob(
        partition_key=key,
        type=import_type,
        source="template",
        file_name=f"{key.split('-')[2]}.csv",
        file_sha256="0" * 64,
        file_bytes=10,
        uploaded_by="me",
    )
    with engine.begin() as conn:
        job = jobs.create_job(conn, new)
        for line, (title, status, code) in enumerate(rows, start=2):
            store_row(
                conn,
                job.id,
                row_number=line,
                raw_payload={"Title": title, "Year": "2001", "Watched Date": "2024-05-01"},
                status=status,
                error_code=code,
                error_message=f"{code} on line {line}." if code else None,
            )
        jobs.refresh_counters(conn, job.id)
    return job.id


ROWS = [
    ("Amélie", RowStatus.SUCCESS, None),
    ("Heat", RowStatus.FAILED, "not_found"),
    ("Ælita", RowStatus.FAILED, "invalid_date"),
    ("Up", RowStatus.SKIPPED, "already_imported"),
]


@pytest.mark.parametrize(
    "query",
    [
        "",  # every row
        "?status=failed",
        "?code=not_found",
        "?search=AMELIE",  # case and accents ignored
        "?search=aelita",  # a letter folding to two
        "?search=imported",  # a code
        "?status=failed&limit=1&offset=1",  # a page
    ],
)
def test_rows_api_answers_what_jobsimport_rows_prints(
    console: Console, engine: sa.Engine, database_url: str, tmp_path: Path, query: str
) -> None:
    key = "movies-20250101T000000-diary-00000000"
    _import(engine, key, rows=ROWS)
    answer = console.get(f"/api/imports/{key}/rows{query}")
    assert answer.status_code == 200
    options = [
        f"--{name}={value}"
        for name, value in (p.split("=") for p in query.lstrip("?").split("&") if p)
    ]
    printed = CliRunner().invoke(
        main,
        ["rows", key, *options, "--format", "json"],
        env={"DATABASE_URL": database_url, "JOBSIMPORT_PROJECT_ROOT": str(tmp_path)},
    )
    assert printed.exit_code == 0, printed.output
    assert answer.json() == json.loads(printed.output)
    assert answer.json()["total"] > 0


def test_rows_api_refuses_an_unknown_status_and_key(console: Console, engine: sa.Engine) -> None:
    key = "movies-20250101T000000-diary-00000000"
    _import(engine, key, rows=ROWS)
    assert console.get(f"/api/imports/{key}/rows?status=lost").status_code == 400
    assert console.get("/api/imports/movies-nope/rows").status_code == 404


def test_imports_api_lists_newest_first_filtered(console: Console, engine: sa.Engine) -> None:
    _import(engine, "movies-20250101T000000-diary-00000000", rows=ROWS)
    _import(engine, "shows-20250102T000000-netflix-11111111", "shows")
    listed = console.get("/api/imports").json()
    assert listed["total"] == 2
    assert [i["partition_key"] for i in listed["imports"]] == [
        "shows-20250102T000000-netflix-11111111",
        "movies-20250101T000000-diary-00000000",
    ]
    movies = listed["imports"][1]
    # The counters `jobsimport status` prints; LEFT is total - processed.
    assert (movies["total_rows"], movies["success_rows"], movies["failed_rows"]) == (4, 1, 2)
    assert (movies["skipped_rows"], movies["left_rows"], movies["latest_run"]) == (1, 0, None)
    assert console.get("/api/imports?type=shows").json()["total"] == 1
    assert console.get("/api/imports?status=queued&search=DIARY").json()["total"] == 1
    assert console.get("/api/imports?search=nothing").json() == {"imports": [], "total": 0}
    one = console.get("/api/imports/movies-20250101T000000-diary-00000000").json()
    assert one == movies


def test_pages_show_imports_rows_and_filters(console: Console, engine: sa.Engine) -> None:
    key = "movies-20250101T000000-diary-00000000"
    _import(engine, key, rows=ROWS)
    listing = console.get("/imports")
    assert listing.status_code == 200 and key in listing.text
    assert "Runs are not shown" in listing.text  # Dagster does not answer here
    page = console.get(f"/imports/{key}?status=failed&search=heat").text
    assert "Heat" in page and "not_found" in page
    assert "Amélie" not in page and "Ælita" not in page
    assert f"/assets/import_results?view=partitions&amp;partition={key}" in page
    assert console.get("/imports/movies-nope").status_code == 404


def test_the_import_page_tells_why_a_run_stopped(console: Console, engine: sa.Engine) -> None:
    key = "movies-20250101T000000-diary-00000000"
    job_id = _import(engine, key, rows=ROWS)
    with engine.begin() as conn:
        jobs.add_event(conn, job_id, "accepted movies/diary.csv as template")
        jobs.add_event(conn, job_id, "The catalogue refused ASHISHDOTME_TOKEN.", level="error")
        jobs.set_status(conn, job_id, JobStatus.FAILED)
    page = console.get(f"/imports/{key}").text
    events = page.split("Latest events", 1)[1]
    # Newest first, opened on a failed import.
    assert events.index("refused ASHISHDOTME_TOKEN") < events.index("accepted movies/diary.csv")
    assert '<details class="events" open>' in page


def test_failed_csv_downloads_the_import_file(
    console: Console, engine: sa.Engine, root: Path
) -> None:
    key = "movies-20250101T000000-diary-00000000"
    _import(engine, key, rows=ROWS)
    assert console.get(f"/imports/{key}/failed.csv").status_code == 404  # none written yet
    failed = root / "failed" / f"{key}.failed.csv"
    failed.parent.mkdir(parents=True)
    failed.write_bytes(b"Title,IMDb ID,line,error_code,error_message\r\nHeat,,3,not_found,x\r\n")
    answer = console.get(f"/imports/{key}/failed.csv")
    assert answer.status_code == 200
    assert answer.content == failed.read_bytes()
    assert answer.headers["content-type"].startswith("text/csv")
    assert f"{key}.failed.csv" in answer.headers["content-disposition"]


def test_an_upload_lands_in_its_watched_folder_with_its_options(
    console: Console, engine: sa.Engine, root: Path, sample_data: Path
) -> None:
    content = (sample_data / DIARY).read_bytes()
    sent = console.upload("diary.csv", content, dry_run="true", skip_duplicates="false")
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith("/upload?received=")
    placed = root / "movies" / "dry-run" / "diary.csv"
    assert placed.read_bytes() == content
    assert not list((root / ".incoming").iterdir())  # nothing left half-way
    upload_id = uuid.UUID(sent.headers["location"].split("=", 1)[1])
    with engine.connect() as conn:
        upload = uploads.get_upload(conn, upload_id)
    assert upload is not None
    assert (upload.folder, upload.file_name, upload.skip_duplicates) == (
        "movies/dry-run",
        "diary.csv",
        False,
    )
    waiting = console.get(sent.headers["location"])
    assert waiting.status_code == 200 and "Waiting for" in waiting.text
    # A second file of the same name never overwrites the first.
    again = console.upload("diary.csv", content, dry_run="true")
    assert again.status_code == 303
    assert (root / "movies" / "dry-run" / "diary-2.csv").read_bytes() == content


def test_the_upload_page_follows_the_file_to_its_import(
    console: Console, engine: sa.Engine, sample_data: Path
) -> None:
    sent = console.upload("diary.csv", (sample_data / DIARY).read_bytes())
    location = sent.headers["location"]
    upload_id = uuid.UUID(location.split("=", 1)[1])
    with engine.begin() as conn:
        upload = uploads.get_upload(conn, upload_id)
        assert upload is not None
        uploads.claim_upload(
            conn,
            folder=upload.folder,
            file_name=upload.file_name,
            file_sha256=upload.file_sha256,
            partition_key="movies-20250101T000000-diary-00000000",
        )
    taken = console.get(location)
    assert taken.status_code == 303
    assert taken.headers["location"] == "/imports/movies-20250101T000000-diary-00000000"


def test_a_refused_upload_is_kept_with_the_folder_reason(
    console: Console, root: Path, tmp_path: Path
) -> None:
    sent = console.upload("mine.csv", SEMICOLONS)
    assert sent.status_code == 422
    (kept,) = (root / "rejected").glob("*-mine.csv")
    assert kept.read_bytes() == SEMICOLONS
    reason = kept.with_name(kept.name + ".error.txt").read_text().strip()
    # The reason the watched folder gives the same bytes, shown on the page.
    dropped = tmp_path / "mine.csv"
    dropped.write_bytes(SEMICOLONS)
    with pytest.raises(Exception, match="separated by ';'") as refused:
        screen_file(dropped, import_type="movies", max_bytes=MAX_BYTES)
    assert reason == str(refused.value)
    assert reason.replace("'", "&#39;") in sent.text
    assert watched_files(root) == []


@pytest.mark.parametrize(
    ("name", "kept_as"),
    [
        ("../../escape.csv", "escape.csv"),  # climbs out of the folder
        ("sub/dir.csv", "dir.csv"),  # names a folder
        ("..", "upload"),  # nothing left of it
        (".hidden.csv", ".hidden.csv"),  # the sensor would ignore it
    ],
)
def test_an_upload_name_that_would_leave_the_folder_is_refused(
    console: Console, root: Path, tmp_path: Path, name: str, kept_as: str
) -> None:
    content = b"Title,Year,Watched Date,IMDb ID\nUp,2009,2024-01-01,\n"
    sent = console.upload(name, content)
    assert sent.status_code == 422
    (kept,) = (root / "rejected").glob(f"*-{kept_as}")
    assert kept.read_bytes() == content
    assert kept.with_name(kept.name + ".error.txt").read_text().strip()
    assert watched_files(root) == []
    assert not (tmp_path / "escape.csv").exists()


@pytest.mark.parametrize(
    ("sent", "kept", "refused"),
    [
        ("diary.csv", "diary.csv", False),
        ("Amélie & co.csv", "Amélie & co.csv", False),  # any plain name, spaces and all
        ("../diary.csv", "diary.csv", True),  # climbs out
        ("C:\\Users\\me\\diary.csv", "diary.csv", True),  # a Windows path
        ("/etc/passwd", "passwd", True),  # an absolute path
        ("..", "upload", True),  # nothing of it is a name
        ("", "upload", True),  # no name at all
        ("diary.csv.part", "diary.csv.part", True),  # the sensor would wait for it forever
        (".diary.csv", ".diary.csv", True),  # hidden: the sensor never looks at it
    ],
)
def test_upload_name(sent: str, kept: str, refused: bool) -> None:
    name, reason = upload_name(sent)
    assert (name, reason is not None) == (kept, refused)


@pytest.mark.parametrize(
    ("values", "default", "expected"),
    [
        ([], True, True),  # a script that leaves skip_duplicates out keeps the default
        ([], False, False),
        (["false"], True, False),  # the form's hidden field alone: the box was unticked
        (["false", "true"], False, True),  # hidden field, then the ticked box
        (["on"], False, True),  # a plain HTML checkbox
    ],
)
def test_as_flag(values: list[str], default: bool, expected: bool) -> None:
    assert as_flag(values, default=default) is expected


def test_a_cross_site_upload_is_refused_unread(console: Console, root: Path) -> None:
    content = b"Title,Year,Watched Date,IMDb ID\nUp,2009,2024-01-01,\n"
    sent = console.upload("up.csv", content, headers={"Origin": "http://evil.example"})
    assert sent.status_code == 403
    sent = console.upload(
        "up.csv", content, headers={"Origin": console.url, "Sec-Fetch-Site": "cross-site"}
    )
    assert sent.status_code == 403
    assert list(root.rglob("*.csv")) == []  # nothing written, not even a rejection


def test_a_body_over_the_limit_is_refused_before_it_is_read(console: Console) -> None:
    # Headers announcing a body far over the limit, and none of it sent: the answer comes
    # at once, so the body was never waited for.
    with socket.create_connection(("127.0.0.1", console.port), timeout=10) as sock:
        sock.sendall(
            b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {10 * MAX_BYTES}\r\n\r\n".encode()
        )
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413")


def test_a_chunked_body_is_cut_off_at_the_limit(console: Console, root: Path) -> None:
    def body() -> Iterator[bytes]:
        yield b'--x\r\nContent-Disposition: form-data; name="type"\r\n\r\nmovies\r\n'
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        for _ in range(40):  # 40 x 64 KiB, past the limit; no Content-Length
            yield b"Title,Year,Watched Date,IMDb ID\n" * 2048

    sent = requests.post(
        console.url + "/upload",
        data=body(),
        headers={"Content-Type": "multipart/form-data; boundary=x", "Origin": console.url},
        timeout=20,
    )
    assert sent.status_code == 413
    assert list(root.rglob("*.csv")) == []


def test_the_rows_table_shows_each_rows_match_verdict(console: Console, engine: sa.Engine) -> None:
    key = "movies-20250101T000000-verdicts-00000000"
    job_id = _import(engine, key, rows=[("Amélie", RowStatus.SUCCESS, None)])
    verdict = {"verdict": "verified", "route": "omdb_title", "candidates": [], "why": "one fit"}
    with engine.begin() as conn:
        conn.execute(
            import_rows.update()
            .where(import_rows.c.job_id == job_id)
            .values(normalized_payload={"title": "Amélie", "match_verdict": verdict})
        )
    page = console.get(f"/imports/{key}").text
    assert "<th>Verdict</th>" in page and "<td>verified</td>" in page
    assert console.get(f"/api/imports/{key}/rows").json()["rows"][0]["verdict"] == "verified"


def test_a_whole_export_zip_can_be_uploaded_and_the_page_offers_it(
    console: Console, root: Path, sample_data: Path, tmp_path: Path
) -> None:
    content = letterboxd_zip(sample_data, tmp_path / "letterboxd-export.zip").read_bytes()
    sent = console.upload("letterboxd-export.zip", content)
    assert sent.status_code == 303, sent.text
    assert (root / "movies" / "letterboxd-export.zip").read_bytes() == content
    # The file picker lets the user choose the zip they downloaded.
    assert 'accept=".csv,.zip,' in console.get("/upload").text
