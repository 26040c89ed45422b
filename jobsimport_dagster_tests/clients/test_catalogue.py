"""CatalogueClient: creates and lists; never re-sends a POST that may have arrived; clear errors."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from jobsimport_dagster.clients.catalogue import CatalogueClient
from jobsimport_dagster.clients.http import HttpPolicy
from jobsimport_dagster.errors import (
    InsertFailed,
    InsertRejected,
    MissingCredential,
    UpstreamUnavailable,
)
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN, CatalogueStandin
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.server import RunningStandin, start_standin
from jobsimport_dagster_tests.catalogue_bodies import MOVIE

SHOW = {
    "title": "Breakout Kings Season 1",
    "seasonNumber": 1,
    "showName": "Breakout Kings",
    "description": "Marshals and cons.",
    "language": "English",
    "year": 2011,
    "genre": "Crime, Drama",
    "startedDate": "2024-01-01T00:00:00.000Z",
    "status": "Started",
    "imdbRating": 7.3,
    "imdbId": "tt1590961",
    "posterUrl": None,
    "tmdbId": None,
    "loved": True,
}


@pytest.fixture(scope="module")
def catalogue() -> Iterator[RunningStandin]:
    with start_standin(CatalogueStandin()) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(catalogue: RunningStandin) -> None:
    catalogue.standin.reset()
    catalogue.standin.set_faults(Faults())
    catalogue.standin.configure(shows_shape="per_season")


@pytest.fixture
def client(catalogue: RunningStandin, policy: HttpPolicy) -> Iterator[CatalogueClient]:
    client = CatalogueClient(catalogue.base_url, DEFAULT_TOKEN, policy=policy)
    yield client
    client.close()


def _posts(catalogue: RunningStandin) -> int:
    return sum(
        n for e, n in catalogue.standin.stats()["by_endpoint"].items() if e.startswith("POST")
    )


def test_create_and_list_movies_and_shows(
    catalogue: RunningStandin, client: CatalogueClient
) -> None:
    movie_id = client.create_movie(body=MOVIE)
    show_id = client.create_show(body=SHOW)
    assert [m["id"] for m in client.list_movies()] == [movie_id]
    assert [s["id"] for s in client.list_shows()] == [show_id]
    catalogue.standin.configure(shows_shape="nested")
    (nested,) = client.list_shows()
    assert [s["seasonNumber"] for s in nested["seasons"]] == [1]


def test_a_400_is_insert_rejected_with_the_api_message(
    catalogue: RunningStandin, client: CatalogueClient
) -> None:
    with pytest.raises(InsertRejected) as raised:
        client.create_movie(body={**MOVIE, "title": ""})
    assert raised.value.status == 400
    assert "title must be a non-empty string" in str(raised.value)
    assert _posts(catalogue) == 1


def test_a_body_that_is_not_json_fails_without_sending(
    catalogue: RunningStandin, client: CatalogueClient
) -> None:
    with pytest.raises(InsertFailed, match="not sent") as raised:
        client.create_movie(body={**MOVIE, "imdbRating": float("nan")})
    assert raised.value.maybe_arrived is False
    assert _posts(catalogue) == 0


def test_a_missing_token_raises_before_sending(
    catalogue: RunningStandin, policy: HttpPolicy
) -> None:
    client = CatalogueClient(catalogue.base_url, None, policy=policy)
    for call in (client.list_movies, lambda: client.create_movie(body=MOVIE)):
        with pytest.raises(MissingCredential, match="ASHISHDOTME_TOKEN"):
            call()
    assert catalogue.standin.stats()["requests"] == 0


def test_a_wrong_token_names_the_variable_and_never_the_secret(
    catalogue: RunningStandin, policy: HttpPolicy
) -> None:
    secret = "my-real-catalogue-token"
    client = CatalogueClient(catalogue.base_url, secret, policy=policy)
    for call in (client.list_shows, lambda: client.create_show(body=SHOW)):
        with pytest.raises(MissingCredential) as raised:
            call()
        assert raised.value.variable == "ASHISHDOTME_TOKEN"
        assert secret not in str(raised.value)


@pytest.mark.parametrize(
    "faults",
    [
        {"store_then_fail_rate": 1.0},  # stored, then 503
        {"store_then_hang_rate": 1.0, "hang_seconds": 2},  # stored, then no answer in time
    ],
)
def test_an_ambiguous_post_is_insert_failed_maybe_arrived_and_not_resent(
    catalogue: RunningStandin, client: CatalogueClient, faults: dict[str, float]
) -> None:
    catalogue.standin.set_faults(**faults)
    with pytest.raises(InsertFailed) as raised:
        client.create_movie(body=MOVIE)
    assert raised.value.maybe_arrived is True
    assert _posts(catalogue) == 1
    assert [m["imdbId"] for m in client.list_movies()] == ["tt1049413"]  # the fresh GET finds it


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 1.0},  # a 503 before storing: the client cannot tell it from the above
        {"hang_rate": 1.0, "hang_seconds": 2},
    ],
)
def test_a_5xx_or_timeout_is_maybe_arrived_even_when_nothing_was_stored(
    catalogue: RunningStandin, client: CatalogueClient, faults: dict[str, float]
) -> None:
    catalogue.standin.set_faults(**faults)
    with pytest.raises(InsertFailed) as raised:
        client.create_movie(body=MOVIE)
    assert raised.value.maybe_arrived is True
    assert _posts(catalogue) == 1
    assert catalogue.standin.records("movies") == []


def test_429s_are_retried_without_duplicates(
    catalogue: RunningStandin, client: CatalogueClient
) -> None:
    catalogue.standin.set_faults(rate_429=0.5)
    ids = [
        client.create_movie(body={**MOVIE, "viewingDate": f"2024-06-{d:02d}T00:00:00.000Z"})
        for d in range(1, 11)
    ]
    stats = catalogue.standin.stats()
    assert len(set(ids)) == 10
    assert stats["stored"]["movies"] == 10
    assert stats["duplicates"] == 0
    assert _posts(catalogue) > 10


def test_gets_are_retried_through_faults(
    catalogue: RunningStandin, client: CatalogueClient
) -> None:
    client.create_movie(body=MOVIE)
    catalogue.standin.set_faults(error_rate=0.3, rate_429=0.1, hang_rate=0.05, hang_seconds=1)
    assert all(len(client.list_movies()) == 1 for _ in range(15))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_connection_is_upstream_unavailable_not_insert_failed(policy: HttpPolicy) -> None:
    client = CatalogueClient(
        f"http://127.0.0.1:{_free_port()}", DEFAULT_TOKEN, policy=replace(policy, retries=2)
    )
    with pytest.raises(UpstreamUnavailable, match="could not be opened"):
        client.create_movie(body=MOVIE)


def test_a_post_is_retried_until_the_server_comes_up(policy: HttpPolicy) -> None:
    port = _free_port()
    standin = CatalogueStandin()
    started: list[RunningStandin] = []
    later = threading.Timer(0.3, lambda: started.append(start_standin(standin, port=port)))
    later.start()
    client = CatalogueClient(
        f"http://127.0.0.1:{port}",
        DEFAULT_TOKEN,
        policy=replace(policy, backoff_factor=0.1, backoff_max=0.4),
    )
    begun = time.monotonic()
    try:
        record_id = client.create_movie(body=MOVIE)
    finally:
        later.join()
        for running in started:
            running.stop()
    assert time.monotonic() - begun >= 0.3
    assert [m["id"] for m in standin.records("movies")] == [record_id]
