"""Which rows a run takes, and claiming them under a per-import Postgres lock (SPEC §6)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from jobsimport_dagster.codes import RETRYABLE_CODES, RowCode, RowStatus
from jobsimport_dagster.db.rows import FILE_ORDER
from jobsimport_dagster.db.tables import import_rows

DUPLICATE_CODES = (RowCode.DUPLICATE_IN_FILE, RowCode.ALREADY_IMPORTED, RowCode.EXISTS_IN_API)


@dataclass(frozen=True)
class ClaimedRow:
    id: uuid.UUID
    line: int
    status: str
    normalized_payload: dict[str, Any]
    dedupe_key: str | None
    source_file: str = ""  # the CSV inside an export zip ('' for a dropped CSV)


@dataclass(frozen=True)
class OpenRow:
    """A row still to do, listed without its payload (read when its chunk is taken); `enriched`
    when an earlier run stored its accepted title."""

    id: uuid.UUID
    line: int
    status: str
    dedupe_key: str | None
    source_file: str = ""
    enriched: bool = False

    def with_payload(self, payload: dict[str, Any] | None) -> ClaimedRow:
        return ClaimedRow(
            self.id, self.line, self.status, payload or {}, self.dedupe_key, self.source_file
        )


def lock_import(conn: sa.Connection, job_id: uuid.UUID) -> None:
    """Serialise row claims of one import across processes until this transaction ends."""
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(job_id.int >> 65)))


def take_rows(
    conn: sa.Connection, job_id: uuid.UUID, *, dry_run: bool, skip_duplicates: bool
) -> int:
    """Reopen what this run takes back and count one attempt on every row it takes.

    Failed rows with a retryable code go back to `pending`; so do rows skipped `dry_run` when
    this run is not a dry run, and rows skipped as duplicates when duplicates are not skipped.
    `processing` rows stay `processing`: the insert step checks the catalogue before any POST.
    """
    lock_import(conn, job_id)
    reopen_codes: list[str] = []
    if not dry_run:
        reopen_codes.append(RowCode.DRY_RUN)
    if not skip_duplicates:
        reopen_codes.extend(DUPLICATE_CODES)
    reopen = sa.or_(
        sa.and_(
            import_rows.c.status == RowStatus.FAILED,
            import_rows.c.error_code.in_([str(c) for c in RETRYABLE_CODES]),
        ),
        sa.and_(
            import_rows.c.status == RowStatus.SKIPPED,
            import_rows.c.error_code.in_([str(c) for c in reopen_codes]),
        ),
    )
    conn.execute(
        sa.update(import_rows)
        .where(import_rows.c.job_id == job_id, reopen)
        .values(
            status=RowStatus.PENDING,
            error_code=None,
            error_message=None,
            updated_at=sa.func.now(),
        )
    )
    result = conn.execute(
        sa.update(import_rows)
        .where(
            import_rows.c.job_id == job_id,
            import_rows.c.status.in_([RowStatus.PENDING, RowStatus.PROCESSING]),
        )
        .values(attempt_count=import_rows.c.attempt_count + 1, updated_at=sa.func.now())
    )
    return result.rowcount


def _claimed(row: sa.Row[Any]) -> ClaimedRow:
    return ClaimedRow(
        id=row.id,
        line=row.row_number,
        status=row.status,
        normalized_payload=row.normalized_payload or {},
        dedupe_key=row.dedupe_key,
        source_file=row.source_file,
    )


_CLAIM_COLUMNS = (
    import_rows.c.id,
    import_rows.c.source_file,
    import_rows.c.row_number,
    import_rows.c.status,
    import_rows.c.normalized_payload,
    import_rows.c.dedupe_key,
)


def open_rows(conn: sa.Connection, job_id: uuid.UUID) -> list[ClaimedRow]:
    """Every row of the import that is still to do (`pending` or `processing`), in file order."""
    query = (
        sa.select(*_CLAIM_COLUMNS)
        .where(
            import_rows.c.job_id == job_id,
            import_rows.c.status.in_([RowStatus.PENDING, RowStatus.PROCESSING]),
        )
        .order_by(*FILE_ORDER)
    )
    return [_claimed(r) for r in conn.execute(query)]


def open_row_list(conn: sa.Connection, job_id: uuid.UUID) -> list[OpenRow]:
    """The rows still to do, in file order, payloads unread: a run lists its rows at once and
    reads their payloads chunk by chunk."""
    query = (
        sa.select(
            import_rows.c.id,
            import_rows.c.source_file,
            import_rows.c.row_number,
            import_rows.c.status,
            import_rows.c.dedupe_key,
            import_rows.c.normalized_payload.has_key("match").label("enriched"),
        )
        .where(
            import_rows.c.job_id == job_id,
            import_rows.c.status.in_([RowStatus.PENDING, RowStatus.PROCESSING]),
        )
        .order_by(*FILE_ORDER)
    )
    return [
        OpenRow(r.id, r.row_number, r.status, r.dedupe_key, r.source_file, bool(r.enriched))
        for r in conn.execute(query)
    ]


def payloads_of(conn: sa.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The normalized payloads of these rows."""
    if not ids:
        return {}
    query = sa.select(import_rows.c.id, import_rows.c.normalized_payload).where(
        import_rows.c.id.in_(ids)
    )
    return {r.id: r.normalized_payload for r in conn.execute(query)}


def claim_for_insert(
    conn: sa.Connection, job_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Mark these rows `processing` before their POST, under the import's lock (SPEC §6); the
    payloads of the rows this call really claimed (still open), by id."""
    return {r.id: r.normalized_payload for r in _claim(conn, job_id, ids, payloads=True)}


def claim_enriched(
    conn: sa.Connection, job_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """`claim_for_insert` for rows enriched in this run, whose payloads the run holds: the
    ids it really claimed. Their titles are not stored with them: a run that dies after the
    POST leaves the row `processing`, and the next run enriches it again (from the cache)
    and finds its record in the catalogue before any POST."""
    return {r.id for r in _claim(conn, job_id, ids, payloads=False)}


def _claim(
    conn: sa.Connection, job_id: uuid.UUID, ids: Collection[uuid.UUID], *, payloads: bool
) -> list[sa.Row[Any]]:
    if not ids:
        return []
    lock_import(conn, job_id)
    returned = [import_rows.c.id, *([import_rows.c.normalized_payload] if payloads else [])]
    statement = (
        sa.update(import_rows)
        .where(
            import_rows.c.job_id == job_id,
            import_rows.c.id.in_(ids),
            import_rows.c.status.in_([RowStatus.PENDING, RowStatus.PROCESSING]),
        )
        .values(status=RowStatus.PROCESSING, updated_at=sa.func.now())
        .returning(*returned)
    )
    return list(conn.execute(statement))


@dataclass(frozen=True)
class RowUpdate:
    """A row's new state, written in batches."""

    id: uuid.UUID
    status: str
    error_code: str | None = None
    error_message: str | None = None
    normalized_payload: dict[str, Any] | None = None
    target_record_id: str | None = None


# One fixed statement for every row update: compiled once, executed for a batch of rows.
# A None payload or record id keeps the stored one (`none_as_null`: SQL NULL, not JSON null).
_UPDATE_ROW = (
    sa.update(import_rows)
    .where(import_rows.c.id == sa.bindparam("row_id"))
    .values(
        status=sa.bindparam("new_status"),
        error_code=sa.bindparam("new_error_code"),
        error_message=sa.bindparam("new_error_message"),
        normalized_payload=sa.func.coalesce(
            sa.bindparam("new_payload", type_=JSONB(none_as_null=True)),
            import_rows.c.normalized_payload,
        ),
        target_record_id=sa.func.coalesce(
            sa.bindparam("new_record_id", type_=sa.Text), import_rows.c.target_record_id
        ),
        updated_at=sa.func.now(),
    )
)


def write_updates(conn: sa.Connection, updates: list[RowUpdate]) -> None:
    """Apply many row updates in one batched execution; a None payload or record id keeps the
    stored one."""
    if not updates:
        return
    conn.execute(
        _UPDATE_ROW,
        [
            {
                "row_id": u.id,
                "new_status": str(u.status),
                "new_error_code": None if u.error_code is None else str(u.error_code),
                "new_error_message": u.error_message,
                "new_payload": u.normalized_payload,
                "new_record_id": u.target_record_id,
            }
            for u in updates
        ],
    )


def keyed_lines(
    conn: sa.Connection, job_id: uuid.UUID
) -> list[tuple[tuple[str, int], str, str | None]]:
    """((source file, line), dedupe key, viewing date) of every row of the import that has a
    key: the in-file dedupe input (a show-season's earliest date carries it)."""
    query = sa.select(
        import_rows.c.source_file,
        import_rows.c.row_number,
        import_rows.c.dedupe_key,
        import_rows.c.normalized_payload["viewing_date"].astext,
    ).where(import_rows.c.job_id == job_id, import_rows.c.dedupe_key.is_not(None))
    return [((member, line), key, day) for member, line, key, day in conn.execute(query)]


def earlier_successes(
    conn: sa.Connection,
    *,
    excluding_job: uuid.UUID,
    dedupe_keys: list[str],
    title_keys: list[str],
) -> list[tuple[str | None, dict[str, Any] | None]]:
    """(dedupe key, payload) of success rows of other imports with one of these dedupe keys, or
    whose key starts with one of these normalized titles (for title + year on any date)."""
    if not dedupe_keys and not title_keys:
        return []
    title_part = sa.func.split_part(import_rows.c.dedupe_key, "|", 1)
    query = sa.select(import_rows.c.dedupe_key, import_rows.c.normalized_payload).where(
        import_rows.c.status == RowStatus.SUCCESS,
        import_rows.c.job_id != excluding_job,
        sa.or_(import_rows.c.dedupe_key.in_(dedupe_keys), title_part.in_(title_keys)),
    )
    return [(key, payload) for key, payload in conn.execute(query)]


def release(conn: sa.Connection, ids: list[uuid.UUID]) -> None:
    """Claimed rows whose POST never started go back to `pending` (a terminated run)."""
    if ids:
        conn.execute(
            sa.update(import_rows)
            .where(import_rows.c.id.in_(ids), import_rows.c.status == RowStatus.PROCESSING)
            .values(status=RowStatus.PENDING, updated_at=sa.func.now())
        )
