"""One import run from start to settlement: the sequence every caller walks.

The ops of `import_job` (`validate_rows`, `import_rows`), a re-execution, the benchmarks and the
tests all call these functions, so what runs is what the op graph shows. Nothing is handed from
one step to the next but the partition key: every fact of a run lives in Postgres. This module
is also the one place where an import's status changes during a run (`begin`, `finish`, `stop`,
`settle_ended_run`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.clients.catalogue import CatalogueClient
from jobsimport_dagster.clients.imdb import ImdbClient
from jobsimport_dagster.clients.omdb import OmdbClient
from jobsimport_dagster.codes import JobStatus, RowStatus
from jobsimport_dagster.db import claims, jobs, viewings
from jobsimport_dagster.db import rows as stored_rows
from jobsimport_dagster.db.jobs import ImportJob, RowCounts
from jobsimport_dagster.db.rows import FailedRow
from jobsimport_dagster.errors import JobsimportError
from jobsimport_dagster.models import StepSummary
from jobsimport_dagster.sources.registry import get_adapter, get_export
from jobsimport_dagster.steps.dedupe import run_dedupe
from jobsimport_dagster.steps.enrich import Enrichment
from jobsimport_dagster.steps.export import run_export
from jobsimport_dagster.steps.finish import Verdict, count_retryable_failed, judge
from jobsimport_dagster.steps.insert import Insertion
from jobsimport_dagster.steps.lookups import CachedLookups
from jobsimport_dagster.steps.pool import Later, Next, run_rows
from jobsimport_dagster.steps.progress import Progress
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
    match_verdicts: Mapping[str, int] = field(default_factory=dict)  # over all the import's rows

    @property
    def omdb_calls(self) -> int:
        return sum(int(s.extra.get("omdb_calls", 0)) for s in self.stages)

    @property
    def cache_hits(self) -> int:
        return sum(int(s.extra.get("cache_hits", 0)) for s in self.stages)

    @property
    def omdb_extra_lookups(self) -> int:
        """OMDb lookups beyond each row's first: what verdicts cost on top (SPEC §12)."""
        return sum(int(s.extra.get("omdb_extra_lookups", 0)) for s in self.stages)


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
    """Step two: take the rows left, dedupe, then enrich and insert row by row, then settle
    the import.

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
    enrich, insert = enrich_and_insert(
        engine,
        job=job,
        upstreams=upstreams,
        dry_run=dry_run,
        skip_duplicates=skip,
        read_catalogue=read_catalogue,
        concurrency=concurrency,
        report=report,
    )
    return finish(
        engine,
        partition_key=partition_key,
        archive=archive,
        upload_root=upload_root,
        dry_run=dry_run,
        stages=(dedupe, enrich, insert),
    )


def enrich_and_insert(
    engine: sa.Engine,
    *,
    job: ImportJob,
    upstreams: Upstreams,
    dry_run: bool,
    skip_duplicates: bool,
    read_catalogue: Callable[[], Sequence[Mapping[str, Any]]],
    concurrency: int,
    report: Callable[[str], None],
) -> tuple[StepSummary, StepSummary]:
    """The enrich and insert stages, row by row: a row goes from its lookup to its POST
    without waiting for the rest of the file, `concurrency` rows in flight.

    One pass over the rows still open: a row not enriched yet is enriched, then (matched)
    claimed with the others enriched meanwhile and posted by the next free worker; a row an
    earlier run enriched is claimed with its chunk and posted. So OMDb's rate limit and the
    POSTs overlap instead of adding up, and a run that stops leaves every row it finished
    written. Each stage keeps its own counters; both stages' seconds are the pass's.
    """
    started = time.monotonic()
    with engine.connect() as conn:
        rows = claims.open_row_list(conn, job.id)
    if not rows:
        return StepSummary(step="enrich"), StepSummary(step="insert")
    lookups = CachedLookups(
        engine,
        omdb=upstreams.omdb,
        imdb=upstreams.imdb,
        daily_budget=upstreams.daily_budget,
        now=upstreams.now,
        workers=concurrency,
    )
    enrichment = Enrichment(engine, import_type=job.type, lookups=lookups)
    insertion = Insertion(
        engine,
        job_id=job.id,
        import_type=job.type,
        dry_run=dry_run,
        skip_duplicates=skip_duplicates,
        client=upstreams.catalogue,
        read_catalogue=read_catalogue,
        was_processing={r.id for r in rows if r.status == RowStatus.PROCESSING},
    )

    def take(chunk: list[claims.OpenRow]) -> list[claims.ClaimedRow]:
        fresh = [r for r in chunk if not r.enriched]
        return enrichment.read_seeds(fresh) + insertion.take([r for r in chunk if r.enriched])

    def work(
        row: claims.ClaimedRow,
    ) -> claims.RowUpdate | Next[claims.ClaimedRow] | Later | None:
        if "match" in row.normalized_payload:
            return insertion.post(row)
        enriched = enrichment.enrich(row)
        return enriched if isinstance(enriched, claims.RowUpdate) else Next(enriched)

    def write(updates: list[claims.RowUpdate]) -> None:
        lookups.flush()
        with engine.begin() as conn:
            claims.write_updates(conn, updates)
            enrichment.write_choices(conn)

    try:
        with viewings.insert_lease(engine, job.id):
            run_rows(
                rows,
                work,
                concurrency=concurrency,
                write=write,
                take_chunk=take,
                admit=insertion.admit,
                release=insertion.release,
                progress=Progress(total=len(rows), report=lambda line: report(f"rows: {line}")),
            )
    finally:
        lookups.close()
        with engine.begin() as conn:
            enrichment.write_choices(conn)
    seconds = time.monotonic() - started
    return enrichment.summary(seconds), insertion.summary(seconds)


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
        match_verdicts = stored_rows.verdict_counts(conn, job.id)
        job = find_import(conn, partition_key)
    return Settled(job, counts, verdict, failed, failed_csv, dry_run, stages, match_verdicts)


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
