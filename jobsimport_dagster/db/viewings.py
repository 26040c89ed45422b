"""Viewing claims (SPEC §7): before its POST a row holds its viewing in Postgres.

A viewing has two keys: the row's dedupe key and, once enriched, its IMDb ID + date (or season
for shows). A row holds every key of its viewing (a unique row per key in `viewing_claims`)
before it posts, so two imports running at the same time never both post one viewing, whatever
machine their runs are on. While a run may post, it holds its import's insert lease (a
session-level advisory lock): a key held by a row of an import whose lease is gone was left by
a run that died, and is taken over after a fresh look at the catalogue.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from jobsimport_dagster.codes import RowStatus
from jobsimport_dagster.db.tables import import_jobs, import_rows, viewing_claims

# The first key of the insert lease's two-key advisory lock (the second comes from the job id).
INSERT_LEASE_CLASS = 727002

_IN_FLIGHT = (RowStatus.PENDING, RowStatus.PROCESSING)


class ClaimVerdict(StrEnum):
    HELD = "held"  # the row holds every key of its viewing: go on
    TAKEN_OVER = "taken_over"  # it took a key from a row that failed or whose run died
    WAIT = "wait"  # a row of an import that is posting holds a key: try again later
    IMPORTED = "imported"  # a row of another import holding a key succeeded


@dataclass(frozen=True)
class ViewingClaim:
    """What claiming a viewing found; for IMPORTED, the row that imported it."""

    verdict: ClaimVerdict
    holder_partition_key: str | None = None
    holder_line: int | None = None


def viewing_keys(
    import_type: str, *, dedupe_key: str | None, imdb_id: str | None, date_or_season: str
) -> list[str]:
    """The claim keys of a viewing, sorted so that concurrent claims take them in one order."""
    keys = []
    if dedupe_key:
        keys.append(f"{import_type}:key:{dedupe_key}")
    if imdb_id:
        keys.append(f"{import_type}:imdb:{imdb_id.strip().lower()}|{date_or_season}")
    return sorted(keys)


def _lease_key(job_id: uuid.UUID) -> int:
    """The job's half of the lease lock: 31 bits of its id (a clash only makes a waiter wait)."""
    return job_id.int & 0x7FFFFFFF


@contextmanager
def insert_lease(engine: sa.Engine, job_id: uuid.UUID) -> Iterator[None]:
    """Hold the import's insert lease while its run may post (on a connection of its own).

    Postgres drops the lock with the connection, so a run killed mid-insert releases it at once.
    """
    with engine.connect() as conn:
        key = (INSERT_LEASE_CLASS, _lease_key(job_id))
        conn.execute(sa.select(sa.func.pg_advisory_lock_shared(*key)))
        conn.commit()
        try:
            yield
        finally:
            try:
                conn.execute(sa.select(sa.func.pg_advisory_unlock_shared(*key)))
                conn.commit()
            except sa.exc.DBAPIError:
                conn.invalidate()  # the connection is gone, and the lock with it


def is_inserting(conn: sa.Connection, job_id: uuid.UUID) -> bool:
    """True while a run of this import holds its insert lease."""
    query = sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = :class_id AND objid = :object_id AND objsubid = 2)"
    )
    found = conn.execute(
        query, {"class_id": INSERT_LEASE_CLASS, "object_id": _lease_key(job_id)}
    ).scalar()
    return bool(found)


def claim_viewing(
    conn: sa.Connection, *, row_id: uuid.UUID, job_id: uuid.UUID, keys: Sequence[str]
) -> ViewingClaim:
    """Claim every key for this row, all or none, in the caller's transaction.

    A key held by another row is judged by that row: a success means the viewing is imported
    (IMPORTED); a row still to do in an import that is posting means WAIT; a row that failed or
    was skipped, or whose run died, gives the key up (TAKEN_OVER: the caller looks at the
    catalogue afresh before any POST, since a dead run may have posted).
    """
    if not keys:
        return ViewingClaim(ClaimVerdict.HELD)
    with conn.begin_nested() as attempt:
        conn.execute(
            insert(viewing_claims)
            .values([{"claim_key": k, "row_id": row_id, "job_id": job_id} for k in keys])
            .on_conflict_do_nothing(index_elements=[viewing_claims.c.claim_key])
        )
        holders = conn.execute(
            sa.select(
                viewing_claims.c.claim_key,
                viewing_claims.c.job_id,
                import_rows.c.status,
                import_rows.c.row_number,
                import_jobs.c.partition_key,
            )
            .join(import_rows, import_rows.c.id == viewing_claims.c.row_id)
            .join(import_jobs, import_jobs.c.id == viewing_claims.c.job_id)
            .where(viewing_claims.c.claim_key.in_(keys), viewing_claims.c.row_id != row_id)
            .order_by(viewing_claims.c.claim_key)
            .with_for_update(of=viewing_claims)
        ).all()
        if not holders:
            return ViewingClaim(ClaimVerdict.HELD)
        imported = next((h for h in holders if h.status == RowStatus.SUCCESS), None)
        if imported is not None:
            attempt.rollback()
            return ViewingClaim(
                ClaimVerdict.IMPORTED, imported.partition_key, imported.row_number
            )
        posting = {h.job_id for h in holders if h.status in _IN_FLIGHT}
        if any(is_inserting(conn, holder_job) for holder_job in posting):
            attempt.rollback()
            return ViewingClaim(ClaimVerdict.WAIT)
        conn.execute(
            sa.update(viewing_claims)
            .where(viewing_claims.c.claim_key.in_([h.claim_key for h in holders]))
            .values(row_id=row_id, job_id=job_id, claimed_at=sa.func.now())
        )
    return ViewingClaim(ClaimVerdict.TAKEN_OVER)
