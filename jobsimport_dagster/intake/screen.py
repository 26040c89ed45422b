"""Screening of a dropped file from its name, size and first 64 KiB: its adapter, or why not.

An export `.zip` is screened by `intake.zips` instead, from its central directory and the first
64 KiB of the CSVs it would read.
"""

import codecs
import csv
import io
import os
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.intake.zips import (
    MAX_UNCOMPRESSED_BYTES,
    check_entries,
    choose_export,
    member_entries,
)
from jobsimport_dagster.sources.base import Adapter
from jobsimport_dagster.sources.exports import Export
from jobsimport_dagster.sources.registry import detect_adapter

HEAD_BYTES = 64 * 1024
# C0 controls that CSV text does not hold (tab, LF, FF and CR it does); a few are tolerated
_CONTROL_BYTES = bytes(sorted(set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}))
_LINE_END = re.compile(r"\r\n|\r|\n")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SAVE_AS_UTF8 = "save it as CSV UTF-8 and drop it again"
_DROP_INSTEAD = "unzip it and drop the CSV you want to import instead"


def screen_head(
    head: bytes,
    *,
    file_name: str,
    size: int,
    import_type: str,
    max_bytes: int,
    rows_required: bool = True,
) -> Adapter:
    """The adapter that reads this file, from at most its first 64 KiB (`head`).

    Raises `FileRejected` with the one sentence written to `<name>.error.txt`. Checks run from
    the cheapest and most telling (the name) to the header, so each file gets the most useful
    reason it qualifies for. `rows_required=False` accepts a header alone (a CSV of an export
    zip may have no rows: a diary with no entries).
    """
    _check_name(file_name)
    _check_size(size, max_bytes)
    head = head[:HEAD_BYTES]
    complete = size <= len(head)
    text = _decode(head, complete=complete)
    if complete and not text.strip():
        raise FileRejected("The file is empty.")
    first_line = _LINE_END.split(text, maxsplit=1)[0]
    if len(first_line) == len(text) and not complete:
        raise FileRejected("The first line is longer than 64 KiB, so it is not a CSV header.")
    if first_line.count(";") > first_line.count(","):
        raise FileRejected(
            "The columns are separated by ';' instead of ','; "
            "save it as CSV UTF-8 (comma delimited) and drop it again."
        )
    records = csv.reader(io.StringIO(text, newline=""))
    adapter = detect_adapter(next(records, []), file_name, import_type)
    if rows_required and complete and not any(any(cell.strip() for cell in row) for row in records):
        raise FileRejected("The file has a header line but no rows.")
    return adapter


def screen_file(path: Path, *, import_type: str, max_bytes: int) -> Adapter | Export:
    """`screen_head` on a file on disk, reading no more than its first 64 KiB; for an export
    `.zip`, `screen_zip` (its central directory and the heads of the CSVs it would read).

    An unreadable file (dropped by another user with private permissions) is rejected rather
    than failing every tick, which would hold up every file behind it.
    """
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if is_zip_name(path.name):
                _check_size(size, max_bytes)
                return screen_zip(file, import_type=import_type)
            head = file.read(HEAD_BYTES)
    except PermissionError:
        raise FileRejected(
            "The importer may not read this file; make it readable to others and drop it again."
        ) from None
    return screen_head(
        head, file_name=path.name, size=size, import_type=import_type, max_bytes=max_bytes
    )


def screen_zip(file: BinaryIO, *, import_type: str) -> Export:
    """The export a dropped zip holds, from its central directory (`zips.check_entries`) and
    the first 64 KiB of each CSV of that export, screened as a dropped CSV is.

    Raises `FileRejected` for any other zip, naming what it holds.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            check_entries(archive.infolist())
            export = choose_export(archive.namelist(), import_type)
            for path, entry, adapter_name in member_entries(archive, export):
                with archive.open(entry) as member:
                    head = member.read(HEAD_BYTES)
                try:
                    adapter = screen_head(
                        head,
                        file_name=PurePosixPath(path).name,
                        size=entry.file_size,
                        import_type=import_type,
                        max_bytes=MAX_UNCOMPRESSED_BYTES,
                        rows_required=False,
                    )
                except FileRejected as refusal:
                    raise FileRejected(f"In the archive, {path}: {refusal.reason}") from None
                if adapter_name is not None and adapter.name != adapter_name:
                    raise FileRejected(
                        f"In the archive, {path} is a {adapter.label} file, not what a "
                        f"{export.label} holds there; {_DROP_INSTEAD}."
                    )
            return export
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        EOFError,
        zlib.error,
    ) as error:
        raise FileRejected(
            f"The file is not a zip archive that can be read ({error}); download the export "
            f"again and drop it as it came, or {_DROP_INSTEAD}."
        ) from None


def is_zip_name(file_name: str) -> bool:
    """True for a `.zip` name: the file is screened and read as an export zip."""
    return PurePosixPath(file_name).suffix.lower() == ".zip"


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileRejected(
            f"The file is {size:,} bytes, over the {max_bytes:,}-byte limit; "
            "split it into smaller files and drop those."
        )


def _check_name(file_name: str) -> None:
    try:
        file_name.encode("utf-8")
    except UnicodeEncodeError:
        raise FileRejected(
            "The file name is not valid UTF-8; rename it and drop it again."
        ) from None
    suffix = PurePosixPath(file_name).suffix.lower()
    if suffix in (".csv", ".zip"):
        return
    found = f"this is a {suffix} file" if suffix else "this file name has no extension"
    raise FileRejected(
        f"Only .csv files and export .zip files can be imported and {found}; {_SAVE_AS_UTF8}."
    )


def _decode(head: bytes, *, complete: bool) -> str:
    """The head as text; a multi-byte character cut by the 64 KiB limit is not an error."""
    if head.startswith(_UTF16_BOMS):
        raise FileRejected(f"The file is UTF-16 text, not UTF-8; {_SAVE_AS_UTF8}.")
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if b"\x00" in head or controls > len(head) // 100:
        raise FileRejected(
            "The file holds binary data, not CSV text; export it as CSV UTF-8 and drop that."
        )
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        return decoder.decode(head, final=complete)
    except UnicodeDecodeError as error:
        line = head[: error.start].count(b"\n") + 1
        raise FileRejected(
            f"The file is not UTF-8 text (byte 0x{head[error.start]:02X} on line {line}); "
            f"{_SAVE_AS_UTF8}."
        ) from None
