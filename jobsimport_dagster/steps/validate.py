"""Validation: a pandera schema over chunks of mapped rows; each failure is its line's outcome."""

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import islice
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa

from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.rows import NewRow, insert_rows
from jobsimport_dagster.models import RowOutcome, SourceRow, StepSummary
from jobsimport_dagster.sources.base import Adapter, MappedRow
from jobsimport_dagster.steps.normalize import build_seed
from jobsimport_dagster.steps.read import read_rows

CHUNK_ROWS = 20_000
MAX_TITLE_CHARS = 300
EARLIEST_VIEWING_DATE = date(1900, 1, 1)
EARLIEST_YEAR = 1870  # the oldest films Letterboxd lists are from the 1870s
FUTURE_YEARS = 5  # films are listed a few years before release
_SHOWN_VALUE_CHARS = 60
# C0 and C1 control characters except TAB, which Netflix titles contain (SOURCES.md).
_CONTROL = r"[\x00-\x08\x0a-\x1f\x7f-\x9f]"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_YEAR = r"\d{4}"
_SEASON = r"0*[1-9]\d{0,2}"
_IMDB_ID = r"tt\d{7,}"


@dataclass(frozen=True)
class Rule:
    """One check on one column of the frame: `passes` is True where a row is fine.

    `message` gets the row (frame columns by name, `shown` = the checked value quoted) and
    names the bad value in one sentence.
    """

    key: str
    code: RowCode
    column: str
    passes: Callable[[pd.Series], pd.Series]
    message: Callable[[dict], str]


def _blank_ok(match: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """An optional column: empty passes, anything else must match."""
    return lambda s: (s.str.strip() == "") | match(s.str.strip())


def _real_iso_date(s: pd.Series) -> pd.Series:
    text = s.str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return text.str.fullmatch(_ISO_DATE) & parsed.notna()


def _date_within(low: date, high: date) -> Callable[[pd.Series], pd.Series]:
    def passes(s: pd.Series) -> pd.Series:
        parsed = pd.to_datetime(s.str.strip(), format="%Y-%m-%d", errors="coerce")
        return parsed.isna() | parsed.between(pd.Timestamp(low), pd.Timestamp(high))

    return passes


def _year_within(low: int, high: int) -> Callable[[pd.Series], pd.Series]:
    def passes(s: pd.Series) -> pd.Series:
        return s.str.fullmatch(_YEAR) & pd.to_numeric(s, errors="coerce").between(low, high)

    return passes


@cache
def rules_for(import_type: str, today: date) -> tuple[Rule, ...]:
    """Every rule, in precedence order: a row failing several gets the first one's code.

    Precedence: malformed_row (the cells are shifted, so nothing else in the row can be
    trusted), then invalid_title (including a bad season), invalid_date, invalid_year,
    invalid_imdb_id. Rating, review and tags are never checked.
    """
    latest_date = today + timedelta(days=1)  # a viewer east of UTC is already on tomorrow
    latest_year = today.year + FUTURE_YEARS
    rules = [
        Rule(
            "malformed",
            RowCode.MALFORMED_ROW,
            "malformed",
            lambda s: ~s,
            lambda r: f"The row has {r['fields']} fields but the header has {r['width']}.",
        ),
        Rule(
            "title_blank",
            RowCode.INVALID_TITLE,
            "title",
            lambda s: s.str.strip() != "",
            lambda r: f"The title {r['shown']} is empty or only spaces.",
        ),
        Rule(
            "title_control",
            RowCode.INVALID_TITLE,
            "title",
            lambda s: ~s.str.contains(_CONTROL, regex=True),
            lambda r: f"The title {r['shown']} contains control characters.",
        ),
        Rule(
            "title_length",
            RowCode.INVALID_TITLE,
            "title",
            lambda s: s.str.strip().str.len() <= MAX_TITLE_CHARS,
            lambda r: (
                f"The title {r['shown']} is {len(r['title'].strip())} characters long; "
                f"at most {MAX_TITLE_CHARS} are allowed."
            ),
        ),
    ]
    if import_type == "shows":
        rules.append(
            Rule(
                "season",
                RowCode.INVALID_TITLE,
                "season",
                lambda s: s.str.strip().str.fullmatch(_SEASON),
                lambda r: f"The season {r['shown']} is not a whole number from 1 to 999.",
            )
        )
    rules += [
        Rule(
            "date_form",
            RowCode.INVALID_DATE,
            "viewing_date",
            _real_iso_date,
            lambda r: f"The date {r['shown']} is not a real date in YYYY-MM-DD form.",
        ),
        Rule(
            "date_range",
            RowCode.INVALID_DATE,
            "viewing_date",
            _date_within(EARLIEST_VIEWING_DATE, latest_date),
            lambda r: (
                f"The date {r['shown']} is not between {EARLIEST_VIEWING_DATE} and {latest_date}."
            ),
        ),
        Rule(
            "year",
            RowCode.INVALID_YEAR,
            "year",
            _blank_ok(_year_within(EARLIEST_YEAR, latest_year)),
            lambda r: f"The year {r['shown']} is not a year from {EARLIEST_YEAR} to {latest_year}.",
        ),
        Rule(
            "imdb_id",
            RowCode.INVALID_IMDB_ID,
            "imdb_id",
            _blank_ok(lambda s: s.str.fullmatch(_IMDB_ID)),
            lambda r: f"The IMDb ID {r['shown']} is not of the form tt1234567.",
        ),
    ]
    return tuple(rules)


@cache
def schema_for(import_type: str, today: date) -> pa.DataFrameSchema:
    """The pandera schema of a chunk: one named check per rule, only the mapped columns."""
    checks: dict[str, list[pa.Check]] = {}
    for rule in rules_for(import_type, today):
        checks.setdefault(rule.column, []).append(pa.Check(rule.passes, name=rule.key))
    return pa.DataFrameSchema(
        {
            column: pa.Column(bool if column == "malformed" else str, column_checks)
            for column, column_checks in checks.items()
        }
    )


def build_frame(sources: Sequence[SourceRow], mapped: Sequence[MappedRow]) -> pd.DataFrame:
    """The chunk as columns of text, plus the field counts `malformed_row` needs."""
    return pd.DataFrame(
        {
            "title": [m.title for m in mapped],
            "viewing_date": [m.viewing_date for m in mapped],
            "year": [m.year for m in mapped],
            "imdb_id": [m.imdb_id for m in mapped],
            "season": [m.season for m in mapped],
            "malformed": [s.is_malformed for s in sources],
            "fields": [len(s.cells) + len(s.extra_cells) for s in sources],
            "width": [len(s.cells) + s.missing_cells for s in sources],
        }
    )


def find_failures(frame: pd.DataFrame, import_type: str, today: date) -> dict[int, RowOutcome]:
    """Run the schema lazily; one failed outcome per bad row position, by rule precedence."""
    try:
        schema_for(import_type, today).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return {}
    rules = rules_for(import_type, today)
    rank = {rule.key: i for i, rule in enumerate(rules)}
    cases = cases[cases["check"].isin(rank.keys())]
    first = cases.assign(rank=cases["check"].map(rank)).groupby("index")["rank"].min()
    outcomes: dict[int, RowOutcome] = {}
    for position, rule_rank in first.items():
        rule = rules[rule_rank]
        row = frame.iloc[position].to_dict()
        row["shown"] = _shown(row[rule.column])
        outcomes[int(position)] = RowOutcome(RowStatus.FAILED, rule.code, rule.message(row))
    return outcomes


def check_rows(rows: Sequence[SourceRow], adapter: Adapter, *, today: date) -> list[NewRow]:
    """Each row as it is written: `pending` with its seed, or `failed` with a code and message."""
    mapped = [adapter.map_row(r) for r in rows]
    failures = find_failures(build_frame(rows, mapped), adapter.type, today)
    checked = []
    for position, (source, row) in enumerate(zip(rows, mapped, strict=True)):
        outcome = failures.get(position)
        if outcome is None:
            seed = build_seed(row, adapter.type)
            checked.append(
                NewRow(
                    row_number=source.line,
                    raw_payload=source.raw_payload(),
                    status=RowStatus.PENDING,
                    normalized_payload=seed.payload,
                    dedupe_key=seed.dedupe_key,
                )
            )
        else:
            checked.append(
                NewRow(
                    row_number=source.line,
                    raw_payload=source.raw_payload(),
                    status=outcome.status,
                    error_code=outcome.code,
                    error_message=outcome.message,
                )
            )
    return checked


def check_file(
    path: Path, adapter: Adapter, *, today: date, chunk_rows: int = CHUNK_ROWS
) -> Iterator[list[NewRow]]:
    """The file streamed and checked chunk by chunk, so memory stays flat however long it is."""
    for chunk in _chunks(read_rows(path), chunk_rows):
        yield check_rows(chunk, adapter, today=today)


def run_validate(
    conn: sa.Connection,
    *,
    job_id: uuid.UUID,
    path: Path,
    adapter: Adapter,
    today: date | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> StepSummary:
    """Read, validate and normalize the file into `import_rows`, then refresh the job's counters.

    Rows already stored for this job are left as they are, so re-running the step adds nothing.
    """
    started = time.monotonic()
    today = today or datetime.now(UTC).date()
    codes: Counter[str] = Counter()
    rows_in = added = 0
    for checked in check_file(path, adapter, today=today, chunk_rows=chunk_rows):
        rows_in += len(checked)
        codes.update(r.error_code for r in checked if r.error_code)
        added += insert_rows(conn, job_id, checked)
    jobs.refresh_counters(conn, job_id)
    invalid = sum(codes.values())
    return StepSummary(
        step="validate",
        rows_in=rows_in,
        counts={"valid": rows_in - invalid, "invalid": invalid, **dict(sorted(codes.items()))},
        seconds=time.monotonic() - started,
        extra={"source": adapter.name, "rows_added": added},
    )


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _shown(value: object) -> str:
    """The bad value quoted for a message, cut short so a message stays one readable line."""
    text = str(value)
    if len(text) > _SHOWN_VALUE_CHARS:
        return repr(text[:_SHOWN_VALUE_CHARS]) + "…"
    return repr(text)
