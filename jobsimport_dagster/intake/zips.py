"""Screening of a dropped export zip from its central directory, before anything is inflated.

A zip's central directory lists every entry with its flags and sizes, so encryption, paths
outside the archive and the uncompressed total (a zip bomb) are judged without inflating a
byte; `zipfile` then never inflates a member past the size listed there. Only the CSVs of
the export found are opened afterwards (`screen.screen_zip`), and only their first 64 KiB.
"""

import zipfile
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath

from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.sources.exports import EXPORTS, Export, exports_in, locate

MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
_ENCRYPTED_FLAG = 0x1  # general purpose bit 0 of a zip entry: its data is encrypted
_SHOWN_NAMES = 5
_DROP_A_CSV = "unzip it and drop the CSV you want to import (diary.csv, ViewingActivity.csv…)"


def is_outside(name: str) -> bool:
    """True for an entry path that would land outside the folder it is unpacked into:
    absolute (`/etc/x`, `C:\\x`, `\\\\server\\x`) or climbing with `..`."""
    windows = PureWindowsPath(name)
    if name.startswith(("/", "\\")) or windows.drive:
        return True
    return ".." in PurePosixPath(name.replace("\\", "/")).parts


def check_entries(entries: Sequence[zipfile.ZipInfo]) -> None:
    """Reject an archive with an entry outside it, an encrypted entry, or more than 50 MiB
    once unpacked, naming the first offending entry. Every entry counts, read or not."""
    for entry in entries:
        if is_outside(entry.filename):
            raise FileRejected(
                f"The archive holds {entry.filename!r}, a path outside the archive, so it is "
                "not opened; download the export again and drop it as it came."
            )
    for entry in entries:
        if entry.flag_bits & _ENCRYPTED_FLAG:
            raise FileRejected(
                f"The archive is encrypted ({entry.filename!r} needs a password); "
                f"{_DROP_A_CSV} instead."
            )
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FileRejected(
            f"The archive unpacks to {total:,} bytes, over the {MAX_UNCOMPRESSED_BYTES:,}-byte "
            f"limit of an export zip, so it is not unpacked; {_DROP_A_CSV} instead."
        )


def choose_export(names: Sequence[str], import_type: str) -> Export:
    """The export these entry names make for `import_type`, or why there is none: any other
    zip is told what it holds and what to drop instead."""
    found = exports_in(names)
    for export in found:
        if export.type == import_type:
            return export
    if found:
        other = found[0]
        raise FileRejected(
            f"This is a {other.label}, which is {other.type}, not {import_type}; "
            f"drop it in the {other.type} folder instead."
        )
    files = [n for n in names if not n.endswith("/")]
    shown = ", ".join(files[:_SHOWN_NAMES]) + (", …" if len(files) > _SHOWN_NAMES else "")
    known = " or ".join(
        sorted({f"a {e.label} (with {e.members[0][0]})" for e in EXPORTS if e.type == import_type})
    )
    holds = f"holds {shown}" if files else "is empty"
    raise FileRejected(f"This .zip {holds}, not {known}; {_DROP_A_CSV} instead.")


def member_entries(
    archive: zipfile.ZipFile, export: Export
) -> list[tuple[str, zipfile.ZipInfo, str | None]]:
    """(path, entry, adapter name it must detect as, or None for a lookup CSV) of each CSV of
    the export the archive holds, in the order they are read."""
    names = set(archive.namelist())
    wanted = [(path, adapter.name) for path, adapter in export.members]
    wanted += [(path, None) for path in export.lookups]
    return [
        (path, archive.getinfo(located), name)
        for path, name in wanted
        if (located := locate(names, path)) is not None
    ]
