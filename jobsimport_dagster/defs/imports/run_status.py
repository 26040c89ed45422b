"""Run-status sensors: a run that crashed or was terminated leaves its import failed/cancelled.

Either way the partition of `import_results` shows as failed (SPEC §9) and is observed with the
import's status, counters and the reason, unless the run already did so itself.
"""

import dagster as dg

from jobsimport_dagster.clients.dagster_graphql import PARTITION_TAG
from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.defs.imports.jobs import import_job
from jobsimport_dagster.defs.imports.metadata import RESULTS_ASSET, failure_metadata
from jobsimport_dagster.defs.resources import DatabaseResource
from jobsimport_dagster.steps.pipeline import settle_ended_run

# Dagster's run-retries tag: set before the run is reported failed so the daemon's automatic
# retries (on for crashed workers) leave it alone; whoever terminated it decides when it resumes.
MAX_RETRIES_TAG = "dagster/max_retries"
TERMINATED = (
    "Run terminated: the import is cancelled, its unstarted rows stay pending; "
    "re-execute this partition to resume."
)


def _settle(
    context: dg.RunStatusSensorContext, database: DatabaseResource, status: JobStatus, why: str
) -> bool:
    """Settle the import of the run's partition; False when the run does not own it (no
    partition, or a newer run, a retry, works on it)."""
    partition_key = context.dagster_run.tags.get(PARTITION_TAG)
    if not partition_key:
        return False
    newest = context.instance.get_runs(
        filters=dg.RunsFilter(tags={PARTITION_TAG: partition_key}), limit=1
    )
    if newest and newest[0].run_id != context.dagster_run.run_id:
        # A newer run (a retry) owns the import now; this run's end must not touch it.
        return False
    reason = f"run {context.dagster_run.run_id} {why}"
    with database.get_engine().begin() as conn:
        settled = settle_ended_run(conn, partition_key=partition_key, status=status, reason=reason)
    if settled is not None:
        job, counts = settled
        context.log.info(f"import {partition_key} marked {status}: run {why}")
        # The run could not say why itself: the partition is observed with it here.
        context.instance.report_runless_asset_event(
            dg.AssetObservation(
                asset_key=RESULTS_ASSET,
                partition=partition_key,
                metadata=failure_metadata(job=job, counts=counts, reason=reason),
            )
        )
    return True


@dg.run_failure_sensor(monitored_jobs=[import_job], default_status=dg.DefaultSensorStatus.RUNNING)
def import_run_failure_sensor(
    context: dg.RunFailureSensorContext, database: DatabaseResource
) -> None:
    """Catches what the run itself cannot: a killed run worker, a crash before it settles."""
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
    """A terminated run: unstarted rows stay `pending`, in-flight ones `processing`.

    Dagster marks a partition failed only when its run ended FAILURE (a CANCELED one would
    read "missing"), so the run is then reported failed, saying it was terminated: the
    partition is failed, and "re-execute" or "backfill failed partitions" resume the import.
    """
    if _settle(context, database, JobStatus.CANCELLED, "was terminated"):
        context.instance.add_run_tags(context.dagster_run.run_id, {MAX_RETRIES_TAG: "0"})
        context.instance.report_run_failed(context.dagster_run, message=TERMINATED)


@dg.definitions
def run_status_definitions() -> dg.Definitions:
    return dg.Definitions(sensors=[import_run_failure_sensor, import_run_canceled_sensor])
