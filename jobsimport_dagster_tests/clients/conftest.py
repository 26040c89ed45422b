"""Client tests talk to real stand-ins on 127.0.0.1 with short timeouts and backoffs."""

import pytest

from jobsimport_dagster.clients.http import HttpPolicy


@pytest.fixture
def policy() -> HttpPolicy:
    """Fast retries: hangs are cut at 0.3 s and backoff stays in tens of milliseconds."""
    return HttpPolicy(
        connect_timeout=0.5,
        read_timeout=0.3,
        retries=10,
        backoff_factor=0.01,
        backoff_max=0.05,
        backoff_jitter=0.01,
        max_retry_after=0,
    )
