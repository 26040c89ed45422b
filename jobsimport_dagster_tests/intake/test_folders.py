"""The folder on disk: tree, listing without following links, hashing, moves never overwriting."""

import hashlib
import os
import pwd
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobsimport_dagster.intake import folders
from jobsimport_dagster.intake.scan import scan, watched_folder

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
TREE = [
    "movies",
    "shows",
    "movies/dry-run",
    "shows/dry-run",
    "archive",
    "rejected",
    "failed",
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folders.ensure_tree(tmp_path / "uploads")
    return tmp_path / "uploads"


def test_ensure_tree_creates_every_folder_and_keeps_what_is_there(tmp_path: Path) -> None:
    root = tmp_path / "uploads"
    folders.ensure_tree(root)
    (root / "movies" / "keep.csv").write_text("x")
    folders.ensure_tree(root)
    assert all((root / name).is_dir() for name in TREE)
    assert (root / "movies" / "keep.csv").read_text() == "x"


def test_list_entries_reads_only_watched_folders_and_never_follows_links(
    root: Path, tmp_path: Path
) -> None:
    (root / "movies" / "a.csv").write_bytes(b"12345")
    (root / "shows" / "dry-run" / "b.csv").write_bytes(b"1")
    (root / "movies" / "sub").mkdir()
    (root / "movies" / "sub" / "deep.csv").write_bytes(b"1")
    (root / "archive" / "old.csv").write_bytes(b"1")
    outside = tmp_path / "secret.csv"
    outside.write_bytes(b"secret")
    (root / "movies" / "link.csv").symlink_to(outside)
    (root / "movies" / "broken.csv").symlink_to(tmp_path / "missing.csv")

    entries = {e.path: e for e in folders.list_entries(root)}

    assert set(entries) == {
        "movies/a.csv",
        "movies/dry-run",
        "movies/sub",
        "movies/link.csv",
        "movies/broken.csv",
        "shows/dry-run",
        "shows/dry-run/b.csv",
    }  # archive/ and deeper folders are never listed
    assert (entries["movies/a.csv"].size, entries["movies/a.csv"].uid) == (5, os.getuid())
    assert entries["movies/link.csv"].is_symlink and not entries["movies/link.csv"].is_file
    assert not entries["movies/sub"].is_file
    listing = folders.list_entries(root)
    taken = scan(listing, scan(listing, {}).cursor).candidates
    assert sorted(c.path for c in taken) == ["movies/a.csv", "shows/dry-run/b.csv"]


def test_list_entries_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert folders.list_entries(tmp_path / "nowhere") == []


@pytest.mark.parametrize(
    "name",
    [
        "..",  # parent directory
        "../archive/x.csv",  # traversal
        "sub/x.csv",  # nested
        "",  # nothing
        "x\0.csv",  # NUL
    ],
)
def test_source_path_refuses_names_that_are_not_one_plain_part(root: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not a plain file name"):
        folders.source_path(root, watched_folder("movies", False), name)


def test_source_path_joins_the_folder(root: Path) -> None:
    path = folders.source_path(root, watched_folder("shows", True), "a b.csv")
    assert path == root / "shows" / "dry-run" / "a b.csv"


def test_hash_file_streams_sha256_and_size(tmp_path: Path) -> None:
    content = os.urandom(3 * 1024 * 1024 + 7)  # several chunks and a short tail
    path = tmp_path / "big.csv"
    path.write_bytes(content)
    digest = folders.hash_file(path)
    assert digest == folders.FileDigest(hashlib.sha256(content).hexdigest(), len(content))


def test_archive_moves_and_never_overwrites(root: Path) -> None:
    first = root / "movies" / "a.csv"
    first.write_bytes(b"first")
    target = folders.archive(root, first, "movies-20240601T120000-a-12345678")
    assert target == root / "archive" / "movies-20240601T120000-a-12345678.csv"
    assert target.read_bytes() == b"first" and not first.exists()

    second = root / "movies" / "b.csv"
    second.write_bytes(b"second")
    with pytest.raises(FileExistsError):
        folders.archive(root, second, "movies-20240601T120000-a-12345678")
    assert target.read_bytes() == b"first" and second.read_bytes() == b"second"


def test_an_export_zip_is_archived_as_a_zip_and_found_again(root: Path) -> None:
    key = "movies-20240601T120000-letterboxd-12345678"
    assert folders.find_archive(root, key) == root / "archive" / f"{key}.csv"
    assert not folders.is_archived(root, key)
    dropped = root / "movies" / "letterboxd-user-2024.ZIP"
    dropped.write_bytes(b"PK")
    target = folders.archive(root, dropped, key)
    assert target == root / "archive" / f"{key}.zip"
    assert folders.find_archive(root, key) == target
    assert folders.is_archived(root, key)


def test_reject_keeps_the_file_with_its_reason_and_never_overwrites(root: Path) -> None:
    for folder in ("movies", "shows"):
        (root / folder / "export.zip").write_bytes(folder.encode())
    first = folders.reject(root, root / "movies" / "export.zip", "This is a .zip archive.", NOW)
    second = folders.reject(root, root / "shows" / "export.zip", "Same name, same second.", NOW)

    assert first == root / "rejected" / "20240601T120000-export.zip"
    assert second == root / "rejected" / "20240601T120000-2-export.zip"  # same stamp: no overwrite
    assert (first.read_bytes(), second.read_bytes()) == (b"movies", b"shows")
    assert (root / "rejected" / "20240601T120000-export.zip.error.txt").read_text() == (
        "This is a .zip archive.\n"
    )
    assert (root / "rejected" / "20240601T120000-2-export.zip.error.txt").read_text() == (
        "Same name, same second.\n"
    )
    assert not list((root / "movies").glob("*.zip"))


def test_owner_name_is_the_user_or_the_uid(root: Path) -> None:
    assert folders.owner_name(os.getuid()) == pwd.getpwuid(os.getuid()).pw_name
    unknown = max(p.pw_uid for p in pwd.getpwall()) + 12345
    assert folders.owner_name(unknown) == str(unknown)


def test_list_rejections_reads_each_reason_newest_first(root: Path) -> None:
    later = datetime(2024, 6, 1, 12, 0, 5, tzinfo=UTC)
    for name, when, reason in [
        ("a.csv", NOW, "The file has a header line but no rows."),
        ("a.csv", NOW, "The file is empty."),  # same name, same second: `-2` in its place
        ("2-b.csv", later, "The file is not UTF-8 text."),  # digits of its own, not an attempt
    ]:
        source = root / "movies" / name
        source.write_text("x", encoding="utf-8")
        folders.reject(root, source, reason, when)
    (root / "rejected" / "20240601T120006-lost.csv").write_text("x")  # its note went missing
    found = [
        (r.file_name, r.reason, r.rejected_at, r.path.name) for r in folders.list_rejections(root)
    ]
    assert found == [
        ("lost.csv", folders.NO_REASON, "2024-06-01 12:00:06 UTC", "20240601T120006-lost.csv"),
        ("2-b.csv", "The file is not UTF-8 text.", "2024-06-01 12:00:05 UTC",
         "20240601T120005-2-b.csv"),
        ("a.csv", "The file is empty.", "2024-06-01 12:00:00 UTC", "20240601T120000-2-a.csv"),
        ("a.csv", "The file has a header line but no rows.", "2024-06-01 12:00:00 UTC",
         "20240601T120000-a.csv"),
    ]  # fmt: skip
    assert folders.list_rejections(root.parent / "nowhere") == []


def test_shown_name_prints_bytes_that_are_not_utf8() -> None:
    assert folders.shown_name("caf\udce9.csv") == "caf\\xe9.csv"
    assert folders.shown_name("café.csv") == "café.csv"
