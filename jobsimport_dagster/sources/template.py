"""The project's own templates (SPEC §5): one for movies, one for shows, source tag `template`."""

from collections.abc import Sequence
from dataclasses import dataclass

from jobsimport_dagster.models import SourceRow
from jobsimport_dagster.sources.base import IMDB_ID_COLUMN, MappedRow, unguard

MOVIES_HEADER = ("Title", "Year", "Watched Date", IMDB_ID_COLUMN)
SHOWS_HEADER = ("Show", "Season", "Started Date", IMDB_ID_COLUMN)
# What `jobsimport template` prints under the header: one row that imports as it is.
EXAMPLE_ROWS = {
    "movies": ("The Matrix", "1999", "2024-05-01", "tt0133093"),
    "shows": ("Severance", "2", "2025-01-17", "tt11280740"),
}


@dataclass(frozen=True)
class TemplateAdapter:
    """A template: `IMDb ID` (and `Year`) may be left out, the other columns may not."""

    type: str
    label: str
    header: tuple[str, ...]
    title_column: str
    date_column: str
    season_column: str | None = None
    name: str = "template"
    family: str = "the template"
    optional_columns: tuple[str, ...] = ("Year", IMDB_ID_COLUMN)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(
            c for c in self.header if c in (self.title_column, self.season_column, self.date_column)
        )

    def matches(self, header: Sequence[str]) -> bool:
        return set(self.required_columns) <= set(header)

    def refusal(self, header: Sequence[str], file_name: str) -> str | None:
        return None

    def map_row(self, row: SourceRow) -> MappedRow:
        get = row.cells.get
        return MappedRow(
            line=row.line,
            title=unguard(get(self.title_column, "")),
            viewing_date=unguard(get(self.date_column, "")),
            year=unguard(get("Year", "")),
            imdb_id=unguard(get(IMDB_ID_COLUMN, "")),
            season=unguard(get(self.season_column, "")) if self.season_column else "",
        )


MOVIES_TEMPLATE = TemplateAdapter(
    type="movies",
    label="movies template",
    header=MOVIES_HEADER,
    title_column="Title",
    date_column="Watched Date",
)
SHOWS_TEMPLATE = TemplateAdapter(
    type="shows",
    label="shows template",
    header=SHOWS_HEADER,
    title_column="Show",
    date_column="Started Date",
    season_column="Season",
)
