"""The streaming reader: true physical line numbers, quirks of real CSV, nothing lost."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.models import SourceRow
from jobsimport_dagster.steps.read import Source, read_chunks, read_header


def read_rows(source: Source) -> Iterator[SourceRow]:
    """Every record after the header as a SourceRow, as the chunks hand them out."""
    for chunk in read_chunks(source):
        for position in range(len(chunk)):
            yield chunk.row(position)


DIARY_HEADER = [
    *("Date", "Name", "Year", "Letterboxd URI"),
    *("Rating", "Rewatch", "Tags", "Watched Date"),
]


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    return path


# Expected counts computed once, independently of this reader:
#   pandas.read_csv(path, dtype=str, keep_default_na=False) -> len(frame)
#   grep -n on the file for the line of each quoted record.
@pytest.mark.parametrize(
    ("name", "rows", "last_line", "quoted_line", "quoted_title"),
    [
        # LF endings, quoted titles with commas, non-ASCII titles
        ("agosvenezia_diary_2024-06-01.csv", 262, 263, 31, "Red, White & Royal Blue"),
        # CRLF endings, an empty Year, quoted titles with commas
        ("extratone_diary_2024_crlf.csv", 317, 318, 3, "One of the Roughs, a Kosmos"),
    ],
)
def test_read_rows_on_the_real_exports(
    sample_data: Path, name: str, rows: int, last_line: int, quoted_line: int, quoted_title: str
) -> None:
    path = sample_data / "letterboxd" / name
    assert read_header(path) == DIARY_HEADER
    read = list(read_rows(path))
    assert len(read) == rows
    assert [r.line for r in read] == list(range(2, last_line + 1))
    by_line = {r.line: r for r in read}
    assert by_line[quoted_line].cells["Name"] == quoted_title
    assert not any(r.is_malformed for r in read)
    # no CR survives at the end of the last column
    assert all(not r.cells["Watched Date"].endswith("\r") for r in read)


def test_read_rows_survives_real_csv_quirks(tmp_path: Path) -> None:
    content = (
        # a BOM and CRLF
        b"\xef\xbb\xbfTitle,Year,Watched Date,IMDb ID\r\n"
        # doubled quotes inside a quoted title
        b'"Maggie Simpson in ""The Longest Daycare""",2012,2024-01-01,\r\n'
        # blank lines are skipped but still counted
        b"\r\n"
        b"\r\n"
        # a record spanning three physical lines
        b'"Multi\r\nline\r\ntitle",2001,2024-01-02,\r\n'
        # a row of empty cells (Excel's trailing rows) is blank too
        b",,,\r\n"
        # too many fields, then too few
        b"Ragged,2001,2024-01-03,,surplus,more\r\n"
        b"Short,2001\r\n" + "Amélie,2001,2024-01-04,\r\n1917,2019,2024-01-05,tt8579674".encode()
        # non-ASCII and a numeric title, no newline at the end of the file
    )
    rows = list(read_rows(write(tmp_path, content)))
    header = ("Title", "Year", "Watched Date", "IMDb ID")
    assert rows == [
        SourceRow(2, dict(zip(header, ['Maggie Simpson in "The Longest Daycare"', "2012",
                                       "2024-01-01", ""], strict=True))),
        SourceRow(5, dict(zip(header, ["Multi\r\nline\r\ntitle", "2001", "2024-01-02", ""],
                              strict=True))),
        SourceRow(9, dict(zip(header, ["Ragged", "2001", "2024-01-03", ""], strict=True)),
                  extra_cells=("surplus", "more")),
        SourceRow(10, {"Title": "Short", "Year": "2001"}, missing_cells=2),
        SourceRow(11, dict(zip(header, ["Amélie", "2001", "2024-01-04", ""], strict=True))),
        SourceRow(12, dict(zip(header, ["1917", "2019", "2024-01-05", "tt8579674"],
                               strict=True))),
    ]  # fmt: skip
    assert rows[2].raw_payload()["_extra_cells"] == ["surplus", "more"]


def test_read_chunks_keeps_line_numbers_across_chunks(tmp_path: Path) -> None:
    content = b"Title,Watched Date\n" + b"".join(
        f'"Film\n{i}",2024-01-01\n'.encode() for i in range(5)
    )
    chunks = list(read_chunks(write(tmp_path, content), chunk_rows=2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    # each record takes two physical lines
    assert [line for c in chunks for line in c.lines] == [2, 4, 6, 8, 10]


def test_read_header_reads_a_prefix_from_a_binary_stream() -> None:
    stream = io.BytesIO(b"\xef\xbb\xbf Title , Watched Date\nUp,2024-01-")
    assert read_header(stream) == ["Title", "Watched Date"]
    assert not stream.closed  # the caller's stream stays usable


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        # no header at all
        (b"", "The file is empty: it has no header line."),
        (b"\n\n,,\n", "The file is empty: it has no header line."),
        # Latin-1 past what the intake screen reads
        (
            b"Title,Watched Date\nUp,2024-01-01\n\xe9,2024-01-02\n",
            "The file is not UTF-8 text (byte 0xE9 on line 3); "
            "save it as CSV UTF-8 and drop it again.",
        ),
    ],
)
def test_unreadable_files_are_rejected(tmp_path: Path, content: bytes, reason: str) -> None:
    with pytest.raises(FileRejected) as rejected:
        list(read_rows(write(tmp_path, content)))
    assert rejected.value.reason == reason
