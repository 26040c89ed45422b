"""Screening: each rejected file gets its one plain sentence; real exports are accepted."""

import os
from pathlib import Path

import pytest

from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.intake.screen import HEAD_BYTES, screen_file, screen_head
from jobsimport_dagster.sources.exports import (
    LETTERBOXD_EXPORT,
    NETFLIX_EXPORT,
    NETFLIX_EXPORT_FILMS,
)
from jobsimport_dagster_tests.export_zips import (
    letterboxd_zip,
    netflix_zip,
    with_encryption_flag,
    write_zip,
    zip_bomb,
)

LIMIT = 10_485_760
TEMPLATE = b"Title,Year,Watched Date,IMDb ID\r\n"
ROW = b"The Matrix,1999,2024-05-01,tt0133093\r\n"
DIARY = b"Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
SAVE_AS = "save it as CSV UTF-8 and drop it again."


def screen(content: bytes, name: str = "movies.csv", import_type: str = "movies") -> str:
    return screen_head(
        content[:HEAD_BYTES],
        file_name=name,
        size=len(content),
        import_type=import_type,
        max_bytes=LIMIT,
    ).name


def rejection(content: bytes, name: str = "movies.csv", import_type: str = "movies") -> str:
    with pytest.raises(FileRejected) as rejected:
        screen(content, name, import_type)
    return rejected.value.reason


def cut_inside_character() -> bytes:
    """A valid file whose 64 KiB cut falls between the two bytes of an `é`."""
    title = b"a" * (HEAD_BYTES - 1 - len(TEMPLATE)) + "é".encode()
    content = TEMPLATE + title + b",2001,2024-01-01,\n" + ROW
    assert content[HEAD_BYTES - 1 : HEAD_BYTES + 1] == "é".encode()
    return content


@pytest.mark.parametrize(
    ("content", "name", "sentence"),
    [
        # nothing at all
        (b"", "movies.csv", "The file is empty."),
        # blank lines only are empty too
        (b"\r\n \n", "movies.csv", "The file is empty."),
        # a header and nothing else (blank lines do not count as rows)
        (TEMPLATE + b"\r\n,,,\r\n", "movies.csv", "The file has a header line but no rows."),
        # a PNG renamed .csv
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01",
            "movies.csv",
            "The file holds binary data, not CSV text; export it as CSV UTF-8 and drop that.",
        ),
        # many control bytes but no NUL is binary too
        (
            b"\x01\x02\x03\x04" * 50,
            "movies.csv",
            "The file holds binary data, not CSV text; export it as CSV UTF-8 and drop that.",
        ),
        # a spreadsheet
        (
            b"PK\x03\x04",
            "diary.xlsx",
            "Only .csv files and export .zip files can be imported and this is a .xlsx file; "
            f"{SAVE_AS}",
        ),
        # no extension at all
        (
            TEMPLATE + ROW,
            "diary",
            "Only .csv files and export .zip files can be imported and this file name has no "
            f"extension; {SAVE_AS}",
        ),
        # semicolons, as Excel writes CSV in many European locales
        (
            b"Title;Year;Watched Date;IMDb ID\nThe Matrix;1999;2024-05-01;\n",
            "movies.csv",
            "The columns are separated by ';' instead of ','; "
            "save it as CSV UTF-8 (comma delimited) and drop it again.",
        ),
        # Latin-1 (Windows "CSV" in Excel): the first bad byte and its line are named
        (
            TEMPLATE + "Amélie,2001,2024-01-01,\r\n".encode("latin-1"),
            "movies.csv",
            f"The file is not UTF-8 text (byte 0xE9 on line 2); {SAVE_AS}",
        ),
        # UTF-16 ("Unicode text") has NUL bytes but is text: say so rather than "binary"
        (
            (TEMPLATE + ROW).decode().encode("utf-16"),
            "movies.csv",
            f"The file is UTF-16 text, not UTF-8; {SAVE_AS}",
        ),
        # a header line longer than the 64 KiB screened
        (
            b"a" * (HEAD_BYTES + 10) + b"\n1\n",
            "movies.csv",
            "The first line is longer than 64 KiB, so it is not a CSV header.",
        ),
        # a file name that is not UTF-8 cannot be stored or shown
        (
            TEMPLATE + ROW,
            "caf\udce9.csv",
            "The file name is not valid UTF-8; rename it and drop it again.",
        ),
    ],
)
def test_screen_rejects_with_one_plain_sentence(content: bytes, name: str, sentence: str) -> None:
    assert rejection(content, name) == sentence


@pytest.mark.parametrize(
    ("content", "name", "import_type", "fragment"),
    [
        # an unknown header (the registry names the formats)
        (b"foo,bar\n1,2\n", "movies.csv", "movies", "not a known movies format"),
        # an incomplete header
        (b"Title,Year\nX,2000\n", "movies.csv", "movies", "lacks Watched Date"),
        # watchlist.csv shares watched.csv's header: the name decides
        (
            b"Date,Name,Year,Letterboxd URI\n2024-01-01,Up,2009,https://boxd.it/x\n",
            "watchlist.csv",
            "movies",
            "watchlist, not a watch history",
        ),
        # a movies file dropped into shows/
        (TEMPLATE + ROW, "movies.csv", "shows", "import it as movies instead"),
    ],
)
def test_screen_passes_on_the_registry_reason(
    content: bytes, name: str, import_type: str, fragment: str
) -> None:
    reason = rejection(content, name, import_type)
    assert fragment in reason
    assert reason.endswith(".") and "\n" not in reason


@pytest.mark.parametrize(
    ("content", "name", "source"),
    [
        # the template with CRLF line ends
        (TEMPLATE + ROW, "my movies.csv", "template"),
        # a UTF-8 BOM (Excel's "CSV UTF-8") before the header
        (b"\xef\xbb\xbf" + TEMPLATE + ROW, "movies.csv", "template"),
        # upper-case extension
        (TEMPLATE + ROW, "MOVIES.CSV", "template"),
        # the 64 KiB cut falls inside a two-byte character: not an encoding error
        (cut_inside_character(), "movies.csv", "template"),
        # Latin-1 bytes only past the 64 KiB screened cannot be seen here (the run reports them)
        (TEMPLATE + b"a" * HEAD_BYTES + b"\n\xe9,2000,2024-01-01,\n", "movies.csv", "template"),
        # a few stray control bytes in text are tolerated
        (TEMPLATE + b"Up\x1a,2009,2024-01-01,\n" + ROW * 5, "movies.csv", "template"),
        # a Letterboxd diary whose file was renamed
        (
            DIARY + b"2024-01-01,Up,2009,https://boxd.it/x,4,,,2024-01-01\n",
            "export.csv",
            "letterboxd-diary",
        ),
    ],
)
def test_screen_accepts(content: bytes, name: str, source: str) -> None:
    assert screen(content, name) == source


def test_real_letterboxd_exports_are_accepted(sample_data: Path) -> None:
    files = sorted((sample_data / "letterboxd").glob("*.csv"))
    assert files
    for path in files:
        assert screen_file(path, import_type="movies", max_bytes=LIMIT).name == "letterboxd-diary"


def test_a_file_one_byte_over_the_limit_is_rejected(sample_data: Path) -> None:
    path = next((sample_data / "letterboxd").glob("*.csv"))
    size = path.stat().st_size
    assert screen_file(path, import_type="movies", max_bytes=size).name == "letterboxd-diary"
    with pytest.raises(FileRejected) as rejected:
        screen_file(path, import_type="movies", max_bytes=size - 1)
    assert rejected.value.reason == (
        f"The file is {size:,} bytes, over the {size - 1:,}-byte limit; "
        "split it into smaller files and drop those."
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_rejected_rather_than_failing_every_tick(tmp_path: Path) -> None:
    path = tmp_path / "private.csv"
    path.write_bytes(TEMPLATE + ROW)
    path.chmod(0o000)
    with pytest.raises(FileRejected) as rejected:
        screen_file(path, import_type="movies", max_bytes=LIMIT)
    assert rejected.value.reason == (
        "The importer may not read this file; make it readable to others and drop it again."
    )


def zip_rejection(path: Path, import_type: str = "movies") -> str:
    with pytest.raises(FileRejected) as rejected:
        screen_file(path, import_type=import_type, max_bytes=LIMIT)
    return rejected.value.reason


def test_the_real_exports_zipped_are_accepted(sample_data: Path, tmp_path: Path) -> None:
    letterboxd = letterboxd_zip(sample_data, tmp_path / "letterboxd-extratone-2024.zip")
    assert screen_file(letterboxd, import_type="movies", max_bytes=LIMIT) is LETTERBOXD_EXPORT
    netflix = netflix_zip(sample_data, tmp_path / "netflix-report.zip")
    assert screen_file(netflix, import_type="shows", max_bytes=LIMIT) is NETFLIX_EXPORT
    assert screen_file(netflix, import_type="movies", max_bytes=LIMIT) is NETFLIX_EXPORT_FILMS
    # an export with no ratings, reviews or watched films is still one
    diary_only = letterboxd_zip(sample_data, tmp_path / "diary-only.zip", members=("diary.csv",))
    assert screen_file(diary_only, import_type="movies", max_bytes=LIMIT) is LETTERBOXD_EXPORT


def test_a_zip_screen_reads_the_directory_and_the_heads_only(
    sample_data: Path, tmp_path: Path
) -> None:
    # A zip bomb of 60 MiB: rejected from the sizes listed, before a byte is inflated.
    bomb = zip_bomb(tmp_path / "letterboxd.zip", unpacked_bytes=60 * 1024 * 1024)
    assert bomb.stat().st_size < 1024 * 1024
    assert zip_rejection(bomb).startswith(
        "The archive unpacks to 62,914,560 bytes, over the 52,428,800-byte limit"
    )


@pytest.mark.parametrize(
    ("members", "import_type", "sentence"),
    [
        # a member that climbs out of the archive
        ({"diary.csv": DIARY + b"2024-01-01,Up,2009,https://boxd.it/1,,,,2024-01-01\n",
          "../../.bashrc": b"x"}, "movies",
         "The archive holds '../../.bashrc', a path outside the archive, so it is not opened; "
         "download the export again and drop it as it came."),
        # an export's CSV that is not what the export holds there
        ({"diary.csv": TEMPLATE + ROW}, "movies",
         "In the archive, diary.csv is a movies template file, not what a Letterboxd export "
         "holds there; unzip it and drop the CSV you want to import instead."),
        # an export's CSV screened as a dropped CSV is: its own reason, prefixed
        ({"diary.csv": b"Date;Name;Year\n"}, "movies",
         "In the archive, diary.csv: The columns are separated by ';' instead of ','; "
         "save it as CSV UTF-8 (comma delimited) and drop it again."),
        ({"CONTENT_INTERACTION/ViewingActivity.csv": "Profile Name,Title\nÉ,x\n".encode("latin-1")},
         "shows",
         "In the archive, CONTENT_INTERACTION/ViewingActivity.csv: The file is not UTF-8 text "
         "(byte 0xC9 on line 2); save it as CSV UTF-8 and drop it again."),
    ],
)  # fmt: skip
def test_a_zip_is_rejected_with_one_plain_sentence(
    tmp_path: Path, members: dict[str, bytes], import_type: str, sentence: str
) -> None:
    path = write_zip(tmp_path / "export.zip", members)
    assert zip_rejection(path, import_type) == sentence


def test_an_encrypted_export_is_rejected(sample_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "letterboxd.zip"
    path.write_bytes(with_encryption_flag(letterboxd_zip(sample_data, path).read_bytes()))
    assert zip_rejection(path).startswith("The archive is encrypted ('diary.csv' needs a password)")


def test_a_file_named_zip_that_is_not_one_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "diary.zip"
    path.write_bytes(DIARY + b"2024-01-01,Up,2009,https://boxd.it/1,,,,2024-01-01\n")
    assert zip_rejection(path) == (
        "The file is not a zip archive that can be read (File is not a zip file); download the "
        "export again and drop it as it came, or unzip it and drop the CSV you want to import "
        "instead."
    )


def test_a_zip_over_the_upload_limit_is_rejected_before_it_is_opened(
    sample_data: Path, tmp_path: Path
) -> None:
    path = letterboxd_zip(sample_data, tmp_path / "letterboxd.zip")
    size = path.stat().st_size
    with pytest.raises(FileRejected) as rejected:
        screen_file(path, import_type="movies", max_bytes=size - 1)
    assert rejected.value.reason.startswith(f"The file is {size:,} bytes, over the")
