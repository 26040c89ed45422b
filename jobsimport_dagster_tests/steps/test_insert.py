"""SPEC §8 bodies built from real OMDb answers, and the record id taken from the API's answer."""

from pathlib import Path
from typing import Any

import pytest

from jobsimport_dagster.clients.omdb import parse_omdb_title
from jobsimport_dagster.steps.insert import (
    api_date,
    build_movie_payload,
    build_show_payload,
)
from jobsimport_dagster_tests.steps.test_enrich import (
    AIRPLANE_1980,
    BREAKOUT_KINGS,
    FILM_1917,
    KINGSMAN,
    STARGATE,
    UP,
    load_omdb,
    movie_seed,
    show_seed,
)

MOVIE_KEYS = {
    "title", "description", "language", "genre", "year", "viewingDate", "imdbRating", "imdbId",
    "posterUrl", "tmdbId", "loved",
}  # fmt: skip
SHOW_KEYS = {
    "title", "seasonNumber", "showName", "description", "language", "year", "genre",
    "startedDate", "status", "imdbRating", "imdbId", "posterUrl", "tmdbId", "loved",
}  # fmt: skip


def test_movie_payload_is_exactly_spec(sample_data: Path) -> None:
    up = load_omdb(sample_data, UP)
    seed = movie_seed("up", 2009) | {"viewing_date": "2023-09-02", "review": "kept, never sent"}
    assert build_movie_payload(seed, parse_omdb_title(up)) == {
        "title": "Up",
        "description": up["Plot"],
        "language": "English",
        "genre": "Animation, Adventure, Comedy",
        "year": 2009,
        "viewingDate": "2023-09-02T00:00:00.000Z",
        "imdbRating": 8.2,
        "imdbId": "tt1049413",
        "posterUrl": up["Poster"],
        "tmdbId": None,
        "loved": True,
    }


@pytest.mark.parametrize(
    ("fixture", "changes", "expected"),
    [
        # the provider's title with its punctuation, not the user's "airplane"
        (AIRPLANE_1980, {}, {"title": "Airplane!", "year": 1980, "imdbRating": 7.8}),
        # numeric title stays a string; the year is OMDb's Year, not Released's 2020
        (FILM_1917, {}, {"title": "1917", "year": 2019, "genre": "Drama, Thriller, War"}),
        # several languages as OMDb lists them
        (KINGSMAN, {}, {"language": "English, Arabic, Swedish"}),
        # N/A poster is null, N/A rating is null, unknown year is 0
        (UP, {"Poster": "N/A", "imdbRating": "N/A", "Year": "N/A"},
         {"posterUrl": None, "imdbRating": None, "year": 0}),
        # N/A plot/language/genre are empty text
        (UP, {"Plot": "N/A", "Language": "N/A", "Genre": "N/A"},
         {"description": "", "language": "", "genre": ""}),
    ],
)  # fmt: skip
def test_movie_payload_quirks(
    sample_data: Path, fixture: str, changes: dict[str, str], expected: dict[str, Any]
) -> None:
    match = parse_omdb_title(load_omdb(sample_data, fixture) | changes)
    payload = build_movie_payload(movie_seed("whatever"), match)
    assert set(payload) == MOVIE_KEYS
    assert {key: payload[key] for key in expected} == expected
    assert payload["viewingDate"] == "2024-01-05T00:00:00.000Z"


def test_show_payload_is_exactly_spec(sample_data: Path) -> None:
    kings = load_omdb(sample_data, BREAKOUT_KINGS)
    seed = show_seed("breakout kings", season=2) | {"viewing_date": "2012-03-04"}
    assert build_show_payload(seed, parse_omdb_title(kings)) == {
        "title": "Breakout Kings Season 2",
        "seasonNumber": 2,
        "showName": "Breakout Kings",
        "description": kings["Plot"],
        "language": "English",
        "year": 2011,
        "genre": "Crime, Drama, Thriller",
        "startedDate": "2012-03-04T00:00:00.000Z",
        "status": "Started",
        "imdbRating": 7.3,
        "imdbId": "tt1590961",
        "posterUrl": kings["Poster"],
        "tmdbId": None,
        "loved": True,
    }


def test_show_payload_uses_the_provider_show_name(sample_data: Path) -> None:
    # The user typed "stargate sg1"; the legacy answer (no Ratings) names it "Stargate SG-1".
    match = parse_omdb_title(load_omdb(sample_data, STARGATE))
    payload = build_show_payload(show_seed("stargate sg1", season=10), match)
    assert set(payload) == SHOW_KEYS
    assert (payload["title"], payload["showName"], payload["seasonNumber"]) == (
        "Stargate SG-1 Season 10",
        "Stargate SG-1",
        10,
    )
    assert (payload["year"], payload["imdbRating"]) == (1997, 8.4)


@pytest.mark.parametrize(
    ("viewing_date", "expected"),
    [
        ("2024-02-29", "2024-02-29T00:00:00.000Z"),  # leap day
        ("1999-12-31", "1999-12-31T00:00:00.000Z"),
    ],
)
def test_api_date(viewing_date: str, expected: str) -> None:
    assert api_date(viewing_date) == expected


@pytest.mark.parametrize("viewing_date", ["2023-02-29", "", "10/21/20"])
def test_api_date_never_invents_a_date(viewing_date: str) -> None:
    # Not a leap year, missing, or a locale date that normalize should have converted.
    with pytest.raises(ValueError):
        api_date(viewing_date)
