"""The run's sequence without Dagster: real Postgres, the stand-ins on 127.0.0.1."""

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from jobsimport_dagster.clients.catalogue import CatalogueClient
from jobsimport_dagster.clients.http import HttpPolicy
from jobsimport_dagster.clients.imdb import ImdbClient
from jobsimport_dagster.clients.omdb import OmdbClient
from jobsimport_dagster.codes import JobStatus
from jobsimport_dagster.db import jobs
from jobsimport_dagster.errors import UpstreamUnavailable
from jobsimport_dagster.intake import folders
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY
from jobsimport_dagster.standins.server import StandinGroup, start_all
from jobsimport_dagster.steps import pipeline

FILMS = (
    "Title,Year,Watched Date,IMDb ID\n"
    "Alien,1979,2024-06-01,\n"
    "Rocky,1976,2024-06-02,\n"
    "Alien,1979,2024-06-01,\n"  # a repeat of line 2: skipped in the file
    "Brazil,1985,2024-13-03,\n"  # no 13th month: failed, not retried
)


@pytest.fixture
def standins() -> Iterator[StandinGroup]:
    with start_all() as group:
        yield group


def _upstreams(standins: StandinGroup) -> pipeline.Upstreams:
    urls, policy = standins.urls(), HttpPolicy(read_timeout=1.0, retries=1, backoff_factor=0.01)
    return pipeline.Upstreams(
        omdb=OmdbClient(urls["omdb"], DEFAULT_API_KEY, policy=policy, requests_per_second=None),
        imdb=ImdbClient(urls["imdb"], policy=policy),
        catalogue=CatalogueClient(urls["catalogue"], DEFAULT_TOKEN, policy=policy),
        daily_budget=100,
        now=lambda: datetime.now(UTC),
    )


def _accepted(engine: sa.Engine, root: Path, films: str = FILMS) -> tuple[str, Path]:
    """A template file accepted as the sensor does: archived, with a queued import."""
    folders.ensure_tree(root)
    data = films.encode()
    key = f"movies-20261130T000000-films-{hashlib.sha256(data).hexdigest()[:8]}"
    archive = folders.archive_path(root, key)
    archive.write_bytes(data)
    with engine.begin() as conn:
        jobs.create_job(
            conn,
            jobs.NewImportJob(
                partition_key=key, type="movies", source="template", file_name="films.csv",
                file_sha256=hashlib.sha256(data).hexdigest(), file_bytes=len(data),
                uploaded_by="tester",
            ),
        )  # fmt: skip
    return key, archive


def _import_rows(engine: sa.Engine, standins: StandinGroup, key: str, root: Path, archive: Path):
    return pipeline.import_rows(
        engine, partition_key=key, options=pipeline.RunOptions(), upstreams=_upstreams(standins),
        concurrency=4, upload_root=root, archive=archive, report=lambda _: None,
    )  # fmt: skip


def test_one_run_validates_dedupes_enriches_inserts_and_settles(
    engine: sa.Engine, standins: StandinGroup, tmp_path: Path
) -> None:
    key, archive = _accepted(engine, tmp_path)
    validated = pipeline.validate_import(engine, partition_key=key, archive=archive)
    assert (validated.rows_in, validated.counts["invalid"]) == (4, 1)
    settled = _import_rows(engine, standins, key, tmp_path, archive)
    assert settled.verdict.status == JobStatus.PARTIAL and not settled.verdict.run_must_fail
    assert (settled.counts.success, settled.counts.skipped, settled.counts.failed) == (2, 1, 1)
    assert [stage.step for stage in settled.stages] == ["dedupe", "enrich", "insert"]
    assert settled.omdb_calls == 2
    assert settled.failed_csv == tmp_path / "failed" / f"{key}.failed.csv"
    stats = standins.catalogue.standin.stats()
    # The catalogue is read once, by the step that dedupes and inserts (SPEC §8).
    assert stats["by_endpoint"]["GET /movies"] == 1
    assert stats["stored"]["movies"] == 2


def test_a_step_stopped_by_an_outage_is_run_again_and_posts_nothing_twice(
    engine: sa.Engine, standins: StandinGroup, tmp_path: Path
) -> None:
    key, archive = _accepted(engine, tmp_path)
    pipeline.validate_import(engine, partition_key=key, archive=archive)
    catalogue = standins.catalogue.standin
    catalogue.set_faults(Faults(error_rate=1.0))
    with pytest.raises(UpstreamUnavailable):
        _import_rows(engine, standins, key, tmp_path, archive)
    assert catalogue.stats()["stored"]["movies"] == 0
    catalogue.set_faults(Faults())
    # The same step again (a re-execution from failure): it takes the rows left and settles.
    settled = _import_rows(engine, standins, key, tmp_path, archive)
    assert (settled.counts.success, settled.counts.pending, settled.counts.processing) == (2, 0, 0)
    assert catalogue.stats()["stored"]["movies"] == 2
    assert catalogue.stats()["duplicates"] == 0
    again = _import_rows(engine, standins, key, tmp_path, archive)
    assert again.counts == settled.counts
    assert catalogue.stats()["stored"]["movies"] == 2


def test_a_row_is_posted_as_soon_as_it_is_enriched_not_after_the_whole_file(
    engine: sa.Engine, standins: StandinGroup, tmp_path: Path
) -> None:
    films = "Title,Year,Watched Date,IMDb ID\n" + "".join(
        f"Overlap Film {n},{1950 + n},2024-06-{n % 28 + 1:02d},\n" for n in range(24)
    )
    key, archive = _accepted(engine, tmp_path, films)
    pipeline.validate_import(engine, partition_key=key, archive=archive)
    omdb, catalogue = standins.omdb.standin, standins.catalogue.standin
    omdb.set_faults(Faults(latency_ms=40))
    seen: list[tuple[int, int]] = []  # (OMDb calls so far, records stored so far)
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.01):
            made = omdb.stats()["by_endpoint"].get("GET /", 0)
            seen.append((made, catalogue.stats()["stored"]["movies"]))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        settled = _import_rows(engine, standins, key, tmp_path, archive)
    finally:
        done.set()
        watcher.join()
    assert settled.counts.success == 24
    calls = omdb.stats()["by_endpoint"]["GET /"]
    # Records were stored while OMDb calls were still to come: enrich and insert overlap.
    assert any(stored > 0 and made < calls for made, stored in seen), seen[-5:]
