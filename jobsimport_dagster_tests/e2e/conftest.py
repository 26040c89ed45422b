"""One running system for the end-to-end tests, started as a user starts it: `jobsimport dev`.

It runs on a free port with a token, its own project root, upload folder and database on the
test Postgres server, and the stand-ins of OMDb, IMDb and api.ashish.me started here, so a
test can break and heal them. The package shares one start (about 15 s) and one imported diary.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner, Result

from jobsimport_dagster.cli import main
from jobsimport_dagster.clients.dagster_graphql import DagsterGraphQLClient, RunSummary
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.tables import import_rows
from jobsimport_dagster.errors import DagsterApiError
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY
from jobsimport_dagster.standins.server import StandinGroup, start_all
from jobsimport_dagster_tests.conftest import PROJECT_ROOT, fresh_database

JOBSIMPORT = Path(sys.executable).parent / "jobsimport"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXTRATONE = "letterboxd/extratone_diary_2024_crlf.csv"
# Appended to the real diary: lines 319 and 320 of the file, each failing for its own reason.
BAD_ROWS = (
    "2024-01-05,Bad Date Film,2001,https://boxd.it/zzzz1,,,,2024-02-30\r\n"
    "2024-01-06,Bad Year Film,19x9,https://boxd.it/zzzz2,,,,2024-01-06\r\n"
)
BAD_LINES = {319: "invalid_date", 320: "invalid_year"}
START_TIMEOUT = 120.0
RUN_TIMEOUT = 240.0
FINISHED = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.5) -> T:
    """Poll `check` until it returns something other than None; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class System:
    """The running `jobsimport dev` and what a test needs to drive and inspect it."""

    url: str
    token: str
    root: Path
    database_url: str
    standins: StandinGroup
    process: subprocess.Popen[bytes]
    log: Path
    engine: sa.Engine

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    def environ(self) -> dict[str, str]:
        """What a user's shell has when running the CLI beside `jobsimport dev`."""
        return {
            "JOBSIMPORT_PROJECT_ROOT": str(self.root),
            "JOBSIMPORT_UPLOAD_DIR": str(self.uploads),
            "DATABASE_URL": self.database_url,
            "JOBSIMPORT_UI_TOKEN": self.token,
        }

    def client(self) -> DagsterGraphQLClient:
        return DagsterGraphQLClient(self.url, self.token)

    def cli(self, *args: str) -> Result:
        """`jobsimport ARGS` in this process (as the console script runs it), output captured."""
        return CliRunner().invoke(main, list(args), env=self.environ())

    def drop(self, name: str, content: str, folder: str = "movies") -> None:
        """Write a file into the watched folder the way `submit` does: hidden, then renamed."""
        target = self.uploads / folder / name
        part = target.with_name(f".{name}.part")
        part.write_text(content, encoding="utf-8", newline="")
        part.rename(target)

    def new_partition(self, before: set[str]) -> str:
        """The partition the sensor adds after `before` was read."""

        def added() -> str | None:
            new = set(self.client().partition_keys()) - before
            assert len(new) <= 1, new
            return new.pop() if new else None

        return wait_for("the sensor to register the file", added, RUN_TIMEOUT)

    def finished_run(self, partition_key: str, *, not_run: str | None = None) -> RunSummary:
        """The partition's latest run once it has ended (and is not the run `not_run`)."""

        def ended() -> RunSummary | None:
            run = self.client().latest_runs(partition_keys=[partition_key]).get(partition_key)
            done = run is not None and run.status in FINISHED and run.run_id != not_run
            return run if done else None

        return wait_for(f"the run of {partition_key} to end", ended, RUN_TIMEOUT, every=1.0)

    def job(self, partition_key: str) -> jobs.ImportJob:
        with self.engine.connect() as conn:
            job = jobs.get_job(conn, partition_key=partition_key)
        assert job is not None, partition_key
        return job

    def rows(self, partition_key: str) -> list[dict[str, Any]]:
        job = self.job(partition_key)
        query = (
            sa.select(import_rows)
            .where(import_rows.c.job_id == job.id)
            .order_by(import_rows.c.row_number)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _ready(system: System) -> bool | None:
    if system.process.poll() is not None:
        pytest.fail(
            f"`jobsimport dev` exited with {system.process.returncode}:\n{system.log_tail()}"
        )
    try:
        system.client().partition_keys()  # the code location is loaded
    except DagsterApiError:
        return None
    return True


def _active_runs(system: System) -> list[RunSummary]:
    runs = system.client().latest_runs().values()
    return [run for run in runs if run.status not in FINISHED]


@contextmanager
def running_system(
    postgres_server_url: str,
    migrated_template: str,
    root: Path,
    standins: StandinGroup | None = None,
    **variables: str,
) -> Iterator[System]:
    """`jobsimport dev` in its own session, its own project root, a fresh database and the
    given stand-ins (fresh ones if none); `variables` are set in its environment. Stopped with
    SIGTERM at the end, unless the test stopped it itself; either way it must exit 0."""
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", root / "dagster.yaml")
    port = free_port()
    token = f"e2e-{secrets.token_hex(12)}"
    with (
        fresh_database(postgres_server_url, migrated_template) as database_url,
        nullcontext(standins) if standins is not None else start_all() as standins,
    ):
        urls = standins.urls()
        environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DAGSTER_", "JOBSIMPORT_", "OMDB_", "IMDB_", "ASHISHDOTME_"))
        }
        environ.update(
            DATABASE_URL=database_url,
            DAGSTER_HOME=str(root),
            JOBSIMPORT_PROJECT_ROOT=str(root),
            JOBSIMPORT_UPLOAD_DIR=str(root / "uploads"),
            JOBSIMPORT_SENSOR_INTERVAL="1",
            JOBSIMPORT_UI_TOKEN=token,
            OMDB_BASE_URL=urls["omdb"],
            OMDB_API_KEY=DEFAULT_API_KEY,
            IMDB_API_URL=urls["imdb"],
            ASHISHDOTME_API_URL=urls["catalogue"],
            ASHISHDOTME_TOKEN=DEFAULT_TOKEN,
            **variables,
        )
        log = root / "jobsimport-dev.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [str(JOBSIMPORT), "dev", "--port", str(port)],
                cwd=root,
                env=environ,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        engine = sa.create_engine(database_url, poolclass=sa.NullPool)
        running = System(
            f"http://127.0.0.1:{port}", token, root, database_url, standins, process, log, engine
        )
        try:
            wait_for(
                "`jobsimport dev` to serve its code location",
                lambda: _ready(running),
                START_TIMEOUT,
            )
            yield running
            # Runs the tests launched end before the database goes (a failed test may leave one).
            deadline = time.monotonic() + RUN_TIMEOUT
            while process.poll() is None and _active_runs(running):
                if time.monotonic() > deadline:
                    break
                time.sleep(1)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            engine.dispose()
        # Stopped by SIGTERM, `jobsimport dev` stops its daemon and code server and exits 0.
        assert process.returncode == 0, running.log_tail()


@pytest.fixture(scope="package")
def system(
    postgres_server_url: str, migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    root = tmp_path_factory.mktemp("project")
    with running_system(postgres_server_url, migrated_template, root) as running:
        yield running


@dataclass(frozen=True)
class DiaryImport:
    """The real Letterboxd diary with two bad rows, dropped and imported by the running system."""

    partition_key: str
    run: RunSummary
    seconds: float


@pytest.fixture(scope="package")
def diary_import(system: System, sample_data: Path) -> DiaryImport:
    content = (sample_data / EXTRATONE).read_bytes().decode("utf-8") + BAD_ROWS
    before = set(system.client().partition_keys())
    started = time.monotonic()
    system.drop("diary.csv", content)
    key = system.new_partition(before)
    run = system.finished_run(key)
    return DiaryImport(key, run, time.monotonic() - started)


@pytest.fixture(scope="package")
def session_cookie(system: System) -> str:
    """The cookie a browser keeps after answering the Basic prompt with the token."""
    response = requests.get(f"{system.url}/server_info", auth=("me", system.token), timeout=10)
    assert response.status_code == 200
    return response.cookies["jobsimport_session"]


@pytest.fixture(scope="package")
def chromium() -> Path:
    """The system's Chromium, and Playwright to drive it; missing ones skip or fail (CI)."""
    required = os.environ.get("JOBSIMPORT_REQUIRE_BROWSER") == "1"
    missing = []
    if not (CHROMIUM.is_file() or shutil.which("chromium")):
        missing.append(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package is not installed (pip install -e '.[dev]')")
    if missing:
        reason = "; ".join(missing)
        if required:
            pytest.fail(f"JOBSIMPORT_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return CHROMIUM if CHROMIUM.is_file() else Path(str(shutil.which("chromium")))
