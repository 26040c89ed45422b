"""StandinAdmin controls stand-ins over HTTP, also when they run in another process."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from jobsimport_dagster.standins.admin import StandinAdmin
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN, CatalogueStandin
from jobsimport_dagster.standins.server import RunningStandin, start_standin


@pytest.fixture
def catalogue() -> Iterator[RunningStandin]:
    with start_standin(CatalogueStandin()) as running:
        yield running


def test_admin_sets_faults_configures_seeds_and_reads_stats(catalogue: RunningStandin) -> None:
    admin = StandinAdmin(catalogue.base_url)
    assert admin.set_faults(error_rate=0.25)["error_rate"] == 0.25
    assert catalogue.standin.faults.error_rate == 0.25
    assert admin.configure(shows_shape="nested") == {"shows_shape": "nested"}
    ids = admin.seed_records(movies=[{"title": "Up", "imdbId": "tt1049413", "id": "m-1"}])
    assert ids == ["m-1"]
    assert [m["id"] for m in admin.records()["movies"]] == ["m-1"]
    assert admin.stats()["stored"] == {"movies": 1, "shows": 0}
    assert admin.reset()["stored"] == {"movies": 0, "shows": 0}
    with pytest.raises(ValueError, match="refused"):
        admin.set_faults(error_rate=3)


def test_module_runs_all_three_in_another_process_until_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "jobsimport_dagster.standins", "--omdb-daily-limit", "1",
         "--catalogue-token", "e2e-token", "--faults", '{"latency_ms": 1}'],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        urls = json.loads(process.stdout.readline())
        assert set(urls) == {"omdb", "imdb", "catalogue"}
        omdb = StandinAdmin(urls["omdb"])
        assert omdb.faults()["latency_ms"] == 1
        params = {"apikey": "standin-omdb-key", "t": "up"}
        assert requests.get(urls["omdb"], params=params, timeout=5).status_code == 200
        assert requests.get(urls["omdb"], params=params, timeout=5).status_code == 401  # limit of 1
        assert omdb.stats()["quota_used"] == 1
        movies = requests.get(
            f"{urls['catalogue']}/movies", headers={"apiKey": "e2e-token"}, timeout=5
        )
        assert movies.json() == []
        assert DEFAULT_TOKEN != "e2e-token"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
