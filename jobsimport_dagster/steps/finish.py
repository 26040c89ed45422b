"""The end of a run: the job's final status from its rows, and whether the run must fail."""

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from jobsimport_dagster.codes import RETRYABLE_CODES, JobStatus, RowStatus
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
