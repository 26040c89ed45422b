"""Whole exports dropped as a `.zip` (SPEC §5): which CSVs inside one are read, and how.

An export is known by one CSV at a fixed path inside it (after a single folder the whole
archive may sit in): Letterboxd's `diary.csv`, Netflix's `CONTENT_INTERACTION/ViewingActivity.csv`.
Only the CSVs an export names are ever opened; each keeps its own line numbers. `bind` settles
what a CSV's rows depend on in the other CSVs (a diary row's review, whether a watched film has a
diary entry) before any row is read, from a first pass over the few CSVs that matter.
"""

import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import PurePosixPath
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from jobsimport_dagster.codes import RowCode
from jobsimport_dagster.sources import letterboxd
from jobsimport_dagster.sources.base import VERDICT_COLUMNS, Adapter, FileScoped, text_column
from jobsimport_dagster.sources.letterboxd import LetterboxdAdapter
from jobsimport_dagster.sources.netflix_activity import (
    NETFLIX_ACTIVITY,
    NETFLIX_ACTIVITY_FILMS,
    NetflixActivityAdapter,
)

# A member's cells chunk by chunk (one text column per header name), or None when the archive
# lacks it: what `bind` reads its first pass from.
ReadCells = Callable[[str], Iterable[pd.DataFrame] | None]


@runtime_checkable
class Export(Protocol):
    """One kind of export zip. `name` is the import's source; `members` the CSVs whose rows
    are imported, in the order they are read (`(path inside the archive, adapter)`), the first
    one required: it is what tells the export."""

    name: str
    label: str
    type: str

    @property
    def members(self) -> tuple[tuple[str, Adapter], ...]: ...

    @property
    def lookups(self) -> tuple[str, ...]:
        """CSVs read only to complete the members' rows (never rows themselves)."""
        ...

    def bind(
        self, read: ReadCells, *, file_name: str, netflix_profiles: Sequence[str]
    ) -> list[tuple[str, Adapter]]:
        """The members the archive holds, each with the adapter that reads its rows."""
        ...


def film_key(title: str, year: str) -> str:
    """A film as Letterboxd's CSVs name it (title + year), for matching across them."""
    return f"{' '.join(unicodedata.normalize('NFKC', title).casefold().split())}|{year.strip()}"


def _adapter_fields(adapter: LetterboxdAdapter) -> dict[str, Any]:
    """An adapter's fields, to build its in-export twin (a subclass) with the same values."""
    return {f.name: getattr(adapter, f.name) for f in fields(adapter)}


@dataclass(frozen=True)
class DiaryInExport(LetterboxdAdapter):
    """diary.csv read inside its export: a row's rating (when it has none of its own) from
    ratings.csv, by film, and its review from reviews.csv, by the entry's Letterboxd URI."""

    ratings: Mapping[str, str] = field(default_factory=dict)
    reviews: Mapping[str, str] = field(default_factory=dict)

    def map_frame(self, cells: pd.DataFrame) -> pd.DataFrame:
        mapped = super().map_frame(cells)
        rated = [
            own or self.ratings.get(film_key(title, year), "")
            for own, title, year in zip(
                mapped["rating"], mapped["title"], mapped["year"], strict=True
            )
        ]
        reviews = [self.reviews.get(uri, "") for uri in mapped["source_uri"]]
        return mapped.assign(rating=rated, review=reviews)


@dataclass(frozen=True)
class WatchedInExport(LetterboxdAdapter):
    """watched.csv read inside its export: a film the diary has is `duplicate_in_file` (the
    diary's rows carry its viewings, rewatches included); the others are imported."""

    diary_films: frozenset[str] = frozenset()

    def refusal(self, header: Sequence[str], file_name: str) -> str | None:
        return None  # its path inside the export says what it is

    def map_frame(self, cells: pd.DataFrame) -> pd.DataFrame:
        mapped = super().map_frame(cells)
        titles_years = list(zip(mapped["title"], mapped["year"], strict=True))
        in_diary = [film_key(title, year) in self.diary_films for title, year in titles_years]
        messages = [
            f"'{title}' ({year or 'no year'}) has diary entries, which import its viewings."
            if found
            else ""
            for (title, year), found in zip(titles_years, in_diary, strict=True)
        ]
        codes = [RowCode.DUPLICATE_IN_FILE if found else "" for found in in_diary]
        return mapped.assign(**dict(zip(VERDICT_COLUMNS, (codes, messages), strict=True)))


def _column_map(
    chunks: Iterable[pd.DataFrame] | None, key: Callable[[pd.DataFrame], Iterable[str]], value: str
) -> dict[str, str]:
    """`{key: value}` over a lookup CSV's rows with a value; empty when the CSV is absent."""
    found: dict[str, str] = {}
    for chunk in chunks or ():
        for k, v in zip(key(chunk), text_column(chunk, value), strict=True):
            if v:
                found[k] = v
    return found


def _film_keys(chunk: pd.DataFrame) -> list[str]:
    return [
        film_key(t, y)
        for t, y in zip(text_column(chunk, "Name"), text_column(chunk, "Year"), strict=True)
    ]


@dataclass(frozen=True)
class LetterboxdExport:
    """Letterboxd's export: diary.csv, plus watched.csv's films with no diary entry; ratings
    and reviews are kept in the diary rows' payloads; watchlist, likes and lists are ignored."""

    name: str = "letterboxd-export"
    label: str = "Letterboxd export"
    type: str = "movies"

    @property
    def members(self) -> tuple[tuple[str, Adapter], ...]:
        return (("diary.csv", letterboxd.DIARY), ("watched.csv", letterboxd.WATCHED))

    @property
    def lookups(self) -> tuple[str, ...]:
        return ("ratings.csv", "reviews.csv")

    def bind(
        self, read: ReadCells, *, file_name: str, netflix_profiles: Sequence[str]
    ) -> list[tuple[str, Adapter]]:
        diary_films: set[str] = set()
        for chunk in read("diary.csv") or ():
            diary_films.update(_film_keys(chunk))
        diary = DiaryInExport(
            **_adapter_fields(letterboxd.DIARY),
            ratings=_column_map(read("ratings.csv"), _film_keys, "Rating"),
            reviews=_column_map(
                read("reviews.csv"), lambda c: text_column(c, "Letterboxd URI"), "Review"
            ),
        )
        watched = WatchedInExport(
            **_adapter_fields(letterboxd.WATCHED),
            diary_films=frozenset(diary_films),
        )
        bound: list[tuple[str, Adapter]] = [("diary.csv", diary)]
        if read("watched.csv") is not None:
            bound.append(("watched.csv", watched))
        return bound


@dataclass(frozen=True)
class NetflixExport:
    """Netflix's "download your personal information": its ViewingActivity.csv, read as alone."""

    activity: NetflixActivityAdapter
    name: str = "netflix-activity"
    label: str = "Netflix export"

    @property
    def type(self) -> str:
        return self.activity.type

    @property
    def members(self) -> tuple[tuple[str, Adapter], ...]:
        return (("CONTENT_INTERACTION/ViewingActivity.csv", self.activity),)

    @property
    def lookups(self) -> tuple[str, ...]:
        return ()

    def bind(
        self, read: ReadCells, *, file_name: str, netflix_profiles: Sequence[str]
    ) -> list[tuple[str, Adapter]]:
        ((path, adapter),) = self.members
        assert isinstance(adapter, FileScoped)
        bound = adapter.for_file(file_name, read(path) or (), netflix_profiles=netflix_profiles)
        return [(path, bound)]


LETTERBOXD_EXPORT = LetterboxdExport()
NETFLIX_EXPORT = NetflixExport(NETFLIX_ACTIVITY)
NETFLIX_EXPORT_FILMS = NetflixExport(NETFLIX_ACTIVITY_FILMS)
EXPORTS: tuple[Export, ...] = (LETTERBOXD_EXPORT, NETFLIX_EXPORT, NETFLIX_EXPORT_FILMS)


def archive_root(names: Collection[str]) -> str:
    """`<folder>/` when every entry of the archive lies in that one folder (an export zipped
    again with its folder), else ''."""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        return f"{tops.pop()}/"
    return ""


def locate(names: Collection[str], path: str) -> str | None:
    """Where an export's `path` is in an archive of these entry names: at its root, or in the
    one folder every entry lies in; None when it holds no such file."""
    if path in names:
        return path
    root = archive_root(names)
    return f"{root}{path}" if root and f"{root}{path}" in names else None


def exports_in(names: Collection[str]) -> list[Export]:
    """The exports whose first member the archive holds."""
    present = set(names)
    return [e for e in EXPORTS if locate(present, e.members[0][0]) is not None]


def member_label(path: str) -> str:
    """How a member's rows name their CSV (`diary.csv:12`): its file name."""
    return PurePosixPath(path).name
