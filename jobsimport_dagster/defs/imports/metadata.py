"""Run tag names (SPEC §9) and the Dagster metadata built from step results."""

import dagster as dg

from jobsimport_dagster.db.jobs import RowCounts
from jobsimport_dagster.models import StepSummary

TAG_TYPE = "jobsimport/type"
TAG_SOURCE = "jobsimport/source"
TAG_FILE = "jobsimport/file"
TAG_DRY_RUN = "jobsimport/dry_run"


def run_tags(*, import_type: str, source: str, file_name: str, dry_run: bool) -> dict[str, str]:
    """The tags every run of an import carries, so the Runs page filters by them."""
    return {
        TAG_TYPE: import_type,
        TAG_SOURCE: source,
        TAG_FILE: file_name,
        TAG_DRY_RUN: str(dry_run).lower(),
    }


def step_metadata(summary: StepSummary) -> dict[str, dg.MetadataValue]:
    """A step's counts as numbers (so Dagster plots them) plus its duration."""
    metadata: dict[str, dg.MetadataValue] = {
        "rows_in": dg.MetadataValue.int(summary.rows_in),
        "seconds": dg.MetadataValue.float(round(summary.seconds, 3)),
    }
    for name, value in summary.counts.items():
        metadata[str(name)] = dg.MetadataValue.int(value)
    return metadata


def counts_metadata(counts: RowCounts) -> dict[str, dg.MetadataValue]:
    done = counts.success + counts.failed
    return {
        "total_rows": dg.MetadataValue.int(counts.total),
        "processed_rows": dg.MetadataValue.int(counts.processed),
        "success_rows": dg.MetadataValue.int(counts.success),
        "failed_rows": dg.MetadataValue.int(counts.failed),
        "skipped_rows": dg.MetadataValue.int(counts.skipped),
        "pending_rows": dg.MetadataValue.int(counts.pending + counts.processing),
        "success_rate": dg.MetadataValue.float(round(counts.success / done, 4) if done else 1.0),
    }
