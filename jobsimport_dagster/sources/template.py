"""The project's own templates (SPEC §5): one for movies, one for shows, source tag `template`."""

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from jobsimport_dagster.sources.base import IMDB_ID_COLUMN, text_column


@dataclass(frozen=True)
class TemplateAdapter:
    """A template: `IMDb ID` (and `Year`) may be left out, the other columns may not."""

    type: str
    label: str
    header: tuple[str, ...]
    example_row: tuple[str, ...]  # printed by `jobsimport template`; it imports as it is
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

    @property
    def field_columns(self) -> dict[str, tuple[str, ...]]:
        return {
            "title": (self.title_column,),
            "season": (self.season_column,) if self.season_column else (),
            "viewing_date": (self.date_column,),
            "year": ("Year",),
            "imdb_id": (IMDB_ID_COLUMN,),
        }

    def matches(self, header: Sequence[str]) -> bool:
        return set(self.required_columns) <= set(header)

    def refusal(self, header: Sequence[str], file_name: str) -> str | None:
        return None

    def map_frame(self, cells: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "title": text_column(cells, self.title_column),
                "viewing_date": text_column(cells, self.date_column),
                "year": text_column(cells, "Year"),
                "imdb_id": text_column(cells, IMDB_ID_COLUMN),
                "season": text_column(cells, self.season_column) if self.season_column else "",
                **dict.fromkeys(("rating", "rewatch", "tags", "review", "source_uri"), ""),
            },
            index=cells.index,
        )


MOVIES_TEMPLATE = TemplateAdapter(
    type="movies",
    label="movies template",
    header=("Title", "Year", "Watched Date", IMDB_ID_COLUMN),
    example_row=("The Matrix", "1999", "2024-05-01", "tt0133093"),
    title_column="Title",
    date_column="Watched Date",
)
SHOWS_TEMPLATE = TemplateAdapter(
    type="shows",
    label="shows template",
    header=("Show", "Season", "Started Date", IMDB_ID_COLUMN),
    example_row=("Severance", "2", "2025-01-17", "tt11280740"),
    title_column="Show",
    date_column="Started Date",
    season_column="Season",
)
TEMPLATES = {t.type: t for t in (MOVIES_TEMPLATE, SHOWS_TEMPLATE)}
