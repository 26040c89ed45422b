"""The OMDb stand-in answers real fixture bodies and statuses, made-up records for other titles."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from jobsimport_dagster.cli.demo import FIX_IMDB_ID, UNKNOWN_TITLES
from jobsimport_dagster.sources.template import MOVIES_TEMPLATE, SHOWS_TEMPLATE, TemplateAdapter
from jobsimport_dagster.standins.omdb import (
    DEFAULT_API_KEY,
    FIXTURES,
    OmdbStandin,
    synthesize_record,
    synthetic_year,
)
from jobsimport_dagster.standins.server import RunningStandin, start_standin

NOT_FOUND_TITLE = "A Film Nobody Made"


@pytest.fixture(scope="module")
def omdb() -> Iterator[RunningStandin]:
    with start_standin(OmdbStandin(not_found=[NOT_FOUND_TITLE])) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(omdb: RunningStandin) -> None:
    omdb.standin.reset()
    omdb.standin.configure(daily_limit=None, not_found=[NOT_FOUND_TITLE])


def _get(omdb: RunningStandin, **params: str) -> requests.Response:
    return requests.get(omdb.base_url, params=params, timeout=5)


def _ask(omdb: RunningStandin, **params: str) -> requests.Response:
    return _get(omdb, apikey=DEFAULT_API_KEY, **params)


def test_bundled_fixtures_are_the_shared_data_byte_for_byte(sample_data: Path) -> None:
    shared = sorted(
        p.relative_to(sample_data / "omdb") for p in (sample_data / "omdb").rglob("*.*")
    )
    bundled = sorted(p.relative_to(FIXTURES) for p in FIXTURES.rglob("*.*"))
    assert bundled == shared
    for path in shared:
        assert (FIXTURES / path).read_bytes() == (sample_data / "omdb" / path).read_bytes()


@pytest.mark.parametrize(
    ("params", "status", "fixture"),
    [
        # no key at all: 401, not 200
        ({}, 401, "errors/no_api_key_provided.json"),
        # a wrong key: 401 with its own wording
        ({"apikey": "not-the-key", "t": "up"}, 401, "errors/invalid_api_key.json"),
        # `t=airplane` without a year is the 1999 TV episode, not the film
        ({"t": "airplane"}, 200, "title_airplane_no_year_returns_tv_episode_legacy.json"),
        # with the year: `Airplane!`, punctuation the query lacks
        ({"t": "airplane", "y": "1980"}, 200, "title_airplane_y1980_movie_legacy.json"),
        # `type=movie` skips the episode too
        ({"t": "Airplane", "type": "movie"}, 200, "title_airplane_y1980_movie_legacy.json"),
        # numeric title
        ({"t": "1917"}, 200, "title_1917_tt8579674.json"),
        # series, legacy shape without Ratings
        (
            {"t": "stargate sg-1", "type": "series"},
            200,
            "series_stargate_sg1_tt0118480_legacy_no_ratings.json",
        ),
        # lookups by ID
        ({"i": "tt1049413"}, 200, "title_up_tt1049413.json"),
        ({"i": "tt2802144"}, 200, "title_kingsman_tt2802144_no_rotten_tomatoes.json"),
        # season endpoint, and a season that does not exist
        ({"i": "tt0118480", "Season": "1"}, 200, "season_stargate_sg1_tt0118480_s1.json"),
        ({"i": "tt0118480", "Season": "42"}, 200, "errors/series_or_season_not_found.json"),
        # a malformed `i=` answers a body that is not JSON
        ({"i": "undefined"}, 200, "errors/invalid_json_malformed_id.txt"),
        # a well-formed ID nobody knows
        ({"i": "tt0000001"}, 200, "errors/incorrect_imdb_id.json"),
        # searches: legacy shape without totalResults, modern shape with a game
        ({"s": "airplane"}, 200, "search_airplane_legacy_no_totalResults.json"),
        ({"s": "The Polar Express"}, 200, "search_polar_express_includes_game_type.json"),
        # very short searches
        ({"s": "ma"}, 200, "errors/too_many_results.json"),
        ({"s": "the"}, 200, "errors/too_many_results.json"),
        # a title configured as unknown
        ({"t": NOT_FOUND_TITLE}, 200, "errors/movie_not_found.json"),
        # nothing to look up
        ({"y": "2000"}, 200, "errors/incorrect_imdb_id.json"),
    ],
)
def test_fixture_queries_answer_the_fixture_verbatim(
    omdb: RunningStandin, params: dict[str, str], status: int, fixture: str
) -> None:
    query = params if "apikey" in params or not params else {"apikey": DEFAULT_API_KEY, **params}
    response = _get(omdb, **query)
    assert response.status_code == status
    assert response.content == (FIXTURES / fixture).read_bytes()


def test_unknown_title_gets_a_modern_movie_record_that_i_answers_the_same(
    omdb: RunningStandin,
) -> None:
    title = 'Maggie Simpson in "The Longest Daycare"'
    first = _ask(omdb, t=title, y="2012")
    record = first.json()
    assert record["Title"] == title
    assert record["Year"] == "2012"
    assert record["Type"] == "movie"
    assert record["Response"] == "True"
    assert re.fullmatch(r"tt9\d{7}", record["imdbID"])
    assert isinstance(record["Ratings"], list)
    assert all(isinstance(v, str) for k, v in record.items() if k != "Ratings")
    assert _ask(omdb, t=title, y="2012").content == first.content
    assert _ask(omdb, i=record["imdbID"]).content == first.content


def test_a_title_without_year_gets_a_stable_year() -> None:
    year = synthetic_year("Totally Unknown Film", "movie")
    assert 1950 <= year <= 2024
    assert synthetic_year("totally  unknown film!", "movie") == year
    assert synthesize_record("X", year, "movie") == synthesize_record("X", year, "movie")


def test_unknown_series_gets_an_en_dash_year_range_and_seasons(omdb: RunningStandin) -> None:
    record = _ask(omdb, t="Some Show Nobody Knows", type="series").json()
    assert record["Type"] == "series"
    assert re.fullmatch(r"\d{4}\u2013(\d{4})?", record["Year"])
    assert record["totalSeasons"].isdigit()
    assert "DVD" not in record


def test_a_fixture_title_asked_with_another_type_is_made_up(omdb: RunningStandin) -> None:
    # Bastille Day is an episode fixture; a movie query must not get the episode
    record = _ask(omdb, t="Bastille Day", type="movie").json()
    assert record["Type"] == "movie"
    assert record["imdbID"] != "tt0519763"


@pytest.mark.parametrize(
    ("params", "titles_and_types"),
    [
        # a filtered fixture search keeps only the matching type
        ({"s": "polar express", "type": "game"}, [("The Polar Express", "game")]),
        # ... or year
        ({"s": "polar express", "y": "2003"}, [("The Polar Express", "movie")]),
        # an unknown query finds its made-up record
        ({"s": "Unknown Series Query", "type": "series"}, [("Unknown Series Query", "series")]),
    ],
)
def test_search_results(
    omdb: RunningStandin, params: dict[str, str], titles_and_types: list[tuple[str, str]]
) -> None:
    body = _ask(omdb, **params).json()
    assert [(r["Title"], r["Type"]) for r in body["Search"]] == titles_and_types
    assert body["totalResults"] == str(len(titles_and_types))


def test_daily_limit_answers_401_request_limit_reached_until_reset(omdb: RunningStandin) -> None:
    omdb.standin.configure(daily_limit=2)
    assert [_ask(omdb, t="up").status_code for _ in range(2)] == [200, 200]
    refused = _ask(omdb, t="up")
    assert refused.status_code == 401
    assert refused.json() == {"Response": "False", "Error": "Request limit reached!"}
    assert omdb.standin.stats()["quota_used"] == 2
    omdb.standin.reset()
    assert _ask(omdb, t="up").status_code == 200


def test_calls_with_a_wrong_key_do_not_spend_the_quota(omdb: RunningStandin) -> None:
    omdb.standin.configure(daily_limit=1)
    assert _get(omdb, apikey="wrong", t="up").status_code == 401
    assert _ask(omdb, t="up").status_code == 200


def test_stats_count_calls_per_query_without_the_key(omdb: RunningStandin) -> None:
    _ask(omdb, t="airplane", y="1980")
    _ask(omdb, y="1980", t="airplane")
    _ask(omdb, i="tt1049413")
    stats = omdb.standin.stats()
    assert stats["requests"] == 3
    assert stats["by_key"] == {"t=airplane&y=1980": 2, "i=tt1049413": 1}
    assert DEFAULT_API_KEY not in json.dumps(stats)


def test_not_found_titles_and_limit_are_configurable_over_http(omdb: RunningStandin) -> None:
    url = f"{omdb.base_url}/_standin/config"
    answer = requests.post(url, json={"not_found": ["Up"], "daily_limit": 5}, timeout=5)
    assert answer.json() == {"daily_limit": 5, "not_found": ["up"]}
    assert _ask(omdb, t="Up").json()["Error"] == "Movie not found!"
    assert requests.post(url, json={"daily_limit": "lots"}, timeout=5).status_code == 400
    assert requests.post(url, json={"colour": "red"}, timeout=5).status_code == 400


@pytest.mark.parametrize(
    ("template", "title", "kind"),
    [
        # `jobsimport template movies` prints The Matrix with its IMDb ID
        (MOVIES_TEMPLATE, "The Matrix", "movie"),
        # `jobsimport template shows` prints Severance with its IMDb ID
        (SHOWS_TEMPLATE, "Severance", "series"),
    ],
)
def test_the_templates_example_ids_are_known(
    omdb: RunningStandin, template: TemplateAdapter, title: str, kind: str
) -> None:
    imdb_id = template.example_row[template.header.index("IMDb ID")]
    body = _ask(omdb, i=imdb_id).json()
    assert (body["Response"], body["imdbID"], body["Title"], body["Type"]) == (
        "True",
        imdb_id,
        title,
        kind,
    )
    # the same record by title, as a row without its IMDb ID asks
    assert _ask(omdb, t=title, type=kind).json()["imdbID"] == imdb_id


def test_the_demos_fix_is_known_by_id_but_its_title_is_not(omdb: RunningStandin) -> None:
    omdb.standin.configure(not_found=UNKNOWN_TITLES)
    assert _ask(omdb, t=UNKNOWN_TITLES[0]).json()["Response"] == "False"
    assert _ask(omdb, i=FIX_IMDB_ID).json()["Title"] == "Amélie"


@pytest.mark.parametrize(
    ("params", "answer"),
    [
        # t= answers another title: Max gets Mad Max: Fury Road, WALL·E a Walls Have Ears
        ({"t": "Max", "y": "2015", "type": "movie"}, ("tt1392190", "Mad Max: Fury Road")),
        ({"t": "WALL·E", "y": "2008"}, ("tt9900102", "Walls Have Ears")),
        ({"t": "Leon", "y": "1994"}, ("tt0110413", "Léon: The Professional")),
        # t=Flow answers the short of the year (Type movie, `Short` in Genre)
        ({"t": "Flow", "y": "2024", "type": "movie"}, ("tt9900101", "Flow")),
        # a remake: the year asked decides; without one, the 2019 film
        ({"t": "Little Women", "y": "1994"}, ("tt0110367", "Little Women")),
        ({"t": "Little Women"}, ("tt3281548", "Little Women")),
        # accents are folded as OMDb folds them
        ({"t": "Amelie", "y": "2001"}, ("tt0211915", "Amélie")),
        # the US series of the UK/US pair
        ({"t": "Shameless", "type": "series"}, ("tt1586680", "Shameless")),
        # the right titles are known by ID
        ({"i": "tt4772188"}, ("tt4772188", "Flow")),
        ({"i": "tt3369806"}, ("tt3369806", "Max")),
    ],
)
def test_the_match_traps_answer_as_omdb_does(
    omdb: RunningStandin, params: dict[str, str], answer: tuple[str, str]
) -> None:
    body = _ask(omdb, **params).json()
    assert (body["imdbID"], body["Title"]) == answer


def test_a_trap_title_is_never_made_up(omdb: RunningStandin) -> None:
    # Leon in another year is not found (no made-up "Leon"); its search lists the known title.
    assert _ask(omdb, t="Leon", y="1993").json()["Error"] == "Movie not found!"
    search = _ask(omdb, s="Leon", type="movie").json()["Search"]
    assert [hit["imdbID"] for hit in search] == ["tt0110413"]
    flow = _ask(omdb, t="Flow", y="2024").json()
    assert "Short" in flow["Genre"]


def test_a_title_imdb_knows_gets_imdbs_id_not_a_made_up_one(omdb: RunningStandin) -> None:
    # One film, one ID, as upstream: IMDb's capture lists Crazy, Stupid, Love. as tt1570728,
    # so OMDb's made-up record of it has that ID too (else a verdict sees two films).
    body = _ask(omdb, t="Crazy, Stupid, Love.", y="2011", type="movie").json()
    assert (body["imdbID"], body["Year"]) == ("tt1570728", "2011")
    assert _ask(omdb, i="tt1570728").json()["Title"] == "Crazy, Stupid, Love."
    # another year is another film, with an ID of its own
    assert _ask(omdb, t="Crazy, Stupid, Love.", y="1990").json()["imdbID"].startswith("tt9")
