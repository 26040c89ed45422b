"""The end of a run: counters from the rows, the job's final status, whether the run must fail."""

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from jobsimport_dagster.codes import RETRYABLE_CODES, JobStatus, RowStatus
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.jobs import RowCounts
from jobsimport_dagster.db.tables import import_rows


@dataclass(frozen=True)
class Verdict:
    """A finished run's judgement: the job status and whether rows are left for a retry."""

    status: JobStatus
    rows_left: int

    @property
    def run_must_fail(self) -> bool:
        """Rows left to do end the run failed, so the partition shows failed (SPEC §9)."""
        return self.rows_left > 0


def judge(counts: RowCounts, retryable_failed: int) -> Verdict:
    """SPEC §6: completed (nothing failed or left), partial (failures and successes), failed."""
    rows_left = counts.pending + counts.processing + retryable_failed
    if counts.failed == 0 and rows_left == 0:
        status = JobStatus.COMPLETED
    elif counts.success > 0:
        status = JobStatus.PARTIAL
    else:
        status = JobStatus.FAILED
    return Verdict(status=status, rows_left=rows_left)


def count_retryable_failed(conn: sa.Connection, job_id: uuid.UUID) -> int:
    query = sa.select(sa.func.count()).where(
        import_rows.c.job_id == job_id,
        import_rows.c.status == RowStatus.FAILED,
        import_rows.c.error_code.in_([str(c) for c in RETRYABLE_CODES]),
    )
    return conn.execute(query).scalar_one()


def run_finish(conn: sa.Connection, *, job_id: uuid.UUID) -> tuple[RowCounts, Verdict]:
    """Refresh the counters, set the final status and record it as an event."""
    counts = jobs.refresh_counters(conn, job_id)
    verdict = judge(counts, count_retryable_failed(conn, job_id))
    jobs.set_status(conn, job_id, verdict.status)
    jobs.add_event(
        conn,
        job_id,
        f"run finished: {verdict.status}",
        level="warning" if verdict.status != JobStatus.COMPLETED else "info",
        meta={
            "success": counts.success,
            "failed": counts.failed,
            "skipped": counts.skipped,
            "rows_left": verdict.rows_left,
        },
    )
    return counts, verdict


def run_settle(conn: sa.Connection, *, partition_key: str, status: JobStatus, reason: str) -> bool:
    """After a run ended without finishing (crash, terminate): a job still `processing` gets
    `status` and an event saying why. Returns False when the run had already settled it."""
    job = jobs.get_job(conn, partition_key=partition_key)
    if job is None or job.status != JobStatus.PROCESSING:
        return False
    jobs.refresh_counters(conn, job.id)
    jobs.set_status(conn, job.id, status)
    jobs.add_event(conn, job.id, reason, level="error")
    return True
