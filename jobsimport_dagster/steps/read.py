"""Streaming CSV reader: records in chunks, each numbered by the physical line it starts on."""

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, TextIO

from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.models import SourceRow
from jobsimport_dagster.sources.base import clean_header

Source = Path | BinaryIO
# Rows per chunk: 5,000 keeps a 10 MiB file under 200 MB of peak memory (20,000 took 257 MB)
# and is no slower (benchmarks/bench_validate.py).
CHUNK_ROWS = 5_000


@dataclass(frozen=True)
class RecordChunk:
    """Consecutive records after the header: their start lines and cells, as `csv` read them."""

    header: tuple[str, ...]
    lines: list[int]
    records: list[list[str]]

    def __len__(self) -> int:
        return len(self.records)

    def row(self, position: int) -> SourceRow:
        """One record as a SourceRow: cells by column, the surplus or shortfall kept apart."""
        cells = self.records[position]
        width = len(self.header)
        return SourceRow(
            line=self.lines[position],
            cells=dict(zip(self.header, cells, strict=False)),
            extra_cells=tuple(cells[width:]),
            missing_cells=max(0, width - len(cells)),
        )


@contextmanager
def _text(source: Source) -> Iterator[TextIO]:
    """The source as text: UTF-8 with an optional BOM, line endings left to `csv`.

    A byte that is not UTF-8 (past what the intake screen read) rejects the file, naming it.
    """
    try:
        if isinstance(source, Path):
            with source.open(encoding="utf-8-sig", newline="") as handle:
                yield handle
            return
        wrapper = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
        try:
            yield wrapper
        finally:
            wrapper.detach()  # the caller owns the binary stream
    except UnicodeDecodeError as exc:
        where = f" ({_first_bad_byte(source)})" if isinstance(source, Path) else ""
        raise FileRejected(
            f"The file is not UTF-8 text{where}; save it as CSV UTF-8 and drop it again."
        ) from exc


def _first_bad_byte(path: Path) -> str:
    """`byte 0xE9 on line 7`: the text decoder reads ahead, so find the byte again."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as handle:
        for block in iter(partial(handle.read, 1 << 16), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                line += exc.object[: exc.start].count(b"\n")
                return f"byte 0x{exc.object[exc.start]:02X} on line {line}"
            line += block.count(b"\n")
    return f"near line {line}"


def _records(handle: TextIO) -> Iterator[tuple[int, list[str]]]:
    """(start line, cells) of each record that has a non-blank cell.

    `csv` counts physical lines (`line_num`), so a record spanning lines, and blank lines
    skipped before it, leave every later line number true.
    """
    reader = csv.reader(handle)
    start = 1
    try:
        for cells in reader:
            # The first cell decides most rows without scanning the others.
            if cells and (cells[0].strip() or any(map(str.strip, cells))):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileRejected(f"Line {start} cannot be read as CSV: {exc}.") from exc


def _header(records: Iterator[tuple[int, list[str]]]) -> tuple[str, ...]:
    first = next(records, None)
    if first is None:
        raise FileRejected("The file is empty: it has no header line.")
    return tuple(clean_header(first[1]))


def read_header(source: Source) -> list[str]:
    """The cleaned header (no BOM, no surrounding spaces); a prefix of the file is enough."""
    with _text(source) as handle:
        return list(_header(_records(handle)))


def read_chunks(source: Source, chunk_rows: int = CHUNK_ROWS) -> Iterator[RecordChunk]:
    """Every record after the header, `chunk_rows` at a time, so memory stays flat.

    A record of the wrong width is kept as it is; validation fails it `malformed_row`.
    """
    with _text(source) as handle:
        records = _records(handle)
        header = _header(records)
        lines: list[int] = []
        cells: list[list[str]] = []
        for line, record in records:
            lines.append(line)
            cells.append(record)
            if len(cells) == chunk_rows:
                yield RecordChunk(header, lines, cells)
                lines, cells = [], []
        if cells:
            yield RecordChunk(header, lines, cells)
