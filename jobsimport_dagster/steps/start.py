"""The start of a run: find the import, apply this run's options, mark it `processing`."""

import sqlalchemy as sa

from jobsimport_dagster.db import jobs
from jobsimport_dagster.errors import JobsimportError
from jobsimport_dagster.models import ImportTicket


class UnknownImport(JobsimportError):
    """A run was launched for a partition that has no import (no file was accepted for it)."""


def run_start(
    conn: sa.Connection,
    *,
    partition_key: str,
    dry_run: bool | None = None,
    skip_duplicates: bool | None = None,
) -> ImportTicket:
    """The folder set the import's options; a run's config overrides them for this run only."""
    job = jobs.get_job(conn, partition_key=partition_key)
    if job is None:
        raise UnknownImport(f"no import has partition key {partition_key!r}")
    ticket = ImportTicket(
        job_id=str(job.id),
        partition_key=job.partition_key,
        import_type=job.type,
        source=job.source,
        dry_run=job.dry_run if dry_run is None else dry_run,
        skip_duplicates=job.skip_duplicates if skip_duplicates is None else skip_duplicates,
    )
    jobs.mark_processing(conn, job.id)
    jobs.add_event(
        conn,
        job.id,
        "run started",
        meta={"dry_run": ticket.dry_run, "skip_duplicates": ticket.skip_duplicates},
    )
    return ticket
