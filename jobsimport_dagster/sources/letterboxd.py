"""Letterboxd exports (SPEC §5): watched, diary, ratings and reviews, told apart by their header."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

import pandas as pd

from jobsimport_dagster.sources.base import IMDB_ID_COLUMN, text_column

BASE_COLUMNS = ("Date", "Name", "Year", "Letterboxd URI")
_LIST_EXPORT = "Letterboxd list export"
_NAME_TOKENS = re.compile(r"[^a-z0-9]+")
_LIKES_TOKENS = frozenset({"like", "likes", "liked"})
_INSTEAD = "drop watched.csv or diary.csv from the export instead"


def letterboxd_kind(header: Sequence[str]) -> str:
    """The export a Letterboxd header comes from: its most specific column decides.

    reviews.csv adds `Review` to the diary's columns, diary.csv adds `Watched Date` (with
    `Rating,Rewatch,Tags`), ratings.csv adds only `Rating`; watched.csv has the base four.
    """
    if "Review" in header:
        return "letterboxd-reviews"
    if "Watched Date" in header:
        return "letterboxd-diary"
    if "Rating" in header:
        return "letterboxd-ratings"
    return "letterboxd-watched"


def not_a_history_reason(file_name: str) -> str | None:
    """Why a file with watched.csv's header is not a watch history, judged by its name.

    watchlist.csv and likes/films.csv share watched.csv's header, so only the name tells them
    apart; any other name with that header is taken as watched.csv.
    """
    stem = PurePath(file_name).stem.casefold()
    if "watchlist" in stem:
        return f"{file_name} is a Letterboxd watchlist, not a watch history; {_INSTEAD}."
    if stem == "films" or _LIKES_TOKENS & set(_NAME_TOKENS.split(stem)):
        return f"{file_name} is a Letterboxd likes export, not a watch history; {_INSTEAD}."
    return None


@dataclass(frozen=True)
class LetterboxdAdapter:
    """One Letterboxd export; `shared_header` marks the one whose header non-histories share."""

    name: str
    label: str
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]
    shared_header: bool = False
    type: str = "movies"
    family: str = "a Letterboxd export"

    @property
    def field_columns(self) -> dict[str, tuple[str, ...]]:
        return {
            "title": ("Name",),
            "viewing_date": ("Watched Date", "Date"),
            "year": ("Year",),
            "imdb_id": (IMDB_ID_COLUMN,),
        }

    def matches(self, header: Sequence[str]) -> bool:
        return set(self.required_columns) <= set(header) and letterboxd_kind(header) == self.name

    def refusal(self, header: Sequence[str], file_name: str) -> str | None:
        # A list export starts with a banner line where the header should be.
        if header and header[0].startswith(_LIST_EXPORT):
            return f"{file_name} is a Letterboxd list export, not a watch history; {_INSTEAD}."
        if self.shared_header and self.matches(header):
            return not_a_history_reason(file_name)
        return None

    def map_frame(self, cells: pd.DataFrame) -> pd.DataFrame:
        """`Watched Date` is the viewing date where the row has one, else `Date` (SPEC §5)."""
        watched = text_column(cells, "Watched Date")
        return pd.DataFrame(
            {
                "title": text_column(cells, "Name"),
                "viewing_date": watched.where(watched != "", text_column(cells, "Date")),
                "year": text_column(cells, "Year"),
                "imdb_id": text_column(cells, IMDB_ID_COLUMN),
                "season": "",
                "rating": text_column(cells, "Rating"),
                "rewatch": text_column(cells, "Rewatch"),
                "tags": text_column(cells, "Tags"),
                "review": text_column(cells, "Review"),
                "source_uri": text_column(cells, "Letterboxd URI"),
            },
            index=cells.index,
        )


WATCHED = LetterboxdAdapter(
    name="letterboxd-watched",
    label="Letterboxd watched",
    required_columns=BASE_COLUMNS,
    optional_columns=(IMDB_ID_COLUMN,),
    shared_header=True,
)
DIARY = LetterboxdAdapter(
    name="letterboxd-diary",
    label="Letterboxd diary",
    required_columns=(*BASE_COLUMNS, "Watched Date"),
    optional_columns=("Rating", "Rewatch", "Tags", IMDB_ID_COLUMN),
)
RATINGS = LetterboxdAdapter(
    name="letterboxd-ratings",
    label="Letterboxd ratings",
    required_columns=(*BASE_COLUMNS, "Rating"),
    optional_columns=(IMDB_ID_COLUMN,),
)
REVIEWS = LetterboxdAdapter(
    name="letterboxd-reviews",
    label="Letterboxd reviews",
    required_columns=(*BASE_COLUMNS, "Review"),
    optional_columns=("Rating", "Rewatch", "Tags", "Watched Date", IMDB_ID_COLUMN),
)
