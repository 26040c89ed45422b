"""Netflix viewing history (`Title,Date`): episodes as show-seasons (shows), other titles as
films (movies)."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import PurePath
from typing import ClassVar, Self

import pandas as pd

from jobsimport_dagster.codes import RowCode
from jobsimport_dagster.sources.base import (
    IMDB_ID_COLUMN,
    MAPPED_COLUMNS,
    VERDICT_COLUMNS,
    text_column,
)
from jobsimport_dagster.sources.netflix_titles import split_episode

# Netflix writes dates in the account's locale: `10/21/20` (US), `21.10.2020`, `21/10/2020`,
# `2020-10-21`. A year first is always year-month-day; a year last leaves day and month to the file.
_YEAR_FIRST = re.compile(r"(\d{4})([./-])(\d{1,2})\2(\d{1,2})")
_YEAR_LAST = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})")
# Netflix streaming began in 2007, so a two-digit year is always 20xx.
_CENTURY = 2000
_RENAME = "rename the file to end -dmy.csv (day first) or -mdy.csv (month first) and drop it again"


class DateOrder(StrEnum):
    """Which of a year-last date's first two numbers is the day; the value is the name suffix."""

    DMY = "dmy"
    MDY = "mdy"

    @property
    def words(self) -> str:
        return "day/month/year" if self is DateOrder.DMY else "month/day/year"


def read_date(text: str, order: DateOrder | None) -> date | None:
    """The calendar date `text` names under `order`, None when it names none.

    A year-last date is read only with an order: without one it is never guessed.
    """
    try:
        if match := _YEAR_FIRST.fullmatch(text):
            return date(int(match[1]), int(match[3]), int(match[4]))
        match = _YEAR_LAST.fullmatch(text)
        if match is None or order is None:
            return None
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        if len(match[4]) == 2:
            year += _CENTURY
        day, month = (first, second) if order is DateOrder.DMY else (second, first)
        return date(year, month, day)
    except ValueError:  # a day or month out of range: not a calendar date
        return None


def possible_orders(text: str) -> frozenset[DateOrder]:
    """The orders under which a year-last date is a calendar date (none for other text)."""
    if not _YEAR_LAST.fullmatch(text):
        return frozenset()
    return frozenset(order for order in DateOrder if read_date(text, order) is not None)


def settle_date_order(dates: Iterable[str]) -> DateOrder | None:
    """The one order every date that can be read only one way agrees on, else None.

    `10/21/20` can only be month first and `21.10.2020` only day first; `10/11/20` could be
    either and says nothing. None when no date tells, or when dates tell both ways (the file
    is not one locale's).
    """
    told: set[DateOrder] = set()
    seen: set[str] = set()  # a history has a few thousand days at most, each on many lines
    for text in dates:
        if text in seen:
            continue
        seen.add(text)
        orders = possible_orders(text.strip())
        if len(orders) == 1:
            told |= orders
            if len(told) > 1:
                return None
    return next(iter(told)) if told else None


def order_from_name(file_name: str) -> DateOrder | None:
    """`-dmy` or `-mdy` at the end of the file's stem (`NetflixViewingHistory-dmy.csv`)."""
    stem = PurePath(file_name).stem.casefold()
    return next((order for order in DateOrder if stem.endswith(f"-{order}")), None)


def decide_date_order(file_name: str, dates: Iterable[str]) -> DateOrder | None:
    """The file's date order: its name's suffix when it has one (the user's word), else the
    order its dates settle. Decided once per file, never per row."""
    return order_from_name(file_name) or settle_date_order(dates)


def date_problem(text: str, order: DateOrder | None) -> str:
    """Why a date `read_date` does not read under the file's order, in one sentence."""
    if order is None and possible_orders(text):
        return (
            f"The date {text!r} could be day/month or month/day and the file's dates do not "
            f"settle which; {_RENAME}."
        )
    form = order.words if order is not None and not _YEAR_FIRST.fullmatch(text) else "calendar"
    return f"The date {text!r} is not a real {form} date."


def map_title(
    title: str, text: str, day: date | None, order: DateOrder | None, import_type: str
) -> tuple[str, str, str, str, str]:
    """(title, viewing_date, season, verdict, verdict message) of one Netflix line dated `text`.

    In shows an episode maps to its show and season and any other title is `not_a_show`; in
    movies a title that is not an episode is a film and an episode is `not_a_viewing` (of a
    film). A date the file's order cannot read is `invalid_date`; a blank title gets no
    verdict (validation reports it as `invalid_title`).
    """
    if not title:
        return title, text, "", "", ""
    episode = split_episode(title)
    if import_type == "movies":
        if episode is not None:
            message = (
                f"{title!r} is an episode of {episode.show!r}, not a film; "
                "drop the file into shows/ to import its episodes."
            )
            return title, text, "", RowCode.NOT_A_VIEWING, message
        name, season = title, ""
    elif episode is None:
        message = (
            f"{title!r} has no season label (like 'Season 1' or 'Part 2'), "
            "so it is not a show's episode."
        )
        return title, text, "", RowCode.NOT_A_SHOW, message
    else:
        name, season = episode.show, str(episode.season)
    if day is None:
        return name, text, season, RowCode.INVALID_DATE, date_problem(text, order)
    return name, day.isoformat(), season, "", ""


class NetflixColumns:
    """What Netflix's two formats share as adapters: a header holding the required columns is
    theirs, nothing in it is refused, and the checked fields are read from `Title` and the
    format's `date_column` (a show's season from its title too)."""

    date_column: ClassVar[str]
    required_columns: tuple[str, ...]
    type: str

    @property
    def field_columns(self) -> dict[str, tuple[str, ...]]:
        columns = {
            "title": ("Title",),
            "viewing_date": (self.date_column,),
            "imdb_id": (IMDB_ID_COLUMN,),
        }
        return columns | ({"season": ("Title",)} if self.type == "shows" else {})

    def matches(self, header: Sequence[str]) -> bool:
        return set(self.required_columns) <= set(header)

    def refusal(self, header: Sequence[str], file_name: str) -> str | None:
        return None


def mapped_frame(
    rows: Sequence[tuple[str, str, str, str, str]], cells: pd.DataFrame
) -> pd.DataFrame:
    """`map_title`'s rows as `MAPPED_COLUMNS` + `VERDICT_COLUMNS` over the chunk's index."""
    mapped = pd.DataFrame(
        rows,
        columns=["title", "viewing_date", "season", *VERDICT_COLUMNS],
        index=cells.index,
        dtype=object,
    )
    unused = ("year", "rating", "rewatch", "tags", "review", "source_uri")
    mapped = mapped.assign(**dict.fromkeys(unused, ""), imdb_id=text_column(cells, IMDB_ID_COLUMN))
    return mapped[[*MAPPED_COLUMNS, *VERDICT_COLUMNS]]


@dataclass(frozen=True)
class NetflixAdapter(NetflixColumns):
    """Netflix's `Title,Date` export, bound to one file's date order by `for_file`.

    Every line is a row (see `map_title`): in shows an episode maps to its show and season
    number, in movies a title that is not an episode is a film; repeats of a show-season, or
    of a film on one day, are the dedupe step's business.
    """

    date_order: DateOrder | None = None
    name: str = "netflix"
    type: str = "shows"
    label: str = "Netflix viewing history"
    family: str = "a Netflix viewing history"
    required_columns: tuple[str, ...] = ("Title", "Date")
    optional_columns: tuple[str, ...] = (IMDB_ID_COLUMN,)
    date_column: ClassVar[str] = "Date"

    def for_file(
        self, file_name: str, cells: Iterable[pd.DataFrame], *, netflix_profiles: Sequence[str] = ()
    ) -> Self:
        """This adapter with the date order of the file: a first pass over its `Date` column.

        Only the distinct date texts are kept, so the pass costs a read of the file.
        """
        dates = (text for chunk in cells for text in text_column(chunk, "Date"))
        return replace(self, date_order=decide_date_order(file_name, dates))

    def map_frame(self, cells: pd.DataFrame) -> pd.DataFrame:
        """Title (show or film), season and ISO date of each line; verdicts where the source
        decides. A date the order cannot read keeps its text."""
        texts = text_column(cells, "Date")
        days = {text: read_date(text, self.date_order) for text in set(texts)}
        rows = [
            map_title(title, text, days[text], self.date_order, self.type)
            for title, text in zip(text_column(cells, "Title"), texts, strict=True)
        ]
        return mapped_frame(rows, cells)


NETFLIX = NetflixAdapter()
NETFLIX_FILMS = NetflixAdapter(type="movies")
