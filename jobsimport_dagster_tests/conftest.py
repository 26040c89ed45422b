"""Shared fixtures: a real Postgres (embedded unless DATABASE_URL is set) and the sample data."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from jobsimport_dagster.db.embedded import start_embedded_postgres
from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.db.tables import import_job_events
from jobsimport_dagster.settings import psycopg2_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DB = "jobsimport_test_template"


SAMPLE_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """The real export files and OMDb answers kept in the repository (provenance in
    `data/SOURCES.md`), used byte for byte as they are."""
    return SAMPLE_DATA


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real Postgres server: DATABASE_URL's, or an embedded one for this test session."""
    if os.environ.get("DATABASE_URL"):
        return psycopg2_url(os.environ["DATABASE_URL"])
    return start_embedded_postgres(tmp_path_factory.mktemp("pg") / "data", delete_on_exit=True)


def _admin(server_url: str) -> sa.Engine:
    return sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


@pytest.fixture(scope="session")
def migrated_template(postgres_server_url: str) -> str:
    """A database migrated once, copied by every test that wants a fresh one."""
    admin = _admin(postgres_server_url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{TEMPLATE_DB}"'))
    url = sa.make_url(postgres_server_url).set(database=TEMPLATE_DB)
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    upgrade_to_head(engine)
    engine.dispose()
    return TEMPLATE_DB


@contextmanager
def fresh_database(server_url: str, template: str) -> Iterator[str]:
    """A new database copied from the migrated template; dropped (connections and all) after."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = _admin(server_url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = sa.make_url(server_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(postgres_server_url: str, migrated_template: str) -> Iterator[str]:
    """A fresh, migrated database for one test (schemas `jobsimport` and `dagster`)."""
    with fresh_database(postgres_server_url, migrated_template) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    yield engine
    engine.dispose()


def job_events(conn: sa.Connection, job_id: uuid.UUID) -> list[dict]:
    """An import's lifecycle events (level, message, meta), oldest first."""
    query = (
        sa.select(import_job_events.c.level, import_job_events.c.message, import_job_events.c.meta)
        .where(import_job_events.c.job_id == job_id)
        .order_by(import_job_events.c.id)
    )
    return [dict(r._mapping) for r in conn.execute(query)]
