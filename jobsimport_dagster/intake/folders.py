"""The watched folder on disk: listing, hashing, moves to archive/ and rejected/ (never deletes)."""

import hashlib
import os
import pwd
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jobsimport_dagster.intake.keys import utc_stamp
from jobsimport_dagster.intake.scan import WATCHED_FOLDERS, Entry, WatchedFolder

ARCHIVE = "archive"
REJECTED = "rejected"
FAILED = "failed"
ERROR_SUFFIX = ".error.txt"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileDigest:
    sha256: str
    size: int


def ensure_tree(root: Path) -> None:
    """Create the watched folders and archive/, rejected/, failed/ when missing."""
    for folder in WATCHED_FOLDERS:
        (root / folder.path).mkdir(parents=True, exist_ok=True)
    for name in (ARCHIVE, REJECTED, FAILED):
        (root / name).mkdir(parents=True, exist_ok=True)


def list_entries(root: Path) -> list[Entry]:
    """The direct entries of the watched folders, stat'ed without following symlinks.

    Only those four folders are read, so a large archive/ never slows a tick down.
    """
    entries: list[Entry] = []
    for folder in WATCHED_FOLDERS:
        try:
            listing = os.scandir(root / folder.path)
        except FileNotFoundError:
            continue
        with listing:
            for item in listing:
                try:
                    stat = item.stat(follow_symlinks=False)
                except FileNotFoundError:  # removed since the listing
                    continue
                entries.append(
                    Entry(
                        folder=folder.path,
                        name=item.name,
                        size=stat.st_size,
                        mtime_ns=stat.st_mtime_ns,
                        is_symlink=item.is_symlink(),
                        is_file=item.is_file(follow_symlinks=False),
                        uid=stat.st_uid,
                    )
                )
    return entries


def source_path(root: Path, folder: WatchedFolder, name: str) -> Path:
    """A file directly in a watched folder; a name that is not one plain part is refused."""
    if name in ("", ".", "..") or "/" in name or "\0" in name or (os.sep != "/" and os.sep in name):
        raise ValueError(f"not a plain file name: {name!r}")
    return root / folder.path / name


def archive_path(root: Path, partition_key: str) -> Path:
    """Where an accepted file lives for good (SPEC §4)."""
    return root / ARCHIVE / f"{partition_key}.csv"


def hash_file(path: Path) -> FileDigest:
    """sha256 and byte count, streamed so a file's size never matters to memory."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileDigest(digest.hexdigest(), size)


def owner_name(uid: int) -> str:
    """The OS user owning a dropped file, or the uid as text when it has no name here."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def archive(root: Path, source: Path, partition_key: str) -> Path:
    """Move an accepted file to `archive/<partition_key>.csv` in one atomic rename."""
    target = archive_path(root, partition_key)
    _rename_new(source, target)
    return target


def reject(root: Path, source: Path, reason: str, now: datetime) -> Path:
    """Move a file to `rejected/<UTC stamp>-<name>` with `<that name>.error.txt` beside it.

    The reason is written first: a crash in between leaves the file where it was (so the next
    tick rejects it again) rather than a rejected file with no reason.
    """
    stamp = utc_stamp(now)
    attempt = 1
    while True:
        prefix = stamp if attempt == 1 else f"{stamp}-{attempt}"
        attempt += 1
        target = root / REJECTED / f"{prefix}-{source.name}"
        if os.path.lexists(target):
            continue
        try:
            with target.with_name(target.name + ERROR_SUFFIX).open("x", encoding="utf-8") as note:
                note.write(reason + "\n")
        except FileExistsError:
            continue
        _rename_new(source, target)
        return target


def _rename_new(source: Path, target: Path) -> None:
    """`os.rename`, which is atomic but would overwrite: refuse a target that exists.

    A rename (not link + unlink) so a crash never leaves the file both in the watched folder
    and in its destination, which would import it twice.
    """
    if os.path.lexists(target):
        raise FileExistsError(f"{target} already exists; it is never overwritten")
    os.rename(source, target)
