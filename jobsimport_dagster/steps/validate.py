"""Validation: a pandera schema over chunks of mapped rows; each failure is its line's outcome."""

import re
import time
import uuid
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa

from jobsimport_dagster.codes import RowCode, RowStatus, status_for
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.rows import RowBatch, insert_rows, json_lines, json_text
from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.models import RowOutcome, StepSummary, shown_line
from jobsimport_dagster.sources.base import VERDICT_COLUMNS, Adapter, FileScoped
from jobsimport_dagster.sources.exports import Export, locate, member_label
from jobsimport_dagster.steps.normalize import build_seeds, dedupe_keys, fold_text
from jobsimport_dagster.steps.read import CHUNK_ROWS, RecordChunk, read_chunks

MAX_TITLE_CHARS = 300
EARLIEST_VIEWING_DATE = date(1900, 1, 1)
EARLIEST_YEAR = 1870  # the oldest films Letterboxd lists are from the 1870s
FUTURE_YEARS = 5  # films are listed a few years before their release
_SHOWN_VALUE_CHARS = 60
# C0 and C1 control characters except TAB, which Netflix titles contain (SOURCES.md).
_CONTROL = r"[\x00-\x08\x0a-\x1f\x7f-\x9f]"
_CONTROL_PATTERN = re.compile(_CONTROL)
_MALFORMED = "malformed"  # the frame's one non-text column: the row's width is wrong
# The field a failed verdict of an adapter is about, to place it among the row's problems.
_VERDICT_FIELDS = {
    RowCode.INVALID_TITLE: "title",
    RowCode.INVALID_DATE: "viewing_date",
    RowCode.INVALID_YEAR: "year",
    RowCode.INVALID_IMDB_ID: "imdb_id",
}


@dataclass(frozen=True)
class Rule:
    """One vectorised check of one mapped column: `passes` is True where a row is fine.

    `message` is formatted with `value` (the bad value, quoted), `length`, `fields` and `width`
    (the row's and the header's field counts) and names the bad value in one sentence.
    """

    key: str
    code: RowCode
    column: str
    passes: Callable[[pd.Series], pd.Series]
    message: str


def _iso_dates(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, format="%Y-%m-%d", errors="coerce")


def _without_control(column: pd.Series) -> pd.Series:
    """No control character in the cell. One search of the chunk's titles joined settles
    the usual chunk that has none; only a chunk that has one is searched cell by cell."""
    if _CONTROL_PATTERN.search("".join(column.tolist())) is None:
        return pd.Series(True, index=column.index)
    return ~column.str.contains(_CONTROL, regex=True)


def _dates_within(low: date, high: date) -> Callable[[pd.Series], pd.Series]:
    """Dates in [low, high]; what is not a date at all is `date_form`'s to report."""

    def passes(column: pd.Series) -> pd.Series:
        dates = _iso_dates(column)
        return dates.isna() | dates.between(pd.Timestamp(low), pd.Timestamp(high))

    return passes


@lru_cache(maxsize=8)
def rules_for(import_type: str, today: date) -> tuple[Rule, ...]:
    """Every rule; a row that fails several reports them all (`row_outcome`), in the order of
    the file's columns, and within one column in this order.

    malformed_row first (its cells are shifted, so nothing else in it can be trusted), then
    invalid_title (a bad season too: it is part of the show's title), invalid_date,
    invalid_year, invalid_imdb_id. Rating, review and tags are never checked.
    """
    latest_date = today + timedelta(days=1)  # a viewer east of UTC is already on tomorrow
    latest_year = today.year + FUTURE_YEARS
    row_and_title_rules = (
        Rule(
            _MALFORMED,
            RowCode.MALFORMED_ROW,
            _MALFORMED,
            lambda s: ~s,
            "The row has {fields} fields but the header has {width}.",
        ),
        Rule(
            "title_blank",
            RowCode.INVALID_TITLE,
            "title",
            lambda s: s != "",
            "The title is empty or only spaces.",
        ),
        Rule(
            "title_control",
            RowCode.INVALID_TITLE,
            "title",
            _without_control,
            "The title {value} contains control characters.",
        ),
        Rule(
            "title_length",
            RowCode.INVALID_TITLE,
            "title",
            lambda s: s.str.len() <= MAX_TITLE_CHARS,
            f"The title {{value}} is {{length}} characters long; at most {MAX_TITLE_CHARS} fit.",
        ),
    )
    season_rules = (
        Rule(
            "season",
            RowCode.INVALID_TITLE,
            "season",
            lambda s: s.str.fullmatch(r"0*[1-9]\d{0,2}"),
            "The season {value} is not a whole number from 1 to 999.",
        ),
    )
    other_rules = (
        Rule(
            "date_form",
            RowCode.INVALID_DATE,
            "viewing_date",
            lambda s: s.str.fullmatch(r"\d{4}-\d{2}-\d{2}") & _iso_dates(s).notna(),
            "The date {value} is not a real date in YYYY-MM-DD form.",
        ),
        Rule(
            "date_range",
            RowCode.INVALID_DATE,
            "viewing_date",
            _dates_within(EARLIEST_VIEWING_DATE, latest_date),
            f"The date {{value}} is not between {EARLIEST_VIEWING_DATE} and {latest_date}.",
        ),
        Rule(
            "year",
            RowCode.INVALID_YEAR,
            "year",
            # Four digits compare as text in numeric order; Letterboxd leaves some years empty.
            lambda s: (
                (s == "")
                | (s.str.fullmatch(r"\d{4}") & (s >= str(EARLIEST_YEAR)) & (s <= str(latest_year)))
            ),
            f"The year {{value}} is not a year from {EARLIEST_YEAR} to {latest_year}.",
        ),
        Rule(
            "imdb_id",
            RowCode.INVALID_IMDB_ID,
            "imdb_id",
            lambda s: (s == "") | s.str.fullmatch(r"tt\d{7,}"),
            "The IMDb ID {value} is not of the form tt1234567.",
        ),
    )
    if import_type == "shows":
        return row_and_title_rules + season_rules + other_rules
    return row_and_title_rules + other_rules


@lru_cache(maxsize=8)
def schema_for(import_type: str, today: date) -> pa.DataFrameSchema:
    """The pandera schema of a chunk: one named check per rule, over the checked columns only."""
    checks: dict[str, list[pa.Check]] = {}
    for rule in rules_for(import_type, today):
        # The frame never holds NA: skip pandera's per-check scan for values to drop.
        check = pa.Check(rule.passes, name=rule.key, ignore_na=False)
        checks.setdefault(rule.column, []).append(check)
    return pa.DataFrameSchema(
        {
            # object, not str: pandera would test every cell's type, and the frame is ours;
            # nullable for the same reason: the frame never holds NA, so skip the NA scan.
            column: pa.Column(
                bool if column == _MALFORMED else object, column_checks, nullable=True
            )
            for column, column_checks in checks.items()
        }
    )


@dataclass(frozen=True)
class CheckedChunk:
    """A chunk after validation: its records, cells, mapped cells and the outcomes of the rows
    it settled (failed, or skipped as `not_a_show`) by position; the others go on.

    `source_file` names the CSV inside an export zip the chunk comes from ('' for a dropped CSV).
    """

    records: RecordChunk
    cells: pd.DataFrame
    mapped: pd.DataFrame
    outcomes: dict[int, RowOutcome]
    source_file: str = ""

    def failed_lines(self) -> list[tuple[int | str, RowOutcome]]:
        """(line as shown, outcome) of each failed row, in file order."""
        return [
            (shown_line(self.source_file, self.records.lines[p]), self.outcomes[p])
            for p in sorted(self.outcomes)
            if self.outcomes[p].status == RowStatus.FAILED
        ]


def cells_frame(chunk: RecordChunk) -> pd.DataFrame:
    """The records as one text column per header name; a ragged record is cut or padded."""
    width = len(chunk.header)
    records = [
        cells if len(cells) == width else (cells + [""] * width)[:width] for cells in chunk.records
    ]
    return pd.DataFrame(records, columns=list(chunk.header), dtype=object)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a row: where it sits in the file's columns, and what it is.

    `column` is the position in the header of the cell the problem is about (-1: the row as a
    whole); `rank` orders the problems of one cell as the rules are listed.
    """

    column: int
    rank: int
    code: RowCode
    message: str


def column_position(
    cells: pd.DataFrame, position: int, columns: Sequence[str], *, header: Sequence[str]
) -> int:
    """Where in the file's columns the cell a field of this row was read from sits.

    `columns` are the source columns the field is read from, the one used first leading
    (Letterboxd's viewing date is `Watched Date` where the row has one, else `Date`); a field
    the file has no column for sorts last.
    """
    present = [c for c in columns if c in header]
    if not present:
        return len(header)
    used = next((c for c in present if str(cells.at[position, c]).strip()), present[0])
    return list(header).index(used)


def find_problems(
    chunk: RecordChunk,
    cells: pd.DataFrame,
    mapped: pd.DataFrame,
    adapter: Adapter,
    today: date,
) -> dict[int, list[Problem]]:
    """Run the schema lazily over the mapped columns it checks: every failure case of every
    row, by position, placed at the file column its value came from."""
    width = len(chunk.header)
    schema = schema_for(adapter.type, today)
    frame = pd.DataFrame(
        {column: mapped[column] for column in schema.columns if column in mapped}
        | {_MALFORMED: [len(cells) != width for cells in chunk.records]}
    )
    try:
        # inplace: the frame is this call's own, so pandera need not copy it (nor each column).
        schema.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return {}
    rules = rules_for(adapter.type, today)
    rank = {rule.key: i for i, rule in enumerate(rules)}
    cases = cases[cases["check"].isin(rank.keys())]
    pairs = sorted({(int(i), rank[c]) for i, c in zip(cases["index"], cases["check"], strict=True)})
    problems: dict[int, list[Problem]] = {}
    for position, rule_rank in pairs:
        rule = rules[rule_rank]
        value = str(frame.at[position, rule.column])
        message = rule.message.format(
            value=_shown(value),
            length=len(value),
            fields=len(chunk.records[position]),
            width=width,
        )
        column = (
            -1
            if rule.column == _MALFORMED
            else column_position(
                cells, position, adapter.field_columns.get(rule.column, ()), header=chunk.header
            )
        )
        problems.setdefault(position, []).append(Problem(column, rule_rank, rule.code, message))
    return problems


def row_outcome(problems: Sequence[Problem]) -> RowOutcome:
    """One failed outcome naming every problem: the code of the first in the file's column
    order, and each problem's sentence in that order (SPEC §7).

    A ragged row reports only that: its cells are shifted, so nothing read from them is true.
    """
    ordered = sorted(problems, key=lambda p: (p.column, p.rank))
    malformed = [p for p in ordered if p.code == RowCode.MALFORMED_ROW]
    shown = malformed[:1] or ordered
    return RowOutcome(RowStatus.FAILED, shown[0].code, " ".join(p.message for p in shown))


def source_verdicts(mapped: pd.DataFrame) -> dict[int, RowOutcome]:
    """The outcomes an adapter settled from its source's shape (`VERDICT_COLUMNS`), by position."""
    if VERDICT_COLUMNS[0] not in mapped:
        return {}
    outcomes = {}
    codes, messages = (mapped[column] for column in VERDICT_COLUMNS)
    for position, (code, message) in enumerate(zip(codes, messages, strict=True)):
        if code:
            row_code = RowCode(code)
            outcomes[position] = RowOutcome(status_for(row_code), row_code, message)
    return outcomes


def check_chunk(chunk: RecordChunk, adapter: Adapter, *, today: date) -> CheckedChunk:
    """Map a chunk with its adapter, validate it, and give each bad row one outcome.

    A skip verdict of the adapter (`not_a_show`) settles its row unless the row is ragged. A
    failed verdict (a Netflix date the file's order cannot read) is one more problem of the row,
    in place of the schema's own finding of that code (the verdict says more).
    """
    cells = cells_frame(chunk)
    mapped = adapter.map_frame(cells)
    problems = find_problems(chunk, cells, mapped, adapter, today)
    outcomes = {}
    for position, verdict in source_verdicts(mapped).items():
        found = problems.get(position, [])
        if any(p.code == RowCode.MALFORMED_ROW for p in found):
            continue
        if verdict.status != RowStatus.FAILED:
            outcomes[position] = verdict
            problems.pop(position, None)
            continue
        field = _VERDICT_FIELDS.get(verdict.code)
        column = (
            -1
            if field is None
            else column_position(
                cells, position, adapter.field_columns.get(field, ()), header=chunk.header
            )
        )
        problems[position] = [p for p in found if p.code != verdict.code] + [
            Problem(column, -1, RowCode(verdict.code), verdict.message or "")
        ]
    outcomes |= {position: row_outcome(found) for position, found in problems.items()}
    return CheckedChunk(chunk, cells, mapped, outcomes)


def check_file(
    path: Path,
    source: Adapter | Export,
    *,
    today: date,
    chunk_rows: int = CHUNK_ROWS,
    file_name: str | None = None,
    netflix_profiles: Sequence[str] = (),
) -> Iterator[CheckedChunk]:
    """The file (or each CSV of an export zip) streamed and checked a chunk at a time, so
    memory stays flat.

    An adapter that settles something per file (Netflix's date order and profiles) first reads
    the whole file once; `file_name` is the name the user gave it (default: the path's), which
    the archived copy has lost; `netflix_profiles` the user's choice of Netflix profiles.
    """
    name = file_name or path.name
    if isinstance(source, Export):
        yield from _check_export(
            path,
            source,
            today=today,
            chunk_rows=chunk_rows,
            file_name=name,
            netflix_profiles=netflix_profiles,
        )
        return
    adapter = source
    if isinstance(adapter, FileScoped):
        cells = (cells_frame(chunk) for chunk in read_chunks(path, chunk_rows))
        adapter = adapter.for_file(name, cells, netflix_profiles=netflix_profiles)
    for chunk in read_chunks(path, chunk_rows):
        yield check_chunk(chunk, adapter, today=today)


def _check_export(
    path: Path,
    export: Export,
    *,
    today: date,
    chunk_rows: int,
    file_name: str,
    netflix_profiles: Sequence[str],
) -> Iterator[CheckedChunk]:
    """Each CSV of the export that the zip holds, in the export's order, its rows checked by
    the adapter `Export.bind` gives it and labelled with its name (`diary.csv`).

    Only the export's own CSVs are opened. A zip that cannot be read past what the intake
    screen read (a bad CRC, a member cut short) rejects the file, as bad bytes in a CSV do.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())

            def chunks_of(member: str) -> Iterator[RecordChunk]:
                located = locate(names, member)
                assert located is not None, f"the archive holds no {member}"
                with archive.open(located) as stream:
                    yield from read_chunks(stream, chunk_rows)

            def read_cells(member: str) -> Iterator[pd.DataFrame] | None:
                if locate(names, member) is None:
                    return None
                return (cells_frame(chunk) for chunk in chunks_of(member))

            bound = export.bind(read_cells, file_name=file_name, netflix_profiles=netflix_profiles)
            for member, adapter in bound:
                for chunk in chunks_of(member):
                    checked = check_chunk(chunk, adapter, today=today)
                    yield replace(checked, source_file=member_label(member))
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        # A member cut short or altered: its inflate fails, or its CRC at its end.
        raise FileRejected(
            f"The archive cannot be read ({error}); download the export again and drop it."
        ) from error


def _text(value: object) -> str | None:
    """A payload field as `row_list._text` reads it: spaces trimmed (SQL btrim), blank as None."""
    if value is None or value is pd.NA:
        return None
    return str(value).strip(" ") or None


def _season_title(show: object, season: object) -> str | None:
    """`<show> Season <n>`, or whichever of the two there is (SQL concat_ws)."""
    return " Season ".join(t for t in (_text(show), _text(season)) if t is not None) or None


def search_titles(
    cells: pd.DataFrame, seeds: pd.DataFrame, positions: Sequence[int], import_type: str
) -> list[str]:
    """Each row's title folded as search compares it, for `row_titles`: the Python twin of
    `db.row_list.title_expression` (a test keeps them equal). A valid row (its seed at
    `positions`) is titled from its seed, the others from the file's own columns."""
    count = len(cells)

    def column(name: str) -> Sequence[object]:
        return cells[name].tolist() if name in cells else [None] * count

    from_file = [
        _text(title) or _text(name)
        for title, name in zip(column("Title"), column("Name"), strict=True)
    ]
    if import_type == "shows":
        from_seed = list(map(_season_title, seeds["show"], seeds["season"]))
        from_file = [
            _season_title(show, season) or title
            for show, season, title in zip(column("Show"), column("Season"), from_file, strict=True)
        ]
    else:
        from_seed = list(map(_text, seeds["title"]))
    titles = from_file
    for position, title in zip(positions, from_seed, strict=True):
        titles[position] = title or titles[position]
    return [fold_text(title or "") for title in titles]


def row_batch(checked: CheckedChunk, import_type: str) -> RowBatch:
    """The chunk's rows as written: `pending` with seed and dedupe key, or `failed` (`skipped`
    for `not_a_show`) with a code.

    `raw_payload` is every cell by column; a ragged row's own cells (surplus included) are kept.
    """
    records = checked.records
    count = len(records)
    settled = checked.outcomes
    # A row its adapter settled as a repeat (a watched film the export's diary has) keeps its
    # seed and key too, so a run that does not skip duplicates can take it.
    valid = [p not in settled or settled[p].code == RowCode.DUPLICATE_IN_FILE for p in range(count)]
    seeds = build_seeds(checked.mapped[valid], import_type)
    raw = json_lines(checked.cells)
    width = len(records.header)
    for position, cells in enumerate(records.records):
        if len(cells) != width:
            raw[position] = json_text(records.row(position).raw_payload())
    payloads: list[str | None] = [None] * count
    keys: list[str | None] = [None] * count
    valid_positions = [p for p in range(count) if valid[p]]
    for position, payload, key in zip(
        valid_positions, json_lines(seeds), dedupe_keys(seeds, import_type), strict=True
    ):
        payloads[position] = payload
        keys[position] = key
    outcomes = [settled.get(p) for p in range(count)]
    return RowBatch(
        source_files=[checked.source_file] * count,
        row_numbers=records.lines,
        raw_payloads=raw,
        statuses=[RowStatus.PENDING if o is None else o.status for o in outcomes],
        normalized_payloads=payloads,
        dedupe_keys=keys,
        error_codes=[None if o is None else o.code for o in outcomes],
        error_messages=[None if o is None else o.message for o in outcomes],
        titles=search_titles(checked.cells, seeds, valid_positions, import_type),
    )


def run_validate(
    conn: sa.Connection,
    *,
    job_id: uuid.UUID,
    path: Path,
    adapter: Adapter | Export,
    today: date | None = None,
    chunk_rows: int = CHUNK_ROWS,
    netflix_profiles: Sequence[str] = (),
) -> StepSummary:
    """Read, validate and normalize the file into `import_rows`, then refresh the job's counters.

    Rows already stored for this job are left as they are, so re-running the step adds nothing.
    `adapter` is the file's, or for an export zip the export's. The job's file name (the
    archived copy is named by its partition key) goes to adapters that read it (Netflix's
    `-dmy.csv`, `-profile-<name>.csv`), with the user's `netflix_profiles`.
    """
    started = time.monotonic()
    today = today or datetime.now(UTC).date()
    job = jobs.get_job(conn, job_id=job_id)
    assert job is not None, f"no import job {job_id}"
    file_name = job.file_name
    codes: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    rows_in = 0

    def batches() -> Iterator[RowBatch]:
        nonlocal rows_in
        for checked in check_file(
            path,
            adapter,
            today=today,
            chunk_rows=chunk_rows,
            file_name=file_name,
            netflix_profiles=netflix_profiles,
        ):
            rows_in += len(checked.records)
            codes.update(str(o.code) for o in checked.outcomes.values())
            statuses.update(str(o.status) for o in checked.outcomes.values())
            yield row_batch(checked, adapter.type)

    added = insert_rows(conn, job_id, batches())
    jobs.refresh_counters(conn, job_id)
    invalid, skipped = statuses[RowStatus.FAILED], statuses[RowStatus.SKIPPED]
    return StepSummary(
        step="validate",
        rows_in=rows_in,
        counts={
            "valid": rows_in - invalid - skipped,
            "invalid": invalid,
            **({"skipped": skipped} if skipped else {}),
            **dict(sorted(codes.items())),
        },
        seconds=time.monotonic() - started,
        extra={"source": adapter.name, "rows_added": added},
    )


def _shown(value: str) -> str:
    """The bad value quoted for a message, cut short so a message stays one readable line."""
    if len(value) > _SHOWN_VALUE_CHARS:
        return repr(value[:_SHOWN_VALUE_CHARS]) + "…"
    return repr(value)
