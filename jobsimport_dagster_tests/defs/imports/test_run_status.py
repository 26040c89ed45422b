"""Runs that end without finishing: run-status sensors and the start-up clean-up settle imports."""

from datetime import UTC, datetime

import dagster as dg
import pytest
import sqlalchemy as sa

from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.db import jobs
from jobsimport_dagster.defs.imports.recovery import fail_orphaned_runs
from jobsimport_dagster.defs.imports.run_status import (
    import_run_canceled_sensor,
    import_run_failure_sensor,
)
from jobsimport_dagster.defs.imports.schedules import budget_retry_schedule
from jobsimport_dagster.defs.resources import DatabaseResource
from jobsimport_dagster_tests.conftest import job_events

KEY = "movies-20261124T000000-diary-0123abcd"


def _job(engine: sa.Engine, status: JobStatus = JobStatus.PROCESSING) -> jobs.ImportJob:
    with engine.begin() as conn:
        job = jobs.create_job(
            conn,
            jobs.NewImportJob(
                partition_key=KEY,
                type="movies",
                source="letterboxd-diary",
                file_name="diary.csv",
                file_sha256="0" * 64,
                file_bytes=10,
                uploaded_by="tester",
            ),
        )
        jobs.set_status(conn, job.id, status)
    return job


def _run(instance: dg.DagsterInstance, status: dg.DagsterRunStatus) -> dg.DagsterRun:
    run = dg.DagsterRun(job_name="import_job", tags={"dagster/partition": KEY}, status=status)
    instance.add_run(run)
    return run


def _status(engine: sa.Engine) -> tuple[str, list[str]]:
    with engine.connect() as conn:
        job = jobs.get_job(conn, partition_key=KEY)
        assert job is not None
        return job.status, [e["message"] for e in job_events(conn, job.id)]


def _event(instance: dg.DagsterInstance, run: dg.DagsterRun, kind: dg.DagsterEventType):
    records = instance.get_records_for_run(run.run_id, of_type=kind).records
    return records[-1].event_log_entry.dagster_event


def _failure_context(
    instance: dg.DagsterInstance, run: dg.DagsterRun, database_url: str
) -> dg.RunFailureSensorContext:
    """What the daemon hands the failure sensor for this (already failed) run."""
    failed = instance.get_run_by_id(run.run_id)
    assert failed is not None
    return dg.build_run_status_sensor_context(
        sensor_name=import_run_failure_sensor.name,
        dagster_event=_event(instance, failed, dg.DagsterEventType.RUN_FAILURE),
        dagster_instance=instance,
        dagster_run=failed,
        resources={"database": DatabaseResource(url=database_url)},
    ).for_run_failure()


@pytest.mark.parametrize(
    ("run_status", "report", "sensor", "expected"),
    [
        # a run worker that died: the run is failed by Dagster, the import by our sensor
        (
            dg.DagsterRunStatus.FAILURE,
            "report_run_failed",
            import_run_failure_sensor,
            JobStatus.FAILED,
        ),
        # a terminated run: the import is cancelled
        (
            dg.DagsterRunStatus.CANCELED,
            "report_run_canceled",
            import_run_canceled_sensor,
            JobStatus.CANCELLED,
        ),
    ],
)
def test_sensor_settles_an_import_its_run_left_processing(
    dagster_instance: dg.DagsterInstance,
    engine: sa.Engine,
    database_url: str,
    run_status: dg.DagsterRunStatus,
    report: str,
    sensor: dg.RunStatusSensorDefinition,
    expected: JobStatus,
) -> None:
    _job(engine)
    run = _run(dagster_instance, dg.DagsterRunStatus.STARTED)
    getattr(dagster_instance, report)(run)
    run = dagster_instance.get_run_by_id(run.run_id)
    assert run is not None and run.status == run_status
    kind = (
        dg.DagsterEventType.RUN_FAILURE
        if run_status == dg.DagsterRunStatus.FAILURE
        else dg.DagsterEventType.RUN_CANCELED
    )
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=_event(dagster_instance, run, kind),
        dagster_instance=dagster_instance,
        dagster_run=run,
        resources={"database": DatabaseResource(url=database_url)},
    )
    if run_status == dg.DagsterRunStatus.FAILURE:
        context = context.for_run_failure()
    sensor(context)
    status, events = _status(engine)
    assert status == expected
    assert any(run.run_id in message for message in events)
    # The partition of import_results is observed with the status, counters and reason.
    records = dagster_instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("import_results"), asset_partitions=[KEY]),
        limit=5,
    ).records
    (observed,) = [record.asset_observation for record in records]
    assert observed.metadata["status"].value == expected
    assert observed.metadata["total_rows"].value == 0
    assert run.run_id in observed.metadata["reason"].value
    assert observed.metadata["console"] == dg.MetadataValue.url(f"/imports/{KEY}")
    # Dagster marks a partition failed only for a FAILURE run: a terminated one is reported so.
    after = dagster_instance.get_run_by_id(run.run_id)
    assert after is not None and after.status == dg.DagsterRunStatus.FAILURE
    if run_status == dg.DagsterRunStatus.CANCELED:
        # ...and Dagster's automatic run retries leave it: the user stopped it on purpose.
        assert after.tags["dagster/max_retries"] == "0"


def test_sensor_leaves_an_import_the_run_settled_itself(
    dagster_instance: dg.DagsterInstance, engine: sa.Engine, database_url: str
) -> None:
    # import_rows set `partial` and then failed the run on purpose (rows left to retry).
    _job(engine, JobStatus.PARTIAL)
    run = _run(dagster_instance, dg.DagsterRunStatus.STARTED)
    dagster_instance.report_run_failed(run)
    import_run_failure_sensor(_failure_context(dagster_instance, run, database_url))
    assert _status(engine)[0] == JobStatus.PARTIAL
    # The run observed its partition itself: the sensor adds nothing.
    records = dagster_instance.fetch_observations(dg.AssetKey("import_results"), limit=5).records
    assert records == []


def test_a_terminated_run_a_retry_replaced_stays_cancelled(
    dagster_instance: dg.DagsterInstance, engine: sa.Engine, database_url: str
) -> None:
    _job(engine, JobStatus.CANCELLED)
    run = _run(dagster_instance, dg.DagsterRunStatus.STARTED)
    dagster_instance.report_run_canceled(run)
    _run(dagster_instance, dg.DagsterRunStatus.STARTED)  # the retry
    canceled = dagster_instance.get_run_by_id(run.run_id)
    assert canceled is not None
    import_run_canceled_sensor(
        dg.build_run_status_sensor_context(
            sensor_name=import_run_canceled_sensor.name,
            dagster_event=_event(dagster_instance, canceled, dg.DagsterEventType.RUN_CANCELED),
            dagster_instance=dagster_instance,
            dagster_run=canceled,
            resources={"database": DatabaseResource(url=database_url)},
        )
    )
    after = dagster_instance.get_run_by_id(run.run_id)
    assert after is not None and after.status == dg.DagsterRunStatus.CANCELED


def test_start_up_fails_runs_left_started_by_a_dead_process(
    dagster_instance: dg.DagsterInstance, engine: sa.Engine
) -> None:
    _job(engine)
    orphan = _run(dagster_instance, dg.DagsterRunStatus.STARTED)
    finished = _run(dagster_instance, dg.DagsterRunStatus.SUCCESS)
    assert fail_orphaned_runs(dagster_instance, engine) == [orphan.run_id]
    assert dagster_instance.get_run_by_id(orphan.run_id).status == dg.DagsterRunStatus.FAILURE
    assert dagster_instance.get_run_by_id(finished.run_id).status == dg.DagsterRunStatus.SUCCESS
    status, events = _status(engine)
    assert status == JobStatus.FAILED
    assert any("died" in message for message in events)


def test_budget_schedule_requests_imports_with_budget_exhausted_rows(
    dagster_instance: dg.DagsterInstance, engine: sa.Engine, database_url: str
) -> None:
    job = _job(engine, JobStatus.FAILED)
    context = dg.build_schedule_context(
        instance=dagster_instance,
        scheduled_execution_time=datetime(2026, 11, 25, 0, 5, tzinfo=UTC),
        resources={"database": DatabaseResource(url=database_url)},
    )
    assert isinstance(budget_retry_schedule(context), dg.SkipReason)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into jobsimport.import_rows (job_id, row_number, raw_payload, status, "
                "error_code) values (:job, 2, '{}', 'failed', 'omdb_budget_exhausted')"
            ),
            {"job": job.id},
        )
    requests = budget_retry_schedule(context)
    assert [(r.partition_key, r.run_key) for r in requests] == [(KEY, f"{KEY}-budget-2026-11-25")]
    assert requests[0].tags["jobsimport/source"] == "letterboxd-diary"
    assert budget_retry_schedule.cron_schedule == "5 0 * * *"
    assert budget_retry_schedule.execution_timezone == "UTC"


def test_sensor_leaves_an_import_a_newer_run_is_working_on(
    dagster_instance: dg.DagsterInstance, engine: sa.Engine, database_url: str
) -> None:
    # The failed run's retry already started: the late sensor tick must not fail the import.
    _job(engine)
    failed = _run(dagster_instance, dg.DagsterRunStatus.STARTED)
    dagster_instance.report_run_failed(failed)
    _run(dagster_instance, dg.DagsterRunStatus.STARTED)
    import_run_failure_sensor(_failure_context(dagster_instance, failed, database_url))
    assert _status(engine)[0] == JobStatus.PROCESSING
