"""A real Dagster instance whose storage is the test database's `dagster` schema."""

from collections.abc import Iterator

import dagster as dg
import pytest

from jobsimport_dagster.db.tables import DAGSTER_SCHEMA
from jobsimport_dagster.settings import with_search_path


@pytest.fixture
def dagster_instance(database_url: str) -> Iterator[dg.DagsterInstance]:
    """Runs, event logs, schedules and dynamic partitions in Postgres, as in production.

    Same database as `database_url` (tables in schema `dagster` via `search_path`), so a test
    sees our rows and Dagster's state side by side; a fresh database per test.
    """
    storage_url = with_search_path(database_url, DAGSTER_SCHEMA)
    with dg.instance_for_test(
        overrides={"storage": {"postgres": {"postgres_url": storage_url}}}
    ) as instance:
        yield instance
