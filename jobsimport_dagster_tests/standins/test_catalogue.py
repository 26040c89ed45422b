"""The api.ashish.me stand-in: auth, SPEC §8 validation, storage, shows shapes, ambiguous POSTs."""

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from jobsimport_dagster.standins.catalogue import (
    DEFAULT_TOKEN,
    MOVIE_FIELDS,
    SHOW_FIELDS,
    CatalogueStandin,
    ShowsShape,
    nest_shows,
    record_key,
    validation_messages,
)
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.server import RunningStandin, start_standin
from jobsimport_dagster_tests.catalogue_bodies import MOVIE

AUTH = {"apiKey": DEFAULT_TOKEN}


def show(season: int, started: str = "2024-01-0{}T00:00:00.000Z", **changes: Any) -> dict[str, Any]:
    base = {
        "title": f"Breakout Kings Season {season}",
        "seasonNumber": season,
        "showName": "Breakout Kings",
        "description": "Marshals and cons.",
        "language": "English",
        "year": 2011,
        "genre": "Crime, Drama",
        "startedDate": started.format(season),
        "status": "Started",
        "imdbRating": 7.3,
        "imdbId": "tt1590961",
        "posterUrl": None,
        "tmdbId": None,
        "loved": True,
    }
    return {**base, **changes}


@pytest.fixture(scope="module")
def catalogue() -> Iterator[RunningStandin]:
    with start_standin(CatalogueStandin()) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(catalogue: RunningStandin) -> None:
    catalogue.standin.reset()
    catalogue.standin.set_faults(Faults())
    catalogue.standin.configure(shows_shape=ShowsShape.PER_SEASON)


def _post(catalogue: RunningStandin, kind: str, body: Any, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", AUTH)
    kwargs.setdefault("timeout", 5)
    return requests.post(f"{catalogue.base_url}/{kind}", json=body, **kwargs)


def _list(catalogue: RunningStandin, kind: str) -> list[dict[str, Any]]:
    return requests.get(f"{catalogue.base_url}/{kind}", headers=AUTH, timeout=5).json()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/movies"), ("POST", "/movies"), ("GET", "/shows"), ("POST", "/shows")],
)
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 400),  # no apiKey header at all
        ({"apiKey": "wrong"}, 401),  # a wrong key
        ({"apikey": "wrong"}, 401),  # header names are case-insensitive
    ],
)
def test_requests_without_the_right_api_key_are_refused(
    catalogue: RunningStandin, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    response = requests.request(
        method, f"{catalogue.base_url}{path}", json=MOVIE, headers=headers, timeout=5
    )
    assert response.status_code == status
    assert response.json()["message"]
    assert catalogue.standin.stats()["stored"] == {"movies": 0, "shows": 0}


def test_a_valid_movie_is_stored_with_a_new_string_id(catalogue: RunningStandin) -> None:
    response = _post(catalogue, "movies", MOVIE)
    assert response.status_code == 201
    created = response.json()
    assert isinstance(created["id"], str)
    assert {k: created[k] for k in MOVIE} == MOVIE
    assert _list(catalogue, "movies") == [created]
    assert _post(catalogue, "movies", MOVIE).json()["id"] != created["id"]


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        (
            "movies",
            {k: v for k, v in MOVIE.items() if k != "title"},
            "title should not be undefined",
        ),
        ("movies", {**MOVIE, "title": "  "}, "title must be a non-empty string"),
        ("movies", {**MOVIE, "year": "2009"}, "year must be an integer number"),
        ("movies", {**MOVIE, "year": True}, "year must be an integer number"),  # bool is not an int
        (
            "movies",
            {**MOVIE, "viewingDate": "yesterday"},
            "viewingDate must be a valid ISO 8601 date string",
        ),
        ("movies", {**MOVIE, "imdbRating": "8.2"}, "imdbRating must be a number or null"),
        ("movies", {**MOVIE, "loved": "yes"}, "loved must be a boolean value"),
        (
            "shows",
            {k: v for k, v in show(1).items() if k != "seasonNumber"},
            "seasonNumber should not be undefined",
        ),
        ("shows", show(1, showName=""), "showName must be a non-empty string"),
        ("shows", MOVIE, "startedDate should not be undefined"),  # a movie body sent to /shows
    ],
)
def test_invalid_bodies_are_a_400_naming_the_field(
    catalogue: RunningStandin, kind: str, body: dict[str, Any], message: str
) -> None:
    response = _post(catalogue, kind, body)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert catalogue.standin.stats()["stored"][kind] == 0


def test_a_body_that_is_not_a_json_object_is_a_400(catalogue: RunningStandin) -> None:
    assert _post(catalogue, "movies", [MOVIE]).status_code == 400
    raw = requests.post(f"{catalogue.base_url}/movies", data=b"{oops", headers=AUTH, timeout=5)
    assert raw.status_code == 400


def test_shows_list_per_season_or_nested_like_the_live_api(catalogue: RunningStandin) -> None:
    for body in (show(1), show(2), show(1, imdbId="tt0903747", showName="Breaking Bad")):
        assert _post(catalogue, "shows", body).status_code == 201
    assert [s["seasonNumber"] for s in _list(catalogue, "shows")] == [1, 2, 1]
    catalogue.standin.configure(shows_shape="nested")
    nested = _list(catalogue, "shows")
    assert [(s["title"], s["imdbId"]) for s in nested] == [
        ("Breakout Kings", "tt1590961"),
        ("Breaking Bad", "tt0903747"),
    ]
    assert [(s["seasonNumber"], s["startedDate"]) for s in nested[0]["seasons"]] == [
        (1, "2024-01-01T00:00:00.000Z"),
        (2, "2024-01-02T00:00:00.000Z"),
    ]
    assert nested[0]["releaseStartYear"] == 2011


def test_store_then_fail_stores_the_record_and_answers_503(catalogue: RunningStandin) -> None:
    catalogue.standin.set_faults(store_then_fail_rate=1.0)
    response = _post(catalogue, "movies", MOVIE)
    assert response.status_code == 503
    assert [m["imdbId"] for m in catalogue.standin.records("movies")] == ["tt1049413"]


def test_store_then_hang_stores_the_record_past_the_client_timeout(
    catalogue: RunningStandin,
) -> None:
    catalogue.standin.set_faults(store_then_hang_rate=1.0, hang_seconds=2)
    with pytest.raises(requests.ReadTimeout):
        _post(catalogue, "movies", MOVIE, timeout=0.3)
    assert len(catalogue.standin.records("movies")) == 1


def test_a_plain_hang_or_error_stores_nothing(catalogue: RunningStandin) -> None:
    catalogue.standin.set_faults(error_rate=1.0)
    assert _post(catalogue, "movies", MOVIE).status_code == 503
    catalogue.standin.set_faults(error_rate=0.0, hang_rate=1.0, hang_seconds=0.2)
    assert _post(catalogue, "movies", MOVIE).status_code == 504
    assert catalogue.standin.records("movies") == []


def test_stats_count_posts_and_duplicates_per_record(catalogue: RunningStandin) -> None:
    catalogue.standin.seed_records(movies=[{**MOVIE, "id": "seeded-1"}])
    _post(catalogue, "movies", MOVIE)
    _post(catalogue, "movies", {**MOVIE, "viewingDate": "2024-07-01T00:00:00.000Z"})
    _post(catalogue, "shows", show(1))
    stats = catalogue.standin.stats()
    assert stats["by_key"] == {
        "movie|tt1049413|2024-06-01": 1,
        "movie|tt1049413|2024-07-01": 1,
        "show|tt1590961|2024-01-01|1": 1,
    }
    assert stats["stored"] == {"movies": 3, "shows": 1}
    assert stats["duplicates"] == 1  # the seeded record was posted again
    assert stats["by_endpoint"] == {"POST /movies": 2, "POST /shows": 1}


def test_records_can_be_seeded_over_http_and_reset_empties_them(catalogue: RunningStandin) -> None:
    answer = requests.post(
        f"{catalogue.base_url}/_standin/records",
        json={"movies": [MOVIE], "shows": [show(3)]},
        timeout=5,
    )
    ids = answer.json()["ids"]
    assert len(ids) == 2
    assert [m["id"] for m in _list(catalogue, "movies")] == ids[:1]
    assert (
        requests.post(
            f"{catalogue.base_url}/_standin/records", json={"films": []}, timeout=5
        ).status_code
        == 400
    )
    requests.post(f"{catalogue.base_url}/_standin/reset", timeout=5)
    assert _list(catalogue, "movies") == []


@pytest.mark.parametrize(
    ("kind", "record", "key"),
    [
        ("movies", MOVIE, "movie|tt1049413|2024-06-01"),
        # no IMDb ID yet: the title stands in, case-folded
        ("movies", {**MOVIE, "imdbId": None, "title": "UP"}, "movie|up|2024-06-01"),
        ("shows", show(2), "show|tt1590961|2024-01-02|2"),
    ],
)
def test_record_key(kind: str, record: dict[str, Any], key: str) -> None:
    assert record_key(kind, record) == key


def test_full_spec_bodies_pass_validation() -> None:
    assert validation_messages(MOVIE, MOVIE_FIELDS) == []
    assert validation_messages(show(1), SHOW_FIELDS) == []


def test_nest_shows_keeps_the_earliest_start_date() -> None:
    records = [
        {**show(2, started="2024-03-0{}T00:00:00.000Z"), "id": "a"},
        {**show(1, started="2024-02-0{}T00:00:00.000Z"), "id": "b"},
    ]
    (nested,) = nest_shows(records)
    assert nested["id"] == "a"
    assert nested["startedDate"] == "2024-02-01T00:00:00.000Z"
    assert [s["id"] for s in nested["seasons"]] == ["a", "b"]
