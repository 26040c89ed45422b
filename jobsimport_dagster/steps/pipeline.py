"""One import run from start to settlement: the sequence every caller walks.

The ops of `import_job` (`validate_rows`, `import_rows`), a re-execution, the benchmarks and the
tests all call these functions, so what runs is what the op graph shows. Nothing is handed from
one step to the next but the partition key: every fact of a run lives in Postgres. This module
is also the one place where an import's status changes during a run (`begin`, `finish`, `stop`,
`settle_ended_run`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.clients.catalogue import CatalogueClient
from jobsimport_dagster.clients.imdb import ImdbClient
from jobsimport_dagster.clients.omdb import OmdbClient
from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.db import claims, jobs
from jobsimport_dagster.db.jobs import ImportJob, RowCounts
from jobsimport_dagster.db.rows import FailedRow
from jobsimport_dagster.errors import JobsimportError
from jobsimport_dagster.models import StepSummary
from jobsimport_dagster.sources.registry import get_adapter, get_export
from jobsimport_dagster.steps.dedupe import run_dedupe
from jobsimport_dagster.steps.enrich import run_enrich
from jobsimport_dagster.steps.export import run_export
from jobsimport_dagster.steps.finish import Verdict, count_retryable_failed, judge
from jobsimport_dagster.steps.insert import run_insert
from jobsimport_dagster.steps.lookups import CachedLookups
from jobsimport_dagster.steps.pool import long_lived_objects_frozen
from jobsimport_dagster.steps.validate import run_validate


class UnknownImport(JobsimportError):
    """A run was launched for a partition that has no import (no file was accepted for it)."""


@dataclass(frozen=True)
class RunOptions:
    """This run's overrides of the import's own options (set by its folder); None keeps them."""

    dry_run: bool | None = None
    skip_duplicates: bool | None = None


@dataclass(frozen=True)
class Upstreams:
    """What a run talks to: OMDb (with its day budget), IMDb and api.ashish.me."""

    omdb: OmdbClient
    imdb: ImdbClient
    catalogue: CatalogueClient
    daily_budget: int
    now: Callable[[], datetime]


@dataclass(frozen=True)
class Settled:
    """An import after a run: its row counts, the verdict, and its failed rows (and CSV)."""

    job: ImportJob
    counts: RowCounts
    verdict: Verdict
    failed: list[FailedRow]
    failed_csv: Path | None
    dry_run: bool
    stages: tuple[StepSummary, ...] = ()

    @property
    def omdb_calls(self) -> int:
        return sum(int(s.extra.get("omdb_calls", 0)) for s in self.stages)

    @property
    def cache_hits(self) -> int:
        return sum(int(s.extra.get("cache_hits", 0)) for s in self.stages)


def find_import(conn: sa.Connection, partition_key: str) -> ImportJob:
    job = jobs.get_job(conn, partition_key=partition_key)
    if job is None:
        raise UnknownImport(f"no import has partition key {partition_key!r}")
    return job


def begin(conn: sa.Connection, job: ImportJob, **meta: Any) -> None:
    """A run starts working on the import: `processing`, started now (SPEC §6)."""
    jobs.mark_processing(conn, job.id)
    jobs.add_event(conn, job.id, "run started", meta=meta)


def validate_import(
    engine: sa.Engine,
    *,
    partition_key: str,
    archive: Path,
    netflix_profiles: Sequence[str] = (),
) -> StepSummary:
    """Step one: the run begins, and the archived file (a CSV, or an export zip) is read,
    validated and normalized into `import_rows` (rows already stored stay as they are, so a
    re-run adds nothing). `netflix_profiles` is the user's choice of Netflix profiles."""
    with engine.begin() as conn:
        job = find_import(conn, partition_key)
        begin(conn, job)
        zipped = archive.suffix == ".zip"
        return run_validate(
            conn,
            job_id=job.id,
            path=archive,
            adapter=(get_export if zipped else get_adapter)(job.source, job.type),
            netflix_profiles=netflix_profiles,
        )


def import_rows(
    engine: sa.Engine,
    *,
    partition_key: str,
    options: RunOptions,
    upstreams: Upstreams,
    concurrency: int,
    upload_root: Path,
    archive: Path,
    report: Callable[[str], None],
) -> Settled:
    """Step two: take the rows left, dedupe, enrich, insert, then settle the import.

    The catalogue is read once, here, for dedupe and insert (SPEC §8). Run after a failed run
    (a re-execution, from failure or of every step), it takes every row still to do: pending,
    in flight when a run died (checked against the catalogue before any POST), or failed with
    a retryable code.
    """
    with engine.begin() as conn:
        job = find_import(conn, partition_key)
        dry_run = job.dry_run if options.dry_run is None else options.dry_run
        skip = job.skip_duplicates if options.skip_duplicates is None else options.skip_duplicates
        if job.status != JobStatus.PROCESSING:  # a re-execution that starts at this step
            begin(conn, job, re_executed=True)
        taken = claims.take_rows(conn, job.id, dry_run=dry_run, skip_duplicates=skip)
    report(f"took {taken} rows (dry_run={dry_run}, skip_duplicates={skip})")
    read_catalogue = functools.cache(_catalogue_reader(upstreams.catalogue, job.type))
    with long_lived_objects_frozen():
        with engine.begin() as conn:
            dedupe = run_dedupe(
                conn,
                job_id=job.id,
                import_type=job.type,
                source=job.source,
                skip_duplicates=skip,
                read_catalogue=read_catalogue,
            )
        report(f"dedupe: skipped {dedupe.counts}")
        lookups = CachedLookups(
            engine,
            omdb=upstreams.omdb,
            imdb=upstreams.imdb,
            daily_budget=upstreams.daily_budget,
            now=upstreams.now,
        )
        enrich = run_enrich(
            engine,
            job_id=job.id,
            import_type=job.type,
            lookups=lookups,
            concurrency=concurrency,
            report=lambda line: report(f"enrich: {line}"),
        )
        insert = run_insert(
            engine,
            job_id=job.id,
            import_type=job.type,
            dry_run=dry_run,
            skip_duplicates=skip,
            client=upstreams.catalogue,
            read_catalogue=read_catalogue,
            concurrency=concurrency,
            report=lambda line: report(f"insert: {line}"),
        )
    return finish(
        engine,
        partition_key=partition_key,
        archive=archive,
        upload_root=upload_root,
        dry_run=dry_run,
        stages=(dedupe, enrich, insert),
    )


def _catalogue_reader(
    client: CatalogueClient, import_type: str
) -> Callable[[], Sequence[Mapping[str, Any]]]:
    return client.list_movies if import_type == "movies" else client.list_shows


def finish(
    engine: sa.Engine,
    *,
    partition_key: str,
    archive: Path,
    upload_root: Path,
    dry_run: bool,
    stages: tuple[StepSummary, ...] = (),
) -> Settled:
    """Counters from the rows, the final status (SPEC §6), the failed-rows CSV (SPEC §4)."""
    with engine.begin() as conn:
        job = find_import(conn, partition_key)
        counts = jobs.refresh_counters(conn, job.id)
        verdict = judge(counts, count_retryable_failed(conn, job.id))
        jobs.set_status(conn, job.id, verdict.status)
        jobs.add_event(
            conn,
            job.id,
            f"run finished: {verdict.status}",
            level="warning" if verdict.status != JobStatus.COMPLETED else "info",
            meta={
                "success": counts.success,
                "failed": counts.failed,
                "skipped": counts.skipped,
                "rows_left": verdict.rows_left,
            },
        )
        failed_csv, failed = run_export(
            conn,
            job_id=job.id,
            archive=archive,
            upload_root=upload_root,
            partition_key=partition_key,
        )
        job = find_import(conn, partition_key)
    return Settled(job, counts, verdict, failed, failed_csv, dry_run, stages)


def stop(
    engine: sa.Engine,
    *,
    partition_key: str,
    status: JobStatus,
    reason: str,
    level: str = "error",
    meta: dict[str, Any] | None = None,
) -> tuple[ImportJob, RowCounts]:
    """A run that stops before it settles (terminated, a secret missing, an upstream down, a
    file that cannot be read): counters, `status`, and an event saying why. Rows keep the
    state they were left in."""
    with engine.begin() as conn:
        job = find_import(conn, partition_key)
        counts = jobs.refresh_counters(conn, job.id)
        jobs.set_status(conn, job.id, status)
        jobs.add_event(conn, job.id, reason, level=level, meta=meta)
        return find_import(conn, partition_key), counts


def settle_ended_run(
    conn: sa.Connection, *, partition_key: str, status: JobStatus, reason: str
) -> tuple[ImportJob, RowCounts] | None:
    """After a run ended without settling its import (a killed worker, a crash, a process that
    died): a job still `queued` or `processing` gets `status` and an event saying why; None
    when there is none or the run had settled it."""
    job = jobs.get_job(conn, partition_key=partition_key)
    if job is None or job.status not in (JobStatus.QUEUED, JobStatus.PROCESSING):
        return None
    counts = jobs.refresh_counters(conn, job.id)
    jobs.set_status(conn, job.id, status)
    jobs.add_event(conn, job.id, reason, level="error")
    return find_import(conn, partition_key), counts
