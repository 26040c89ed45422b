"""The rows of one import as users list them (`jobsimport rows`, the console's rows API):
filtered by status and code, searched by title and code, a page at a time."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.db.rows import FILE_ORDER
from jobsimport_dagster.db.tables import import_rows, row_titles
from jobsimport_dagster.models import shown_line
from jobsimport_dagster.steps.normalize import (
    COMBINING_MARKS,
    SINGLE_LETTERS,
    TWO_LETTERS,
    fold_text,
)


def folded(expression: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """The SQL twin of `fold_text`, step for step: search ignores case and accents on any
    PostgreSQL 13+ with a UTF-8 database and no extension (`unaccent` is not in the embedded
    server). Titles in `row_titles` are folded once, in Python, when their rows are stored."""
    decomposed = sa.func.normalize(expression, sa.literal_column("NFD"))
    result: sa.ColumnElement[str] = sa.func.translate(
        sa.func.lower(sa.func.regexp_replace(decomposed, COMBINING_MARKS, "", "g")),
        *SINGLE_LETTERS,
    )
    for letter, letters in TWO_LETTERS:
        result = sa.func.replace(result, letter, letters)
    return result


def like_pattern(text: str) -> str:
    """`%text%` for LIKE, with LIKE's own wildcards in `text` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text(payload: Any, key: str) -> sa.ColumnElement[str]:
    """A text field of a jsonb payload, blank as NULL."""
    return sa.func.nullif(sa.func.btrim(payload[key].astext), "")


def title_expression(import_type: str) -> sa.ColumnElement[str]:
    """The row's title as the user knows it: from the normalized payload of a valid row
    (shows: `<show> Season <n>`, as posted), else from the file's own title column.

    `steps.validate.search_titles` is its Python twin, which fills `row_titles`.
    """
    seed, raw = import_rows.c.normalized_payload, import_rows.c.raw_payload
    from_file = [_text(raw, "Title"), _text(raw, "Name")]
    if import_type == "shows":
        show = sa.func.concat_ws(" Season ", _text(seed, "show"), _text(seed, "season"))
        raw_show = sa.func.concat_ws(" Season ", _text(raw, "Show"), _text(raw, "Season"))
        return sa.func.coalesce(sa.func.nullif(show, ""), sa.func.nullif(raw_show, ""), *from_file)
    return sa.func.coalesce(_text(seed, "title"), *from_file)


@dataclass(frozen=True)
class RowQuery:
    """What to list: filters (None: any), free-text search, and the page."""

    status: str | None = None
    code: str | None = None
    search: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class ListedRow:
    """One row as `jobsimport rows --format json` and `/api/imports/{key}/rows` show it."""

    line: int | str  # `<csv name>:<line>` for a row of a CSV inside an export zip
    status: str
    error_code: str | None
    error_message: str | None
    title: str | None
    year: int | None
    viewing_date: str | None
    imdb_id: str | None  # the IMDb ID of the match, else the one the row gave
    target_record_id: str | None
    # The match verdict (SPEC §12): given_id, remembered, verified, or ambiguous_match.
    verdict: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RowPage:
    """A page of rows and how many rows match the query in all."""

    rows: list[ListedRow]
    total: int

    def as_dict(self) -> dict[str, Any]:
        """`{"rows": [...], "total": N}`: the JSON object of SPEC §11."""
        return {"rows": [row.as_dict() for row in self.rows], "total": self.total}


def _year(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def list_rows(
    conn: sa.Connection, *, job_id: uuid.UUID, import_type: str, query: RowQuery
) -> RowPage:
    """The page of the import's rows that match, by line; `total` counts every match."""
    seed, raw = import_rows.c.normalized_payload, import_rows.c.raw_payload
    title = title_expression(import_type)
    conditions = [import_rows.c.job_id == job_id]
    if query.status:
        conditions.append(import_rows.c.status == query.status)
    if query.code:
        conditions.append(import_rows.c.error_code == query.code)
    if query.search and query.search.strip():
        # Lines whose title (folded when stored, in `row_titles`) or code matches: each read
        # by an index-only scan, so no row's payload is read or folded per search. Codes are
        # lower-case ASCII already, so they match as they are.
        pattern = like_pattern(fold_text(query.search.strip()))
        matching = sa.union(
            sa.select(row_titles.c.source_file, row_titles.c.row_number).where(
                row_titles.c.job_id == job_id, row_titles.c.title.like(pattern, escape="\\")
            ),
            sa.select(import_rows.c.source_file, import_rows.c.row_number).where(
                import_rows.c.job_id == job_id,
                import_rows.c.error_code.like(pattern, escape="\\"),
            ),
        )
        conditions.append(sa.tuple_(*FILE_ORDER).in_(matching))
    total = conn.execute(
        sa.select(sa.func.count()).select_from(import_rows).where(*conditions)
    ).scalar_one()
    # The page's lines first, from narrow columns; titles and dates are worked out for those
    # 50 rows only, however deep the offset.
    lines = (
        sa.select(import_rows.c.source_file, import_rows.c.row_number)
        .where(*conditions)
        .order_by(*FILE_ORDER)
        .limit(query.limit)
        .offset(query.offset)
    )
    page = conn.execute(
        sa.select(
            import_rows.c.source_file,
            import_rows.c.row_number,
            import_rows.c.status,
            import_rows.c.error_code,
            import_rows.c.error_message,
            title.label("title"),
            sa.func.coalesce(_text(seed, "year"), _text(raw, "Year")).label("year"),
            sa.func.coalesce(
                _text(seed, "viewing_date"),
                _text(raw, "Watched Date"),
                _text(raw, "Started Date"),
                _text(raw, "Date"),
            ).label("viewing_date"),
            sa.func.coalesce(
                sa.func.nullif(seed["match"]["imdb_id"].astext, ""),
                _text(seed, "imdb_id"),
                _text(raw, "IMDb ID"),
            ).label("imdb_id"),
            import_rows.c.target_record_id,
            seed["match_verdict"]["verdict"].astext.label("verdict"),
        )
        .where(
            import_rows.c.job_id == job_id,
            sa.tuple_(*FILE_ORDER).in_(lines),
        )
        .order_by(*FILE_ORDER)
    )
    rows = [
        ListedRow(
            line=shown_line(r.source_file, r.row_number),
            status=r.status,
            error_code=r.error_code,
            error_message=r.error_message,
            title=r.title,
            year=_year(r.year),
            viewing_date=r.viewing_date,
            imdb_id=r.imdb_id,
            target_record_id=r.target_record_id,
            verdict=r.verdict,
        )
        for r in page
    ]
    return RowPage(rows=rows, total=total)
