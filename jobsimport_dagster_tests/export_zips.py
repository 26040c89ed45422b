"""Export zips built in the tests from the real export files in `data/` (their own columns)."""

import struct
import zipfile
from pathlib import Path

LETTERBOXD_FOLDER = "letterboxd/extratone_export_2024"
# The members of a Letterboxd export zip that the repository keeps (SOURCES.md), at their paths.
LETTERBOXD_MEMBERS = (
    "diary.csv",
    "watched.csv",
    "ratings.csv",
    "reviews.csv",
    "watchlist.csv",
    "likes/films.csv",
)
ACTIVITY = "netflix/netflix_us_ViewingActivity_zwiora.csv"
NETFLIX_ACTIVITY_PATH = "CONTENT_INTERACTION/ViewingActivity.csv"
_LOCAL_HEADER = b"PK\x03\x04"
_CENTRAL_HEADER = b"PK\x01\x02"
_END_OF_DIRECTORY = b"PK\x05\x06"


def write_zip(target: Path, members: dict[str, bytes]) -> Path:
    """A deflated zip holding `members` (path inside: bytes), as archivers write them."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def letterboxd_zip(
    sample_data: Path, target: Path, members: tuple[str, ...] = LETTERBOXD_MEMBERS
) -> Path:
    """The real Letterboxd export's CSVs zipped at their export paths, byte for byte."""
    folder = sample_data / LETTERBOXD_FOLDER
    return write_zip(target, {name: (folder / name).read_bytes() for name in members})


def netflix_zip(sample_data: Path, target: Path, *, folder: str = "") -> Path:
    """Netflix's "download your personal information" zip holding the real ViewingActivity.csv
    at its path, optionally inside one folder (the other sections' files are not kept here)."""
    return write_zip(
        target, {f"{folder}{NETFLIX_ACTIVITY_PATH}": (sample_data / ACTIVITY).read_bytes()}
    )


def with_encryption_flag(data: bytes) -> bytes:
    """The zip with bit 0 (encrypted) of every entry's flags set, in its local header and its
    central directory record, as a password-protecting archiver writes them (the stdlib
    cannot encrypt). The records are found by walking the central directory, never by
    searching the compressed bytes."""
    patched = bytearray(data)
    end = data.rfind(_END_OF_DIRECTORY)
    entries, _size, offset = struct.unpack_from("<HII", data, end + 10)
    for _ in range(entries):
        assert data[offset : offset + 4] == _CENTRAL_HEADER
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, offset + 28)
        (local,) = struct.unpack_from("<I", data, offset + 42)
        assert data[local : local + 4] == _LOCAL_HEADER
        for flags_at in (offset + 8, local + 6):
            (flags,) = struct.unpack_from("<H", patched, flags_at)
            struct.pack_into("<H", patched, flags_at, flags | 0x1)
        offset += 46 + name_length + extra_length + comment_length
    return bytes(patched)


def zip_bomb(target: Path, *, unpacked_bytes: int) -> Path:
    """A Letterboxd-looking zip whose diary.csv inflates to `unpacked_bytes` (of spaces after a
    real header), a few hundred KiB packed."""
    header = b"Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
    chunk = b" " * (1 << 20)
    with (
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("diary.csv", "w", force_zip64=True) as member,
    ):
        member.write(header)
        left = unpacked_bytes - len(header)
        while left > 0:
            member.write(chunk[:left])
            left -= len(chunk)
    return target
