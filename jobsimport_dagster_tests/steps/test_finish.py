"""The job status a finished run leaves, and whether the run must end failed (SPEC §6, §9)."""

import pytest

from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.db.jobs import RowCounts
from jobsimport_dagster.steps.finish import judge


@pytest.mark.parametrize(
    ("counts", "retryable_failed", "status", "run_fails"),
    [
        # every row posted
        (RowCounts(total=3, success=3), 0, JobStatus.COMPLETED, False),
        # all skipped (a re-import) still counts as completed
        (RowCounts(total=2, skipped=2), 0, JobStatus.COMPLETED, False),
        # permanent failures next to successes: partial, but the run succeeds
        (RowCounts(total=3, success=2, failed=1), 0, JobStatus.PARTIAL, False),
        # only permanent failures: failed, run succeeds (nothing to retry)
        (RowCounts(total=2, failed=2), 0, JobStatus.FAILED, False),
        # a retryable failure left: the run ends failed so the partition shows it
        (RowCounts(total=3, success=2, failed=1), 1, JobStatus.PARTIAL, True),
        (RowCounts(total=1, failed=1), 1, JobStatus.FAILED, True),
        # rows still pending (a step stopped early) are rows left to do
        (RowCounts(total=2, success=1, pending=1), 0, JobStatus.PARTIAL, True),
        (RowCounts(total=1, processing=1), 0, JobStatus.FAILED, True),
    ],
)
def test_judge(
    counts: RowCounts, retryable_failed: int, status: JobStatus, run_fails: bool
) -> None:
    verdict = judge(counts, retryable_failed)
    assert verdict.status == status
    assert verdict.run_must_fail is run_fails
