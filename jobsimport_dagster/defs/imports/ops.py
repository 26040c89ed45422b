"""One op per step of `import_job`; each reads context, calls one run_* function, reports."""

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.db import claims, jobs
from jobsimport_dagster.defs.imports.metadata import (
    CHECK_OUTPUT,
    RESULTS_ASSET,
    failure_metadata,
    import_metadata,
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
from jobsimport_dagster.models import ImportTicket
from jobsimport_dagster.sources.registry import get_adapter
from jobsimport_dagster.steps.dedupe import run_dedupe
from jobsimport_dagster.steps.enrich import run_enrich
from jobsimport_dagster.steps.export import run_export
from jobsimport_dagster.steps.finish import run_finish
from jobsimport_dagster.steps.insert import run_insert
from jobsimport_dagster.steps.lookups import CachedLookups
from jobsimport_dagster.steps.pool import long_lived_objects_frozen
from jobsimport_dagster.steps.start import run_start
from jobsimport_dagster.steps.validate import run_validate


class ImportConfig(dg.Config):
    """Per-run overrides of the import's own options (set by its folder)."""

    dry_run: bool | None = None
    skip_duplicates: bool | None = None


@dg.op
def start_import(
    context: dg.OpExecutionContext, config: ImportConfig, database: DatabaseResource
) -> ImportTicket:
    with database.get_engine().begin() as conn:
        ticket = run_start(
            conn,
            partition_key=context.partition_key,
            dry_run=config.dry_run,
            skip_duplicates=config.skip_duplicates,
        )
    context.log.info(
        f"import {ticket.partition_key}: {ticket.import_type} from {ticket.source}, "
        f"dry_run={ticket.dry_run}, skip_duplicates={ticket.skip_duplicates}"
    )
    return ticket


@dg.op
def validate_rows(
    context: dg.OpExecutionContext,
    ticket: ImportTicket,
    database: DatabaseResource,
    upload_folder: UploadFolderResource,
) -> ImportTicket:
    """Parse, validate (pandera) and normalize the archived file; store every row."""
    with _stopping_cleanly(context, database, ticket), database.get_engine().begin() as conn:
        summary = run_validate(
            conn,
            job_id=uuid.UUID(ticket.job_id),
            path=upload_folder.archive_path(ticket.partition_key),
            adapter=get_adapter(ticket.source, ticket.import_type),
        )
    context.add_output_metadata(step_metadata(summary))
    context.log.info(f"validated {summary.rows_in} rows: {summary.counts}")
    return ticket


@contextmanager
def _stopping_cleanly(
    context: dg.OpExecutionContext, database: DatabaseResource, ticket: ImportTicket
) -> Iterator[None]:
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
            ticket,
            JobStatus.CANCELLED,
            "run terminated: unstarted rows stay pending; re-execute this partition to resume",
            level="warning",
        )
        raise
    except FileRejected as error:
        # Bad bytes past what the sensor screened: the archived file stays, the reason is told.
        reason = f"file rejected: {error.reason}"
        metadata = _stop(context, database, ticket, JobStatus.FAILED, reason)
        raise dg.Failure(description=error.reason, metadata=metadata, allow_retries=False) from None
    except MissingCredential as error:
        reason = f"{error}. Set {error.variable} and re-execute this partition."
        metadata = _stop(
            context, database, ticket, JobStatus.FAILED, reason, meta={"variable": error.variable}
        )
        raise dg.Failure(description=reason, metadata=metadata, allow_retries=False) from None
    except UpstreamUnavailable as error:
        reason = f"{error}; the rows stay as they were: re-execute this partition once it answers"
        metadata = _stop(context, database, ticket, JobStatus.FAILED, reason)
        raise dg.Failure(description=reason, metadata=metadata, allow_retries=False) from None


def _stop(
    context: dg.OpExecutionContext,
    database: DatabaseResource,
    ticket: ImportTicket,
    status: JobStatus,
    reason: str,
    *,
    level: str = "error",
    meta: dict[str, Any] | None = None,
) -> dict[str, dg.MetadataValue]:
    """Settle a run that stops early: counters, status, an event, and the partition observed
    with them; returns that metadata (for the step's failure too)."""
    job_id = uuid.UUID(ticket.job_id)
    with database.get_engine().begin() as conn:
        counts = jobs.refresh_counters(conn, job_id)
        jobs.set_status(conn, job_id, status)
        jobs.add_event(conn, job_id, reason, level=level, meta=meta)
        job = jobs.get_job(conn, job_id=job_id)
    assert job is not None
    metadata = failure_metadata(job=job, counts=counts, reason=reason)
    context.log_event(
        dg.AssetObservation(
            asset_key=RESULTS_ASSET, partition=ticket.partition_key, metadata=metadata
        )
    )
    return metadata


def _dedupe(
    context: dg.OpExecutionContext,
    ticket: ImportTicket,
    database: DatabaseResource,
    catalogue: CatalogueResource,
) -> dict[str, Any]:
    engine = database.get_engine()
    job_id = uuid.UUID(ticket.job_id)
    with _stopping_cleanly(context, database, ticket), long_lived_objects_frozen():
        with engine.begin() as conn:
            taken = claims.take_rows(
                conn, job_id, dry_run=ticket.dry_run, skip_duplicates=ticket.skip_duplicates
            )
        with engine.begin() as conn:
            summary = run_dedupe(
                conn,
                job_id=job_id,
                import_type=ticket.import_type,
                source=ticket.source,
                skip_duplicates=ticket.skip_duplicates,
                read_catalogue=lambda: catalogue.records(ticket.import_type),
            )
    context.log.info(f"dedupe: took {taken} rows, skipped {summary.counts}")
    return {**step_metadata(summary), "rows_taken": taken}


def _enrich(
    context: dg.OpExecutionContext,
    ticket: ImportTicket,
    database: DatabaseResource,
    omdb: OmdbResource,
    imdb: ImdbResource,
    pipeline: PipelineResource,
) -> tuple[ImportTicket, dict[str, Any]]:
    lookups = CachedLookups(
        database.get_engine(),
        omdb=omdb.client(),
        imdb=imdb.client(),
        daily_budget=omdb.daily_budget,
        now=omdb.now,
    )
    with _stopping_cleanly(context, database, ticket), long_lived_objects_frozen():
        summary = run_enrich(
            database.get_engine(),
            job_id=uuid.UUID(ticket.job_id),
            import_type=ticket.import_type,
            lookups=lookups,
            concurrency=pipeline.concurrency,
            report=lambda line: context.log.info(f"enrich: {line}"),
        )
    calls, hits = summary.extra["omdb_calls"], summary.extra["cache_hits"]
    metadata = {**step_metadata(summary), "omdb_calls": calls, "cache_hits": hits}
    ticket = dataclasses.replace(
        ticket, omdb_calls=ticket.omdb_calls + calls, cache_hits=ticket.cache_hits + hits
    )
    return ticket, metadata


def _insert(
    context: dg.OpExecutionContext,
    ticket: ImportTicket,
    database: DatabaseResource,
    catalogue: CatalogueResource,
    pipeline: PipelineResource,
) -> dict[str, Any]:
    with _stopping_cleanly(context, database, ticket), long_lived_objects_frozen():
        summary = run_insert(
            database.get_engine(),
            job_id=uuid.UUID(ticket.job_id),
            import_type=ticket.import_type,
            dry_run=ticket.dry_run,
            skip_duplicates=ticket.skip_duplicates,
            client=catalogue.client(),
            read_catalogue=lambda: catalogue.records(ticket.import_type),
            concurrency=pipeline.concurrency,
            report=lambda line: context.log.info(f"insert: {line}"),
        )
    return step_metadata(summary)


@dg.op
def dedupe_rows(
    context: dg.OpExecutionContext,
    ticket: ImportTicket,
    database: DatabaseResource,
    catalogue: CatalogueResource,
) -> ImportTicket:
    """Take this run's rows; skip repeats of the file, of earlier imports, of the catalogue."""
    context.add_output_metadata(_dedupe(context, ticket, database, catalogue))
    return ticket


@dg.op
def enrich_rows(
    context: dg.OpExecutionContext,
    ticket: ImportTicket,
    database: DatabaseResource,
    omdb: OmdbResource,
    imdb: ImdbResource,
    pipeline: PipelineResource,
) -> ImportTicket:
    """Find each row's title (OMDb, IMDb fallback), through the cache and the day budget."""
    ticket, metadata = _enrich(context, ticket, database, omdb, imdb, pipeline)
    context.add_output_metadata(metadata)
    return ticket


@dg.op
def insert_rows(
    context: dg.OpExecutionContext,
    ticket: ImportTicket,
    database: DatabaseResource,
    catalogue: CatalogueResource,
    pipeline: PipelineResource,
) -> ImportTicket:
    """POST each enriched row once (a dry run keeps the would-be body and posts nothing)."""
    context.add_output_metadata(_insert(context, ticket, database, catalogue, pipeline))
    return ticket


def _rows_not_taken_by_this_run(context: dg.OpExecutionContext) -> bool:
    """A re-execution from failure that starts after `dedupe_rows` (say, at `finish_import`,
    where a run with rows left fails): this run has not taken the rows yet."""
    steps = context.run.step_keys_to_execute
    # The steps are ops of the graph `import_results`: a step key is its op's handle.
    dedupe_step = str(context.op_handle).replace("finish_import", "dedupe_rows")
    return steps is not None and dedupe_step not in steps


@dg.op(
    out={
        "result": dg.Out(description="The import's final status."),
        CHECK_OUTPUT: dg.Out(is_required=False),
    }
)
def finish_import(
    context: dg.OpExecutionContext,
    ticket: ImportTicket,
    database: DatabaseResource,
    upload_folder: UploadFolderResource,
    catalogue: CatalogueResource,
    omdb: OmdbResource,
    imdb: ImdbResource,
    pipeline: PipelineResource,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Counters, final status, failed-rows CSV and the partition's metadata (SPEC §9).

    Materializes the partition of `import_results` with check `no_failed_rows` (failed, WARN,
    when rows failed): `completed` passes, `partial` warns. Rows left to do end the run failed
    instead, so Dagster marks the partition failed (the retry is a re-execution); the same
    metadata and the reason are then observed on the partition.

    Re-executed from failure, it is the only step that runs: it then takes the rows left
    itself (dedupe, enrich, insert, the same code as those steps) before it judges them.
    """
    job_id = uuid.UUID(ticket.job_id)
    if _rows_not_taken_by_this_run(context):
        with database.get_engine().begin() as conn:
            jobs.mark_processing(conn, job_id)
            jobs.add_event(conn, job_id, "re-executed from failure: taking the rows left")
        _dedupe(context, ticket, database, catalogue)
        ticket, _ = _enrich(context, ticket, database, omdb, imdb, pipeline)
        _insert(context, ticket, database, catalogue, pipeline)
    with database.get_engine().begin() as conn:
        counts, verdict = run_finish(conn, job_id=job_id)
        failed_csv, failed = run_export(
            conn,
            job_id=job_id,
            archive=upload_folder.archive_path(ticket.partition_key),
            upload_root=upload_folder.root,
            partition_key=ticket.partition_key,
        )
        job = jobs.get_job(conn, job_id=job_id)
    assert job is not None
    metadata = import_metadata(
        job=job,
        ticket=ticket,
        counts=counts,
        status=str(verdict.status),
        failed=failed,
        failed_csv=str(failed_csv) if failed_csv else None,
        finished_at=datetime.now(UTC),
    )
    if counts.failed:
        context.log.warning(f"{counts.failed} rows failed; see {failed_csv}")
    if verdict.run_must_fail:
        reason = (
            f"{verdict.rows_left} rows are left to do (pending or failed with a retryable "
            "code); re-execute this partition to retry them"
        )
        context.log_event(
            dg.AssetObservation(
                asset_key=RESULTS_ASSET,
                partition=ticket.partition_key,
                metadata={**metadata, "reason": dg.MetadataValue.text(reason)},
            )
        )
        raise dg.Failure(
            description=reason,
            metadata={k: metadata[k] for k in ("status", "failed_rows", "pending_rows")},
            allow_retries=False,
        )
    yield dg.Output(str(verdict.status), output_name="result", metadata=metadata)
    yield dg.AssetCheckResult(
        passed=counts.failed == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{counts.failed} rows failed" if counts.failed else "no row failed",
        metadata={"failed_rows": dg.MetadataValue.int(counts.failed)},
    )
