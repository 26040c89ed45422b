"""Start-up clean-up: runs left STARTED by a process that died are failed, with their imports."""

import dagster as dg
import sqlalchemy as sa

from jobsimport_dagster.clients.dagster_graphql import PARTITION_TAG
from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.steps.pipeline import settle_ended_run

ORPHANED_STATUSES = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def fail_orphaned_runs_of_instance(engine: sa.Engine) -> list[str]:
    """`fail_orphaned_runs` on the instance of DAGSTER_HOME (what `jobsimport dev` starts)."""
    with dg.DagsterInstance.get() as instance:
        return fail_orphaned_runs(instance, engine)


def fail_orphaned_runs(instance: dg.DagsterInstance, engine: sa.Engine) -> list[str]:
    """Called before the daemon starts, so no live process can own a STARTED run.

    Marks each such run failed and its import `failed` with an event saying why; returns the
    run ids. The rows keep their state: a `processing` row is checked against the catalogue
    before any POST when the partition runs again.
    """
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=ORPHANED_STATUSES))
    reason = "the process running it died (found at jobsimport start)"
    for run in runs:
        instance.report_run_failed(run, message=f"Run marked failed: {reason}")
        partition_key = run.tags.get(PARTITION_TAG)
        if not partition_key:
            continue
        with engine.begin() as conn:
            settle_ended_run(
                conn,
                partition_key=partition_key,
                status=JobStatus.FAILED,
                reason=f"run {run.run_id} failed: {reason}",
            )
    return [run.run_id for run in runs]
