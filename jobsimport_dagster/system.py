"""The whole running system: Postgres, migrations, folders, Dagster webserver and daemon."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from dotenv import load_dotenv

from jobsimport_dagster.db.engine import dagster_storage_url, resolve_database_url
from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.intake.folders import ensure_tree
from jobsimport_dagster.settings import Settings

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


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


def serve(env: SystemEnvironment, *, host: str, port: int) -> int:
    """Run the webserver and the daemon until either exits or we are told to stop."""
    bin_dir = Path(sys.executable).parent
    workspace = str(_workspace_file())
    commands = [
        [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
        [str(bin_dir / "dagster-webserver"), "-h", host, "-p", str(port), "-w", workspace],
    ]
    children = [
        subprocess.Popen(command, env=os.environ.copy(), cwd=env.project_root)
        for command in commands
    ]
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0 if stopping else 1
