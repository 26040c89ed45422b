"""The shared request pipeline: latency, injected faults, hangs blocking nobody, admin endpoints."""

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.imdb import ImdbStandin
from jobsimport_dagster.standins.server import RunningStandin, start_standin


@pytest.fixture(scope="module")
def server() -> Iterator[RunningStandin]:
    with start_standin(ImdbStandin()) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(server: RunningStandin) -> None:
    server.standin.reset()
    server.standin.set_faults(Faults())


def _search(server: RunningStandin, query: str = "stupid", timeout: float = 5) -> requests.Response:
    return requests.get(f"{server.base_url}/search", params={"query": query}, timeout=timeout)


def test_latency_delays_every_request(server: RunningStandin) -> None:
    server.standin.set_faults(latency_ms=150)
    started = time.monotonic()
    assert _search(server).status_code == 200
    assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize(
    ("faults", "status"),
    [
        ({"error_rate": 1.0}, 503),  # the default injected error
        ({"error_rate": 1.0, "error_status": 500}, 500),  # a configured status
        ({"rate_429": 1.0}, 429),
        ({"hang_rate": 1.0, "hang_seconds": 0.1}, 504),  # a short hang ends as a gateway timeout
    ],
)
def test_injected_faults_answer_their_status(
    server: RunningStandin, faults: dict[str, float], status: int
) -> None:
    server.standin.set_faults(**faults)
    assert _search(server).status_code == status
    assert sum(server.standin.stats()["faults_injected"].values()) == 1


def test_429_carries_retry_after_only_when_configured(server: RunningStandin) -> None:
    server.standin.set_faults(rate_429=1.0, retry_after=3600)
    assert _search(server).headers["Retry-After"] == "3600"
    server.standin.set_faults(retry_after=None)
    assert "Retry-After" not in _search(server).headers


def test_a_hanging_request_does_not_block_others(server: RunningStandin) -> None:
    server.standin.set_faults(hang_rate=1.0, hang_seconds=3)
    outcome: list[str] = []

    def hang() -> None:
        try:
            _search(server, "held", timeout=0.5)
        except requests.ReadTimeout:
            outcome.append("timed out")

    held = threading.Thread(target=hang)
    held.start()
    time.sleep(0.1)
    server.standin.set_faults(hang_rate=0.0)
    started = time.monotonic()
    assert _search(server).status_code == 200
    assert time.monotonic() - started < 0.3
    held.join()
    assert outcome == ["timed out"]


def test_same_seed_same_requests_same_faults() -> None:
    def statuses(seed: int) -> list[int]:
        with start_standin(ImdbStandin(faults=Faults(error_rate=0.4, seed=seed))) as running:
            return [_search(running, f"q{i % 5}").status_code for i in range(30)]

    assert statuses(1) == statuses(1)
    assert statuses(1) != statuses(2)


def test_admin_endpoints_set_faults_report_stats_and_reset(server: RunningStandin) -> None:
    admin = f"{server.base_url}/_standin"
    answer = requests.post(f"{admin}/faults", json={"latency_ms": 1, "seed": 5}, timeout=5)
    assert answer.json() == {**Faults().to_dict(), "latency_ms": 1, "seed": 5}
    assert requests.get(f"{admin}/faults", timeout=5).json()["seed"] == 5
    assert requests.post(f"{admin}/faults", json={"error_rate": 2}, timeout=5).status_code == 400
    assert requests.post(f"{admin}/faults", data=b"nope", timeout=5).status_code == 400
    _search(server)
    _search(server)
    stats = requests.get(f"{admin}/stats", timeout=5).json()
    assert stats["requests"] == 2  # admin calls are not counted
    assert stats["by_endpoint"] == {"GET /search": 2}
    assert stats["by_key"] == {"query=stupid": 2}
    assert requests.post(f"{admin}/reset", timeout=5).json()["requests"] == 0
    assert requests.post(f"{admin}/config", json={"colour": "red"}, timeout=5).status_code == 400
