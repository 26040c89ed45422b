"""`budget_retry_schedule`: at 00:05 UTC, when OMDb's day budget is fresh, retry what it stopped."""

import dagster as dg

from jobsimport_dagster.codes import RowCode
from jobsimport_dagster.db import jobs
from jobsimport_dagster.defs.imports.metadata import run_tags
from jobsimport_dagster.defs.resources import DatabaseResource


@dg.schedule(
    cron_schedule="5 0 * * *",
    execution_timezone="UTC",
    job_name="import_job",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def budget_retry_schedule(
    context: dg.ScheduleEvaluationContext, database: DatabaseResource
) -> list[dg.RunRequest] | dg.SkipReason:
    """One run per partition with rows failed `omdb_budget_exhausted`."""
    with database.get_engine().connect() as conn:
        waiting = jobs.jobs_with_row_code(conn, RowCode.OMDB_BUDGET_EXHAUSTED)
    if not waiting:
        return dg.SkipReason("no import has rows waiting for the OMDb budget")
    day = context.scheduled_execution_time.date().isoformat()
    return [
        dg.RunRequest(
            run_key=f"{job.partition_key}-budget-{day}",
            partition_key=job.partition_key,
            tags=run_tags(job),
        )
        for job in waiting
    ]


@dg.definitions
def schedule_definitions() -> dg.Definitions:
    return dg.Definitions(schedules=[budget_retry_schedule])
