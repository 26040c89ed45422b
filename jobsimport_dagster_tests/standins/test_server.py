"""Stand-ins start on free ports in background threads, serve many requests at once, stop fast."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.imdb import ImdbStandin
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY, OmdbStandin
from jobsimport_dagster.standins.server import start_all, start_standin


def test_start_serves_on_a_free_loopback_port_and_stop_closes_it() -> None:
    with start_standin(ImdbStandin()) as running:
        assert running.base_url.startswith("http://127.0.0.1:")
        assert requests.get(f"{running.base_url}/search?query=x", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{running.base_url}/search?query=x", timeout=1)


def test_starting_on_a_busy_port_raises() -> None:
    with start_standin(ImdbStandin()) as running:
        port = int(running.base_url.rsplit(":", 1)[1])
        with pytest.raises(RuntimeError, match="could not listen"):
            start_standin(ImdbStandin(), port=port)


def test_stop_does_not_wait_for_held_requests() -> None:
    running = start_standin(ImdbStandin(faults=Faults(hang_rate=1.0, hang_seconds=30)))
    with ThreadPoolExecutor(2) as pool:
        held = [
            pool.submit(requests.get, f"{running.base_url}/search?query={i}", timeout=10)
            for i in range(2)
        ]
        time.sleep(0.2)
        started = time.monotonic()
        running.stop()
        assert time.monotonic() - started < 3
        assert all(f.result().status_code == 504 for f in held)


def test_eight_requests_in_flight_overlap() -> None:
    # 8 rows in flight with latency: 8 x 200 ms would take 1.6 s one after another
    with start_standin(OmdbStandin(faults=Faults(latency_ms=200))) as running:
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(
                    lambda i: (
                        requests.get(
                            running.base_url,
                            params={"apikey": DEFAULT_API_KEY, "t": f"film {i}"},
                            timeout=5,
                        ).status_code
                    ),
                    range(8),
                )
            )
        assert statuses == [200] * 8
        assert time.monotonic() - started < 1.0


def test_start_all_serves_the_three_upstreams() -> None:
    with start_all() as group:
        urls = group.urls()
        assert len(set(urls.values())) == 3
        assert requests.get(urls["omdb"], timeout=5).status_code == 401  # no key
        assert requests.get(f"{urls['imdb']}/search?query=stupid", timeout=5).status_code == 200
        assert (
            requests.get(f"{urls['catalogue']}/movies", timeout=5).status_code == 400
        )  # no apiKey
