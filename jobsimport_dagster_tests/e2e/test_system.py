"""The whole system as a user runs it: drop a diary, read its outcome, break the API, retry."""

import csv
import json
import os
import re
import subprocess
import sys

from jobsimport_dagster.clients.dagster_graphql import is_retryable as run_is_retryable
from jobsimport_dagster.codes import RETRYABLE_CODES
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY
from jobsimport_dagster_tests.e2e.conftest import BAD_LINES, DiaryImport, System, wait_for
from jobsimport_dagster_tests.test_readme import SAMPLE, code_blocks, curl_examples

# A template file of four films the diary does not have (one title with a quoted comma).
LATER_FILMS = (
    "Title,Year,Watched Date,IMDb ID\r\n"
    "Alien,1979,2024-06-01,\r\n"
    "Rocky,1976,2024-06-02,\r\n"
    "Brazil,1985,2024-06-03,\r\n"
    '"Paris, Texas",1984,2024-06-04,\r\n'
)
UNKNOWN_KEY = "movies-19990101T000000-nothing-00000000"


def _posted(system: System) -> dict[str, dict]:
    return {r["id"]: r for r in system.standins.catalogue.standin.records("movies")}


def test_a_dropped_diary_is_imported_once_with_its_bad_rows_reported(
    system: System, diary_import: DiaryImport
) -> None:
    key = diary_import.partition_key
    # Only permanent failures (two bad rows): the run succeeds, the import is partial.
    assert diary_import.run.status == "SUCCESS"
    assert diary_import.run.tags["jobsimport/type"] == "movies"
    assert diary_import.run.tags["jobsimport/source"] == "letterboxd-diary"
    assert diary_import.run.tags["jobsimport/file"] == "diary.csv"
    job, rows = system.job(key), system.rows(key)
    assert job.status == "partial"
    assert job.total_rows == len(rows) == 319
    failed = {r["row_number"]: r["error_code"] for r in rows if r["status"] == "failed"}
    assert failed == BAD_LINES
    success = [r for r in rows if r["status"] == "success"]
    assert len(success) + job.skipped_rows == 317
    assert (job.success_rows, job.failed_rows) == (len(success), 2)
    assert job.processed_rows == job.success_rows + job.failed_rows + job.skipped_rows
    # Every success row's record is in the catalogue, posted once, with the file's date.
    posted = _posted(system)
    assert system.standins.catalogue.standin.stats()["duplicates"] == 0
    assert {r["target_record_id"] for r in success} <= set(posted)
    assert len({r["target_record_id"] for r in success}) == len(success)
    first = success[0]
    record = posted[first["target_record_id"]]
    assert record["viewingDate"] == f"{first['raw_payload']['Watched Date']}T00:00:00.000Z"
    # The file is archived; its failed rows are in the failed-rows CSV, ready to fix.
    assert (system.uploads / "archive" / f"{key}.csv").is_file()
    assert not list((system.uploads / "movies").glob("*.csv"))
    failed_csv = system.uploads / "failed" / f"{key}.failed.csv"
    with failed_csv.open(encoding="utf-8", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert {int(r["line"]): r["error_code"] for r in exported} == BAD_LINES
    assert [r["Name"] for r in exported] == ["Bad Date Film", "Bad Year Film"]
    # The partition's metadata, as the UI shows it, read over GraphQL.
    metadata = system.client().import_results(partition_key=key)
    assert metadata["status"] == "partial"
    assert (metadata["total_rows"], metadata["failed_rows"]) == (319, 2)
    assert metadata["success_rows"] == len(success)
    assert metadata["omdb_calls"] > 0
    assert metadata["failed_rows_csv"] == str(failed_csv)


def test_status_and_created_show_the_import(system: System, diary_import: DiaryImport) -> None:
    key = diary_import.partition_key
    status = system.cli("status", key, "--url", system.url)
    assert status.exit_code == 0, status.output
    header, _rule, row = status.output.splitlines()[:3]
    assert header.split()[:3] == ["PARTITION", "KEY", "STATUS"]
    assert row.split() == [
        key, "partial", "319", str(system.job(key).success_rows), "2",
        str(system.job(key).skipped_rows), "0", diary_import.run.run_id[:8], "SUCCESS",
    ]  # fmt: skip
    assert "failed rows by code: invalid_date 1, invalid_year 1" in status.output
    assert f"failed rows CSV: {system.uploads / 'failed' / f'{key}.failed.csv'}" in status.output
    every = system.cli("status", "--url", system.url)
    assert every.exit_code == 0 and key in every.output
    created = system.cli("created", key)
    assert created.exit_code == 0, created.output
    listed = {int(line.split()[0]): line.split()[-1] for line in created.output.splitlines()[2:]}
    success = {
        r["row_number"]: r["target_record_id"] for r in system.rows(key) if r["status"] == "success"
    }
    assert listed == success
    posted = _posted(system)
    spirit = next(line for line in created.output.splitlines() if line.split()[0] == "2")
    assert posted[spirit.split()[-1]]["title"] in spirit


def test_an_unknown_partition_is_refused_and_nothing_is_launched(
    system: System, diary_import: DiaryImport
) -> None:
    client = system.client()
    runs_before = client.execute("{ runsOrError { ... on Runs { count } } }", {})
    keys_before = client.partition_keys()
    launched = system.cli("launch", UNKNOWN_KEY, "--url", system.url)
    assert launched.exit_code == 1
    assert (
        f"not a partition of import_files: {UNKNOWN_KEY}; nothing was launched" in launched.output
    )
    retried = system.cli(
        "retry-failed", diary_import.partition_key, UNKNOWN_KEY, "--url", system.url
    )
    assert retried.exit_code == 1
    assert UNKNOWN_KEY in retried.output
    assert client.execute("{ runsOrError { ... on Runs { count } } }", {}) == runs_before
    assert client.partition_keys() == keys_before


def test_an_api_outage_fails_the_run_and_retry_failed_finishes_it(
    system: System, diary_import: DiaryImport
) -> None:
    catalogue = system.standins.catalogue.standin
    stored = catalogue.stats()["stored"]["movies"]
    catalogue.set_faults(Faults(error_rate=1.0))  # every request answers 503
    try:
        before = set(system.client().partition_keys())
        system.drop("later.csv", LATER_FILMS)
        key = system.new_partition(before)
        failed = system.finished_run(key)
    finally:
        catalogue.set_faults(Faults())
    # The run ends failed with its rows left to do: none posted, none lost.
    assert failed.status == "FAILURE"
    assert run_is_retryable(failed, named=False)
    # The run-failure sensor settles the import on its next tick.
    wait_for(
        "the import to be marked failed", lambda: system.job(key).status == "failed" or None, 60
    )
    rows = system.rows(key)
    assert len(rows) == 4
    assert all(
        r["status"] in ("pending", "processing")
        or (r["status"] == "failed" and r["error_code"] in RETRYABLE_CODES)
        for r in rows
    ), [(r["status"], r["error_code"]) for r in rows]
    assert catalogue.stats()["stored"]["movies"] == stored
    # Healed: `retry-failed` re-executes that partition only, through GraphQL.
    retried = system.cli("retry-failed", "--url", system.url)
    assert retried.exit_code == 0, retried.output
    lines = retried.output.splitlines()
    assert len(lines) == 3 and lines[2].split()[:3] == [key, failed.run_id, "FAILURE"]
    run = system.finished_run(key, not_run=failed.run_id)
    assert run.status == "SUCCESS"
    assert (run.run_id, run.tags["dagster/parent_run_id"]) == (lines[2].split()[3], failed.run_id)
    assert system.job(key).status == "completed"
    assert {r["status"] for r in system.rows(key)} == {"success"}
    assert catalogue.stats()["stored"]["movies"] == stored + 4
    assert catalogue.stats()["duplicates"] == 0
    # Nothing is left to retry.
    again = system.cli("retry-failed", "--url", system.url)
    assert again.exit_code == 0 and "nothing to retry" in again.output


def test_no_secret_reaches_the_log(system: System, diary_import: DiaryImport) -> None:
    log = system.log.read_text(errors="replace")
    assert diary_import.partition_key in log  # the log is the run's, not empty
    for secret in (system.token, DEFAULT_API_KEY, DEFAULT_TOKEN):
        assert secret not in log


# What each README curl example answers with (its first field's `__typename`).
README_ANSWERS = {
    "pipelineOrError": "Pipeline",
    "launchRun": "LaunchRunSuccess",
    "runsOrError": "Runs",
    "assetOrError": "Asset",
    "assetNodeOrError": "AssetNode",
    "partitionSetOrError": "PartitionSet",
    "launchRunReexecution": "LaunchRunSuccess",
    "launchPartitionBackfill": "PartitionKeysNotFoundError",  # sent with an unknown key
}


def test_launch_and_the_readme_examples_work_and_post_nothing_twice(
    system: System, diary_import: DiaryImport
) -> None:
    key, first_run = diary_import.partition_key, diary_import.run.run_id
    catalogue = system.standins.catalogue.standin
    stored = catalogue.stats()["stored"]["movies"]
    launched = system.cli("launch", key, "--url", system.url)
    assert launched.exit_code == 0, launched.output
    run_ids = [launched.output.splitlines()[2].split()[1]]
    environ = {**os.environ, "JOBSIMPORT_UI_TOKEN": system.token}
    setup = next(block for block in code_blocks("sh") if "curl" not in block)
    answered, answers = [], {}
    for block in curl_examples():
        # The backfill would start its run half a minute later: it is sent with a key that
        # does not exist, which Dagster refuses.
        target = UNKNOWN_KEY if "launchPartitionBackfill" in block else key
        script = f"{setup}\nURL={system.url}/graphql\nKEY={target}\nRUN_ID={first_run}\n{block}"
        done = subprocess.run(
            ["bash", "-c", script], env=environ, capture_output=True, text=True, timeout=60
        )
        body = json.loads(done.stdout)
        assert "errors" not in body, body
        ((field, answer),) = body["data"].items()
        assert answer["__typename"] == README_ANSWERS[field], answer
        answered.append(field)
        answers[field] = answer
        if field.startswith("launchRun"):
            run_ids.append(answer["run"]["runId"])
    assert sorted(answered) == sorted(README_ANSWERS)
    # The failed rows' contents, not only their label; the partial import's partition statuses.
    (materialization,) = answers["assetOrError"]["assetMaterializations"]
    entries = {e["label"]: e for e in materialization["metadataEntries"]}
    failed_rows = [json.loads(r) for r in entries["failed_rows_table"]["table"]["records"]]
    assert {r["line"]: r["code"] for r in failed_rows} == BAD_LINES
    assert [r["title"] for r in failed_rows] == ["Bad Date Film", "Bad Year Film"]
    assert all(r["message"] for r in failed_rows)
    assert "**partial**" in entries["summary"]["mdStr"]
    # (The runs launched above may be under way: the partition is then materializing.)
    partitions = answers["assetNodeOrError"]["assetPartitionStatuses"]
    assert key in partitions["materializedPartitions"] + partitions["materializingPartitions"]
    assert key not in partitions["failedPartitions"]
    check = answers["assetNodeOrError"]["assetCheckOrError"]["partitionStatuses"]
    assert key not in check["succeededPartitions"]
    (python,) = code_blocks("python")
    python = python.replace('"http://127.0.0.1:3000/graphql"', f'"{system.url}/graphql"')
    python = python.replace(f'"{SAMPLE["KEY"]}"', f'"{key}"')
    done = subprocess.run(
        [sys.executable, "-c", python], env=environ, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "launched: {'__typename': 'LaunchRunSuccess'" in done.stdout
    assert "'total_rows': 319" in done.stdout
    assert "failed row: 319 Bad Date Film invalid_date" in done.stdout
    assert "failed row: 320 Bad Year Film invalid_year" in done.stdout
    run_ids.append(re.search(r"'runId': '([0-9a-f-]+)'", done.stdout).group(1))
    # Four runs of a finished import, one at a time: each ends well and posts nothing.
    for run_id in run_ids:

        def ended(run_id: str = run_id) -> str | None:
            data = system.client().execute(
                "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
                {"id": run_id},
            )
            status = data["runOrError"]["status"]
            return status if status in ("SUCCESS", "FAILURE", "CANCELED") else None

        assert wait_for(f"run {run_id} to end", ended, 180, every=1.0) == "SUCCESS"
    assert catalogue.stats()["stored"]["movies"] == stored
    assert catalogue.stats()["duplicates"] == 0


TERMINATE = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) { __typename }
}
"""


def test_a_terminated_run_leaves_rows_resumable_and_its_import_cancelled(
    system: System, diary_import: DiaryImport
) -> None:
    catalogue = system.standins.catalogue.standin
    rows = "".join(f"Terminate Film {n},2001,2024-07-{n:02d},\r\n" for n in range(1, 29))
    catalogue.set_faults(Faults(latency_ms=400))  # slow POSTs: the run is still inserting
    try:
        before = set(system.client().partition_keys())
        system.drop("terminate.csv", "Title,Year,Watched Date,IMDb ID\r\n" + rows)
        key = system.new_partition(before)
        wait_for(
            "some rows to be posted",
            lambda: any(r["status"] == "success" for r in system.rows(key)) or None,
            120,
            every=0.2,
        )
        run = system.client().latest_runs(partition_keys=[key])[key]
        answer = system.client().execute(TERMINATE, {"runId": run.run_id})
        assert answer["terminateRun"]["__typename"] == "TerminateRunSuccess"
        # CANCELED, then reported failed once its import is cancelled: a failed partition.
        assert system.finished_run(key).status in ("CANCELED", "FAILURE")
        wait_for(
            "the import to be cancelled", lambda: system.job(key).status == "cancelled" or None, 60
        )
        wait_for(
            "the terminated run to be reported failed",
            lambda: system.finished_run(key).status == "FAILURE" or None,
            90,
        )
    finally:
        catalogue.set_faults(Faults())
    statuses = [r["status"] for r in system.rows(key)]
    # Unstarted rows stay pending, in-flight ones processing; none failed, none lost.
    assert set(statuses) <= {"success", "pending", "processing"}
    assert "pending" in statuses and statuses.count("processing") <= 8
    relaunched = system.client().launch(partition_key=key)
    run = system.finished_run(key, not_run=run.run_id)
    assert (run.run_id, run.status) == (relaunched.run_id, "SUCCESS")
    assert {r["status"] for r in system.rows(key)} == {"success"}
    assert catalogue.stats()["duplicates"] == 0
    titles = [r["title"] for r in catalogue.records("movies") if r["title"].startswith("Terminate")]
    assert sorted(titles) == sorted(f"Terminate Film {n}" for n in range(1, 29))
