"""Engines for our tables and Dagster's storage URL, from Settings (embedded Postgres if unset)."""

from functools import cache

import sqlalchemy as sa

from jobsimport_dagster.db.embedded import start_embedded_postgres
from jobsimport_dagster.db.tables import DAGSTER_SCHEMA
from jobsimport_dagster.settings import Settings, psycopg2_url, with_search_path


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded server under `.jobsimport/` started on demand."""
    if settings.database_url:
        return settings.database_url
    return start_embedded_postgres(settings.state_dir / "pgdata")


def dagster_storage_url(settings: Settings, database_url: str) -> str:
    """DAGSTER_PG_URL, else the same database with Dagster's tables in schema `dagster`."""
    if settings.dagster_pg_url:
        return psycopg2_url(settings.dagster_pg_url)
    return with_search_path(database_url, DAGSTER_SCHEMA)


@cache
def engine_for(url: str) -> sa.Engine:
    """One pooled engine per URL and process."""
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
