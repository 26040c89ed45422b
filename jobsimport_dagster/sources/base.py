"""The adapter contract: a source format is one module declaring its header and mapping a row."""

from dataclasses import dataclass, field
from typing import Protocol

from jobsimport_dagster.models import SourceRow


@dataclass(frozen=True)
class MappedRow:
    """A row in the pipeline's own terms, cells still as text exactly as the file had them.

    `title` is the film (movies) or the show (shows); `viewing_date` the date the row was
    watched or started; `extras` carries fields that are kept but never fail a row
    (rating, rewatch, tags, review, source URI).
    """

    line: int
    title: str
    viewing_date: str
    year: str = ""
    imdb_id: str = ""
    season: str = ""
    extras: dict[str, str] = field(default_factory=dict)


class Adapter(Protocol):
    """One source format. `name` is the SPEC §5 `source` tag stored on the job."""

    name: str
    type: str  # "movies" | "shows"
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]

    def matches(self, header: list[str], file_name: str) -> bool:
        """True when this adapter reads a file with this header and name."""
        ...

    def map_row(self, row: SourceRow) -> MappedRow:
        """The row's cells in the pipeline's terms; never raises on bad values."""
        ...
