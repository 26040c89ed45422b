"""`jobsimport migrate`: apply the Alembic migrations to DATABASE_URL (or the embedded server)."""

import click
import sqlalchemy as sa

from jobsimport_dagster.cli.reach import (
    CONNECT_TIMEOUT_SECONDS,
    SystemUnavailable,
    command_settings,
    demo_option,
    unreachable_message,
)
from jobsimport_dagster.db.engine import resolve_database_url
from jobsimport_dagster.db.migrate import upgrade_to_head


@click.command("migrate")
@demo_option
def migrate_command(demo: bool) -> None:
    """Create or upgrade schema `jobsimport`.

    Without DATABASE_URL this starts the embedded database (creating it under `.jobsimport/`
    on first use, `.jobsimport/demo/` with --demo) for as long as the command runs, unless
    `jobsimport dev` or `demo` already runs it. An unreachable DATABASE_URL exits 2.
    """
    # Unlike every other command, migrate may create the database: that is what it is for.
    url = resolve_database_url(command_settings(demo=demo))
    engine = sa.create_engine(
        url, poolclass=sa.NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    )
    try:
        upgrade_to_head(engine)
    except sa.exc.OperationalError as error:
        raise SystemUnavailable(unreachable_message(url, error)) from None
    finally:
        engine.dispose()
    click.echo("schema jobsimport is at the latest migration")
