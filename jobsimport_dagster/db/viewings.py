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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from jobsimport_dagster.codes import RowStatus
from jobsimport_dagster.db.tables import import_jobs, import_rows, viewing_claims
from jobsimport_dagster.models import shown_line

# The first key of the insert lease's two-key advisory lock (the second comes from the job id).
INSERT_LEASE_CLASS = 727002

_IN_FLIGHT = (RowStatus.PENDING, RowStatus.PROCESSING)


class ClaimVerdict(StrEnum):
    HELD = "held"  # the row holds every key of its viewing: go on
    TAKEN_OVER = "taken_over"  # it took a key from a row that failed or whose run died
    WAIT = "wait"  # a row of an import that is posting holds a key: try again later
    IMPORTED = "imported"  # a row of another import holding a key succeeded


_NOT_GOING_ON = (ClaimVerdict.WAIT, ClaimVerdict.IMPORTED)


@dataclass(frozen=True)
class ViewingClaim:
    """What claiming a viewing found; for IMPORTED, the row that imported it."""

    verdict: ClaimVerdict
    holder_partition_key: str | None = None
    holder_line: int | str | None = None  # as shown: `diary.csv:12` for a zip's row


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


def claimed_elsewhere(
    conn: sa.Connection, *, import_type: str, job_id: uuid.UUID, dedupe_keys: Sequence[str]
) -> set[str]:
    """Those of these dedupe keys whose viewing a row of another import holds and posted or
    is posting: a record of it in the catalogue is that import's doing, not the user's."""
    if not dedupe_keys:
        return set()
    by_claim = {
        viewing_keys(import_type, dedupe_key=k, imdb_id=None, date_or_season="")[0]: k
        for k in dedupe_keys
    }
    query = (
        sa.select(viewing_claims.c.claim_key)
        .join(import_rows, import_rows.c.id == viewing_claims.c.row_id)
        .where(
            viewing_claims.c.claim_key.in_(by_claim),
            viewing_claims.c.job_id != job_id,
            import_rows.c.status.in_([*_IN_FLIGHT, RowStatus.SUCCESS]),
        )
    )
    return {by_claim[key] for key in conn.execute(query).scalars()}


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


def claim_viewings(
    conn: sa.Connection, *, job_id: uuid.UUID, wanted: Mapping[uuid.UUID, Sequence[str]]
) -> dict[uuid.UUID, ViewingClaim]:
    """Claim, for each of these rows of one import, every key of its viewing, all or none, in
    the caller's transaction (a chunk of rows in one round of statements).

    A key held by another row is judged by that row: a success means the viewing is imported
    (IMPORTED); a row still to do in an import that is posting means WAIT; a row that failed or
    was skipped, or whose run died, gives the key up (TAKEN_OVER: the caller looks at the
    catalogue afresh before any POST, since a dead run may have posted). A row that does not go
    on keeps none of the keys it asked for.
    """
    claims = sorted((key, row_id) for row_id, keys in wanted.items() for key in keys)
    if not claims:
        return {row_id: ViewingClaim(ClaimVerdict.HELD) for row_id in wanted}
    # One statement, keys in sorted order: concurrent claimers lock keys in the same order.
    inserted = conn.execute(
        insert(viewing_claims)
        .values([{"claim_key": k, "row_id": r, "job_id": job_id} for k, r in claims])
        .on_conflict_do_nothing(index_elements=[viewing_claims.c.claim_key])
        .returning(viewing_claims.c.claim_key, viewing_claims.c.row_id)
    ).all()
    holders = {
        h.claim_key: h
        for h in conn.execute(
            sa.select(
                viewing_claims.c.claim_key,
                viewing_claims.c.row_id,
                viewing_claims.c.job_id,
                import_rows.c.status,
                import_rows.c.source_file,
                import_rows.c.row_number,
                import_jobs.c.partition_key,
            )
            .join(import_rows, import_rows.c.id == viewing_claims.c.row_id)
            .join(import_jobs, import_jobs.c.id == viewing_claims.c.job_id)
            .where(viewing_claims.c.claim_key.in_({k for k, _ in claims}))
            .order_by(viewing_claims.c.claim_key)
            .with_for_update(of=viewing_claims)
        )
    }
    posting_jobs = _inserting_jobs(
        conn, {h.job_id for h in holders.values() if h.status in _IN_FLIGHT}
    )
    verdicts: dict[uuid.UUID, ViewingClaim] = {}
    taken_over: list[tuple[str, uuid.UUID]] = []
    for row_id, keys in wanted.items():
        others = [holders[k] for k in keys if k in holders and holders[k].row_id != row_id]
        imported = next((h for h in others if h.status == RowStatus.SUCCESS), None)
        if imported is not None:
            verdicts[row_id] = ViewingClaim(
                ClaimVerdict.IMPORTED,
                imported.partition_key,
                shown_line(imported.source_file, imported.row_number),
            )
        elif any(h.status in _IN_FLIGHT and h.job_id in posting_jobs for h in others):
            verdicts[row_id] = ViewingClaim(ClaimVerdict.WAIT)
        elif others:
            verdicts[row_id] = ViewingClaim(ClaimVerdict.TAKEN_OVER)
            taken_over.extend((h.claim_key, row_id) for h in others)
        else:
            verdicts[row_id] = ViewingClaim(ClaimVerdict.HELD)
    giving_up = {r for r, claim in verdicts.items() if claim.verdict in _NOT_GOING_ON}
    dropped = [(k, r) for k, r in inserted if r in giving_up]
    if dropped:
        conn.execute(
            sa.delete(viewing_claims).where(
                sa.tuple_(viewing_claims.c.claim_key, viewing_claims.c.row_id).in_(dropped)
            )
        )
    for key, row_id in taken_over:
        conn.execute(
            sa.update(viewing_claims)
            .where(viewing_claims.c.claim_key == key)
            .values(row_id=row_id, job_id=job_id, claimed_at=sa.func.now())
        )
    return verdicts


def _inserting_jobs(conn: sa.Connection, job_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these imports that hold their insert lease now."""
    return {job_id for job_id in job_ids if is_inserting(conn, job_id)}
