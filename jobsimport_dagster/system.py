"""The whole running system: Postgres, migrations, folders, Dagster's web app and daemon."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import uvicorn
from dotenv import load_dotenv

from jobsimport_dagster.db.engine import dagster_storage_url, resolve_database_url
from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.defs.imports.recovery import fail_orphaned_runs_of_instance
from jobsimport_dagster.intake.folders import ensure_tree
from jobsimport_dagster.settings import Settings
from jobsimport_dagster.web.app import dagster_web_app

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


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
    dagster_home = Path(os.environ.get("DAGSTER_HOME") or settings.project_root).resolve()
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


def _workspace_file() -> Path:
    return PACKAGE_ROOT / "workspace.yaml"


def serve(env: SystemEnvironment, *, host: str, port: int, ui_token: str | None = None) -> int:
    """Serve Dagster's web app in this process (behind the token gate when `ui_token` is set)
    and run the daemon beside it, until either stops or we are told to (0) or not (1)."""
    if not ui_token and host not in LOOPBACK_HOSTS:
        sys.stderr.write(
            f"warning: serving the UI on {host} without JOBSIMPORT_UI_TOKEN: anyone who can "
            "reach this port can launch imports\n"
        )
    workspace = _workspace_file()
    daemon_command = [
        str(Path(sys.executable).parent / "dagster-daemon"),
        "run",
        "-w",
        str(workspace),
    ]
    daemon = subprocess.Popen(daemon_command, env=os.environ.copy(), cwd=env.project_root)
    told_to_stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: told_to_stop.set())
    try:
        with dagster_web_app(workspace, ui_token=ui_token) as app:
            server = uvicorn.Server(
                uvicorn.Config(
                    app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5
                )
            )
            threading.Thread(
                target=_stop_server_when, args=(server, daemon, told_to_stop), daemon=True
            ).start()
            if not told_to_stop.is_set():
                server.run()
    finally:
        if daemon.poll() is None:
            daemon.terminate()
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
    return 0 if told_to_stop.is_set() else 1


def _stop_server_when(
    server: uvicorn.Server, daemon: subprocess.Popen[bytes], told_to_stop: threading.Event
) -> None:
    """Stop serving when the daemon dies or a signal came before uvicorn took them over
    (uvicorn hands the ones it catches back to our handlers when it stops)."""
    while not server.should_exit:
        if told_to_stop.is_set() or daemon.poll() is not None:
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
