"""Dagster's GraphQL API for `import_job`: partitions, their runs, launching and retrying them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from jobsimport_dagster.errors import DagsterApiError, DagsterUnreachable, UnknownPartition

LOCATION = "jobsimport_dagster"
REPOSITORY = "__repository__"
JOB = "import_job"
SENSOR = "upload_sensor"
PARTITION_TAG = "dagster/partition"
IMPORT_TAG_PREFIX = "jobsimport/"
# A partition whose latest run ended so has rows left to do (SPEC §9). A terminated run is
# reported FAILURE by the cancel sensor, so `retry-failed` without keys takes it too; a
# CANCELED one (terminated before that sensor ran) is retried when its key is named.
FAILED_RUN_STATUSES = frozenset({"FAILURE"})
RETRYABLE_RUN_STATUSES = frozenset({"FAILURE", "CANCELED"})
RUNS_READ_AT_ONCE = 1000
TAG_SOURCE_RUNS = 20

REPOSITORY_SELECTOR = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
JOB_SELECTOR = {**REPOSITORY_SELECTOR, "pipelineName": JOB}

PARTITION_KEYS_QUERY = """
query ImportPartitionKeys($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) {
    __typename
    ... on Pipeline { partitionKeysOrError { partitionKeys } }
    ... on Error { message }
  }
}
"""

PARTITION_QUERY = """
query ImportPartition($selector: PipelineSelector!, $partitionKey: String!) {
  pipelineOrError(params: $selector) {
    __typename
    ... on Pipeline {
      partitionKeysOrError { partitionKeys }
      partition(partitionName: $partitionKey) {
        tagsOrError { __typename ... on PartitionTags { results { key value } } }
      }
    }
    ... on Error { message }
  }
}
"""

RUNS_QUERY = """
query ImportRuns($filter: RunsFilter!, $limit: Int!) {
  runsOrError(filter: $filter, limit: $limit) {
    __typename
    ... on Runs { results { runId status startTime endTime tags { key value } } }
    ... on Error { message }
  }
}
"""

LAUNCH_MUTATION = """
mutation LaunchImport($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status startTime endTime tags { key value } } }
    ... on Error { message }
  }
}
"""

RESULTS_QUERY = """
query ImportResults($partitionKey: String!) {
  assetOrError(assetKey: {path: ["import_results"]}) {
    __typename
    ... on Asset {
      assetMaterializations(partitions: [$partitionKey], limit: 1) {
        runId
        metadataEntries {
          label
          ... on IntMetadataEntry { intValue }
          ... on FloatMetadataEntry { floatValue }
          ... on TextMetadataEntry { text }
          ... on PathMetadataEntry { path }
        }
      }
    }
    ... on Error { message }
  }
}
"""

SENSOR_QUERY = """
query UploadSensor($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status } }
    ... on Error { message }
  }
}
"""

# ALL_STEPS: every step runs again, so the retry reads like a first run in the UI (FROM_FAILURE
# works too: the failed step, `import_rows`, takes the rows left); config and tags are kept.
RETRY_MUTATION = """
mutation RetryImport($parentRunId: String!) {
  launchRunReexecution(reexecutionParams: {parentRunId: $parentRunId, strategy: ALL_STEPS}) {
    __typename
    ... on LaunchRunSuccess { run { runId status startTime endTime tags { key value } } }
    ... on Error { message }
  }
}
"""


@dataclass(frozen=True)
class RunSummary:
    """One Dagster run of `import_job`; `status` is Dagster's (QUEUED, STARTED, SUCCESS…)."""

    run_id: str
    status: str
    partition_key: str | None
    start_time: float | None
    end_time: float | None
    tags: Mapping[str, str]


@dataclass(frozen=True)
class PartitionRetry:
    """What `retry_failed` did for one partition: `run` is None when it was not failed."""

    partition_key: str
    previous: RunSummary | None
    run: RunSummary | None


def _run(data: Mapping[str, Any]) -> RunSummary:
    tags = {tag["key"]: tag["value"] for tag in data.get("tags", [])}
    return RunSummary(
        run_id=data["runId"],
        status=data["status"],
        partition_key=tags.get(PARTITION_TAG),
        start_time=data.get("startTime"),
        end_time=data.get("endTime"),
        tags=tags,
    )


def _partition_filter(partition_key: str) -> dict[str, Any]:
    return {"pipelineName": JOB, "tags": [{"key": PARTITION_TAG, "value": partition_key}]}


def _expect(result: Mapping[str, Any], typename: str) -> Mapping[str, Any]:
    """The union member we asked for, or the error Dagster answered with as DagsterApiError."""
    if result["__typename"] != typename:
        raise DagsterApiError(f"Dagster answered {result['__typename']}: {result.get('message')}")
    return result


def is_retryable(run: RunSummary | None, *, named: bool) -> bool:
    """Whether `retry_failed` re-executes a partition whose latest run is `run`."""
    statuses = RETRYABLE_RUN_STATUSES if named else FAILED_RUN_STATUSES
    return run is not None and run.status in statuses


def launch_tags(partition_tags: Mapping[str, str], runs: Sequence[RunSummary]) -> dict[str, str]:
    """Dagster's own tags for the partition plus our `jobsimport/*` tags from its newest run
    that has them (the sensor's, from the file), so the run is filtered and queued like the
    rest (the run queue limits runs per `jobsimport/type`)."""
    ours = next(
        (
            {k: v for k, v in run.tags.items() if k.startswith(IMPORT_TAG_PREFIX)}
            for run in runs
            if any(k.startswith(IMPORT_TAG_PREFIX) for k in run.tags)
        ),
        {},
    )
    return {**ours, **partition_tags}


class DagsterGraphQLClient:
    """The `/graphql` endpoint of `jobsimport dev` (or any Dagster webserver with this location).

    `token` (JOBSIMPORT_UI_TOKEN) is sent as a Bearer token; it never appears in an error.
    Mutations are never retried: a launch that may have arrived is not sent twice.
    """

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._session = requests.Session()

    def partition_keys(self) -> list[str]:
        """Every partition of `import_files`, oldest first."""
        data = self.execute(PARTITION_KEYS_QUERY, {"selector": JOB_SELECTOR})
        return list(
            _expect(data["pipelineOrError"], "Pipeline")["partitionKeysOrError"]["partitionKeys"]
        )

    def latest_runs(self, *, partition_keys: Sequence[str] | None = None) -> dict[str, RunSummary]:
        """The newest run of each partition (of these keys, or of the last 1000 runs)."""
        if partition_keys is None:
            runs = self._runs({"pipelineName": JOB}, RUNS_READ_AT_ONCE)
        else:
            runs = [
                run
                for key in dict.fromkeys(partition_keys)
                for run in self._runs(_partition_filter(key), 1)
            ]
        latest: dict[str, RunSummary] = {}
        for run in runs:  # newest first
            if run.partition_key is not None:
                latest.setdefault(run.partition_key, run)
        return latest

    def launch(self, *, partition_key: str) -> RunSummary:
        """Launch a run of the partition; an unknown key raises UnknownPartition and launches
        nothing (Dagster's `launchRun` itself does not check that a dynamic partition exists)."""
        data = self.execute(
            PARTITION_QUERY, {"selector": JOB_SELECTOR, "partitionKey": partition_key}
        )
        pipeline = _expect(data["pipelineOrError"], "Pipeline")
        if partition_key not in pipeline["partitionKeysOrError"]["partitionKeys"]:
            raise UnknownPartition([partition_key])
        partition_tags = _expect(pipeline["partition"]["tagsOrError"], "PartitionTags")
        runs = self._runs(_partition_filter(partition_key), TAG_SOURCE_RUNS)
        tags = launch_tags({t["key"]: t["value"] for t in partition_tags["results"]}, runs)
        params = {
            "selector": {**REPOSITORY_SELECTOR, "jobName": JOB},
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        data = self.execute(LAUNCH_MUTATION, {"executionParams": params})
        return _run(_expect(data["launchRun"], "LaunchRunSuccess")["run"])

    def retry_failed(self, *, partition_keys: Sequence[str] = ()) -> list[PartitionRetry]:
        """Re-execute (all steps) the latest run of every failed partition, or of these keys.

        Every named key is checked first: one unknown key raises UnknownPartition and nothing
        is launched. A partition whose latest run did not fail (or is queued again) is left.
        """
        named = bool(partition_keys)
        if named:
            known = set(self.partition_keys())
            unknown = [key for key in dict.fromkeys(partition_keys) if key not in known]
            if unknown:
                raise UnknownPartition(unknown)
        latest = self.latest_runs(partition_keys=partition_keys or None)
        keys = list(dict.fromkeys(partition_keys)) if named else sorted(latest)
        retries = []
        for key in keys:
            previous = latest.get(key)
            if not is_retryable(previous, named=named):
                if named:
                    retries.append(PartitionRetry(key, previous, None))
                continue
            assert previous is not None
            data = self.execute(RETRY_MUTATION, {"parentRunId": previous.run_id})
            run = _run(_expect(data["launchRunReexecution"], "LaunchRunSuccess")["run"])
            retries.append(PartitionRetry(key, previous, run))
        return retries

    def import_results(self, *, partition_key: str) -> dict[str, object]:
        """The numbers and texts of the partition's latest `import_results` materialization
        (status, counters, success rate, OMDb calls…); empty before its first run finishes."""
        data = self.execute(RESULTS_QUERY, {"partitionKey": partition_key})
        events = _expect(data["assetOrError"], "Asset")["assetMaterializations"]
        if not events:
            return {}
        kinds = ("intValue", "floatValue", "text", "path")  # the summary and table are left out
        return {
            entry["label"]: next(entry[kind] for kind in kinds if kind in entry)
            for entry in events[0]["metadataEntries"]
            if any(kind in entry for kind in kinds)
        }

    def sensor_status(self) -> str:
        """Dagster's state of `upload_sensor`: RUNNING when it takes dropped files, else STOPPED."""
        selector = {**REPOSITORY_SELECTOR, "sensorName": SENSOR}
        data = self.execute(SENSOR_QUERY, {"selector": selector})
        return str(_expect(data["sensorOrError"], "Sensor")["sensorState"]["status"])

    def execute(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """POST one GraphQL document; transport, auth and GraphQL errors raise DagsterApiError."""
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = self._session.post(
                f"{self.base_url}/graphql",
                json={"query": query, "variables": dict(variables)},
                headers=headers,
                timeout=self._timeout,
            )
        except requests.ConnectionError:
            raise DagsterUnreachable(self.base_url) from None
        except requests.Timeout:
            raise DagsterApiError(f"{self.base_url} did not answer in time") from None
        if response.status_code == 401:
            raise DagsterApiError(
                f"{self.base_url} refused the request: set JOBSIMPORT_UI_TOKEN to its token"
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or (response.status_code != 200 and not body.get("errors")):
            raise DagsterApiError(f"{self.base_url}/graphql answered {response.status_code}")
        if body.get("errors"):
            messages = "; ".join(str(e.get("message")) for e in body["errors"])
            raise DagsterApiError(f"GraphQL error: {messages}")
        return body["data"]

    def close(self) -> None:
        self._session.close()

    def _runs(self, runs_filter: Mapping[str, Any], limit: int) -> list[RunSummary]:
        data = self.execute(RUNS_QUERY, {"filter": dict(runs_filter), "limit": limit})
        return [_run(r) for r in _expect(data["runsOrError"], "Runs")["results"]]
