"""Growing past one machine (SPEC §10), shown: the topology of Dagster's Docker and Kubernetes
deployments, run here as separate processes, imports a real diary end to end.

- Postgres is a server of its own: Debian's `postgresql` package (`initdb`/`pg_ctl` from
  `/usr/lib/postgresql/<version>/bin`, run as the `postgres` user when we are root), a cluster
  made for this test on a free port with a password, stopped and deleted at the end. It is
  migrated with `jobsimport migrate`, as `deploy/docker-compose.yml` does.
- The code location is a gRPC server (`dagster code-server start`), reached by host and port
  through `deploy/workspace.yaml` (its host and port changed to ours): the file the compose
  services use.
- `dagster-webserver` and `dagster-daemon run` are processes of their own, all three with
  DAGSTER_HOME holding the repository's own `dagster.yaml` (storage in Postgres through
  DAGSTER_PG_URL, the queued run coordinator).

A diary dropped into the watched folder is seen by `upload_sensor` (ticked by the daemon,
evaluated in the code server), its run is queued, dequeued by the daemon's run coordinator and
handed to the run launcher, and its rows are posted once into the catalogue stand-in.

Without Debian's server the test skips saying why, except in CI (`CI=true`) or with
JOBSIMPORT_REQUIRE_POSTGRES=1 (which `.ci/run` exports), where it fails.
"""

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa
import yaml

from jobsimport_dagster.clients.dagster_graphql import DagsterGraphQLClient, RunSummary
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.engine import dagster_storage_url
from jobsimport_dagster.db.tables import import_rows
from jobsimport_dagster.errors import DagsterApiError
from jobsimport_dagster.settings import Settings
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY
from jobsimport_dagster.standins.server import StandinGroup, start_all
from jobsimport_dagster_tests.conftest import PROJECT_ROOT
from jobsimport_dagster_tests.e2e.conftest import (
    EXTRATONE,
    FINISHED,
    RUN_TIMEOUT,
    START_TIMEOUT,
    free_port,
    wait_for,
)

BIN = Path(sys.executable).parent
POSTGRES_ROOT = Path("/usr/lib/postgresql")
WORKSPACE = PROJECT_ROOT / "deploy" / "workspace.yaml"
CODE_LOCATION = "jobsimport_dagster"
DEFINITIONS_MODULE = "jobsimport_dagster.definitions"
STOP_GRACE_SECONDS = 20.0
# Variables of the developer's shell that would point a process elsewhere than this topology.
OURS = ("DAGSTER_", "JOBSIMPORT_", "OMDB_", "IMDB_", "ASHISHDOTME_", "DATABASE_URL", "PG")


def _postgres_required() -> bool:
    return (
        os.environ.get("JOBSIMPORT_REQUIRE_POSTGRES") == "1"
        or os.environ.get("CI", "").lower() == "true"
    )


def _postgres_bindir() -> Path | None:
    """The newest installed server's binaries (Debian keeps one folder per major version)."""
    found = [
        p.parent for p in POSTGRES_ROOT.glob("*/bin/initdb") if (p.parent / "pg_ctl").is_file()
    ]
    found.sort(key=lambda b: int(b.parent.name) if b.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _missing_postgres() -> str | None:
    """Why Debian's server cannot be started here, or None."""
    if _postgres_bindir() is None:
        return (
            f"no PostgreSQL server binaries under {POSTGRES_ROOT}/<version>/bin "
            "(Debian: apt-get install postgresql)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root but there is no `postgres` user to own the cluster"
        if shutil.which("runuser") is None:
            return "running as root but `runuser` is missing to start the cluster as `postgres`"
    return None


def _run_postgres_tool(as_owner: list[str], tool: Path, *args: str) -> None:
    done = subprocess.run([*as_owner, str(tool), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{tool.name} {args[0]} exited {done.returncode}: {done.stderr}")


@contextmanager
def debian_postgres() -> Iterator[str]:
    """A fresh cluster of Debian's PostgreSQL on 127.0.0.1 and a free port, with password
    authentication; yields the superuser's URL of database `postgres`. Stopped (fast, else
    immediate) and its folder deleted on exit."""
    bindir = _postgres_bindir()
    assert bindir is not None
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # Not under pytest's basetemp, whose folders only we may enter: the server runs as `postgres`.
    folder = Path(tempfile.mkdtemp(prefix="jobsimport-topology-pg-"))
    data, log, password_file = folder / "data", folder / "postgres.log", folder / "password"
    password, port = secrets.token_hex(16), free_port()
    pg_ctl = bindir / "pg_ctl"
    try:
        password_file.write_text(password)
        if as_owner:
            for path in (folder, password_file):
                shutil.chown(path, "postgres", "postgres")
        initdb_options = "-U jobsimport --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync"
        _run_postgres_tool(
            as_owner, bindir / "initdb", "-D", str(data), f"--pwfile={password_file}",
            *initdb_options.split(),
        )  # fmt: skip
        password_file.unlink()
        server_options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run_postgres_tool(
            as_owner, pg_ctl, "start", "-D", str(data), "-w", "-t", "60", "-l", str(log),
            "-o", server_options,
        )  # fmt: skip
        yield f"postgresql+psycopg2://jobsimport:{password}@127.0.0.1:{port}/postgres"
    finally:
        for mode in ("fast", "immediate"):
            if not (data / "postmaster.pid").exists():
                break
            with suppress(RuntimeError):
                _run_postgres_tool(as_owner, pg_ctl, "stop", "-D", str(data), "-m", mode, "-w")
        shutil.rmtree(folder, ignore_errors=True)


def _create_database(server_url: str, name: str) -> str:
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _workspace(port: int) -> dict:
    """`deploy/workspace.yaml`, pointing at our code server instead of the compose service."""
    workspace = yaml.safe_load(WORKSPACE.read_text(encoding="utf-8"))
    (entry,) = workspace["load_from"]
    entry["grpc_server"].update(host="127.0.0.1", port=port)
    assert entry["grpc_server"]["location_name"] == CODE_LOCATION
    return workspace


@dataclass
class Service:
    """One process of the topology, in its own session (so its children are its group)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {self.name} ({self.log}) ---\n" + "\n".join(text)


def _start(name: str, program: str, arguments: str, environ: dict[str, str], home: Path) -> Service:
    """`program` of this environment with `arguments` (split on spaces), its output in a log."""
    log = home / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / program), *arguments.split()], cwd=home, env=environ, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return Service(name, process, log)


def _answers(service: Service, health_check: list[str], environ: dict[str, str]) -> bool:
    """Whether the code server answers `dagster api grpc-health-check` (fails if it died)."""
    if service.process.poll() is not None:
        pytest.fail(f"the code server exited with {service.process.returncode}\n{service.tail()}")
    check = subprocess.run(
        [str(BIN / "dagster"), *health_check], env=environ, capture_output=True, timeout=60
    )
    return check.returncode == 0


def _stop(service: Service) -> list[psutil.Process]:
    """SIGTERM to the service's process group (run workers included), SIGKILL after the grace
    period to whatever is left of it; returns every process it had, for the caller to check."""
    members: list[psutil.Process] = []
    with suppress(psutil.Error):
        leader = psutil.Process(service.process.pid)
        members = [leader, *leader.children(recursive=True)]
    if service.process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(service.process.pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(members, timeout=STOP_GRACE_SECONDS)
    for process in alive:
        with suppress(psutil.Error):
            process.kill()
    with suppress(ProcessLookupError):
        os.killpg(service.process.pid, signal.SIGKILL)
    service.process.wait(timeout=10)
    psutil.wait_procs(alive, timeout=10)
    return members


def _is_alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@dataclass
class Topology:
    """The running processes and what the test reads: the external database, the stand-ins."""

    home: Path
    uploads: Path
    database_url: str
    engine: sa.Engine
    standins: StandinGroup
    services: list[Service]
    client: DagsterGraphQLClient

    def logs(self) -> str:
        return "\n".join(service.tail() for service in self.services)

    def check_alive(self) -> None:
        for service in self.services:
            if service.process.poll() is not None:
                pytest.fail(
                    f"{service.name} exited with {service.process.returncode}\n{self.logs()}"
                )


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    if reason := _missing_postgres():
        if _postgres_required():
            pytest.fail(f"Debian's PostgreSQL server is required here (CI) but {reason}")
        pytest.skip(reason)
    with ExitStack() as stack:
        home = tmp_path_factory.mktemp("topology")  # DAGSTER_HOME, the folder, the logs
        server_url = stack.enter_context(debian_postgres())
        database_url = _create_database(server_url, "jobsimport")
        standins = stack.enter_context(start_all())
        urls = standins.urls()
        # DAGSTER_HOME holds the repository's instance config as it is, as `jobsimport dev`'s.
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
        uploads = home / "uploads"
        environ = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
        environ.update(
            DATABASE_URL=database_url,
            DAGSTER_HOME=str(home),
            JOBSIMPORT_PROJECT_ROOT=str(home),
            JOBSIMPORT_UPLOAD_DIR=str(uploads),
            JOBSIMPORT_SENSOR_INTERVAL="1",
            OMDB_BASE_URL=urls["omdb"],
            OMDB_API_KEY=DEFAULT_API_KEY,
            IMDB_API_URL=urls["imdb"],
            ASHISHDOTME_API_URL=urls["catalogue"],
            ASHISHDOTME_TOKEN=DEFAULT_TOKEN,
        )
        # Dagster's storage: the same database, schema `dagster`, derived as `jobsimport dev` does.
        environ["DAGSTER_PG_URL"] = dagster_storage_url(
            Settings.from_env(environ, project_root=home), database_url
        )
        migrate = subprocess.run(
            [str(BIN / "jobsimport"), "migrate"], cwd=home, env=environ, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        grpc_port, web_port = free_port(), free_port()
        workspace = home / "workspace.yaml"
        workspace.write_text(yaml.safe_dump(_workspace(grpc_port)), encoding="utf-8")
        services: list[Service] = []

        def stop_all() -> None:
            # The daemon first (it launches runs), the code server last (it runs them).
            members = [p for s in reversed(services) for p in _stop(s)]
            left = [p for p in members if _is_alive(p)]
            assert not left, f"processes left running: {left}"

        stack.callback(stop_all)
        code_server = f"code-server start -h 127.0.0.1 -p {grpc_port} -m {DEFINITIONS_MODULE}"
        services.append(
            _start("code-server", "dagster", f"{code_server} --location-name {CODE_LOCATION}",
                   environ, home)
        )  # fmt: skip
        # As compose's healthcheck: the others start once the code location answers.
        health_check = ["api", "grpc-health-check", "-h", "127.0.0.1", "-p", str(grpc_port)]
        wait_for(
            "the code server to serve",
            lambda: _answers(services[0], health_check, environ) or None,
            START_TIMEOUT,
            every=1.0,
        )
        services += [
            _start("webserver", "dagster-webserver", f"-h 127.0.0.1 -p {web_port} -w {workspace}",
                   environ, home),
            _start("daemon", "dagster-daemon", f"run -w {workspace}", environ, home),
        ]  # fmt: skip
        engine = sa.create_engine(database_url, poolclass=sa.NullPool)
        stack.callback(engine.dispose)
        client = DagsterGraphQLClient(f"http://127.0.0.1:{web_port}")
        stack.callback(client.close)
        running = Topology(home, uploads, database_url, engine, standins, services, client)

        def location_loaded() -> bool | None:
            running.check_alive()
            try:
                running.client.partition_keys()
            except DagsterApiError:
                return None
            return True

        wait_for(
            "the webserver to load the code location from its gRPC server",
            location_loaded,
            START_TIMEOUT,
        )
        # The sensor creates the watched folder's tree on its first tick.
        wait_for(
            "the daemon to tick upload_sensor",
            lambda: (uploads / "movies").is_dir() or None,
            START_TIMEOUT,
        )
        yield running


def test_the_deployment_topology_imports_a_dropped_diary_once(
    topology: Topology, sample_data: Path
) -> None:
    content = (sample_data / EXTRATONE).read_bytes()
    part = topology.uploads / "movies" / ".diary.csv.part"
    part.write_bytes(content)
    part.rename(topology.uploads / "movies" / "diary.csv")

    def registered() -> str | None:
        topology.check_alive()
        keys = topology.client.partition_keys()
        assert len(keys) <= 1, keys
        return keys[0] if keys else None

    key = wait_for("the sensor to register the diary", registered, RUN_TIMEOUT)

    def ended() -> RunSummary | None:
        topology.check_alive()
        run = topology.client.latest_runs(partition_keys=[key]).get(key)
        return run if run is not None and run.status in FINISHED else None

    run = wait_for(f"the run of {key} to end", ended, RUN_TIMEOUT, every=1.0)
    assert run.status == "SUCCESS", topology.logs()
    assert run.tags["jobsimport/source"] == "letterboxd-diary"
    assert run.tags["dagster/sensor_name"] == "upload_sensor"

    with topology.engine.connect() as conn:
        # Dagster's run storage and the import tables are both on the external server.
        events = set(
            conn.execute(
                sa.text(
                    "SELECT dagster_event_type FROM dagster.event_logs "
                    "WHERE run_id = :run_id AND dagster_event_type IS NOT NULL"
                ),
                {"run_id": run.run_id},
            ).scalars()
        )
        job = jobs.get_job(conn, partition_key=key)
        assert job is not None
        rows = (
            conn.execute(sa.select(import_rows).where(import_rows.c.job_id == job.id))
            .mappings()
            .all()
        )
    # Under their legacy names: enqueued by the sensor's request, taken from the queue by the
    # daemon's coordinator (STARTING), started by the run launcher in the code server (START).
    stages = ("ENQUEUED", "STARTING", "START", "SUCCESS")
    assert {f"PIPELINE_{stage}" for stage in stages} <= events

    # The diary (317 records) is completed; every success row is posted exactly once.
    assert job.status == "completed", (job, topology.logs())
    assert job.total_rows == len(rows) == 317
    success = [r for r in rows if r["status"] == "success"]
    assert success and job.success_rows == len(success)
    assert job.processed_rows == job.success_rows + job.failed_rows + job.skipped_rows == 317
    catalogue = topology.standins.catalogue.standin
    stats = catalogue.stats()
    assert stats["duplicates"] == 0
    assert stats["by_endpoint"].get("POST /movies") == len(success)
    posted = {record["id"] for record in catalogue.records("movies")}
    ids = {r["target_record_id"] for r in success}
    assert len(ids) == len(success) and ids == posted
    assert (topology.uploads / "archive" / f"{key}.csv").read_bytes() == content
