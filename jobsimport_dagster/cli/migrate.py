"""`jobsimport migrate`: apply the Alembic migrations to DATABASE_URL (or the embedded server)."""

import click
import sqlalchemy as sa

from jobsimport_dagster.db.engine import resolve_database_url
from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.settings import Settings


@click.command("migrate")
def migrate_command() -> None:
    """Create or upgrade schema `jobsimport`."""
    engine = sa.create_engine(resolve_database_url(Settings.from_env()), poolclass=sa.NullPool)
    upgrade_to_head(engine)
    engine.dispose()
    click.echo("schema jobsimport is at the latest migration")
