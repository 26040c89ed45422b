"""One op per step of `import_job`; each reads context, calls one run_* function, reports."""

import uuid

import dagster as dg

from jobsimport_dagster.defs.imports.metadata import counts_metadata, step_metadata
from jobsimport_dagster.defs.resources import DatabaseResource, UploadFolderResource
from jobsimport_dagster.models import ImportTicket
from jobsimport_dagster.sources.registry import adapter_named
from jobsimport_dagster.steps.finish import run_finish
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
    with database.get_engine().begin() as conn:
        summary = run_validate(
            conn,
            job_id=uuid.UUID(ticket.job_id),
            path=upload_folder.archive_path(ticket.partition_key),
            adapter=adapter_named(ticket.source),
        )
    context.add_output_metadata(step_metadata(summary))
    context.log.info(f"validated {summary.rows_in} rows: {summary.counts}")
    return ticket


@dg.op
def finish_import(
    context: dg.OpExecutionContext, ticket: ImportTicket, database: DatabaseResource
) -> str:
    """Counters and final status from the rows; rows left to do end the run failed (SPEC §9)."""
    with database.get_engine().begin() as conn:
        counts, verdict = run_finish(conn, job_id=uuid.UUID(ticket.job_id))
    metadata = counts_metadata(counts)
    if verdict.run_must_fail:
        raise dg.Failure(
            description=(
                f"{verdict.rows_left} rows are left to do (pending or failed with a retryable "
                "code); re-execute this partition to retry them"
            ),
            metadata=metadata,
            allow_retries=False,
        )
    context.add_output_metadata(metadata)
    return str(verdict.status)
