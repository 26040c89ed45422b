"""The adapter contract: a source format is one module declaring its header and mapping cells."""

import re
from collections.abc import Sequence
from typing import Protocol

import pandas as pd

IMDB_ID_COLUMN = "IMDb ID"
# What `map_frame` returns, all text: the film (movies) or show (shows) as `title`, the date it
# was watched or started, then fields that are kept but never fail a row (rating … source_uri).
MAPPED_COLUMNS = (
    "title",
    "viewing_date",
    "year",
    "imdb_id",
    "season",
    "rating",
    "rewatch",
    "tags",
    "review",
    "source_uri",
)
_BOM = "\ufeff"
_GUARD = re.compile(r"'[=+\-@]")


class Adapter(Protocol):
    """One source format. `name` is the SPEC §5 `source` tag stored on the job.

    `label` names this exact format in messages ("Letterboxd diary"); `family` names the group
    a user thinks in ("a Letterboxd export"), so an unknown header lists each family once.
    """

    name: str
    type: str  # "movies" | "shows"
    label: str
    family: str
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]

    def matches(self, header: Sequence[str]) -> bool:
        """True when this adapter reads a file with this (cleaned) header."""
        ...

    def refusal(self, header: Sequence[str], file_name: str) -> str | None:
        """Why a file this adapter recognises is still refused (a watchlist), else None."""
        ...

    def map_frame(self, cells: pd.DataFrame) -> pd.DataFrame:
        """A chunk's cells (one text column per header name) as `MAPPED_COLUMNS`, same index.

        Values are the file's text, unguarded and stripped (`text_column`), blank where the
        source has no such column, and never judged: a bad value is validation's business, so
        this never raises on one.
        """
        ...


def clean_header(header: Sequence[str]) -> list[str]:
    """Column names without a UTF-8 BOM or surrounding whitespace; a blank name gets its position.

    Naming blank columns (`column 5`) keeps every cell of a row with a trailing comma.
    """
    names = [name.replace(_BOM, "").strip() for name in header]
    return [name or f"column {i}" for i, name in enumerate(names, start=1)]


def text_column(cells: pd.DataFrame, name: str) -> pd.Series:
    """A source column unguarded and stripped; blank when the file has no such column."""
    if name not in cells.columns:
        return pd.Series("", index=cells.index, dtype=object)
    return unguard(cells[name]).str.strip()


def unguard(column: pd.Series) -> pd.Series:
    """The cells without the `'` the failed-rows CSV puts before `=`, `+`, `-` or `@` (SPEC §4).

    A bare leading `'` is data (the film `'71`), so only the guard pattern is removed.
    """
    # Guards are rare: one scan of the joined column is far cheaper than a per-cell test.
    if "\n'" not in "\n".join(("", *column)):
        return column
    guarded = column.str.match(_GUARD)
    return column.where(~guarded, column.str.slice(1))
