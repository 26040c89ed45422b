"""Benchmark: the row step (`pipeline.import_rows`: dedupe, enrich, insert, settle) of 2,000
rows against the stand-ins, without Dagster around it.

What it measures that bench_system.py does not: our own overhead per row around the upstream
calls, against the same calls made bare. OMDb's rate limit is lifted (as with
OMDB_REQUESTS_PER_SECOND=1000), so the figure is not the shipped default's: bench_system.py
measures that. Each upstream call gets 25 ms of latency. A row needs one OMDb `t=` call and,
beside it, IMDb's search (the second opinion of its match verdict), then one POST: it waits for
two calls in turn, so the limit at concurrency C is C / (2 x 25 ms) rows/s. Prints rows/s, the
ratio to that limit and the overhead per row outside the calls it waits for, at concurrency 1
and 8.

    .venv/bin/python benchmarks/bench_pipeline.py [--rows 2000] [--latency-ms 25]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.clients.catalogue import CatalogueClient
from jobsimport_dagster.clients.http import HttpPolicy
from jobsimport_dagster.clients.imdb import ImdbClient
from jobsimport_dagster.clients.omdb import OmdbClient
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.embedded import start_embedded_postgres
from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY
from jobsimport_dagster.steps import pipeline

UPSTREAM_CALLS_PER_ROW = 3  # OMDb t=, IMDb search and POST /movies
WAITED_CALLS_PER_ROW = 2  # the IMDb search runs beside OMDb's t=


def write_diary(path: Path, rows: int, tag: str) -> None:
    start = date(2020, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n")
        for n in range(rows):
            day = (start + timedelta(days=n % 1500)).isoformat()
            out.write(
                f"{day},Bench {tag} Film {n},{1950 + n % 70},https://boxd.it/b{n},4,,,{day}\n"
            )


class CallClock:
    """Adds up the wall time spent inside the upstream calls a row waits for in turn (OMDb's,
    the catalogue's), across threads."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()

    def wrap(self, client: object, *names: str) -> None:
        for name in names:
            method = getattr(client, name)

            def timed(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return _method(*args, **kwargs)
                finally:
                    with self._lock:
                        self.seconds += time.perf_counter() - started

            setattr(client, name, timed)


def run_once(
    engine: sa.Engine, urls: dict[str, str], root: Path, csv: Path, concurrency: int
) -> tuple[float, float]:
    """(wall seconds of the row step: dedupe + enrich + insert + settle, seconds spent inside
    the upstream calls rows wait for in turn), through `pipeline.import_rows` as the op runs
    it. IMDb's searches run beside OMDb's calls and are not clocked: a row that waits longer
    for one than for OMDb's answer counts the difference as overhead."""
    key = f"movies-bench-{uuid.uuid4().hex[:8]}"
    archive = root / "archive" / f"{key}.csv"
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(csv.read_bytes())
    with engine.begin() as conn:
        job = jobs.create_job(
            conn,
            jobs.NewImportJob(
                partition_key=key,
                type="movies",
                source="letterboxd-diary",
                file_name=csv.name,
                file_sha256="0" * 64,
                file_bytes=csv.stat().st_size,
                uploaded_by="bench",
            ),
        )
    pipeline.validate_import(engine, partition_key=key, archive=archive)
    policy = HttpPolicy(read_timeout=5.0)
    catalogue = CatalogueClient(urls["catalogue"], DEFAULT_TOKEN, policy=policy)
    # OMDb's rate limit lifted, as OMDB_REQUESTS_PER_SECOND=1000 does: this measures our
    # overhead around the calls, not the default cap (bench_system.py measures that).
    omdb = OmdbClient(urls["omdb"], DEFAULT_API_KEY, policy=policy, requests_per_second=1000)
    clock = CallClock()
    clock.wrap(catalogue, "create_movie", "list_movies")
    clock.wrap(omdb, "by_id", "by_title", "search")
    imdb = ImdbClient(urls["imdb"], policy=policy)
    upstreams = pipeline.Upstreams(
        omdb=omdb,
        imdb=imdb,
        catalogue=catalogue,
        daily_budget=1_000_000,
        now=lambda: datetime.now(UTC),
    )
    started = time.perf_counter()
    settled = pipeline.import_rows(
        engine, partition_key=key, options=pipeline.RunOptions(), upstreams=upstreams,
        concurrency=concurrency, upload_root=root, archive=archive, report=lambda _: None,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert settled.counts.success == settled.counts.total == job_rows(engine, job.id), settled
    return elapsed, clock.seconds


def job_rows(engine: sa.Engine, job_id: uuid.UUID) -> int:
    with engine.connect() as conn:
        return jobs.count_rows(conn, job_id).total


def transport_seconds_per_row(urls: dict[str, str], rows: int, concurrency: int) -> float:
    """The same three upstream calls per row (OMDb `t=` beside IMDb's search, then the POST)
    with nothing of ours around them: what the upstream calls alone cost through this
    machine's HTTP stack."""
    policy = HttpPolicy(read_timeout=5.0)
    omdb = OmdbClient(urls["omdb"], DEFAULT_API_KEY, policy=policy, requests_per_second=None)
    imdb = ImdbClient(urls["imdb"], policy=policy)
    catalogue = CatalogueClient(urls["catalogue"], DEFAULT_TOKEN, policy=policy)
    tag = uuid.uuid4().hex[:6]

    searches = ThreadPoolExecutor(concurrency)

    def row(n: int) -> None:
        title = f"Transport {tag} {n}"
        search = searches.submit(imdb.search, query=title)
        answer = omdb.by_title(title=title, year=2000, kind="movie")
        assert answer is not None
        search.result()
        catalogue.create_movie(
            body={
                "title": answer["Title"], "description": "", "language": "", "genre": "",
                "year": 2000, "viewingDate": "2024-01-01T00:00:00.000Z", "imdbRating": None,
                "imdbId": answer["imdbID"], "posterUrl": None, "tmdbId": None, "loved": True,
            }
        )  # fmt: skip

    started = time.perf_counter()
    with searches, ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(row, range(rows)))
    return (time.perf_counter() - started) / rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp:
        url = start_embedded_postgres(Path(tmp) / "pg", delete_on_exit=True)
        engine = sa.create_engine(url, pool_size=20)
        upgrade_to_head(engine)
        # The stand-ins run in their own process so they do not share this one's GIL.
        faults = json.dumps({"latency_ms": args.latency_ms})
        server = subprocess.Popen(
            [sys.executable, "-m", "jobsimport_dagster.standins", "--faults", faults],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            urls = json.loads(server.stdout.readline())
            print(
                f"{args.rows} rows, {args.latency_ms:.0f} ms per upstream call, "
                f"{UPSTREAM_CALLS_PER_ROW} calls per row, {WAITED_CALLS_PER_ROW} in turn"
            )
            for concurrency in (1, 8):
                csv = Path(tmp) / f"bench-c{concurrency}.csv"
                write_diary(csv, args.rows, tag=f"c{concurrency}")
                elapsed, in_calls = run_once(engine, urls, Path(tmp), csv, concurrency)
                transport = transport_seconds_per_row(urls, min(args.rows, 400), concurrency)
                rate = args.rows / elapsed
                limit = concurrency / (WAITED_CALLS_PER_ROW * latency)
                # Worker time per row that was not spent inside a call the row waits for.
                overhead_ms = (elapsed * concurrency - in_calls) / args.rows * 1000
                call_ms = in_calls / args.rows / WAITED_CALLS_PER_ROW * 1000
                print(
                    f"concurrency {concurrency}: {elapsed:.2f} s, {rate:.1f} rows/s; "
                    f"limit {limit:.1f} rows/s, ratio {rate / limit:.3f} (target >= 0.8); "
                    f"an upstream call took {call_ms:.1f} ms on average (nominal "
                    f"{args.latency_ms:.0f}); the bare upstream calls alone: "
                    f"{1 / transport:.1f} rows/s (ratio to them {transport * rate:.3f}); "
                    f"overhead {overhead_ms:.2f} ms/row outside the calls it waits for "
                    "(target <= 2)"
                )
        finally:
            server.terminate()
            server.wait()
        engine.dispose()


if __name__ == "__main__":
    main()
