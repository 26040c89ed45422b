"""The watched folder on disk: listing, hashing, moves to archive/ and rejected/ (never deletes)."""

import hashlib
import os
import pwd
import re
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, count
from pathlib import Path

from jobsimport_dagster.intake.keys import utc_stamp
from jobsimport_dagster.intake.scan import WATCHED_FOLDERS, Entry, WatchedFolder

ARCHIVE = "archive"
REJECTED = "rejected"
FAILED = "failed"
ERROR_SUFFIX = ".error.txt"
_CHUNK = 1024 * 1024
# `rejected/<YYYYMMDDTHHMMSS>[-<attempt>]-<name>` as `reject` names it.
_REJECTED_NAME = re.compile(r"^(\d{8})T(\d{2})(\d{2})(\d{2})(?:-(\d+))?-(.+)$")
NO_REASON = "no reason was recorded"


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


def archive_suffix(file_name: str) -> str:
    """`.zip` for an export zip, else `.csv`: the suffix of the file's archived copy."""
    return ".zip" if file_name.lower().endswith(".zip") else ".csv"


def archive_path(root: Path, partition_key: str, suffix: str = ".csv") -> Path:
    """Where an accepted file lives for good (SPEC §4): `<partition_key>.csv`, or `.zip`."""
    return root / ARCHIVE / f"{partition_key}{suffix}"


def find_archive(root: Path, partition_key: str) -> Path:
    """The archived copy of an import's file: its `.zip` when it was an export zip, else its
    `.csv` (which may not exist: a run then fails naming it)."""
    zipped = archive_path(root, partition_key, ".zip")
    return zipped if zipped.exists() else archive_path(root, partition_key)


def is_archived(root: Path, partition_key: str) -> bool:
    """True when a file (CSV or zip) is archived under this partition key."""
    return any(archive_path(root, partition_key, s).exists() for s in (".csv", ".zip"))


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


def place_new(staged: Path, folder: Path, name: str) -> Path:
    """Put a complete file into `folder` as `name`, or `<stem>-2<suffix>`, `-3`… when that is
    taken, and return where it landed.

    A hard link under the first free name (which fails rather than overwrite, however many
    writers race), then the staged name removed: the folder shows the whole file or nothing.
    `staged` must be on the same file system (a hidden `.part` file beside it, say).
    """
    stem, suffix = Path(name).stem, Path(name).suffix
    for candidate in chain([name], (f"{stem}-{n}{suffix}" for n in count(2))):
        target = folder / candidate
        try:
            os.link(staged, target)
        except FileExistsError:
            continue
        staged.unlink()
        return target
    raise AssertionError("unreachable: the names never run out")


def archive(root: Path, source: Path, partition_key: str) -> Path:
    """Move an accepted file to `archive/<partition_key>.csv` (`.zip`) in one atomic rename."""
    target = archive_path(root, partition_key, archive_suffix(source.name))
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


@dataclass(frozen=True)
class Rejection:
    """A file in `rejected/`: its name as dropped, the reason told beside it, when and where."""

    file_name: str
    reason: str
    rejected_at: str
    path: Path


def list_rejections(root: Path) -> list[Rejection]:
    """Every rejected file with the sentence of its `.error.txt`, newest first."""
    folder = root / REJECTED
    try:
        names = {entry.name for entry in os.scandir(folder)}
    except FileNotFoundError:
        return []
    found: list[tuple[int, Rejection]] = []
    for name in names:
        match = _REJECTED_NAME.match(name)
        if name.endswith(ERROR_SUFFIX) or match is None:
            continue
        day, hour, minute, second, attempt, file_name = match.groups()
        if attempt and f"{day}T{hour}{minute}{second}-{file_name}" not in names:
            # No first attempt at that second: the digits belong to the file's own name.
            file_name, attempt = f"{attempt}-{file_name}", None
        try:
            note = (folder / (name + ERROR_SUFFIX)).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            note = ""
        stamp = f"{day[:4]}-{day[4:6]}-{day[6:]} {hour}:{minute}:{second} UTC"
        rejection = Rejection(file_name, note or NO_REASON, stamp, folder / name)
        found.append((int(attempt or 1), rejection))
    found.sort(key=lambda item: (item[1].rejected_at, item[0], item[1].file_name), reverse=True)
    return [rejection for _attempt, rejection in found]


def shown_name(name: str) -> str:
    """A file name as printable text: bytes that were not UTF-8 (surrogates) shown as `\\xNN`."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _rename_new(source: Path, target: Path) -> None:
    """`os.rename`, which is atomic but would overwrite: refuse a target that exists.

    A rename (not link + unlink) so a crash never leaves the file both in the watched folder
    and in its destination, which would import it twice.
    """
    if os.path.lexists(target):
        raise FileExistsError(f"{target} already exists; it is never overwritten")
    os.rename(source, target)
