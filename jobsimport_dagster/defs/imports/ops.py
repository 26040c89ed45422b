"""The two ops of `import_job`: `validate_rows`, then `import_rows` (dedupe, enrich, insert).

Each op reads its context, calls one step of `steps.pipeline`, logs and reports metadata. They
hand each other nothing (a `Nothing` dependency): every fact of the run lives in Postgres, so a
re-execution on another machine, from failure or of every step, needs nothing from this one.
Dedupe, enrich and insert share one op so that the op that leaves rows to retry is the one a
re-execution from failure runs again; each is a stage with its own metadata (`dedupe_…`,
`enrich_…`, `insert_…`) and log lines. Enrich and insert run as one pass, row by row (a row
goes from its lookup to its POST), so their `…_seconds` are that pass's.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.defs.imports.metadata import (
    CHECK_OUTPUT,
    RESULTS_ASSET,
    failure_metadata,
    import_metadata,
    stage_metadata,
    step_metadata,
)
from jobsimport_dagster.defs.resources import (
    CatalogueResource,
    DatabaseResource,
    ImdbResource,
    OmdbResource,
    PipelineResource,
    UploadFolderResource,
)
from jobsimport_dagster.errors import FileRejected, MissingCredential, UpstreamUnavailable
from jobsimport_dagster.steps import pipeline as import_pipeline


class ImportConfig(dg.Config):
    """Per-run overrides of the import's own options (set by its folder)."""

    dry_run: bool | None = None
    skip_duplicates: bool | None = None


@dg.op
def validate_rows(
    context: dg.OpExecutionContext,
    database: DatabaseResource,
    upload_folder: UploadFolderResource,
    pipeline: PipelineResource,
) -> None:
    """Validate: parse the archived file, check every row (pandera), normalize the valid ones
    and store them all with their outcomes."""
    key = context.partition_key
    with _stopping_cleanly(context, database):
        summary = import_pipeline.validate_import(
            database.get_engine(),
            partition_key=key,
            archive=upload_folder.archive_path(key),
            netflix_profiles=pipeline.netflix_profiles,
        )
    context.add_output_metadata(step_metadata(summary))
    context.log.info(f"validated {summary.rows_in} rows: {summary.counts}")


@dg.op(
    ins={"rows_stored": dg.In(dg.Nothing)},
    out={
        "result": dg.Out(dg.Nothing, description="The import's rows, settled."),
        CHECK_OUTPUT: dg.Out(is_required=False),
    },
)
def import_rows(
    context: dg.OpExecutionContext,
    config: ImportConfig,
    database: DatabaseResource,
    upload_folder: UploadFolderResource,
    omdb: OmdbResource,
    imdb: ImdbResource,
    catalogue: CatalogueResource,
    pipeline: PipelineResource,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Dedupe, enrich and insert the rows left, then settle the import (SPEC §6-§9).

    Materializes the partition of `import_results` with check `no_failed_rows` (failed, WARN,
    when rows failed): `completed` passes, `partial` warns. Rows left to retry end the run
    failed instead, so Dagster marks the partition failed and re-executing it is the retry;
    the same metadata and the reason are then observed on the partition.
    """
    key = context.partition_key
    upstreams = import_pipeline.Upstreams(
        omdb=omdb.client(),
        imdb=imdb.client(),
        catalogue=catalogue.client(),
        daily_budget=omdb.daily_budget,
        now=omdb.now,
    )
    with _stopping_cleanly(context, database):
        settled = import_pipeline.import_rows(
            database.get_engine(),
            partition_key=key,
            options=import_pipeline.RunOptions(config.dry_run, config.skip_duplicates),
            upstreams=upstreams,
            concurrency=pipeline.concurrency,
            upload_root=upload_folder.root,
            archive=upload_folder.archive_path(key),
            report=context.log.info,
        )
    metadata = {
        **import_metadata(settled, finished_at=datetime.now(UTC)),
        **stage_metadata(settled.stages),
    }
    if settled.counts.failed:
        context.log.warning(f"{settled.counts.failed} rows failed; see {settled.failed_csv}")
    if settled.verdict.run_must_fail:
        reason = (
            f"{settled.verdict.rows_left} rows are left to do (pending or failed with a "
            "retryable code); re-execute this partition to retry them"
        )
        context.log_event(
            dg.AssetObservation(
                asset_key=RESULTS_ASSET,
                partition=key,
                metadata={**metadata, "reason": dg.MetadataValue.text(reason)},
            )
        )
        raise dg.Failure(
            description=reason,
            metadata={k: metadata[k] for k in ("status", "failed_rows", "pending_rows")},
            allow_retries=False,
        )
    failed = settled.counts.failed
    yield dg.Output(None, output_name="result", metadata=metadata)
    yield dg.AssetCheckResult(
        passed=failed == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{failed} rows failed" if failed else "no row failed",
        metadata={"failed_rows": dg.MetadataValue.int(failed)},
    )


@contextmanager
def _stopping_cleanly(context: dg.OpExecutionContext, database: DatabaseResource) -> Iterator[None]:
    """A terminated run leaves the job `cancelled`; a missing or refused secret, a file that
    cannot be read or an upstream that stays down, `failed`.

    Either way the rows keep the state the step left them in, an event says why, and the
    partition of `import_results` (which Dagster marks failed) is observed with the status,
    counters and reason, so the UI shows them beside the failure.
    """
    try:
        yield
    except dg.DagsterExecutionInterruptedError:
        _stop(
            context,
            database,
            JobStatus.CANCELLED,
            "run terminated: unstarted rows stay pending; re-execute this partition to resume",
            level="warning",
        )
        raise
    except FileRejected as error:
        # Bad bytes past what the sensor screened: the archived file stays, the reason is told.
        metadata = _stop(context, database, JobStatus.FAILED, f"file rejected: {error.reason}")
        raise dg.Failure(description=error.reason, metadata=metadata, allow_retries=False) from None
    except MissingCredential as error:
        reason = f"{error}. Set {error.variable} and re-execute this partition."
        metadata = _stop(
            context, database, JobStatus.FAILED, reason, meta={"variable": error.variable}
        )
        raise dg.Failure(description=reason, metadata=metadata, allow_retries=False) from None
    except UpstreamUnavailable as error:
        reason = f"{error}; the rows stay as they were: re-execute this partition once it answers"
        metadata = _stop(context, database, JobStatus.FAILED, reason)
        raise dg.Failure(description=reason, metadata=metadata, allow_retries=False) from None


def _stop(
    context: dg.OpExecutionContext,
    database: DatabaseResource,
    status: JobStatus,
    reason: str,
    *,
    level: str = "error",
    meta: dict[str, Any] | None = None,
) -> dict[str, dg.MetadataValue]:
    """Settle a run that stops early and observe the partition with it; returns that metadata
    (for the step's failure too)."""
    job, counts = import_pipeline.stop(
        database.get_engine(),
        partition_key=context.partition_key,
        status=status,
        reason=reason,
        level=level,
        meta=meta,
    )
    metadata = failure_metadata(job=job, counts=counts, reason=reason)
    context.log_event(
        dg.AssetObservation(
            asset_key=RESULTS_ASSET, partition=context.partition_key, metadata=metadata
        )
    )
    return metadata
