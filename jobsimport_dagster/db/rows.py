"""Queries on `import_rows`: the bulk write of a file's rows and the reads of their outcomes."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.codes import RowStatus
from jobsimport_dagster.db.tables import import_rows

_STAGE = "import_rows_stage"
# The columns a new row is written with; the rest take their server defaults.
_COLUMNS = (
    "row_number",
    "raw_payload",
    "normalized_payload",
    "dedupe_key",
    "status",
    "error_code",
    "error_message",
)
_NULL = r"\N"


@dataclass(frozen=True)
class NewRow:
    """A row as the validate step writes it: `pending` with its seed, or `failed` with a code."""

    row_number: int
    raw_payload: dict[str, Any]
    status: str
    normalized_payload: dict[str, Any] | None = None
    dedupe_key: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class FailedRow:
    """A failed row as the failed-rows CSV and the UI's table show it."""

    line: int
    raw: dict[str, Any]
    code: str
    message: str | None


@dataclass(frozen=True)
class StoredRow:
    id: uuid.UUID
    row_number: int
    raw_payload: dict[str, Any]
    normalized_payload: dict[str, Any] | None
    dedupe_key: str | None
    status: str
    error_code: str | None
    error_message: str | None
    target_record_id: str | None
    attempt_count: int


def _json(value: dict[str, Any] | None) -> str:
    if value is None:
        return _NULL
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Postgres cannot store NUL in jsonb; keep the rest of the cell with a visible stand-in.
    return text.replace("\\u0000", "\\ufffd") if "\\u0000" in text else text


def _copy_lines(rows: Iterable[NewRow]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(
        (
            r.row_number,
            _json(r.raw_payload),
            _json(r.normalized_payload),
            _NULL if r.dedupe_key is None else r.dedupe_key,
            r.status,
            _NULL if r.error_code is None else r.error_code,
            _NULL if r.error_message is None else r.error_message,
        )
        for r in rows
    )
    buffer.seek(0)
    return buffer


def insert_rows(conn: sa.Connection, job_id: uuid.UUID, rows: Iterable[NewRow]) -> int:
    """Write rows in bulk; a row whose (job, line) exists is left as it is. Returns rows added.

    COPY into a session temp table, then one INSERT … SELECT … ON CONFLICT DO NOTHING, so
    re-reading a file (a re-executed run) never duplicates or resets a row. Runs inside the
    caller's transaction.
    """
    buffer = _copy_lines(rows)
    if not buffer.getvalue():
        return 0
    conn.execute(
        sa.text(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ("
            "row_number integer, raw_payload jsonb, normalized_payload jsonb, dedupe_key text, "
            "status text, error_code text, error_message text)"
        )
    )
    with conn.connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {_STAGE} ({', '.join(_COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')",
            buffer,
        )
    columns = ", ".join(_COLUMNS)
    added = conn.execute(
        sa.text(
            f"INSERT INTO {import_rows.fullname} (job_id, {columns}) "
            f"SELECT :job_id, {columns} FROM {_STAGE} "
            "ON CONFLICT (job_id, row_number) DO NOTHING"
        ),
        {"job_id": job_id},
    ).rowcount
    conn.execute(sa.text(f"TRUNCATE {_STAGE}"))
    return added


def failed_rows(conn: sa.Connection, job_id: uuid.UUID) -> list[FailedRow]:
    """The job's failed rows in file order."""
    query = (
        sa.select(
            import_rows.c.row_number,
            import_rows.c.raw_payload,
            import_rows.c.error_code,
            import_rows.c.error_message,
        )
        .where(import_rows.c.job_id == job_id, import_rows.c.status == RowStatus.FAILED)
        .order_by(import_rows.c.row_number)
    )
    return [FailedRow(*r) for r in conn.execute(query).tuples()]


def rows_by_status(
    conn: sa.Connection, job_id: uuid.UUID, statuses: Iterable[str]
) -> list[StoredRow]:
    """The job's rows in any of these statuses, in file order."""
    names = [f.name for f in fields(StoredRow)]
    query = (
        sa.select(*(import_rows.c[n] for n in names))
        .where(import_rows.c.job_id == job_id, import_rows.c.status.in_(list(statuses)))
        .order_by(import_rows.c.row_number)
    )
    return [StoredRow(*r) for r in conn.execute(query).tuples()]
