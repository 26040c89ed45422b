"""Queries on `import_rows`: the bulk write of a file's rows and the reads of their outcomes."""

from __future__ import annotations

import contextlib
import json
import queue
import re
import secrets
import threading
import time
import uuid
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from json.encoder import encode_basestring
from typing import Any

import pandas as pd
import sqlalchemy as sa

from jobsimport_dagster.codes import RowStatus
from jobsimport_dagster.db.tables import import_jobs, import_rows, row_titles
from jobsimport_dagster.models import shown_line

# The columns a new row is written with; the rest take their server defaults.
_COLUMNS = (
    "id",
    "job_id",
    "source_file",
    "row_number",
    "raw_payload",
    "normalized_payload",
    "dedupe_key",
    "status",
    "error_code",
    "error_message",
)
# File order: a dropped CSV's lines, or a zip's CSVs one after the other, each by its lines.
FILE_ORDER = (import_rows.c.source_file, import_rows.c.row_number)
_STAGE = "pg_temp.import_rows_stage"
_TITLES_STAGE = "pg_temp.row_titles_stage"
_NULL = r"\N"
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# What COPY's text format escapes in a title taken from the file as it is; NUL, which Postgres
# cannot store, becomes U+FFFD as in the JSON payloads.
_COPY_SPECIAL = re.compile(r"[\\\t\n\r\x00]")
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": "\ufffd"}


@dataclass(frozen=True)
class RowBatch:
    """New rows column by column, payloads already JSON text: what the validate step writes.

    A row is `pending` with a payload and dedupe key, or `failed` with a code and message.
    `source_files` names the CSV inside an export zip each row comes from ('' for a dropped CSV).
    `titles` are the rows' titles folded as search compares them, for `row_titles`.
    """

    source_files: Sequence[str]
    row_numbers: Sequence[int]
    raw_payloads: Sequence[str]
    statuses: Sequence[str]
    normalized_payloads: Sequence[str | None]
    dedupe_keys: Sequence[str | None]
    error_codes: Sequence[str | None]
    error_messages: Sequence[str | None]
    titles: Sequence[str]

    def __len__(self) -> int:
        return len(self.row_numbers)


@dataclass(frozen=True)
class FailedRow:
    """A failed row as the failed-rows CSV and the UI's table show it."""

    source_file: str
    row_number: int
    raw: dict[str, Any]
    code: str
    message: str | None
    # The candidates of an `ambiguous_match` (its `match_verdict`), best first; else None.
    candidates: list[dict[str, Any]] | None = None

    @property
    def line(self) -> int | str:
        """The line as users see it: `<csv name>:<line>` for a row of a zip's CSV."""
        return shown_line(self.source_file, self.row_number)


@dataclass(frozen=True)
class StoredRow:
    id: uuid.UUID
    source_file: str
    row_number: int
    raw_payload: dict[str, Any]
    normalized_payload: dict[str, Any] | None
    dedupe_key: str | None
    status: str
    error_code: str | None
    error_message: str | None
    target_record_id: str | None
    attempt_count: int

    @property
    def line(self) -> int | str:
        """The line as users see it: `<csv name>:<line>` for a row of a zip's CSV."""
        return shown_line(self.source_file, self.row_number)


def json_text(value: dict[str, Any]) -> str:
    """One payload as JSON text for a jsonb column."""
    return _storable(_JSON.encode(value))


def json_lines(frame: pd.DataFrame) -> list[str]:
    """Each row of the frame as a JSON object (column: value), by pandas' C encoder."""
    if frame.empty:
        return []
    text = _storable(frame.to_json(orient="records", lines=True, force_ascii=False))
    return text.removesuffix("\n").split("\n")  # JSON escapes newlines inside values


def text_json_lines(frame: pd.DataFrame) -> list[str]:
    """Each row of a frame of text cells as a JSON object (column: value), as `json_lines`
    reads it, in 60% of its time: each cell is escaped by the `json` module's C encoder and a
    row is one `%` of a template, where `to_json` writes one text that is then split again."""
    keys = (encode_basestring(str(name)).replace("%", "%%") for name in frame.columns)
    template = "{" + ",".join(f"{key}:%s" for key in keys) + "}"
    columns = [map(encode_basestring, frame.iloc[:, i].tolist()) for i in range(frame.shape[1])]
    return [_storable(template % cells) for cells in zip(*columns, strict=True)]


def _storable(text: str) -> str:
    # Postgres cannot store NUL in jsonb; a visible stand-in keeps the rest of the value.
    return text.replace("\\u0000", "\\ufffd") if "\\u0000" in text else text


def _copy_field(value: str | None) -> str:
    """A value in COPY's text format: NULL as \\N, backslash escaped.

    JSON, codes, dedupe keys and messages hold no raw tab or newline (JSON and `repr` escape
    them, keys collapse whitespace), so the backslash is the only character to escape.
    """
    return _NULL if value is None else value.replace("\\", "\\\\")


def _copy_title(title: str) -> str:
    """A title in COPY's text format: unlike payloads, it may hold tabs and line breaks."""
    if _COPY_SPECIAL.search(title) is None:
        return title
    return _COPY_SPECIAL.sub(lambda m: _COPY_ESCAPES[m.group()], title)


def _id_prefix() -> str:
    """The first 28 characters of this write's row ids; the last 8 hex digits count its rows.

    A UUIDv7 layout (millisecond time, then random bits) with a row counter at the end makes the
    ids ascend, so the primary-key index grows at its right edge instead of splitting pages all
    over: a third less work for Postgres than random `gen_random_uuid()` ids.
    """
    random_bits = secrets.randbits(42)
    value = (
        (time.time_ns() // 1_000_000) << 80
        | 0x7 << 76  # version 7
        | (random_bits >> 30) << 64
        | 0b10 << 62  # RFC 4122 variant
        | (random_bits & (1 << 30) - 1) << 32
    )
    return str(uuid.UUID(int=value))[:28]


def _copy_text(id_prefix: str, first: int, job_id: str, batch: RowBatch) -> str:
    return "".join(
        f"{id_prefix}{first + i:08x}\t{job_id}\t{_copy_field(member)}\t{n}\t{_copy_field(raw)}"
        f"\t{_copy_field(payload)}\t{_copy_field(key)}\t{status}\t{_copy_field(code)}"
        f"\t{_copy_field(message)}\n"
        for i, (member, n, raw, payload, key, status, code, message) in enumerate(
            zip(
                batch.source_files,
                batch.row_numbers,
                batch.raw_payloads,
                batch.normalized_payloads,
                batch.dedupe_keys,
                batch.statuses,
                batch.error_codes,
                batch.error_messages,
                strict=True,
            )
        )
    )


def _titles_text(job_id: str, batch: RowBatch) -> str:
    return "".join(
        f"{job_id}\t{_copy_field(member)}\t{n}\t{_copy_title(title)}\n"
        for member, n, title in zip(
            batch.source_files, batch.row_numbers, batch.titles, strict=True
        )
    )


class _CopySource:
    """A file-like reader for COPY, fed by a thread that prepares the batches ahead.

    While the server parses one batch (psycopg2 releases the GIL as it sends), the thread
    validates and formats the next, so Python and Postgres work at the same time; the queue
    holds two batches at most, so memory stays flat. Use it as a context manager: leaving
    stops the thread even when the COPY failed half-way.

    The thread also formats the rows' titles, kept for a second COPY into `row_titles` once
    the rows are in (`titles`): a few MB for a large file.
    """

    _DONE = object()

    def __init__(self, job_id: uuid.UUID, batches: Iterable[RowBatch]) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._titles: list[str] = []
        self._thread = threading.Thread(
            target=self._produce, args=(str(job_id), iter(batches)), name="copy-rows"
        )

    def __enter__(self) -> _CopySource:
        self._thread.start()
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting for room in the queue
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()
        if exc is not None and self._error is not None:
            # psycopg2 reports a failed read() as QueryCanceled: raise what really happened
            raise self._error

    def _produce(self, job_id: str, batches: Iterator[RowBatch]) -> None:
        id_prefix, written = _id_prefix(), 0
        try:
            for batch in batches:
                if self._stop.is_set():
                    break
                if len(batch):
                    self._queue.put(_copy_text(id_prefix, written, job_id, batch))
                    self._titles.append(_titles_text(job_id, batch))
                    written += len(batch)
        except BaseException as error:  # raised again by `read`, in the COPY's thread
            self._queue.put(error)
        finally:
            if isinstance(batches, Generator):
                batches.close()  # closes the file it streams from
        self._queue.put(self._DONE)

    def read(self, size: int = -1) -> str:
        item = self._queue.get()
        if isinstance(item, BaseException):
            self._error = item
            raise item
        return "" if item is self._DONE else item

    def titles(self) -> _Chunks:
        """The titles of every row read, as COPY text; call once `read` has returned ''."""
        return _Chunks(self._titles)


class _Chunks:
    """A file-like reader for COPY over text formatted already, a chunk per read: joined into
    one `io.StringIO` (4 bytes a character inside), a large file's titles took 50 MB more."""

    def __init__(self, chunks: Iterable[str]) -> None:
        self._chunks = iter(chunks)

    def read(self, size: int = -1) -> str:
        return next(self._chunks, "")


def _lock_job(conn: sa.Connection, job_id: uuid.UUID) -> bool:
    """Lock the job row until the transaction ends; True when the job has no rows yet."""
    conn.execute(
        sa.select(import_jobs.c.id)
        .where(import_jobs.c.id == job_id)
        .with_for_update(key_share=True)
    )
    query = sa.select(sa.literal(1)).where(import_rows.c.job_id == job_id).limit(1)
    return conn.execute(query).first() is None


def insert_rows(conn: sa.Connection, job_id: uuid.UUID, batches: Iterable[RowBatch]) -> int:
    """Write rows in bulk, streamed through one COPY, and their titles into `row_titles`
    (the console's search index) by a second; returns how many rows were added.

    A job without rows gets them by COPY straight into `import_rows`. A job with rows (the
    step re-run) copies into a temp table and adds only the lines it lacks (INSERT … ON
    CONFLICT DO NOTHING), so a row is never duplicated or reset; its titles go the same way.
    The job row stays locked until the caller's transaction ends, so two writers never race.
    Titles are written here, folded in Python, rather than by a trigger: the trigger's SQL
    (payload fields, fold, join, ON CONFLICT) cost three times this COPY (migration 0006).
    """
    columns = ", ".join(_COLUMNS)
    with _CopySource(job_id, batches) as source, conn.connection.cursor() as cursor:
        if _lock_job(conn, job_id):
            cursor.copy_expert(f"COPY {import_rows.fullname} ({columns}) FROM STDIN", source)
            added = cursor.rowcount
            cursor.copy_expert(f"COPY {row_titles.fullname} FROM STDIN", source.titles())
            return added
        cursor.execute(
            f"DROP TABLE IF EXISTS {_STAGE}, {_TITLES_STAGE}; "
            f"CREATE TEMP TABLE {_STAGE} AS "
            f"SELECT {columns} FROM {import_rows.fullname} WITH NO DATA; "
            f"CREATE TEMP TABLE {_TITLES_STAGE} AS SELECT * FROM {row_titles.fullname} WITH NO DATA"
        )
        cursor.copy_expert(f"COPY {_STAGE} ({columns}) FROM STDIN", source)
        cursor.execute(
            f"INSERT INTO {import_rows.fullname} ({columns}) SELECT {columns} FROM {_STAGE} "
            "ON CONFLICT (job_id, source_file, row_number) DO NOTHING"
        )
        added = cursor.rowcount
        # The lines stored before have their titles already: only the new lines' go in.
        cursor.copy_expert(f"COPY {_TITLES_STAGE} FROM STDIN", source.titles())
        cursor.execute(
            f"INSERT INTO {row_titles.fullname} SELECT * FROM {_TITLES_STAGE} "
            "ON CONFLICT (job_id, source_file, row_number) DO NOTHING"
        )
        cursor.execute(f"DROP TABLE {_STAGE}, {_TITLES_STAGE}")
        return added


def failed_rows(conn: sa.Connection, job_id: uuid.UUID) -> list[FailedRow]:
    """The job's failed rows in file order."""
    query = (
        sa.select(
            import_rows.c.source_file,
            import_rows.c.row_number,
            import_rows.c.raw_payload,
            import_rows.c.error_code,
            import_rows.c.error_message,
            import_rows.c.normalized_payload["match_verdict"]["candidates"],
        )
        .where(import_rows.c.job_id == job_id, import_rows.c.status == RowStatus.FAILED)
        .order_by(*FILE_ORDER)
    )
    return [FailedRow(*r) for r in conn.execute(query)]


def rows_by_status(
    conn: sa.Connection, job_id: uuid.UUID, statuses: Iterable[str]
) -> list[StoredRow]:
    """The job's rows in any of these statuses, in file order."""
    names = [f.name for f in fields(StoredRow)]
    query = (
        sa.select(*(import_rows.c[n] for n in names))
        .where(import_rows.c.job_id == job_id, import_rows.c.status.in_(list(statuses)))
        .order_by(*FILE_ORDER)
    )
    return [StoredRow(*r) for r in conn.execute(query)]


def verdict_counts(conn: sa.Connection, job_id: uuid.UUID) -> dict[str, int]:
    """How many of the job's rows have each match verdict (SPEC §12), `ambiguous_match` too."""
    verdict = import_rows.c.normalized_payload["match_verdict"]["verdict"].astext
    query = (
        sa.select(verdict, sa.func.count())
        .where(import_rows.c.job_id == job_id, verdict.is_not(None))
        .group_by(verdict)
    )
    return {name: count for name, count in conn.execute(query)}
