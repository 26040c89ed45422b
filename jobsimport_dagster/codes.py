"""Row and job statuses and row error codes: the SPEC §6/§7 strings and what each code means."""

from dataclasses import dataclass
from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RowStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"


class RowCode(StrEnum):
    # skipped
    DUPLICATE_IN_FILE = "duplicate_in_file"
    ALREADY_IMPORTED = "already_imported"
    EXISTS_IN_API = "exists_in_api"
    DRY_RUN = "dry_run"
    NOT_A_SHOW = "not_a_show"
    NOT_A_VIEWING = "not_a_viewing"
    OTHER_PROFILE = "other_profile"
    # failed, permanent
    INVALID_TITLE = "invalid_title"
    INVALID_DATE = "invalid_date"
    INVALID_YEAR = "invalid_year"
    INVALID_IMDB_ID = "invalid_imdb_id"
    INVALID_PROFILE = "invalid_profile"
    MALFORMED_ROW = "malformed_row"
    NOT_FOUND = "not_found"
    WRONG_TYPE = "wrong_type"
    AMBIGUOUS_MATCH = "ambiguous_match"
    INSERT_REJECTED = "insert_rejected"
    # failed, retryable
    OMDB_BUDGET_EXHAUSTED = "omdb_budget_exhausted"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    INSERT_FAILED = "insert_failed"


@dataclass(frozen=True)
class Outcome:
    """What a code does to its row: the status it leads to and whether a later run retries it."""

    status: RowStatus
    retryable: bool


_SKIP = Outcome(RowStatus.SKIPPED, retryable=False)
_PERMANENT = Outcome(RowStatus.FAILED, retryable=False)
_RETRYABLE = Outcome(RowStatus.FAILED, retryable=True)

OUTCOMES: dict[RowCode, Outcome] = {
    RowCode.DUPLICATE_IN_FILE: _SKIP,
    RowCode.ALREADY_IMPORTED: _SKIP,
    RowCode.EXISTS_IN_API: _SKIP,
    RowCode.DRY_RUN: _SKIP,
    RowCode.NOT_A_SHOW: _SKIP,
    RowCode.NOT_A_VIEWING: _SKIP,
    RowCode.OTHER_PROFILE: _SKIP,
    RowCode.INVALID_TITLE: _PERMANENT,
    RowCode.INVALID_DATE: _PERMANENT,
    RowCode.INVALID_YEAR: _PERMANENT,
    RowCode.INVALID_IMDB_ID: _PERMANENT,
    RowCode.INVALID_PROFILE: _PERMANENT,
    RowCode.MALFORMED_ROW: _PERMANENT,
    RowCode.NOT_FOUND: _PERMANENT,
    RowCode.WRONG_TYPE: _PERMANENT,
    RowCode.AMBIGUOUS_MATCH: _PERMANENT,
    RowCode.INSERT_REJECTED: _PERMANENT,
    RowCode.OMDB_BUDGET_EXHAUSTED: _RETRYABLE,
    RowCode.UPSTREAM_UNAVAILABLE: _RETRYABLE,
    RowCode.INSERT_FAILED: _RETRYABLE,
}

RETRYABLE_CODES: frozenset[RowCode] = frozenset(c for c, o in OUTCOMES.items() if o.retryable)


def is_retryable(code: RowCode | str | None) -> bool:
    """True when a failed row with this code is taken again by the next run."""
    return code is not None and code in RETRYABLE_CODES


def status_for(code: RowCode) -> RowStatus:
    """The row status a code leads to."""
    return OUTCOMES[code].status
