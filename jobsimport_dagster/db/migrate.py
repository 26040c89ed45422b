"""Apply the Alembic migrations: `jobsimport migrate`, `jobsimport dev` and the tests call this."""

from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from jobsimport_dagster.db.tables import SCHEMA

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaState(StrEnum):
    """How a database's schema `jobsimport` stands against this code's migrations."""

    MISSING = "missing"  # no import tables: never migrated
    BEHIND = "behind"  # an older migration than this code's newest
    CURRENT = "current"  # the newest, or one this code does not know (a newer release's)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_to_head(engine: sa.Engine) -> None:
    """Create or upgrade schema `jobsimport` (and create schema `dagster` for Dagster's storage)."""
    config = _config()
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


def schema_state(conn: sa.Connection) -> SchemaState:
    """Read-only: whether the import tables exist and are at this code's newest migration."""
    version_table = conn.execute(
        sa.text("SELECT to_regclass(:name)"), {"name": f"{SCHEMA}.alembic_version"}
    ).scalar()
    if version_table is None:
        return SchemaState.MISSING
    applied = set(
        conn.execute(sa.text(f'SELECT version_num FROM "{SCHEMA}".alembic_version')).scalars()
    )
    if not applied:
        return SchemaState.MISSING
    scripts = ScriptDirectory.from_config(_config())
    known = {script.revision for script in scripts.walk_revisions()}
    if applied - known or applied == set(scripts.get_heads()):
        return SchemaState.CURRENT
    return SchemaState.BEHIND
