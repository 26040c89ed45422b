"""Run-status sensors: a run that crashed or was terminated leaves its import failed/cancelled."""

import dagster as dg

from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.defs.imports.jobs import import_job
from jobsimport_dagster.defs.resources import DatabaseResource
from jobsimport_dagster.steps.finish import run_settle

PARTITION_TAG = "dagster/partition"


def _settle(
    context: dg.RunStatusSensorContext, database: DatabaseResource, status: JobStatus, why: str
) -> None:
    partition_key = context.dagster_run.tags.get(PARTITION_TAG)
    if not partition_key:
        return
    newest = context.instance.get_runs(
        filters=dg.RunsFilter(tags={PARTITION_TAG: partition_key}), limit=1
    )
    if newest and newest[0].run_id != context.dagster_run.run_id:
        # A newer run (a retry) owns the import now; this run's end must not touch it.
        return
    with database.get_engine().begin() as conn:
        settled = run_settle(
            conn,
            partition_key=partition_key,
            status=status,
            reason=f"run {context.dagster_run.run_id} {why}",
        )
    if settled:
        context.log.info(f"import {partition_key} marked {status}: run {why}")


@dg.run_failure_sensor(monitored_jobs=[import_job], default_status=dg.DefaultSensorStatus.RUNNING)
def import_run_failure_sensor(
    context: dg.RunFailureSensorContext, database: DatabaseResource
) -> None:
    """Catches what the run itself cannot: a killed run worker, a crash before `finish_import`."""
    message = context.failure_event.message or "failed"
    _settle(context, database, JobStatus.FAILED, f"failed: {message[:300]}")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.CANCELED,
    monitored_jobs=[import_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def import_run_canceled_sensor(
    context: dg.RunStatusSensorContext, database: DatabaseResource
) -> None:
    """A terminated run: unstarted rows stay `pending`, in-flight ones `processing`."""
    _settle(context, database, JobStatus.CANCELLED, "was terminated")


@dg.definitions
def run_status_definitions() -> dg.Definitions:
    return dg.Definitions(sensors=[import_run_failure_sensor, import_run_canceled_sensor])
