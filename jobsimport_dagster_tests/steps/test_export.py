"""The failed-rows CSV's `candidates` column (SPEC §12) and its columns when dropped back."""

import csv
import io

import pytest

from jobsimport_dagster.db.rows import FailedRow
from jobsimport_dagster.steps.export import candidates_cell, export_columns, failed_rows_csv

FLOW = {"imdb_id": "tt4772188", "title": "Flow", "year": 2024, "kind": "movie", "short": False}
SHORT = {**FLOW, "imdb_id": "tt9900101", "short": True}


@pytest.mark.parametrize(
    ("candidates", "cell"),
    [
        # an ambiguous row: each candidate as `tt… Title (Year, type)`, joined by ` | `
        ([FLOW, SHORT], "tt4772188 Flow (2024, movie) | tt9900101 Flow (2024, short)"),
        # at most three, the best first
        ([FLOW, SHORT, FLOW, SHORT], "tt4772188 Flow (2024, movie) | tt9900101 Flow (2024, short)"
         " | tt4772188 Flow (2024, movie)"),
        # a row that failed for another reason has none
        (None, ""),
    ],
)  # fmt: skip
def test_candidates_cell(candidates: list[dict[str, object]] | None, cell: str) -> None:
    assert candidates_cell(candidates) == cell


def test_failed_rows_csv_lists_candidates_after_the_message() -> None:
    raw = {"Title": "Flow", "Year": "2024", "Watched Date": "2024-12-01", "IMDb ID": ""}
    rows = [FailedRow("", 2, raw, "ambiguous_match", "2 titles fit.", [FLOW, SHORT])]
    records = list(csv.DictReader(io.StringIO(failed_rows_csv(list(raw), rows))))
    assert records == [
        {**raw, "line": "2", "error_code": "ambiguous_match", "error_message": "2 titles fit.",
         "candidates": "tt4772188 Flow (2024, movie) | tt9900101 Flow (2024, short)"}
    ]  # fmt: skip


def test_a_dropped_back_failed_csv_keeps_one_candidates_column() -> None:
    header = ["Title", "Year", "Watched Date", "IMDb ID", "line", "error_code", "error_message",
              "candidates"]  # fmt: skip
    assert export_columns(header) == header
