"""Plain frozen dataclasses passed between the pure core and the I/O shell."""

from dataclasses import dataclass, field
from typing import Any

from jobsimport_dagster.codes import RowCode, RowStatus

EXTRA_CELLS = "_extra_cells"  # the raw payload's key for a ragged row's cells past the header


@dataclass(frozen=True)
class SourceRow:
    """One CSV record as read: its physical start line (header = 1) and its cells by column.

    `extra_cells` holds cells past the header's width; `missing_cells` counts absent ones. Either
    makes the row `malformed_row`, but the raw cells are kept so nothing is lost.
    """

    line: int
    cells: dict[str, str]
    extra_cells: tuple[str, ...] = ()
    missing_cells: int = 0

    @property
    def is_malformed(self) -> bool:
        return bool(self.extra_cells) or self.missing_cells > 0

    def raw_payload(self) -> dict[str, Any]:
        """The row as stored in `import_rows.raw_payload`: every cell, nothing dropped."""
        raw: dict[str, Any] = dict(self.cells)
        if self.extra_cells:
            raw[EXTRA_CELLS] = list(self.extra_cells)
        return raw


def shown_line(source_file: str, line: int) -> int | str:
    """A row's line as users see it (SPEC §5): the number alone for a dropped CSV, and
    `<csv name>:<line>` for a CSV inside an export zip, whose files each count their own lines."""
    return f"{source_file}:{line}" if source_file else line


@dataclass(frozen=True)
class RowOutcome:
    """A row's result from a step: a status and, unless it succeeded or is pending, a code."""

    status: RowStatus
    code: RowCode | None = None
    message: str | None = None


@dataclass(frozen=True)
class StepSummary:
    """What a step did, turned into Dagster metadata and lifecycle events by the defs layer."""

    step: str
    rows_in: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
