"""How a command reaches the system it works on: `--demo`, the database and the web server.

A command only ever connects: it never starts the embedded Postgres nor creates a database.
When the database, its tables or the server are missing it says so in one sentence naming
what to start, and exits 2.
"""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from jobsimport_dagster.cli.demo import demo_settings
from jobsimport_dagster.cli.server_record import read_server_record
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.embedded import running_embedded_postgres_url
from jobsimport_dagster.db.jobs import ImportJob
from jobsimport_dagster.db.migrate import SchemaState, schema_state
from jobsimport_dagster.settings import Settings

EXIT_UNAVAILABLE = 2
DEFAULT_URL = "http://127.0.0.1:3000"  # where `jobsimport dev` and `jobsimport demo` listen
CONNECT_TIMEOUT_SECONDS = 5

demo_option = click.option(
    "--demo",
    is_flag=True,
    help="Work on the demo's database, folder uploads-demo/ and server (`jobsimport demo`).",
)


class SystemUnavailable(click.ClickException):
    """The database, its tables or the web server are not there: one sentence, exit 2."""

    exit_code = EXIT_UNAVAILABLE


def command_settings(*, demo: bool) -> Settings:
    """The settings a command works with: the project's, or the demo's places."""
    settings = Settings.from_env()
    return demo_settings(settings) if demo else settings


def what_to_start(*, demo: bool) -> str:
    return "`jobsimport demo`" if demo else "`jobsimport dev`"


def embedded_data_dir(settings: Settings) -> Path:
    """Where the embedded Postgres of these settings keeps its data."""
    return settings.state_dir / "pgdata"


def is_demo_running(settings: Settings) -> bool:
    """Whether the demo's embedded Postgres is up (to point a user who forgot `--demo`)."""
    demo_dir = embedded_data_dir(demo_settings(settings))
    return running_embedded_postgres_url(demo_dir) is not None


def _no_database(settings: Settings, *, demo: bool) -> str:
    if demo:
        return "the demo is not running (its database is not up): start `jobsimport demo`"
    message = (
        "no database is running for this project (DATABASE_URL is unset and the embedded "
        "one is not up): start `jobsimport dev`"
    )
    if is_demo_running(settings):
        message += ", or add --demo to work on the running demo"
    return message


def unreachable_message(url: str, error: sa.exc.OperationalError) -> str:
    """The server's own reason (first line) and where, never the password."""
    place = sa.make_url(url)
    where = f"{place.host or 'localhost'}:{place.port or 5432}/{place.database}"
    reason = str(error.orig).strip().splitlines()[0] if error.orig else "no answer"
    return (
        f"cannot use the database of DATABASE_URL ({where}: {reason}): start that PostgreSQL "
        "server, or create the database and run `jobsimport migrate`"
    )


def _schema_problem(state: SchemaState, *, demo: bool) -> str | None:
    if state is SchemaState.MISSING:
        return (
            "the database has no import tables yet: run `jobsimport migrate` "
            f"(or start {what_to_start(demo=demo)}, which migrates)"
        )
    if state is SchemaState.BEHIND:
        return (
            "the import tables are at an older migration than this code: run "
            f"`jobsimport migrate{' --demo' if demo else ''}`"
        )
    return None


def database_url(settings: Settings, *, demo: bool) -> str:
    """DATABASE_URL, or the URL of the embedded server already running; never starts one."""
    url = settings.database_url or running_embedded_postgres_url(embedded_data_dir(settings))
    if url is None:
        raise SystemUnavailable(_no_database(settings, demo=demo))
    return url


def open_database(settings: Settings, *, demo: bool) -> sa.Engine:
    """An engine on the import tables, checked: reachable, migrated, at this code's newest
    migration. Anything missing raises SystemUnavailable naming what to start."""
    url = database_url(settings, demo=demo)
    engine = sa.create_engine(
        url,
        poolclass=sa.NullPool,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    try:
        with engine.connect() as conn:
            problem = _schema_problem(schema_state(conn), demo=demo)
    except sa.exc.OperationalError as error:
        engine.dispose()
        raise SystemUnavailable(unreachable_message(url, error)) from None
    if problem is not None:
        engine.dispose()
        raise SystemUnavailable(problem)
    return engine


def import_job_of(conn: sa.Connection, partition_key: str) -> ImportJob:
    """The import of `partition_key`; an unknown key ends the command (exit 1), naming it."""
    job = jobs.get_job(conn, partition_key=partition_key)
    if job is None:
        raise click.ClickException(f"unknown partition key: {partition_key}")
    return job


def server_url(settings: Settings, url: str | None, *, demo: bool = False) -> str:
    """`--url` when given, else where the running system of these settings serves.

    With nothing recorded: `--demo` stops there (the default port may be `jobsimport dev`'s,
    the wrong system); otherwise the default port, unless the demo is what serves there.
    """
    if url:
        return url
    record = read_server_record(settings)
    if record is not None:
        return record.url
    if demo:
        raise SystemUnavailable("the demo is not running: start `jobsimport demo`")
    demo_record = read_server_record(demo_settings(settings))
    if demo_record is not None and demo_record.url == DEFAULT_URL:
        raise SystemUnavailable(
            f"`jobsimport dev` is not running (the demo serves {DEFAULT_URL}): start "
            "`jobsimport dev`, or add --demo to work on the demo"
        )
    return DEFAULT_URL
