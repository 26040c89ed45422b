"""The GraphQL client: its documents fit Dagster's schema; tags and retries follow the runs."""

import socket

import pytest
from dagster_graphql.schema import create_schema
from graphql import parse, validate

from jobsimport_dagster.clients import dagster_graphql
from jobsimport_dagster.clients.dagster_graphql import (
    DagsterGraphQLClient,
    RunSummary,
    is_retryable,
    launch_tags,
)
from jobsimport_dagster.errors import DagsterUnreachable

PARTITION = {"dagster/partition": "k", "dagster/partition_set": "import_job_partition_set"}
SENSOR_TAGS = {
    "dagster/partition": "k",
    "dagster/run_key": "k",
    "dagster/sensor_name": "upload_sensor",
    "jobsimport/type": "movies",
    "jobsimport/source": "letterboxd-diary",
}


def run(status: str = "SUCCESS", tags: dict[str, str] | None = None) -> RunSummary:
    return RunSummary("r1", status, "k", None, None, tags or {})


@pytest.mark.parametrize(
    "name",
    ["PARTITION_KEYS_QUERY", "PARTITION_QUERY", "RUNS_QUERY", "RESULTS_QUERY",
     "LAUNCH_MUTATION", "RETRY_MUTATION"],
)  # fmt: skip
def test_each_document_is_valid_against_dagsters_schema(name: str) -> None:
    schema = create_schema().graphql_schema
    assert validate(schema, parse(getattr(dagster_graphql, name))) == []


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        # no run yet (a sensor tick died before its request): Dagster's partition tags only
        ([], PARTITION),
        # the sensor's run: our tags come along, its run key and sensor name do not
        ([run(tags=SENSOR_TAGS)], {**PARTITION, "jobsimport/type": "movies",
                                   "jobsimport/source": "letterboxd-diary"}),
        # a newer run launched without our tags (from the UI's launchpad): the older one's count
        ([run(tags={"dagster/partition": "k"}), run(tags=SENSOR_TAGS)],
         {**PARTITION, "jobsimport/type": "movies", "jobsimport/source": "letterboxd-diary"}),
    ],
)  # fmt: skip
def test_launch_tags(runs: list[RunSummary], expected: dict[str, str]) -> None:
    assert launch_tags(PARTITION, runs) == expected


@pytest.mark.parametrize(
    ("latest", "named", "retried"),
    [
        # the run failed: rows are left to do
        (run("FAILURE"), False, True),
        # terminated by the user: retried only when its key is named
        (run("CANCELED"), False, False),
        (run("CANCELED"), True, True),
        # finished well, or queued again already: nothing to retry
        (run("SUCCESS"), True, False),
        (run("QUEUED"), True, False),
        # never ran
        (None, True, False),
    ],
)
def test_is_retryable(latest: RunSummary | None, named: bool, retried: bool) -> None:
    assert is_retryable(latest, named=named) is retried


def test_a_server_that_is_not_there_is_named_in_the_error() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    client = DagsterGraphQLClient(url, "a-secret-token", timeout=5)
    with pytest.raises(DagsterUnreachable, match="nothing answers at") as error:
        client.partition_keys()
    assert error.value.base_url == url
    assert url in str(error.value) and "a-secret-token" not in str(error.value)
