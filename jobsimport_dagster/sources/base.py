"""The adapter contract: a source format is one module declaring its header and mapping cells."""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
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
# Optional columns after those: what only the source's own shape tells about a row, settled
# before any check. `verdict` is blank or the row's RowCode (a Netflix title that is not an
# episode is `not_a_show`), `verdict_message` the sentence saying why.
VERDICT_COLUMNS = ("verdict", "verdict_message")
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

    @property
    def field_columns(self) -> Mapping[str, tuple[str, ...]]:
        """The source columns each checked field (title, viewing_date, year, imdb_id, season)
        is read from, the one used first leading: a row with several problems names them in
        the order of the file's columns (SPEC §7)."""
        ...

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
        this never raises on one. Only what the source's own shape tells (is this line an
        episode at all?) may come as `VERDICT_COLUMNS` after them.
        """
        ...


@runtime_checkable
class FileScoped(Protocol):
    """An adapter that settles something for a whole file before mapping any row of it.

    Netflix dates are in the account's locale, and whether `10/11/20` is day or month first is
    decided once per file (from all its dates, or its name), never per row; so is which of a
    `ViewingActivity.csv`'s profiles are imported (`netflix_profiles`: the user's setting).
    """

    def for_file(
        self, file_name: str, cells: Iterable[pd.DataFrame], *, netflix_profiles: Sequence[str] = ()
    ) -> Adapter:
        """This adapter bound to the file named `file_name`, whose cells come chunk by chunk."""
        ...


def clean_header(header: Sequence[str]) -> list[str]:
    """Column names without a UTF-8 BOM or surrounding whitespace; a blank name gets its position.

    Naming blank columns (`column 5`) keeps every cell of a row with a trailing comma.
    """
    names = [name.replace(_BOM, "").strip() for name in header]
    return [name or f"column {i}" for i, name in enumerate(names, start=1)]


def text_column(cells: pd.DataFrame, name: str) -> pd.Series:
    """A source column unguarded and stripped; blank when the file has no such column.

    Cells are always text (`cells_frame`), so `str.strip` is mapped straight over them into
    an array: half the time of `.str.strip()`, which calls a Python lambda per cell.
    """
    if name not in cells.columns:
        return pd.Series("", index=cells.index, dtype=object)
    column = unguard(cells[name]).to_numpy()
    stripped = np.fromiter(map(str.strip, column), dtype=object, count=len(column))
    return pd.Series(stripped, index=cells.index, copy=False)


def unguard(column: pd.Series) -> pd.Series:
    """The cells without the `'` the failed-rows CSV puts before `=`, `+`, `-` or `@` (SPEC §4).

    A bare leading `'` is data (the film `'71`), so only the guard pattern is removed.
    """
    # Guards are rare: one scan of the joined column is far cheaper than a per-cell test.
    if "\n'" not in "\n".join(["", *column.tolist()]):
        return column
    guarded = column.str.match(_GUARD)
    return column.where(~guarded, column.str.slice(1))
