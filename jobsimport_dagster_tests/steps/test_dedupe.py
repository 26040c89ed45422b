"""Dedupe on real diary rows and catalogue records: in-file repeats, earlier imports, catalogue."""

import csv
from pathlib import Path
from typing import Any

import pytest

from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.steps.dedupe import (
    find_movie,
    find_show,
    in_file_duplicates,
    index_imported,
    index_movies,
    index_shows,
    is_already_imported,
    is_newest_first,
    is_undated_source,
    movie_exists,
    record_date,
    show_exists,
    skip_outcome,
    title_year_key,
)
from jobsimport_dagster.steps.normalize import movie_dedupe_key, show_dedupe_key


def diary_keys(sample_data: Path, name: str) -> list[tuple[int, str, str]]:
    """(line, dedupe key, date) of a real Letterboxd diary; these files have one line per record."""
    with (sample_data / "letterboxd" / name).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (line, movie_dedupe_key(row["Name"], row["Watched Date"]), row["Watched Date"])
        for line, row in enumerate(rows, start=2)
    ]


# --- in the file ---------------------------------------------------------------------------------


TROLLS = show_dedupe_key("Trollhunters: Tales of Arcadia", 2)


@pytest.mark.parametrize(
    ("rows", "newest_first", "duplicates"),
    [
        # the same key twice: the later line is the duplicate of the earlier
        ([(2, "up|2024-01-05", "2024-01-05"), (3, "up|2024-01-05", "2024-01-05")], False,
         {3: 2}),
        # three times: every later line points at the first
        ([(2, "a|d", "d"), (5, "a|d", "d"), (9, "a|d", "d")], False, {5: 2, 9: 2}),
        # given out of order, the earliest line still keeps the key
        ([(9, "a|d", "d"), (2, "a|d", "d")], False, {9: 2}),
        # same film on another day is a rewatch, not a duplicate
        ([(2, "inception|2018-01-22", "2018-01-22"), (3, "inception|2024-03-18", "2024-03-18")],
         False, {}),
        # invalid rows have no key and never collide
        ([(2, None, None), (3, None, None)], False, {}),
        # a show-season's key ignores case and spacing
        ([(2, TROLLS, "2020-10-20"), (4, show_dedupe_key("trollhunters:  tales of arcadia", 2),
          "2020-10-20")], False, {4: 2}),
        # a season's episodes: the earliest date carries it, whatever its line
        ([(2, TROLLS, "2020-10-21"), (5, TROLLS, "2020-10-20"), (7, TROLLS, "2020-10-22")],
         False, {2: 5, 7: 5}),
        # Netflix lists the latest first: on one day the lowest line was watched first
        ([(2, TROLLS, "2020-10-21"), (5, TROLLS, "2020-10-20"), (7, TROLLS, "2020-10-20")],
         True, {2: 7, 5: 7}),
        # a template lists in its own order: on one day the first line is kept
        ([(5, TROLLS, "2020-10-20"), (7, TROLLS, "2020-10-20")], False, {7: 5}),
    ],
)  # fmt: skip
def test_in_file_duplicates(
    rows: list[tuple[int, str | None, str | None]], newest_first: bool, duplicates: dict[int, int]
) -> None:
    assert in_file_duplicates(rows, newest_first=newest_first) == duplicates


@pytest.mark.parametrize(
    "diary", ["extratone_diary_2024_crlf.csv", "agosvenezia_diary_2024-06-01.csv"]
)
def test_real_diary_rewatches_are_not_duplicates(sample_data: Path, diary: str) -> None:
    # Inception, National Treasure, "The Son" (2019 and 2022) appear twice on different days.
    assert in_file_duplicates(diary_keys(sample_data, diary)) == {}


def test_in_file_duplicates_of_an_export_zip_keep_each_csvs_lines_apart() -> None:
    # diary.csv and watched.csv both have a line 2: only a shared key makes a duplicate, and on
    # one day the CSV first in name order (the diary) keeps it
    up = movie_dedupe_key("Up", "2024-01-01")
    rows = [
        (("diary.csv", 2), up, "2024-01-01"),
        (("diary.csv", 3), movie_dedupe_key("Heat", "2024-01-02"), "2024-01-02"),
        (("watched.csv", 2), up, "2024-01-01"),
        (("watched.csv", 3), movie_dedupe_key("Heat", "2023-05-01"), "2023-05-01"),
    ]
    assert in_file_duplicates(rows) == {("watched.csv", 2): ("diary.csv", 2)}
    # Netflix's activity inside its zip lists the latest first, as the file alone does
    activity = [(("ViewingActivity.csv", n), up, "2024-01-01") for n in (2, 9, 5)]
    assert in_file_duplicates(activity, newest_first=True) == {
        ("ViewingActivity.csv", 2): ("ViewingActivity.csv", 9),
        ("ViewingActivity.csv", 5): ("ViewingActivity.csv", 9),
    }


def test_real_diary_with_a_repeated_entry(sample_data: Path) -> None:
    # The same diary entry pasted again at the end of the file.
    keys = diary_keys(sample_data, "extratone_diary_2024_crlf.csv")
    inception_line, inception_key, day = next(
        row for row in keys if row[1] == "inception|2018-01-22"
    )
    last = keys[-1][0] + 1
    assert in_file_duplicates([*keys, (last, inception_key, day)]) == {last: inception_line}


# --- the catalogue: movies -----------------------------------------------------------------------

MOVIE_RECORDS: list[dict[str, Any]] = [
    # as this project posts it (SPEC §8)
    {"id": 1, "title": "Airplane!", "imdbId": "tt0080339", "year": 1980,
     "viewingDate": "2024-01-05T00:00:00.000Z"},
    # a plain date and a numeric title read back as a number
    {"id": "b2", "title": 1917, "imdbId": "tt8579674", "year": 2019, "viewingDate": "2020-01-12"},
    # no date: never matches on a date
    {"id": 3, "title": "Up", "imdbId": "tt1049413", "year": 2009},
    # no title: matches by IMDb ID only
    {"id": 4, "imdbId": "tt2802144", "viewingDate": "2021-05-01T18:30:00.000Z"},
    # no id at all
    {"title": "Past Lives", "viewingDate": "2023-09-02T00:00:00.000Z", "year": "2023"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("title", "imdb_id", "viewing_date", "record_id"),
    [
        # before enrichment the user's title: punctuation and case do not matter
        ("airplane", None, "2024-01-05", "1"),
        # another day is another viewing
        ("Airplane!", None, "2024-01-06", None),
        # before the POST the provider's IMDb ID
        (None, "tt0080339", "2024-01-05", "1"),
        (None, "TT0080339", "2024-01-05", "1"),
        # both given: the IMDb ID decides first, the title still matches without it
        ("Airplane!", "tt9999999", "2024-01-05", "1"),
        # plain catalogue date and numeric title
        ("1917", None, "2020-01-12", "b2"),
        # a record without a date never matches
        ("Up", "tt1049413", "2009-05-29", None),
        # a record without a title matches by IMDb ID; the time of day is ignored
        (None, "tt2802144", "2021-05-01", "4"),
        ("Kingsman: The Secret Service", None, "2021-05-01", None),
        # nothing to match on
        (None, None, "2024-01-05", None),
    ],
)
def test_find_movie(
    title: str | None, imdb_id: str | None, viewing_date: str, record_id: str | None
) -> None:
    index = index_movies(MOVIE_RECORDS)
    match = find_movie(index, title=title, imdb_id=imdb_id, viewing_date=viewing_date)
    assert (match.record_id if match else None) == record_id
    exists = movie_exists(index, title=title, imdb_id=imdb_id, viewing_date=viewing_date)
    assert exists is (record_id is not None)


def test_movie_record_without_id_still_exists() -> None:
    index = index_movies(MOVIE_RECORDS)
    match = find_movie(index, title="past lives", viewing_date="2023-09-02")
    assert match is not None and match.record_id is None


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2024-01-05T00:00:00.000Z", "2024-01-05"),  # as posted
        ("2024-01-05", "2024-01-05"),  # plain date
        (None, None),  # missing
        ("", None),
        ("05/01/2024", None),  # not ISO: unknown, never guessed
    ],
)
def test_record_date(value: object, day: str | None) -> None:
    assert record_date(value) == day


# --- the catalogue: shows ------------------------------------------------------------------------

SHOW_RECORDS: list[dict[str, Any]] = [
    # one record per season, as this project posts it
    {"id": 7, "title": "Breakout Kings Season 1", "showName": "Breakout Kings",
     "seasonNumber": 1, "imdbId": "tt1590961"},
    # per season, known only from its title
    {"id": 8, "title": "Stargate SG-1 Season 3"},
    # one record per show with nested seasons; a season with its own id, a text number
    {"id": 9, "title": "Severance", "imdbId": "tt11280740",
     "seasons": [{"seasonNumber": 1}, {"seasonNumber": "2", "id": 10}]},
    # nested seasons as bare numbers, name in showName
    {"id": 11, "showName": "Trollhunters: Tales of Arcadia", "seasons": [1, 2]},
]  # fmt: skip


@pytest.mark.parametrize(
    ("show", "imdb_id", "season", "record_id"),
    [
        # per-season record by name and by IMDb ID
        ("breakout kings", None, 1, "7"),
        (None, "tt1590961", 1, "7"),
        ("Breakout Kings", None, 2, None),
        # name and season read from the title; "SG1" typed without the hyphen
        ("Stargate SG1", None, 3, "8"),
        ("Stargate SG-1", None, 1, None),
        # nested seasons: the season's own id when it has one, else the show's
        ("Severance", None, 1, "9"),
        ("severance", None, 2, "10"),
        (None, "tt11280740", 2, "10"),
        ("Severance", None, 3, None),
        # nested bare numbers
        ("Trollhunters: Tales of Arcadia", None, 2, "11"),
    ],
)
def test_find_show(
    show: str | None, imdb_id: str | None, season: int, record_id: str | None
) -> None:
    index = index_shows(SHOW_RECORDS)
    match = find_show(index, show=show, imdb_id=imdb_id, season=season)
    assert (match.record_id if match else None) == record_id
    assert show_exists(index, show=show, imdb_id=imdb_id, season=season) is (record_id is not None)


# --- earlier imports -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "year", "other", "other_year", "same"),
    [
        ("airplane", 1980, "Airplane!", 1980, True),  # punctuation
        ("The Son", 2022, "The Son", 2019, False),  # same title, two films (real diary)
        ("One Day", 2011, "One Day", 2024, False),  # a film and a series (real diary)
    ],
)
def test_title_year_key(title: str, year: int, other: str, other_year: int, same: bool) -> None:
    assert (title_year_key(title, year) == title_year_key(other, other_year)) is same


def test_title_year_key_without_year_is_none() -> None:
    assert title_year_key("The Son", None) is None


@pytest.mark.parametrize(
    ("source", "undated"),
    [
        ("letterboxd-watched", True),
        ("letterboxd-ratings", True),
        ("letterboxd-diary", False),
        ("letterboxd-reviews", False),
        ("template", False),
        ("netflix", False),
    ],
)
def test_is_undated_source(source: str, undated: bool) -> None:
    assert is_undated_source(source) is undated


@pytest.mark.parametrize(
    ("source", "newest_first"),
    [
        # Netflix lists the latest viewing first
        ("netflix", True),
        # Letterboxd and the templates list in the user's own order
        ("letterboxd-diary", False),
        ("template", False),
    ],
)
def test_is_newest_first(source: str, newest_first: bool) -> None:
    assert is_newest_first(source) is newest_first


IMPORTED = [
    # success rows of earlier imports: (dedupe_key, normalized_payload)
    (movie_dedupe_key("The Son", "2023-10-18"), {"title": "The Son", "year": 2022}),
    (movie_dedupe_key("Past Lives", "2023-09-02"), {"title": "Past Lives", "year": 2023}),
    (show_dedupe_key("Breakout Kings", 1), {"show": "Breakout Kings", "season": 1}),
    (None, None),
]


@pytest.mark.parametrize(
    ("source", "title", "year", "day", "imported"),
    [
        # same dedupe key as an earlier success row
        ("letterboxd-diary", "The Son", 2022, "2023-10-18", True),
        # a diary rewatch on another day is new
        ("letterboxd-diary", "The Son", 2022, "2024-02-01", False),
        # watched.csv: the date is when it was logged, so title + year on any date
        ("letterboxd-watched", "The Son", 2022, "2024-02-01", True),
        # ...but the other film with the same title is not the same
        ("letterboxd-watched", "The Son", 2019, "2024-01-03", False),
        # ratings.csv matches a catalogue record by title + year ("Airplane!" 1980)
        ("letterboxd-ratings", "airplane", 1980, "2024-03-01", True),
        # catalogue record whose year is text
        ("letterboxd-ratings", "Past Lives", 2023, "2024-03-01", True),
        # no year: title alone is not enough
        ("letterboxd-watched", "The Son", None, "2024-02-01", False),
        # a template row is dated: catalogue title + year on another day is not a match here
        ("template", "airplane", 1980, "2024-03-01", False),
    ],
)
def test_is_already_imported(
    source: str, title: str, year: int | None, day: str, imported: bool
) -> None:
    result = is_already_imported(
        index_imported(IMPORTED),
        dedupe_key=movie_dedupe_key(title, day),
        source=source,
        title=title,
        year=year,
        catalogue=index_movies(MOVIE_RECORDS),
    )
    assert result is imported


def test_show_already_imported_by_dedupe_key() -> None:
    imported = index_imported(IMPORTED)
    key = show_dedupe_key("breakout  KINGS", 1)
    assert is_already_imported(imported, dedupe_key=key, source="netflix", title="", year=None)
    other = show_dedupe_key("Breakout Kings", 2)
    assert not is_already_imported(
        imported, dedupe_key=other, source="netflix", title="", year=None
    )


# --- the row's skip ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skip_duplicates", "decisions", "code"),
    [
        # nothing matched
        (True, {}, None),
        # each reason alone
        (True, {"first_line": 4}, RowCode.DUPLICATE_IN_FILE),
        (True, {"already_imported": True}, RowCode.ALREADY_IMPORTED),
        (True, {"exists_in_api": True}, RowCode.EXISTS_IN_API),
        # several at once: the file first, then earlier imports, then the catalogue
        (True, {"first_line": 4, "already_imported": True, "exists_in_api": True},
         RowCode.DUPLICATE_IN_FILE),
        (True, {"already_imported": True, "exists_in_api": True}, RowCode.ALREADY_IMPORTED),
        # skip_duplicates off: the row goes on
        (False, {"first_line": 4, "already_imported": True, "exists_in_api": True}, None),
    ],
)  # fmt: skip
def test_skip_outcome(
    skip_duplicates: bool, decisions: dict[str, Any], code: RowCode | None
) -> None:
    outcome = skip_outcome(skip_duplicates=skip_duplicates, label="Airplane!", **decisions)
    if code is None:
        assert outcome is None
        return
    assert outcome is not None
    assert (outcome.status, outcome.code) == (RowStatus.SKIPPED, code)
    assert "'Airplane!'" in outcome.message


def test_duplicate_in_file_message_names_the_first_line() -> None:
    outcome = skip_outcome(skip_duplicates=True, label="Inception", first_line=13)
    assert outcome is not None
    assert outcome.message == "'Inception' repeats line 13 of this file."
