"""The failed-rows CSV (SPEC §4): failed rows in their own columns, safe to open and fix."""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.clients.omdb import SearchCandidate
from jobsimport_dagster.db import rows as stored_rows
from jobsimport_dagster.db.rows import FailedRow
from jobsimport_dagster.models import EXTRA_CELLS
from jobsimport_dagster.steps.enrich import describe
from jobsimport_dagster.steps.read import read_header

IMDB_ID = "IMDb ID"
CANDIDATES = "candidates"
EXPORT_COLUMNS = ("line", "error_code", "error_message", CANDIDATES)
SHOWN_CANDIDATES = 3
FORMULA_PREFIXES = ("=", "+", "-", "@")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading `'` (adapters strip it)."""
    return f"'{cell}" if cell.startswith(FORMULA_PREFIXES) else cell


def candidates_cell(candidates: Iterable[Mapping[str, Any]] | None) -> str:
    """Up to 3 candidates of an ambiguous row, `tt… Title (Year, type)` joined by ` | `, for
    the user to pick one and fill in `IMDb ID` (SPEC §12)."""
    shown = list(candidates or [])[:SHOWN_CANDIDATES]
    return " | ".join(describe(SearchCandidate(**candidate)) for candidate in shown)


def export_columns(header: Sequence[str]) -> list[str]:
    """The source's columns (an earlier export's own columns dropped), `IMDb ID`, then ours."""
    source = [c for c in header if c not in EXPORT_COLUMNS]
    return [*source, *([] if IMDB_ID in source else [IMDB_ID]), *EXPORT_COLUMNS]


def failed_rows_csv(header: Sequence[str], failed: Iterable[FailedRow]) -> str:
    """The CSV text: one line per failed row, every cell neutralised, CRLF like spreadsheets."""
    columns = export_columns(header)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in failed:
        values = {
            **{k: "" if v is None else str(v) for k, v in row.raw.items()},
            "line": str(row.line),
            "error_code": row.code,
            "error_message": row.message or "",
            CANDIDATES: candidates_cell(row.candidates),
        }
        writer.writerow([neutralise(values.get(column, "")) for column in columns])
    return out.getvalue()


def raw_columns(failed: Iterable[FailedRow]) -> list[str]:
    """The columns the failed rows of an export zip hold, in order of first appearance: its
    CSVs' headers merged (watched.csv's columns are a part of diary.csv's)."""
    columns: dict[str, None] = {}
    for row in failed:
        columns.update(dict.fromkeys(k for k in row.raw if k != EXTRA_CELLS))
    return list(columns)


def failed_csv_path(upload_root: Path, partition_key: str) -> Path:
    return upload_root / "failed" / f"{partition_key}.failed.csv"


def run_export(
    conn: sa.Connection, *, job_id: uuid.UUID, archive: Path, upload_root: Path, partition_key: str
) -> tuple[Path | None, list[FailedRow]]:
    """Rewrite the import's failed-rows CSV atomically; None when no row has failed (ever)."""
    failed = stored_rows.failed_rows(conn, job_id)
    target = failed_csv_path(upload_root, partition_key)
    if not failed and not target.exists():
        return None, failed
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    header = raw_columns(failed) if archive.suffix == ".zip" else read_header(archive)
    partial.write_text(failed_rows_csv(header, failed), encoding="utf-8")
    os.replace(partial, target)
    return target, failed
