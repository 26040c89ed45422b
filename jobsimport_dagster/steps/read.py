"""Streaming CSV reader: one SourceRow per record, numbered by the physical line it starts on."""

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.models import SourceRow
from jobsimport_dagster.sources.base import clean_header

Source = Path | BinaryIO


@contextmanager
def _text(source: Source) -> Iterator[TextIO]:
    """The source as text: UTF-8 with an optional BOM, line endings left to `csv`."""
    if isinstance(source, Path):
        with source.open(encoding="utf-8-sig", newline="") as handle:
            yield handle
        return
    wrapper = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    try:
        yield wrapper
    finally:
        wrapper.detach()  # the caller owns the binary stream


def _records(handle: TextIO) -> Iterator[tuple[int, list[str]]]:
    """(start line, cells) per record that has any non-blank cell.

    `csv` counts physical lines (`line_num`), so a record that spans lines, and the blank
    lines skipped before it, keep every later line number true.
    """
    reader = csv.reader(handle)
    start = 1
    try:
        for cells in reader:
            if any(map(str.strip, cells)):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileRejected(f"Line {start} cannot be read as CSV: {exc}.") from exc
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"The file is not UTF-8 text (a bad byte near line {start}); save it as UTF-8."
        ) from exc


def _header(records: Iterator[tuple[int, list[str]]]) -> list[str]:
    first = next(records, None)
    if first is None:
        raise FileRejected("The file is empty: it has no header line.")
    return clean_header(first[1])


def read_header(source: Source) -> list[str]:
    """The cleaned header (no BOM, no surrounding spaces); a prefix of the file is enough."""
    with _text(source) as handle:
        return _header(_records(handle))


def read_rows(source: Source) -> Iterator[SourceRow]:
    """Every record after the header, streamed; a record of the wrong width is kept as it is.

    Cells are keyed by the cleaned header; cells past its width go to `extra_cells`, and a short
    record counts its `missing_cells`, so validation can fail it `malformed_row` with nothing lost.
    """
    with _text(source) as handle:
        records = _records(handle)
        header = _header(records)
        width = len(header)
        for line, cells in records:
            count = len(cells)
            by_column = dict(zip(header, cells, strict=False))
            if count == width:
                yield SourceRow(line, by_column)
            elif count > width:
                yield SourceRow(line, by_column, extra_cells=tuple(cells[width:]))
            else:
                yield SourceRow(line, by_column, missing_cells=width - count)
