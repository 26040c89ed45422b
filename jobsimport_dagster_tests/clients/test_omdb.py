"""OmdbClient: OMDb's real answers become dicts, None, [] or errors; retries outlast faults."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from jobsimport_dagster.clients.http import HttpPolicy
from jobsimport_dagster.clients.omdb import OmdbClient, read_answer, title_params
from jobsimport_dagster.errors import BudgetExhausted, MissingCredential, UpstreamUnavailable
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY, OmdbStandin
from jobsimport_dagster.standins.server import RunningStandin, start_standin


@pytest.fixture(scope="module")
def omdb() -> Iterator[RunningStandin]:
    with start_standin(OmdbStandin(not_found=["A Film Nobody Made"])) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(omdb: RunningStandin) -> None:
    omdb.standin.reset()
    omdb.standin.set_faults(Faults())
    omdb.standin.configure(daily_limit=None)


@pytest.fixture
def client(omdb: RunningStandin, policy: HttpPolicy) -> Iterator[OmdbClient]:
    client = OmdbClient(omdb.base_url, DEFAULT_API_KEY, policy=policy, requests_per_second=None)
    yield client
    client.close()


@pytest.mark.parametrize(
    ("fixture", "status", "title"),
    [
        ("title_up_tt1049413.json", 200, "Up"),
        (
            "title_airplane_no_year_returns_tv_episode_legacy.json",
            200,
            "Airplane",
        ),  # tabs between tokens
        ("series_stargate_sg1_tt0118480_legacy_no_ratings.json", 200, "Stargate SG-1"),
        ("season_stargate_sg1_tt0118480_s1.json", 200, "Stargate SG-1"),
        ("search_airplane_legacy_no_totalResults.json", 200, None),  # no `Response` key at all
    ],
)
def test_read_answer_returns_success_bodies_as_sent(
    sample_data: Path, fixture: str, status: int, title: str | None
) -> None:
    body = read_answer(status, (sample_data / "omdb" / fixture).read_text(encoding="utf-8"))
    assert body is not None
    assert body.get("Title") == title


@pytest.mark.parametrize(
    "fixture",
    [
        "movie_not_found.json",
        "incorrect_imdb_id.json",
        "error_getting_data.json",  # a valid tt-ID OMDb cannot resolve
        "series_or_season_not_found.json",
        "too_many_results.json",  # short `s=`
        "invalid_json_malformed_id.txt",  # not JSON at all
    ],
)
def test_read_answer_returns_none_for_not_found_style_errors(
    sample_data: Path, fixture: str
) -> None:
    assert read_answer(200, (sample_data / "omdb" / "errors" / fixture).read_text()) is None


@pytest.mark.parametrize(
    ("status", "text", "error"),
    [
        # the limit is a 401, not a 429
        (401, '{"Response":"False","Error":"Request limit reached!"}', BudgetExhausted),
        # the demo key's variant wording
        (401, '{"Response":"False","Error":"Daily request limit reached!"}', BudgetExhausted),
        (401, '{"Response":"False","Error":"Invalid API key!"}', MissingCredential),
        (401, '{"Response":"False","Error":"No API key provided."}', MissingCredential),
        # the Poster API says the key is invalid with a 200
        (200, '{"Response":"False","Error":"Invalid API key!"}', MissingCredential),
        # an unknown error is not "not found": the row stays retryable
        (200, '{"Response":"False","Error":"Something went wrong."}', UpstreamUnavailable),
        # a proxy's HTML page
        (200, "<html>Bad gateway</html>", UpstreamUnavailable),
        (404, '{"Response":"False","Error":"Movie not found!"}', UpstreamUnavailable),
    ],
)
def test_read_answer_raises_for_errors_that_are_not_misses(
    status: int, text: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        read_answer(status, text)


def test_key_errors_name_the_variable() -> None:
    with pytest.raises(MissingCredential) as raised:
        read_answer(401, '{"Response":"False","Error":"Invalid API key!"}')
    assert raised.value.variable == "OMDB_API_KEY"
    assert "OMDB_API_KEY" in str(raised.value)


def test_lookups_against_the_stand_in(client: OmdbClient) -> None:
    assert client.by_title(title="airplane")["Type"] == "episode"
    assert client.by_title(title="airplane", year=1980)["imdbID"] == "tt0080339"
    assert client.by_title(title="Breakout Kings", kind="series")["totalSeasons"] == "2"
    assert client.by_id(imdb_id="tt1049413")["Title"] == "Up"
    assert client.by_id(imdb_id="undefined") is None
    assert client.by_title(title="A Film Nobody Made") is None
    assert [r["Type"] for r in client.search(query="polar express")] == ["movie", "game", "movie"]
    assert client.search(query="ma") == []


def test_titles_with_query_characters_arrive_intact(client: OmdbClient) -> None:
    for title in ("Tom & Jerry", "1+1 = 3?", "Amélie #2", "50% Off/On"):
        assert client.by_title(title=title)["Title"] == title


def test_a_missing_key_raises_before_sending(omdb: RunningStandin, policy: HttpPolicy) -> None:
    for key in (None, ""):
        with pytest.raises(MissingCredential, match="OMDB_API_KEY"):
            OmdbClient(omdb.base_url, key, policy=policy).by_title(title="Up")
    assert omdb.standin.stats()["requests"] == 0


def test_a_refused_key_names_the_variable_and_never_the_secret(
    omdb: RunningStandin, policy: HttpPolicy
) -> None:
    secret = "my-real-omdb-secret"
    with pytest.raises(MissingCredential) as raised:
        OmdbClient(omdb.base_url, secret, policy=policy).by_id(imdb_id="tt1049413")
    assert raised.value.variable == "OMDB_API_KEY"
    assert secret not in str(raised.value)


def test_the_daily_limit_raises_budget_exhausted(omdb: RunningStandin, client: OmdbClient) -> None:
    omdb.standin.configure(daily_limit=1)
    assert client.by_title(title="Up") is not None
    with pytest.raises(BudgetExhausted):
        client.by_title(title="1917")


def test_retries_outlast_5xx_429_and_hangs(omdb: RunningStandin, client: OmdbClient) -> None:
    omdb.standin.set_faults(error_rate=0.2, rate_429=0.05, hang_rate=0.05, hang_seconds=1)
    with ThreadPoolExecutor(8) as pool:
        records = list(pool.map(lambda i: client.by_title(title=f"Film {i}"), range(60)))
    assert [r["Title"] for r in records] == [f"Film {i}" for i in range(60)]
    injected = omdb.standin.stats()["faults_injected"]
    assert injected.get("error", 0) > 0 and injected.get("hang", 0) > 0


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ({"error_rate": 1.0}, "OMDb answered 503 after 3 attempts"),
        ({"hang_rate": 1.0, "hang_seconds": 1}, "OMDb did not answer: the answer timed out"),
    ],
)
def test_exhausted_retries_raise_upstream_unavailable_without_the_key(
    omdb: RunningStandin, policy: HttpPolicy, faults: dict[str, float], message: str
) -> None:
    omdb.standin.set_faults(**faults)
    client = OmdbClient(omdb.base_url, DEFAULT_API_KEY, policy=replace(policy, retries=2))
    with pytest.raises(UpstreamUnavailable) as raised:
        client.by_title(title="Up")
    assert str(raised.value) == message
    assert omdb.standin.stats()["requests"] == 3


def test_calls_are_rate_limited_across_threads(omdb: RunningStandin, policy: HttpPolicy) -> None:
    client = OmdbClient(omdb.base_url, DEFAULT_API_KEY, policy=policy, requests_per_second=10)
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: client.by_title(title=f"Film {i}"), range(15)))
    assert time.monotonic() - started >= 0.9  # 10 in the first second, 5 after
    client.close()


@pytest.mark.parametrize(
    ("title", "year", "kind", "params"),
    [
        ("Up", None, None, {"t": "Up"}),
        ("Up", 2009, "movie", {"t": "Up", "y": "2009", "type": "movie"}),
        ("Fleabag", None, "series", {"t": "Fleabag", "type": "series"}),
    ],
)
def test_title_params(
    title: str, year: int | None, kind: str | None, params: dict[str, str]
) -> None:
    assert title_params(title, year, kind) == params


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        title_params("Up", None, "game")
