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
from itertools import chain
from json.encoder import encode_basestring
from typing import Any, cast

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
    """Each row of the frame as a JSON object (column: value).

    The columns of payloads (text or None, bool, Int64) are encoded column by column, text
    by the `json` module's C encoder, and a row is one `%` of a template: four fifths of the
    time of pandas' `to_json`, which writes one text that is then split again, for cells and
    seeds alike. A frame with a column of another kind goes to `to_json` whole.
    """
    if frame.empty:
        return []
    keys = (encode_basestring(str(name)).replace("%", "%%") for name in frame.columns)
    template = "{" + ",".join(f"{key}:%s" for key in keys) + "}"
    try:
        columns = [_json_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
        return [_storable(template % row) for row in zip(*columns, strict=True)]
    except TypeError:  # a value that is not text, None, bool or an integer
        text = _storable(frame.to_json(orient="records", lines=True, force_ascii=False))
        return text.removesuffix("\n").split("\n")  # JSON escapes newlines inside values


def _json_values(column: pd.Series) -> Iterable[str]:
    """Each value of the column as JSON text; TypeError, at once or as it is read, for a
    column of another kind. Text is encoded as it is read, which keeps the cells' column
    cheap: 5,000 encoded cells of every column held at once cost a third more."""
    values = column.tolist()
    if column.dtype == bool:
        return ["true" if value else "false" for value in values]
    if isinstance(column.dtype, pd.Int64Dtype):
        return ["null" if value is pd.NA else str(value) for value in values]
    if column.dtype != object:
        raise TypeError(f"a column of {column.dtype}")
    if not column.isna().any():
        return map(encode_basestring, values)
    return ["null" if value is None else encode_basestring(value) for value in values]


def _storable(text: str) -> str:
    # Postgres cannot store NUL in jsonb; a visible stand-in keeps the rest of the value.
    return text.replace("\\u0000", "\\ufffd") if "\\u0000" in text else text


def _copy_column(values: Sequence[str | None]) -> list[str]:
    """Each value in COPY's text format: NULL as \\N, backslash escaped.

    JSON, codes, dedupe keys and messages hold no raw tab or newline (JSON and `repr` escape
    them, keys collapse whitespace), so the backslash is the only character to escape.
    """
    return [_NULL if value is None else value.replace("\\", "\\\\") for value in values]


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
    """The batch's rows in COPY's text format: the row template repeated for every row, and
    one `%` over all the batch's fields, a quarter less time than formatting row by row."""
    row = f"{id_prefix}%08x\t{job_id}\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n"
    values = zip(
        range(first, first + len(batch)),
        _copy_column(batch.source_files),
        batch.row_numbers,
        _copy_column(batch.raw_payloads),
        _copy_column(batch.normalized_payloads),
        _copy_column(batch.dedupe_keys),
        batch.statuses,
        _copy_column(batch.error_codes),
        _copy_column(batch.error_messages),
        strict=True,
    )
    return (row * len(batch)) % tuple(chain.from_iterable(values))


def _titles_text(job_id: str, batch: RowBatch) -> str:
    """The batch's titles in COPY's text format, as `_copy_text` writes its rows."""
    row = f"{job_id}\t%s\t%d\t%s\n"
    values = zip(
        _copy_column(batch.source_files),
        batch.row_numbers,
        map(_copy_title, batch.titles),
        strict=True,
    )
    return (row * len(batch)) % tuple(chain.from_iterable(values))


class _CopySource:
    """The batches as COPY text, a batch's rows with its titles, prepared ahead by a thread.

    While the server takes one batch (psycopg2 releases the GIL as it sends, and as it waits
    for the COPY to end), the thread validates and formats the next, so Python and Postgres
    work at the same time; the queue holds two batches at most, so memory stays flat. Use it
    as a context manager: leaving stops the thread even when a COPY failed half-way.
    """

    _DONE = object()

    def __init__(self, job_id: uuid.UUID, batches: Iterable[RowBatch]) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
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

    def _produce(self, job_id: str, batches: Iterator[RowBatch]) -> None:
        id_prefix, written = _id_prefix(), 0
        try:
            for batch in batches:
                if self._stop.is_set():
                    break
                if len(batch):
                    rows = _copy_text(id_prefix, written, job_id, batch)
                    self._queue.put((rows, _titles_text(job_id, batch)))
                    written += len(batch)
        except BaseException as error:  # raised again by `__iter__`, in the COPY's thread
            self._queue.put(error)
        finally:
            if isinstance(batches, Generator):
                batches.close()  # closes the file it streams from
        self._queue.put(self._DONE)

    def __iter__(self) -> Iterator[tuple[_Text, _Text]]:
        """(rows, titles) of each batch as COPY readers, in file order."""
        while (item := self._queue.get()) is not self._DONE:
            if isinstance(item, BaseException):
                raise item
            rows, titles = cast(tuple[str, str], item)
            yield _Text(rows), _Text(titles)


class _Text:
    """A file-like reader for COPY over text formatted already, all of it in one read: an
    `io.StringIO` would copy it (4 bytes a character inside)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def read(self, size: int = -1) -> str:
        text, self._text = self._text, ""
        return text


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
    """Write rows in bulk, a COPY a batch, and their titles into `row_titles` (the console's
    search index) by a COPY after each; returns how many rows were added.

    A job without rows gets them by COPY straight into `import_rows`. A job with rows (the
    step re-run) copies into a temp table and adds only the lines it lacks (INSERT … ON
    CONFLICT DO NOTHING), so a row is never duplicated or reset; its titles go the same way.
    The job row stays locked until the caller's transaction ends, so two writers never race,
    and the transaction keeps the write whole: a file that fails half-way leaves no rows.
    Titles are written here, folded in Python, rather than by a trigger: the trigger's SQL
    (payload fields, fold, join, ON CONFLICT) cost three times this COPY (migration 0006).

    A COPY a batch, not one for the file: Postgres checks each row's foreign key to its job
    when the statement ends, about half a second for a 10 MiB file, which one COPY did only
    after the last row, while Python had nothing left to do; and no batch's titles wait in
    memory for the rows' COPY to end.
    """
    columns = ", ".join(_COLUMNS)
    with _CopySource(job_id, batches) as source, conn.connection.cursor() as cursor:
        if _lock_job(conn, job_id):
            added = 0
            for rows, titles in source:
                cursor.copy_expert(f"COPY {import_rows.fullname} ({columns}) FROM STDIN", rows)
                added += cursor.rowcount
                cursor.copy_expert(f"COPY {row_titles.fullname} FROM STDIN", titles)
            return added
        cursor.execute(
            f"DROP TABLE IF EXISTS {_STAGE}, {_TITLES_STAGE}; "
            f"CREATE TEMP TABLE {_STAGE} AS "
            f"SELECT {columns} FROM {import_rows.fullname} WITH NO DATA; "
            f"CREATE TEMP TABLE {_TITLES_STAGE} AS SELECT * FROM {row_titles.fullname} WITH NO DATA"
        )
        for rows, titles in source:
            cursor.copy_expert(f"COPY {_STAGE} ({columns}) FROM STDIN", rows)
            cursor.copy_expert(f"COPY {_TITLES_STAGE} FROM STDIN", titles)
        cursor.execute(
            f"INSERT INTO {import_rows.fullname} ({columns}) SELECT {columns} FROM {_STAGE} "
            "ON CONFLICT (job_id, source_file, row_number) DO NOTHING"
        )
        added = cursor.rowcount
        # The lines stored before have their titles already: only the new lines' go in.
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
