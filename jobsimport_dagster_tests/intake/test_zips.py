"""Export zips judged from their central directory: paths, encryption, size, which export."""

import io
import zipfile
from pathlib import Path

import pytest

from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.intake.zips import (
    MAX_UNCOMPRESSED_BYTES,
    check_entries,
    choose_export,
    is_outside,
    member_entries,
)
from jobsimport_dagster.sources.exports import (
    LETTERBOXD_EXPORT,
    NETFLIX_EXPORT,
    NETFLIX_EXPORT_FILMS,
)
from jobsimport_dagster_tests.export_zips import letterboxd_zip, netflix_zip, with_encryption_flag

DROP = "unzip it and drop the CSV you want to import (diary.csv, ViewingActivity.csv…) instead."


@pytest.mark.parametrize(
    ("name", "outside"),
    [
        ("diary.csv", False),
        ("likes/films.csv", False),
        ("CONTENT_INTERACTION/ViewingActivity.csv", False),
        # a name that only starts with dots stays inside
        ("..diary.csv", False),
        # climbing out, at the start or half-way
        ("../diary.csv", True),
        ("lists/../../etc/passwd", True),
        # Windows separators climb too
        ("..\\diary.csv", True),
        # absolute paths
        ("/etc/passwd", True),
        ("\\\\server\\share\\x.csv", True),
        ("C:\\Users\\x.csv", True),
        ("C:x.csv", True),
    ],
)
def test_is_outside(name: str, outside: bool) -> None:
    assert is_outside(name) is outside


def entries(data: bytes) -> list[zipfile.ZipInfo]:
    return zipfile.ZipFile(io.BytesIO(data)).infolist()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def reason(data: bytes) -> str:
    return reason_of(entries(data))


def test_check_entries_passes_a_real_export(sample_data: Path, tmp_path: Path) -> None:
    check_entries(entries(letterboxd_zip(sample_data, tmp_path / "export.zip").read_bytes()))


def test_a_member_outside_the_archive_is_named() -> None:
    data = zipped({"diary.csv": b"x", "../evil.csv": b"y"})
    assert reason(data) == (
        "The archive holds '../evil.csv', a path outside the archive, so it is not opened; "
        "download the export again and drop it as it came."
    )


def test_an_encrypted_archive_is_refused(sample_data: Path, tmp_path: Path) -> None:
    data = with_encryption_flag(letterboxd_zip(sample_data, tmp_path / "x.zip").read_bytes())
    assert reason(data) == f"The archive is encrypted ('diary.csv' needs a password); {DROP}"


def test_the_uncompressed_total_is_judged_from_the_directory() -> None:
    # the sizes the central directory lists decide: nothing is inflated to count them
    listed = entries(zipped({"diary.csv": b"", "watched.csv": b""}))
    listed[0].file_size = MAX_UNCOMPRESSED_BYTES
    check_entries(listed)  # exactly 50 MiB passes
    listed[1].file_size = 1
    assert reason_of(listed) == (
        "The archive unpacks to 52,428,801 bytes, over the 52,428,800-byte limit of an export "
        f"zip, so it is not unpacked; {DROP}"
    )


def reason_of(listed: list[zipfile.ZipInfo]) -> str:
    with pytest.raises(FileRejected) as rejected:
        check_entries(listed)
    return rejected.value.reason


@pytest.mark.parametrize(
    ("names", "import_type", "export"),
    [
        # Letterboxd's export, its CSVs at the root
        (["diary.csv", "watched.csv", "likes/films.csv", "lists/"], "movies", LETTERBOXD_EXPORT),
        # the same export zipped again inside its folder
        (["letterboxd-x/diary.csv", "letterboxd-x/watched.csv"], "movies", LETTERBOXD_EXPORT),
        # Netflix's export, in either folder: its films or its episodes
        (["CONTENT_INTERACTION/ViewingActivity.csv", "PROFILES/Profiles.csv"], "shows",
         NETFLIX_EXPORT),
        (["CONTENT_INTERACTION/ViewingActivity.csv"], "movies", NETFLIX_EXPORT_FILMS),
        (["netflix-report/CONTENT_INTERACTION/ViewingActivity.csv",
          "netflix-report/PROFILES/Profiles.csv"], "movies", NETFLIX_EXPORT_FILMS),
    ],
)  # fmt: skip
def test_choose_export(names: list[str], import_type: str, export: object) -> None:
    assert choose_export(names, import_type) is export


@pytest.mark.parametrize(
    ("names", "import_type", "sentence"),
    [
        # a Letterboxd export holds films only
        (["diary.csv", "watched.csv"], "shows",
         "This is a Letterboxd export, which is movies, not shows; drop it in the movies "
         "folder instead."),
        # any other zip is told what it holds
        (["photos/a.jpg", "notes.txt"], "movies",
         f"This .zip holds photos/a.jpg, notes.txt, not a Letterboxd export (with diary.csv) "
         f"or a Netflix export (with CONTENT_INTERACTION/ViewingActivity.csv); {DROP}"),
        # a diary.csv in a subfolder of a zip with other things is not an export's
        (["mine/diary.csv", "other.txt"], "shows",
         f"This .zip holds mine/diary.csv, other.txt, not a Netflix export (with "
         f"CONTENT_INTERACTION/ViewingActivity.csv); {DROP}"),
        # only five names are listed
        ([f"{n}.txt" for n in range(7)], "shows",
         f"This .zip holds 0.txt, 1.txt, 2.txt, 3.txt, 4.txt, …, not a Netflix export (with "
         f"CONTENT_INTERACTION/ViewingActivity.csv); {DROP}"),
        ([], "movies",
         f"This .zip is empty, not a Letterboxd export (with diary.csv) or a Netflix export "
         f"(with CONTENT_INTERACTION/ViewingActivity.csv); {DROP}"),
    ],
)  # fmt: skip
def test_choose_export_refuses_with_one_sentence(
    names: list[str], import_type: str, sentence: str
) -> None:
    with pytest.raises(FileRejected) as rejected:
        choose_export(names, import_type)
    assert rejected.value.reason == sentence


def test_member_entries_lists_only_the_exports_csvs(sample_data: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(letterboxd_zip(sample_data, tmp_path / "x.zip")) as archive:
        found = [(path, name) for path, _entry, name in member_entries(archive, LETTERBOXD_EXPORT)]
    # watchlist.csv and likes/films.csv are never opened
    assert found == [
        ("diary.csv", "letterboxd-diary"),
        ("watched.csv", "letterboxd-watched"),
        ("ratings.csv", None),
        ("reviews.csv", None),
    ]
    with zipfile.ZipFile(netflix_zip(sample_data, tmp_path / "n.zip", folder="r/")) as archive:
        found = [(p, n) for p, _e, n in member_entries(archive, NETFLIX_EXPORT)]
    assert found == [("CONTENT_INTERACTION/ViewingActivity.csv", "netflix-activity")]
