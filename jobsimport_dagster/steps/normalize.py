"""Normalization: the payload seed of a valid row and its dedupe key (SPEC §7)."""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from jobsimport_dagster.sources.base import MappedRow

_WHITESPACE = re.compile(r"\s+")


def normalize_title(title: str) -> str:
    """Unicode NFKC, case-folded, whitespace collapsed: the title part of every dedupe key."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", title)).strip().casefold()


def movie_dedupe_key(title: str, viewing_date: str) -> str:
    """`<normalized title>|<YYYY-MM-DD>`: the same film seen on the same day is one record."""
    return f"{normalize_title(title)}|{viewing_date}"


def show_dedupe_key(show: str, season: int) -> str:
    """`<normalized show>|s<season>`: a show-season is one catalogue record."""
    return f"{normalize_title(show)}|s{season}"


@dataclass(frozen=True)
class Seed:
    """A valid row's `normalized_payload` (the keys later steps read) and its dedupe key."""

    payload: dict[str, Any]
    dedupe_key: str


def build_seed(row: MappedRow, import_type: str) -> Seed:
    """The seed of a row that passed validation, for its import type."""
    return build_show_seed(row) if import_type == "shows" else build_movie_seed(row)


def build_movie_seed(row: MappedRow) -> Seed:
    """Movies: title, viewing date, year and IMDb ID, plus the never-sent Letterboxd fields."""
    title = row.title.strip()
    viewing_date = row.viewing_date.strip()
    extras = row.extras
    payload = {
        "title": title,
        "viewing_date": viewing_date,
        "year": _year(row.year),
        "imdb_id": _text(row.imdb_id),
        "rating": _text(extras.get("rating", "")),
        "rewatch": extras.get("rewatch", "").strip().casefold() == "yes",
        "tags": _text(extras.get("tags", "")),
        "review": _text(extras.get("review", "")),
        "source_uri": _text(extras.get("source_uri", "")),
    }
    return Seed(payload, movie_dedupe_key(title, viewing_date))


def build_show_seed(row: MappedRow) -> Seed:
    """Shows: the show, its season and the date it was started; a show-season is one record."""
    show = row.title.strip()
    season = int(row.season)
    payload = {
        "show": show,
        "season": season,
        "viewing_date": row.viewing_date.strip(),
        "year": _year(row.year),
        "imdb_id": _text(row.imdb_id),
    }
    return Seed(payload, show_dedupe_key(show, season))


def _text(cell: str) -> str | None:
    return cell.strip() or None


def _year(cell: str) -> int | None:
    return int(cell) if cell.strip() else None
