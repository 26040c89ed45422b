"""Which dropped files are complete, decided from a stat snapshot and the previous tick's cursor."""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

MAX_ACCEPTED_PER_TICK = 50
IGNORED_SUFFIXES = (".part", ".tmp", ".error.txt")


class ImportType(StrEnum):
    MOVIES = "movies"
    SHOWS = "shows"


@dataclass(frozen=True)
class WatchedFolder:
    """A folder whose direct files are imports; its place sets the type and the dry run."""

    path: str
    import_type: ImportType
    dry_run: bool


WATCHED_FOLDERS = tuple(
    WatchedFolder(f"{t}/dry-run" if dry else str(t), t, dry)
    for t in ImportType
    for dry in (False, True)
)
_WATCHED_BY_PATH = {folder.path: folder for folder in WATCHED_FOLDERS}


def watched_folder(import_type: str, dry_run: bool) -> WatchedFolder:
    """The folder an import of this type and dry-run setting was dropped into."""
    return _WATCHED_BY_PATH[f"{import_type}/dry-run" if dry_run else import_type]


@dataclass(frozen=True)
class Entry:
    """One directory entry as listed: `folder` is relative to the upload root, `name` one part."""

    folder: str
    name: str
    size: int
    mtime_ns: int
    is_symlink: bool
    is_file: bool
    uid: int

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.name}"


@dataclass(frozen=True)
class Candidate:
    """A complete file to screen this tick, with what its folder says about the import."""

    folder: WatchedFolder
    name: str
    size: int
    mtime_ns: int
    uid: int

    @property
    def path(self) -> str:
        return f"{self.folder.path}/{self.name}"


# path -> [size, mtime_ns]: what a tick saw of every file it did not take
Cursor = dict[str, list[int]]


@dataclass(frozen=True)
class ScanResult:
    candidates: tuple[Candidate, ...]
    cursor: Cursor


def is_ignored_name(name: str) -> bool:
    """Hidden files, partial downloads/copies and our own reason files are never imports."""
    return name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES)


def scan(
    entries: Iterable[Entry],
    previous: Mapping[str, list[int]],
    *,
    limit: int = MAX_ACCEPTED_PER_TICK,
) -> ScanResult:
    """Take files whose size and mtime are unchanged since the previous tick, oldest first.

    A file seen for the first time, or changed since, waits a tick: that is how a file still
    being copied is told apart from a complete one without trusting any writer's protocol.
    Files beyond `limit` stay in the cursor and are taken by later ticks.
    """
    eligible = sorted(
        (
            entry
            for entry in entries
            if entry.folder in _WATCHED_BY_PATH
            and entry.is_file
            and not entry.is_symlink
            and not is_ignored_name(entry.name)
        ),
        key=lambda entry: (entry.mtime_ns, entry.path),
    )
    candidates: list[Candidate] = []
    cursor: Cursor = {}
    for entry in eligible:
        seen = [entry.size, entry.mtime_ns]
        if len(candidates) < limit and list(previous.get(entry.path, ())) == seen:
            candidates.append(
                Candidate(
                    _WATCHED_BY_PATH[entry.folder],
                    entry.name,
                    entry.size,
                    entry.mtime_ns,
                    entry.uid,
                )
            )
        else:
            cursor[entry.path] = seen
    return ScanResult(tuple(candidates), cursor)


def load_cursor(text: str | None) -> Cursor:
    """The cursor a tick stored; an unreadable one only makes files wait one more tick."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        path: seen
        for path, seen in data.items()
        if isinstance(seen, list) and len(seen) == 2 and all(isinstance(v, int) for v in seen)
    }


def dump_cursor(cursor: Cursor) -> str:
    return json.dumps(cursor, sort_keys=True, separators=(",", ":"))
