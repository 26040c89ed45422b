"""Dedupe: repeats inside the file, rows imported before, records the catalogue already has."""

import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from jobsimport_dagster.clients.omdb import parse_year
from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db import claims, viewings
from jobsimport_dagster.models import RowOutcome, StepSummary, shown_line
from jobsimport_dagster.sources.registry import row_source
from jobsimport_dagster.steps.enrich import title_match_key

# Sources whose date says when a film was logged or rated, not when it was seen (SPEC §7).
UNDATED_SOURCES = frozenset({"letterboxd-watched", "letterboxd-ratings"})
# Sources that list the latest viewing first: on one day, the lower line was watched first.
NEWEST_FIRST_SOURCES = frozenset({"netflix", "netflix-activity"})

_LEADING_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
_SEASON_TITLE = re.compile(r"^(?P<show>.+?)\s+season\s+(?P<season>\d+)\s*$", re.IGNORECASE)


Line = TypeVar("Line", int, tuple[str, int])


def in_file_duplicates(
    rows: Iterable[tuple[Line, str | None, str | None]], *, newest_first: bool = False
) -> dict[Line, Line]:
    """`{line: kept line}` for every row whose dedupe key another row of the file keeps.

    `rows` are (line, dedupe key, viewing date); a line is a number, or (CSV name, number) for
    the CSVs of an export zip, which each count their own lines. The row seen first keeps the
    key: the earliest date, and on one date the earliest line (a zip's CSVs in name order), or
    the latest in a `newest_first` file. A show's episodes share its season's key, so the first
    episode watched carries the record and its date is the season's start. A film's key holds
    its date, so there the earliest line keeps it. Rows without a key (invalid ones) never
    collide.
    """
    keyed = [(line, key, day or "") for line, key, day in rows if key is not None]
    direction = -1 if newest_first else 1

    def order(row: tuple[Line, str, str]) -> tuple[str, str, int]:
        line, _, day = row
        member, number = line if isinstance(line, tuple) else ("", line)
        return day, member, direction * number

    keyed.sort(key=order)
    kept: dict[str, Line] = {}
    duplicates: dict[Line, Line] = {}
    for line, key, _ in keyed:
        if key in kept:
            duplicates[line] = kept[key]
        else:
            kept[key] = line
    return duplicates


def is_newest_first(source: str) -> bool:
    """True for Netflix, whose viewing history lists the latest viewing first."""
    return source in NEWEST_FIRST_SOURCES


def is_undated_source(source: str) -> bool:
    """True for Letterboxd `watched`/`ratings` files, whose rows also match on title and year."""
    return source in UNDATED_SOURCES


def title_year_key(title: str, year: int | None) -> str | None:
    """`<title match key>|<year>`; None without a year, which then never matches."""
    return None if year is None else f"{title_match_key(title)}|{year}"


def record_date(value: object) -> str | None:
    """`YYYY-MM-DD` of a catalogue date (`…T00:00:00.000Z` or plain), None if absent."""
    match = _LEADING_DATE.match(str(value)) if value else None
    return match.group(1) if match else None


def _imdb_key(imdb_id: object) -> str | None:
    text = str(imdb_id or "").strip().lower()
    return text or None


@dataclass(frozen=True)
class CatalogueMatch:
    """A catalogue record that matches a row; its id settles a POST that may have arrived."""

    record_id: str | None


def _match_of(record: Mapping[str, Any]) -> CatalogueMatch:
    record_id = record.get("id")
    return CatalogueMatch(None if record_id is None else str(record_id))


@dataclass(frozen=True)
class MovieCatalogue:
    """`GET /movies` indexed by (title key, date), (IMDb ID, date) and title-year key."""

    by_title_date: Mapping[tuple[str, str], CatalogueMatch]
    by_imdb_date: Mapping[tuple[str, str], CatalogueMatch]
    title_years: frozenset[str]


def index_movies(records: Iterable[Mapping[str, Any]]) -> MovieCatalogue:
    """Index the catalogue's movies; records missing a field are indexed by what they have."""
    by_title_date: dict[tuple[str, str], CatalogueMatch] = {}
    by_imdb_date: dict[tuple[str, str], CatalogueMatch] = {}
    title_years: set[str] = set()
    for record in records:
        match = _match_of(record)
        title = str(record.get("title") or "")
        day = record_date(record.get("viewingDate"))
        imdb = _imdb_key(record.get("imdbId"))
        if title and day:
            by_title_date.setdefault((title_match_key(title), day), match)
        if imdb and day:
            by_imdb_date.setdefault((imdb, day), match)
        title_year = title_year_key(title, parse_year(record.get("year"))) if title else None
        if title_year:
            title_years.add(title_year)
    return MovieCatalogue(by_title_date, by_imdb_date, frozenset(title_years))


def find_movie(
    index: MovieCatalogue,
    *,
    title: str | None = None,
    imdb_id: str | None = None,
    viewing_date: str,
) -> CatalogueMatch | None:
    """The record seen on that date with that IMDb ID, else that title (by `title_match_key`)."""
    imdb = _imdb_key(imdb_id)
    if imdb and (imdb, viewing_date) in index.by_imdb_date:
        return index.by_imdb_date[(imdb, viewing_date)]
    if title:
        return index.by_title_date.get((title_match_key(title), viewing_date))
    return None


def movie_exists(
    index: MovieCatalogue,
    *,
    title: str | None = None,
    imdb_id: str | None = None,
    viewing_date: str,
) -> bool:
    """`exists_in_api`: by title + date before enrichment, by IMDb ID + date before the POST."""
    return find_movie(index, title=title, imdb_id=imdb_id, viewing_date=viewing_date) is not None


def _season_number(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _show_seasons(record: Mapping[str, Any]) -> Iterator[tuple[set[str], int, CatalogueMatch]]:
    """(show names, season, match) of a `GET /shows` record.

    The API may hold one record per season (`showName`, `seasonNumber`, title
    `<show> Season <n>`) or one per show with nested `seasons: [{seasonNumber, …}]`.
    """
    title = str(record.get("title") or "")
    from_title = _SEASON_TITLE.match(title)
    names = {str(record[key]) for key in ("showName", "name") if record.get(key)}
    if from_title:
        names.add(from_title["show"])
    elif title:
        names.add(title)
    record_match = _match_of(record)
    seasons = record.get("seasons")
    if isinstance(seasons, list):
        for item in seasons:
            if isinstance(item, Mapping):
                number = _season_number(item.get("seasonNumber", item.get("season")))
                match = _match_of(item) if item.get("id") is not None else record_match
            else:
                number, match = _season_number(item), record_match
            if number is not None:
                yield names, number, match
        return
    number = _season_number(record.get("seasonNumber"))
    if number is None and from_title:
        number = int(from_title["season"])
    if number is not None:
        yield names, number, record_match


@dataclass(frozen=True)
class ShowCatalogue:
    """`GET /shows` indexed by (show name key, season) and (IMDb ID, season)."""

    by_name_season: Mapping[tuple[str, int], CatalogueMatch]
    by_imdb_season: Mapping[tuple[str, int], CatalogueMatch]


def index_shows(records: Iterable[Mapping[str, Any]]) -> ShowCatalogue:
    by_name_season: dict[tuple[str, int], CatalogueMatch] = {}
    by_imdb_season: dict[tuple[str, int], CatalogueMatch] = {}
    for record in records:
        imdb = _imdb_key(record.get("imdbId"))
        for names, season, match in _show_seasons(record):
            for name in names:
                by_name_season.setdefault((title_match_key(name), season), match)
            if imdb:
                by_imdb_season.setdefault((imdb, season), match)
    return ShowCatalogue(by_name_season, by_imdb_season)


def find_show(
    index: ShowCatalogue, *, show: str | None = None, imdb_id: str | None = None, season: int
) -> CatalogueMatch | None:
    """The record of that season of the show with that IMDb ID or name."""
    imdb = _imdb_key(imdb_id)
    if imdb and (imdb, season) in index.by_imdb_season:
        return index.by_imdb_season[(imdb, season)]
    if show:
        return index.by_name_season.get((title_match_key(show), season))
    return None


def show_exists(
    index: ShowCatalogue, *, show: str | None = None, imdb_id: str | None = None, season: int
) -> bool:
    """`exists_in_api` for a show-season: by name before enrichment, by IMDb ID before the POST."""
    return find_show(index, show=show, imdb_id=imdb_id, season=season) is not None


@dataclass(frozen=True)
class ImportedIndex:
    """Success rows of earlier imports: their dedupe keys and title-year keys."""

    dedupe_keys: frozenset[str]
    title_years: frozenset[str]


def index_imported(rows: Iterable[tuple[str | None, Mapping[str, Any] | None]]) -> ImportedIndex:
    """Index `(dedupe_key, normalized_payload)` of success rows from earlier imports."""
    dedupe_keys: set[str] = set()
    title_years: set[str] = set()
    for dedupe_key, payload in rows:
        if dedupe_key:
            dedupe_keys.add(dedupe_key)
        if payload and payload.get("title"):
            title_year = title_year_key(str(payload["title"]), payload.get("year"))
            if title_year:
                title_years.add(title_year)
    return ImportedIndex(frozenset(dedupe_keys), frozenset(title_years))


def is_already_imported(
    imported: ImportedIndex,
    *,
    dedupe_key: str,
    source: str,
    title: str,
    year: int | None,
    catalogue: MovieCatalogue | None = None,
) -> bool:
    """`already_imported`: an earlier success row has the key; for undated sources also a
    success row or catalogue record with the same title and year, on any date."""
    if dedupe_key in imported.dedupe_keys:
        return True
    title_year = title_year_key(title, year) if is_undated_source(source) else None
    if title_year is None:
        return False
    return title_year in imported.title_years or (
        catalogue is not None and title_year in catalogue.title_years
    )


def skip_outcome(
    *,
    skip_duplicates: bool,
    label: str,
    first_line: int | str | None = None,
    already_imported: bool = False,
    exists_in_api: bool = False,
) -> RowOutcome | None:
    """The row's skip, or None to go on; with `skip_duplicates` off no duplicate is skipped.

    In-file repeats come first, then earlier imports, then the catalogue: the most local reason
    is the one a user can act on. `label` names the row (its title) in the message.
    """
    if not skip_duplicates:
        return None
    if first_line is not None:
        return RowOutcome(
            RowStatus.SKIPPED,
            RowCode.DUPLICATE_IN_FILE,
            f"'{label}' repeats line {first_line} of this file.",
        )
    if already_imported:
        return RowOutcome(
            RowStatus.SKIPPED,
            RowCode.ALREADY_IMPORTED,
            f"'{label}' was already imported by an earlier import.",
        )
    if exists_in_api:
        return RowOutcome(
            RowStatus.SKIPPED, RowCode.EXISTS_IN_API, f"'{label}' is already in the catalogue."
        )
    return None


def run_dedupe(
    conn: Connection,
    *,
    job_id: uuid.UUID,
    import_type: str,
    source: str,
    skip_duplicates: bool,
    read_catalogue: Callable[[], Sequence[Mapping[str, Any]]],
) -> StepSummary:
    """Skip the open rows that repeat a line of the file, an earlier import or the catalogue.

    `read_catalogue` gives the run's one `GET /movies` (or `/shows`) read.
    """
    started = time.monotonic()
    # A `processing` row may be our own POST that arrived before a crash: the insert step
    # settles it against the catalogue, so it is never skipped here.
    rows = [r for r in claims.open_rows(conn, job_id) if r.status == RowStatus.PENDING]
    if not skip_duplicates or not rows:
        return StepSummary(step="dedupe", rows_in=len(rows), seconds=time.monotonic() - started)
    updates, counts = _skips(conn, job_id, rows, import_type, source, records=read_catalogue())
    claims.write_updates(conn, updates)
    return StepSummary(
        step="dedupe", rows_in=len(rows), counts=counts, seconds=time.monotonic() - started
    )


def _skips(
    conn: Connection,
    job_id: uuid.UUID,
    rows: list[claims.ClaimedRow],
    import_type: str,
    source: str,
    *,
    records: Sequence[Mapping[str, Any]],
) -> tuple[list[claims.RowUpdate], dict[str, int]]:
    """The skip of each row that repeats the file, an earlier import or the catalogue, and
    the count of each code."""
    first_lines = in_file_duplicates(
        claims.keyed_lines(conn, job_id), newest_first=is_newest_first(source)
    )
    is_movies = import_type == "movies"
    keys = [r.dedupe_key for r in rows if r.dedupe_key]
    # A zip's rows each have their own CSV's source: watched.csv's films match on title + year.
    undated_keys = [
        r.dedupe_key
        for r in rows
        if r.dedupe_key and is_undated_source(row_source(source, r.source_file))
    ]
    title_keys = sorted({k.split("|", 1)[0] for k in undated_keys})
    imported = index_imported(
        claims.earlier_successes(
            conn, excluding_job=job_id, dedupe_keys=keys, title_keys=title_keys
        )
    )
    # A catalogue record of a viewing another import holds was posted by it, maybe moments
    # ago (its success not written yet): the row is that import's repeat, `already_imported`.
    posted_elsewhere = viewings.claimed_elsewhere(
        conn, import_type=import_type, job_id=job_id, dedupe_keys=keys
    )
    movie_index = index_movies(records) if is_movies else None
    show_index = None if is_movies else index_shows(records)
    updates: list[claims.RowUpdate] = []
    counts: dict[str, int] = {}
    for row in rows:
        seed = row.normalized_payload
        label = str(seed.get("title") or seed.get("show") or "")
        if is_movies:
            assert movie_index is not None
            exists = movie_exists(movie_index, title=label, viewing_date=seed["viewing_date"])
            already = is_already_imported(
                imported,
                dedupe_key=row.dedupe_key or "",
                source=row_source(source, row.source_file),
                title=label,
                year=seed.get("year"),
                catalogue=movie_index,
            )
        else:
            assert show_index is not None
            season = int(seed["season"])
            exists = show_exists(show_index, show=label, season=season)
            already = (row.dedupe_key or "") in imported.dedupe_keys
            label = f"{label} Season {season}"  # the message names the show-season
        already = already or (exists and row.dedupe_key in posted_elsewhere)
        first = first_lines.get((row.source_file, row.line))
        outcome = skip_outcome(
            skip_duplicates=True,  # `run_dedupe` skips nothing when they are off
            label=label,
            first_line=None if first is None else shown_line(*first),
            already_imported=already,
            exists_in_api=exists,
        )
        if outcome is None:
            continue
        assert outcome.code is not None
        counts[outcome.code] = counts.get(outcome.code, 0) + 1
        updates.append(
            claims.RowUpdate(
                id=row.id,
                status=outcome.status,
                error_code=outcome.code,
                error_message=outcome.message,
            )
        )
    return updates, counts
