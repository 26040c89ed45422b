"""Partition keys of accepted files (SPEC §4): type, dry run, UTC time, slug, content hash."""

import re
import unicodedata
from collections.abc import Collection
from datetime import UTC, datetime
from itertools import count
from pathlib import PurePosixPath

SLUG_MAX = 40
EMPTY_SLUG = "file"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(file_name: str) -> str:
    """`[a-z0-9-]{1,40}` from the file stem; accents are dropped rather than made dashes."""
    stem = PurePosixPath(file_name).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_stem.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or EMPTY_SLUG


def utc_stamp(now: datetime) -> str:
    """`YYYYMMDDTHHMMSS` in UTC; `now` must be aware so the stamp never depends on the host zone."""
    if now.tzinfo is None:
        raise ValueError("the clock must give an aware datetime")
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def base_key(*, import_type: str, dry_run: bool, now: datetime, file_name: str, sha256: str) -> str:
    """`<type>[-dry]-<YYYYMMDDTHHMMSS UTC>-<slug>-<first 8 hex of sha256>`, before any clash."""
    prefix = f"{import_type}-dry" if dry_run else import_type
    return f"{prefix}-{utc_stamp(now)}-{slugify(file_name)}-{sha256[:8].lower()}"


def first_free_key(base: str, taken: Collection[str]) -> str:
    """`base`, else `base-2`, `base-3`…: the first one not in `taken`."""
    if base not in taken:
        return base
    return next(key for n in count(2) if (key := f"{base}-{n}") not in taken)
