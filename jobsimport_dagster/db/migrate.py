"""Apply the Alembic migrations: `jobsimport migrate`, `jobsimport dev` and the tests call this."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def upgrade_to_head(engine: sa.Engine) -> None:
    """Create or upgrade schema `jobsimport` (and create schema `dagster` for Dagster's storage)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as connection:
        # Serialise concurrent migrators (dev start, tests, the CLI) on one advisory lock.
        connection.execute(sa.text("SELECT pg_advisory_lock(727001)"))
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(727001)"))
            connection.commit()
