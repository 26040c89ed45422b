"""Run tag names (SPEC §9) and the Dagster metadata built from step results and counters."""

from datetime import datetime
from urllib.parse import quote

import dagster as dg

from jobsimport_dagster.db.jobs import ImportJob, RowCounts
from jobsimport_dagster.db.rows import FailedRow
from jobsimport_dagster.intake.folders import Rejection, shown_name
from jobsimport_dagster.models import StepSummary
from jobsimport_dagster.steps.enrich import MatchVerdict
from jobsimport_dagster.steps.pipeline import Settled

TAG_TYPE = "jobsimport/type"
TAG_SOURCE = "jobsimport/source"
TAG_FILE = "jobsimport/file"
TAG_DRY_RUN = "jobsimport/dry_run"
RESULTS_ASSET = dg.AssetKey("import_results")
FAILED_ROWS_CHECK = "no_failed_rows"
# The output of `import_rows` that carries the check's result (Dagster's name for it).
CHECK_OUTPUT = f"{RESULTS_ASSET.to_python_identifier()}_{FAILED_ROWS_CHECK}"
REJECTED_ASSET = dg.AssetKey("rejected_files")
REJECTED_SHOWN = 200
FAILED_ROWS_SHOWN = 200
MATCH_VERDICTS = tuple(str(v) for v in MatchVerdict)


def console_link(partition_key: str) -> dg.MetadataValue:
    """The import's page in the console (SPEC §11), served on the UI's own port: a path, so
    the link works at whatever address the UI is opened."""
    return dg.MetadataValue.url(f"/imports/{quote(partition_key, safe='')}")


def run_tags(job: ImportJob) -> dict[str, str]:
    """The tags every run of an import carries, so the Runs page filters by them."""
    return {
        TAG_TYPE: job.type,
        TAG_SOURCE: job.source,
        TAG_FILE: job.file_name,
        TAG_DRY_RUN: str(job.dry_run).lower(),
    }


def step_metadata(summary: StepSummary, prefix: str = "") -> dict[str, dg.MetadataValue]:
    """A step's counts as numbers (so Dagster plots them) plus its duration."""
    metadata: dict[str, dg.MetadataValue] = {
        f"{prefix}rows_in": dg.MetadataValue.int(summary.rows_in),
        f"{prefix}seconds": dg.MetadataValue.float(round(summary.seconds, 3)),
    }
    for name, value in summary.counts.items():
        metadata[f"{prefix}{name}"] = dg.MetadataValue.int(value)
    return metadata


def stage_metadata(stages: tuple[StepSummary, ...]) -> dict[str, dg.MetadataValue]:
    """The stages of `import_rows` (dedupe, enrich, insert), each under its own name."""
    metadata: dict[str, dg.MetadataValue] = {}
    for stage in stages:
        metadata.update(step_metadata(stage, prefix=f"{stage.step}_"))
    return metadata


def _failed_table(failed: list[FailedRow]) -> dg.MetadataValue:
    records = [
        dg.TableRecord(
            {
                "line": row.line,
                "title": str(
                    row.raw.get("Name") or row.raw.get("Title") or row.raw.get("Show") or ""
                ),
                "code": row.code,
                "message": row.message or "",
            }
        )
        for row in failed[:FAILED_ROWS_SHOWN]
    ]
    # A row of an export zip's CSV is on a line like `diary.csv:12`.
    plain = all(isinstance(row.line, int) for row in failed[:FAILED_ROWS_SHOWN])
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn("line", "int" if plain else "string"),
            dg.TableColumn("title", "string"),
            dg.TableColumn("code", "string"),
            dg.TableColumn("message", "string"),
        ]
    )
    return dg.MetadataValue.table(records, schema=schema)


def import_metadata(settled: Settled, *, finished_at: datetime) -> dict[str, dg.MetadataValue]:
    """What the UI shows per partition (SPEC §9): numbers first, then a summary and a table."""
    job, counts, failed = settled.job, settled.counts, settled.failed
    verdicts = {name: settled.match_verdicts.get(name, 0) for name in MATCH_VERDICTS}
    verdicts_text = ", ".join(f"{count} {name}" for name, count in verdicts.items())
    status = str(settled.verdict.status)
    failed_csv = str(settled.failed_csv) if settled.failed_csv else None
    done = counts.success + counts.failed
    success_rate = counts.success / done if done else 1.0
    duration = (finished_at - job.started_at).total_seconds() if job.started_at else 0.0
    ms_per_row = duration * 1000 / counts.total if counts.total else 0.0
    summary = (
        f"**{job.file_name}** ({job.source}, {job.type}{', dry run' if settled.dry_run else ''}): "
        f"**{status}**\n\n"
        f"| total | success | failed | skipped | pending |\n|---|---|---|---|---|\n"
        f"| {counts.total} | {counts.success} | {counts.failed} | {counts.skipped} "
        f"| {counts.pending + counts.processing} |\n\n"
        f"Success rate {success_rate:.1%}, {duration:.1f} s, {ms_per_row:.1f} ms per row, "
        f"{settled.omdb_calls} OMDb calls, {settled.cache_hits} cache hits.\n\n"
        f"Match verdicts: {verdicts_text}."
    )
    metadata: dict[str, dg.MetadataValue] = {
        "status": dg.MetadataValue.text(status),
        "console": console_link(job.partition_key),
        "total_rows": dg.MetadataValue.int(counts.total),
        "processed_rows": dg.MetadataValue.int(counts.processed),
        "success_rows": dg.MetadataValue.int(counts.success),
        "failed_rows": dg.MetadataValue.int(counts.failed),
        "skipped_rows": dg.MetadataValue.int(counts.skipped),
        "pending_rows": dg.MetadataValue.int(counts.pending + counts.processing),
        "success_rate": dg.MetadataValue.float(round(success_rate, 4)),
        "duration_seconds": dg.MetadataValue.float(round(duration, 3)),
        "avg_ms_per_row": dg.MetadataValue.float(round(ms_per_row, 3)),
        "omdb_calls": dg.MetadataValue.int(settled.omdb_calls),
        "cache_hits": dg.MetadataValue.int(settled.cache_hits),
        "omdb_extra_lookups": dg.MetadataValue.int(settled.omdb_extra_lookups),
        **{f"verdict_{name}": dg.MetadataValue.int(count) for name, count in verdicts.items()},
        "summary": dg.MetadataValue.md(summary),
        "failed_rows_table": _failed_table(failed),
    }
    if failed_csv:
        metadata["failed_rows_csv"] = dg.MetadataValue.path(failed_csv)
    return metadata


def accepted_metadata(job: ImportJob) -> dict[str, dg.MetadataValue]:
    """What a partition shows from the moment `upload_sensor` accepts its file: the file, and
    `queued` with no row yet. Recorded before the run is planned, so a run that then fails
    leaves a failed partition whose metadata (this, and the failure observed on top of it)
    still says what it is, its status, counters and the reason."""
    return {
        "status": dg.MetadataValue.text(str(job.status)),
        "console": console_link(job.partition_key),
        "file": dg.MetadataValue.text(shown_name(job.file_name)),
        "type": dg.MetadataValue.text(job.type),
        "source": dg.MetadataValue.text(job.source),
        "dry_run": dg.MetadataValue.bool(job.dry_run),
        "file_bytes": dg.MetadataValue.int(job.file_bytes),
        "file_sha256": dg.MetadataValue.text(job.file_sha256),
        "total_rows": dg.MetadataValue.int(job.total_rows),
    }


def failure_metadata(
    *, job: ImportJob, counts: RowCounts, reason: str
) -> dict[str, dg.MetadataValue]:
    """What a failed or cancelled partition shows: its status, counters and why it stopped."""
    left = counts.pending + counts.processing
    summary = (
        f"**{job.file_name}** ({job.source}, {job.type}): **{job.status}**\n\n{reason}\n\n"
        f"| total | success | failed | skipped | pending |\n|---|---|---|---|---|\n"
        f"| {counts.total} | {counts.success} | {counts.failed} | {counts.skipped} | {left} |"
    )
    return {
        "status": dg.MetadataValue.text(str(job.status)),
        "console": console_link(job.partition_key),
        "reason": dg.MetadataValue.text(reason),
        "total_rows": dg.MetadataValue.int(counts.total),
        "processed_rows": dg.MetadataValue.int(counts.processed),
        "success_rows": dg.MetadataValue.int(counts.success),
        "failed_rows": dg.MetadataValue.int(counts.failed),
        "skipped_rows": dg.MetadataValue.int(counts.skipped),
        "pending_rows": dg.MetadataValue.int(left),
        "summary": dg.MetadataValue.md(summary),
    }


def rejected_metadata(rejections: list[Rejection]) -> dict[str, dg.MetadataValue]:
    """The files turned away, newest first: file, reason and where each was moved."""
    records = [
        dg.TableRecord(
            {
                "rejected_at": item.rejected_at,
                "file": shown_name(item.file_name),
                "reason": item.reason,
                "moved_to": shown_name(str(item.path)),
            }
        )
        for item in rejections[:REJECTED_SHOWN]
    ]
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn("rejected_at", "string"),
            dg.TableColumn("file", "string"),
            dg.TableColumn("reason", "string"),
            dg.TableColumn("moved_to", "string"),
        ]
    )
    metadata: dict[str, dg.MetadataValue] = {
        "rejected_count": dg.MetadataValue.int(len(rejections)),
        "rejected_files": dg.MetadataValue.table(records, schema=schema),
    }
    if rejections:
        newest = rejections[0]
        metadata["latest_file"] = dg.MetadataValue.text(shown_name(newest.file_name))
        metadata["latest_reason"] = dg.MetadataValue.text(newest.reason)
        metadata["latest_moved_to"] = dg.MetadataValue.path(shown_name(str(newest.path)))
    return metadata
