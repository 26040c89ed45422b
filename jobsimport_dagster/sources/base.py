"""The adapter contract: a source format is one module declaring its header and mapping a row."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from jobsimport_dagster.models import SourceRow

IMDB_ID_COLUMN = "IMDb ID"
_FORMULA_STARTS = frozenset("=+-@")
_BOM = "\ufeff"


@dataclass(frozen=True)
class MappedRow:
    """A row in the pipeline's own terms, cells still as text exactly as the file had them.

    `title` is the film (movies) or the show (shows); `viewing_date` the date the row was
    watched or started; `extras` carries fields that are kept but never fail a row
    (rating, rewatch, tags, review, source URI). The only change from the file is `unguard`.
    """

    line: int
    title: str
    viewing_date: str
    year: str = ""
    imdb_id: str = ""
    season: str = ""
    extras: dict[str, str] = field(default_factory=dict)


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

    def map_row(self, row: SourceRow) -> MappedRow:
        """The row's cells in the pipeline's terms; never raises on bad values."""
        ...


def clean_header(header: Sequence[str]) -> list[str]:
    """Column names without a UTF-8 BOM or surrounding whitespace, as matching wants them."""
    return [name.replace(_BOM, "").strip() for name in header]


def unguard(cell: str) -> str:
    """The cell without the `'` the failed-rows CSV puts before `=`, `+`, `-` or `@` (SPEC §4).

    A bare leading `'` is data (the film `'71`), so only the guard pattern is removed.
    """
    if cell[:1] == "'" and cell[1:2] in _FORMULA_STARTS:
        return cell[1:]
    return cell
