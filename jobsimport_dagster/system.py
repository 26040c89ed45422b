"""The whole running system: Postgres, migrations, folders, Dagster's web app and daemon."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
import sqlalchemy as sa
import uvicorn
from dotenv import load_dotenv

from jobsimport_dagster.db.engine import dagster_storage_url, resolve_database_url
from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.defs.imports.recovery import fail_orphaned_runs_of_instance
from jobsimport_dagster.intake.folders import ensure_tree
from jobsimport_dagster.settings import Settings
from jobsimport_dagster.web.app import dagster_web_app
from jobsimport_dagster.web.console import ConsoleConfig

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CODE_LOCATION = "jobsimport_dagster"
DEFINITIONS_MODULE = "jobsimport_dagster.definitions"
CODE_SERVER_START_SECONDS = 180.0
STOP_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class SystemEnvironment:
    """The resolved places every process of the system shares, passed on as variables."""

    database_url: str
    dagster_pg_url: str
    dagster_home: Path
    upload_dir: Path
    project_root: Path

    def as_environ(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "DAGSTER_PG_URL": self.dagster_pg_url,
            "DAGSTER_HOME": str(self.dagster_home),
            "JOBSIMPORT_UPLOAD_DIR": str(self.upload_dir),
            "JOBSIMPORT_PROJECT_ROOT": str(self.project_root),
        }


def prepare(settings: Settings) -> SystemEnvironment:
    """Start or reach Postgres, migrate, create the folders; return what children need."""
    database_url = resolve_database_url(settings)
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    upgrade_to_head(engine)
    engine.dispose()
    ensure_tree(settings.upload_dir)
    dagster_home = settings.dagster_home
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance_file = dagster_home / "dagster.yaml"
    if not instance_file.exists():
        # Without it Dagster would keep runs in SQLite; ours puts them in Postgres.
        shutil.copyfile(PACKAGE_ROOT / "dagster.yaml", instance_file)
    return SystemEnvironment(
        database_url=database_url,
        dagster_pg_url=dagster_storage_url(settings, database_url),
        dagster_home=dagster_home,
        upload_dir=settings.upload_dir,
        project_root=settings.project_root,
    )


def apply_environment(env: SystemEnvironment) -> None:
    """Make this process and every child it starts see the same places and the `.env` values
    (secrets reach Dagster resources as EnvVars, which read only the environment)."""
    load_dotenv(env.project_root / ".env", override=False)
    os.environ.update(env.as_environ())


@contextmanager
def code_server(
    env: SystemEnvironment, told_to_stop: threading.Event
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """One code server for the web app and the daemon, and the workspace file that names it.

    Given the package's own `workspace.yaml` (a Python module), the daemon would start a code
    server of its own with a 20-second heartbeat and replace it every minute when it reloads
    its workspace, so the old one logs `No heartbeat received in 20 seconds, shutting down`
    and may live on while its runs finish; the web app would start another. Started here,
    without `--heartbeat`, there is one, it lives exactly as long as `serve`, and it is ours to
    stop. Its socket lives in a private temporary folder. A stop asked for while it loads is
    not waited out.
    """
    with tempfile.TemporaryDirectory(prefix="jobsimport-") as folder:
        socket_path = Path(folder) / "code.sock"
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dagster"),
                "api",
                "grpc",
                "--socket",
                str(socket_path),
                "--module-name",
                DEFINITIONS_MODULE,
                "--location-name",
                CODE_LOCATION,
            ],
            env=os.environ.copy(),
            cwd=env.project_root,
        )
        try:
            _wait_for_socket(socket_path, process, told_to_stop)
            workspace = Path(folder) / "workspace.yaml"
            # JSON is YAML: the web app and the daemon load this location from our server.
            location = {"socket": str(socket_path), "location_name": CODE_LOCATION}
            workspace.write_text(json.dumps({"load_from": [{"grpc_server": location}]}))
            yield process, workspace
        finally:
            with suppress(psutil.Error):
                stop_processes([psutil.Process(process.pid)])
            process.wait()


def _wait_for_socket(
    socket_path: Path, process: subprocess.Popen[bytes], told_to_stop: threading.Event
) -> None:
    """Until the code server accepts connections: it loads the definitions before it listens."""
    deadline = time.monotonic() + CODE_SERVER_START_SECONDS
    while time.monotonic() < deadline and not told_to_stop.is_set():
        if process.poll() is not None:
            raise RuntimeError(f"the code server exited with {process.returncode} while starting")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(socket_path))
            except OSError:
                time.sleep(0.2)
                continue
        return
    if told_to_stop.is_set():
        return
    raise RuntimeError(f"the code server did not listen within {CODE_SERVER_START_SECONDS:.0f} s")


def own_url(host: str, port: int) -> str:
    """Where this process reaches the server it runs (for the console's GraphQL calls): the
    loopback address when it listens on every address."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(env: SystemEnvironment, settings: Settings, *, host: str, port: int) -> int:
    """Serve Dagster's web app and the import console in this process (behind the token gate
    when JOBSIMPORT_UI_TOKEN is set) and run one code server and the daemon beside it, until
    one of them stops or we are told to (0) or not (1).

    Stopping leaves no process behind, runs in flight included (see `stop_processes`); a run
    stopped so is marked failed by its worker, or else at the next start.
    """
    ui_token = settings.ui_token
    console = ConsoleConfig(
        database_url=env.database_url,
        upload_dir=env.upload_dir,
        max_upload_bytes=settings.max_upload_bytes,
        sensor_interval=settings.sensor_interval,
        graphql_url=own_url(host, port),
        ui_token=ui_token,
    )
    if not ui_token and host not in LOOPBACK_HOSTS:
        sys.stderr.write(
            f"warning: serving the UI on {host} without JOBSIMPORT_UI_TOKEN: anyone who can "
            "reach this port can launch imports\n"
        )
    told_to_stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: told_to_stop.set())
    family = ProcessFamily()
    try:
        with code_server(env, told_to_stop) as (server_process, workspace):
            daemon = subprocess.Popen(
                [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(workspace)],
                env=os.environ.copy(),
                cwd=env.project_root,
            )
            try:
                with dagster_web_app(workspace, console, ui_token=ui_token) as app:
                    server = uvicorn.Server(
                        uvicorn.Config(
                            app,
                            host=host,
                            port=port,
                            log_level="warning",
                            timeout_graceful_shutdown=5,
                        )
                    )
                    threading.Thread(
                        target=_stop_server_when,
                        args=(server, (daemon, server_process), told_to_stop, family),
                        daemon=True,
                    ).start()
                    if not told_to_stop.is_set():
                        server.run()
            finally:
                # All at once: the code server waits for its runs (its children) to end, and
                # the daemon for nothing of ours.
                stop_processes(family.members())
                daemon.wait()
    finally:
        stop_processes(family.members())
    return 0 if told_to_stop.is_set() else 1


class ProcessFamily:
    """Every process this one started, directly or not, remembered as it is seen: a run whose
    parent exited first is still found, and a process is never mistaken for a later one with
    the same id (psutil compares start times)."""

    def __init__(self) -> None:
        self._seen: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()

    def look(self) -> None:
        children = psutil.Process().children(recursive=True)
        with self._lock:
            self._seen.update((child.pid, child) for child in children)

    def members(self) -> list[psutil.Process]:
        """The processes seen so far and those alive now, PostgreSQL left out (it stops when
        the last process that started it exits)."""
        self.look()
        with self._lock:
            members = list(self._seen.values())
        return [p for p in members if _is_ours_to_stop(p)]


def _is_ours_to_stop(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.name() not in ("postgres", "pg_ctl")
    except psutil.Error:
        return False


def stop_processes(processes: list[psutil.Process], *, grace: float = STOP_GRACE_SECONDS) -> None:
    """Interrupt the processes, then kill those still running after `grace` seconds.

    SIGINT is what Ctrl-C sends: Dagster's processes take it as a request to stop, and a run's
    worker reports its run failed ("terminated by interrupt") before it exits. A code server
    otherwise waits for its runs to finish, however long they take.
    """
    alive = [p for p in processes if _is_ours_to_stop(p)]
    for process in alive:
        with suppress(psutil.Error):
            process.send_signal(signal.SIGINT)
    _, left = psutil.wait_procs(alive, timeout=grace)
    for process in left:
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(left, timeout=5)


def _stop_server_when(
    server: uvicorn.Server,
    children: tuple[subprocess.Popen[bytes], ...],
    told_to_stop: threading.Event,
    family: ProcessFamily,
) -> None:
    """Stop serving when the daemon or the code server dies or a signal came before uvicorn
    took them over (uvicorn hands the ones it catches back to our handlers when it stops);
    meanwhile remember every process of ours."""
    while not server.should_exit:
        family.look()
        if told_to_stop.is_set() or any(child.poll() is not None for child in children):
            server.should_exit = True
        time.sleep(0.5)


def start(settings: Settings) -> tuple[SystemEnvironment, list[str]]:
    """Everything before serving: Postgres, migrations, folders, the shared environment, and
    runs left STARTED by a dead process failed (no live process of ours can own one yet)."""
    env = prepare(settings)
    apply_environment(env)
    engine = sa.create_engine(env.database_url, poolclass=sa.NullPool)
    try:
        failed = fail_orphaned_runs_of_instance(engine)
    finally:
        engine.dispose()
    return env, failed
