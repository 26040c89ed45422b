"""Queries on `import_jobs` and `import_job_events`: create, look up, count, change status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from jobsimport_dagster.codes import JobStatus, RowStatus
from jobsimport_dagster.db.row_list import folded, like_pattern
from jobsimport_dagster.db.tables import import_job_events, import_jobs, import_rows
from jobsimport_dagster.steps.normalize import fold_text


@dataclass(frozen=True)
class NewImportJob:
    """What the sensor (or the CLI) knows about an accepted file."""

    partition_key: str
    type: str
    source: str
    file_name: str
    file_sha256: str
    file_bytes: int
    uploaded_by: str | None
    dry_run: bool = False
    skip_duplicates: bool = True


@dataclass(frozen=True)
class ImportJob:
    id: uuid.UUID
    partition_key: str
    type: str
    source: str
    status: str
    total_rows: int
    processed_rows: int
    success_rows: int
    failed_rows: int
    skipped_rows: int
    dry_run: bool
    skip_duplicates: bool
    uploaded_by: str | None
    file_name: str
    file_sha256: str
    file_bytes: int
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RowCounts:
    total: int = 0
    pending: int = 0
    processing: int = 0
    success: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def processed(self) -> int:
        return self.success + self.failed + self.skipped


def _job(row: sa.Row[Any]) -> ImportJob:
    values = row._mapping
    return ImportJob(**{f.name: values[f.name] for f in fields(ImportJob)})


def create_job(conn: sa.Connection, new: NewImportJob) -> ImportJob:
    """Insert a `queued` job; an existing partition key keeps its job (a replayed tick)."""
    conn.execute(
        insert(import_jobs)
        .values(**{f.name: getattr(new, f.name) for f in fields(NewImportJob)})
        .on_conflict_do_nothing(index_elements=["partition_key"])
    )
    job = get_job(conn, partition_key=new.partition_key)
    assert job is not None
    return job


def get_job(
    conn: sa.Connection, *, partition_key: str | None = None, job_id: uuid.UUID | None = None
) -> ImportJob | None:
    column, value = (
        (import_jobs.c.partition_key, partition_key)
        if partition_key is not None
        else (import_jobs.c.id, job_id)
    )
    row = conn.execute(sa.select(import_jobs).where(column == value)).first()
    return _job(row) if row else None


def list_jobs(
    conn: sa.Connection, *, status: str | None = None, limit: int | None = 200
) -> list[ImportJob]:
    """The newest imports first; `limit=None` lists them all."""
    query = sa.select(import_jobs).order_by(import_jobs.c.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(import_jobs.c.status == status)
    return [_job(r) for r in conn.execute(query)]


@dataclass(frozen=True)
class JobPage:
    """A page of imports, newest first, and how many match in all."""

    jobs: list[ImportJob]
    total: int


def find_jobs(
    conn: sa.Connection,
    *,
    status: str | None = None,
    import_type: str | None = None,
    file_search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> JobPage:
    """Imports filtered by status and type and searched by file name (case and accents
    ignored, as the rows search), newest first: the console's list of imports."""
    conditions = []
    if status:
        conditions.append(import_jobs.c.status == status)
    if import_type:
        conditions.append(import_jobs.c.type == import_type)
    if file_search and file_search.strip():
        pattern = like_pattern(fold_text(file_search.strip()))
        conditions.append(folded(import_jobs.c.file_name).like(pattern, escape="\\"))
    total = conn.execute(
        sa.select(sa.func.count()).select_from(import_jobs).where(*conditions)
    ).scalar_one()
    query = (
        sa.select(import_jobs)
        .where(*conditions)
        .order_by(import_jobs.c.created_at.desc(), import_jobs.c.partition_key.desc())
        .limit(limit)
        .offset(offset)
    )
    return JobPage([_job(r) for r in conn.execute(query)], total)


def existing_partition_keys(conn: sa.Connection, candidates: list[str]) -> set[str]:
    """Which of these keys are already taken (the sensor appends -2, -3… on a clash)."""
    if not candidates:
        return set()
    query = sa.select(import_jobs.c.partition_key).where(
        import_jobs.c.partition_key.in_(candidates)
    )
    return set(conn.execute(query).scalars())


def count_rows(conn: sa.Connection, job_id: uuid.UUID) -> RowCounts:
    """Counts by status straight from `import_rows`: the only truth the counters mirror."""
    query = (
        sa.select(import_rows.c.status, sa.func.count())
        .where(import_rows.c.job_id == job_id)
        .group_by(import_rows.c.status)
    )
    by_status = {status: n for status, n in conn.execute(query)}
    return RowCounts(
        total=sum(by_status.values()),
        pending=by_status.get(RowStatus.PENDING, 0),
        processing=by_status.get(RowStatus.PROCESSING, 0),
        success=by_status.get(RowStatus.SUCCESS, 0),
        failed=by_status.get(RowStatus.FAILED, 0),
        skipped=by_status.get(RowStatus.SKIPPED, 0),
    )


def refresh_counters(conn: sa.Connection, job_id: uuid.UUID) -> RowCounts:
    """Recompute the job's counters from its rows in one statement, so they always agree."""
    counts = count_rows(conn, job_id)
    conn.execute(
        sa.update(import_jobs)
        .where(import_jobs.c.id == job_id)
        .values(
            total_rows=counts.total,
            processed_rows=counts.processed,
            success_rows=counts.success,
            failed_rows=counts.failed,
            skipped_rows=counts.skipped,
            updated_at=sa.func.now(),
        )
    )
    return counts


def mark_processing(conn: sa.Connection, job_id: uuid.UUID) -> None:
    """A new run: `processing`, started now, `completed_at` cleared (SPEC §6)."""
    conn.execute(
        sa.update(import_jobs)
        .where(import_jobs.c.id == job_id)
        .values(
            status=JobStatus.PROCESSING,
            started_at=sa.func.now(),
            completed_at=None,
            updated_at=sa.func.now(),
        )
    )


def set_status(conn: sa.Connection, job_id: uuid.UUID, status: JobStatus) -> None:
    """Set a job's status; a final one stamps `completed_at`."""
    final = status not in (JobStatus.QUEUED, JobStatus.PROCESSING)
    conn.execute(
        sa.update(import_jobs)
        .where(import_jobs.c.id == job_id)
        .values(
            status=status,
            completed_at=sa.func.now() if final else None,
            updated_at=sa.func.now(),
        )
    )


def add_event(
    conn: sa.Connection,
    job_id: uuid.UUID,
    message: str,
    *,
    level: str = "info",
    meta: dict[str, Any] | None = None,
) -> None:
    """A lifecycle event; messages name rows by line, title and code only (SPEC §3)."""
    conn.execute(
        import_job_events.insert().values(
            job_id=job_id, level=level, message=message, meta=meta or {}
        )
    )


@dataclass(frozen=True)
class JobEvent:
    created_at: datetime
    level: str
    message: str


def recent_events(conn: sa.Connection, job_id: uuid.UUID, *, limit: int = 5) -> list[JobEvent]:
    """The import's newest lifecycle events first: what a user reads to learn why a run
    stopped (messages name rows by line, title and code only, never a secret)."""
    query = (
        sa.select(
            import_job_events.c.created_at, import_job_events.c.level, import_job_events.c.message
        )
        .where(import_job_events.c.job_id == job_id)
        .order_by(import_job_events.c.id.desc())
        .limit(limit)
    )
    return [JobEvent(*row) for row in conn.execute(query)]


def jobs_with_row_code(conn: sa.Connection, code: str) -> list[ImportJob]:
    """Imports that have a failed row with this code (the budget schedule retries them)."""
    has_code = (
        sa.select(import_rows.c.job_id)
        .where(import_rows.c.status == RowStatus.FAILED, import_rows.c.error_code == code)
        .distinct()
    )
    query = (
        sa.select(import_jobs)
        .where(import_jobs.c.id.in_(has_code))
        .order_by(import_jobs.c.created_at)
    )
    return [_job(r) for r in conn.execute(query)]
