"""Benchmark of the shipped system: `jobsimport dev` configured by variables, a diary dropped in.

Starts the stand-ins (OMDb, IMDb, api.ashish.me) with 25 ms of latency in a process of their
own, then, for each configuration, a fresh `jobsimport dev` in a temporary project (embedded
Postgres, as a user gets it) configured only through environment variables. It drops a 5,000-row
Letterboxd diary into `uploads/movies/` and times drop -> job `completed`; then drops the same
file again and counts what the second import cost upstream.

Printed per configuration: rows/s; upstream calls per row; OMDb calls per distinct film; peak
RSS of the run worker; and the ratio to the limit
`min(concurrency / (calls per row x latency), OMDB_REQUESTS_PER_SECOND / OMDb calls per row)`.
That limit counts a row's calls one after another; a row's IMDb search runs beside its OMDb
lookup, so the ratios are also printed against the limit of the calls a row waits for in turn.
The end-to-end time includes the sensor's pick-up (JOBSIMPORT_SENSOR_INTERVAL=1) and the run's
start; the row phase (run start -> completed) is printed beside it.

    .venv/bin/python benchmarks/bench_system.py [--rows 5000] [--latency-ms 25] [--only lifted]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from jobsimport_dagster.clients.dagster_graphql import DagsterGraphQLClient
from jobsimport_dagster.db.embedded import running_embedded_postgres_url
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY

JOBSIMPORT = Path(sys.executable).parent / "jobsimport"
PROJECT = Path(__file__).resolve().parent.parent
CONCURRENCY = 8
REWATCH_EVERY = 5  # one row in five is a rewatch of an earlier film on another day
LOGS = """
query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
  __typename ... on MessageEvent { message } } } } }
"""


def write_diary(path: Path, rows: int) -> int:
    """A Letterboxd diary of `rows` viewings; returns the number of distinct films."""
    start = date(2010, 1, 1)  # a viewing a day: 5,000 rows end in 2023, none in the future
    films = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\r\n")
        for n in range(rows):
            day = (start + timedelta(days=n)).isoformat()
            if n % REWATCH_EVERY == REWATCH_EVERY - 1:
                film, rewatch = n - 3, "Yes"  # the film of three days before, seen again
            else:
                film, rewatch = n, ""
                films += 1
            year = 1950 + film % 70
            out.write(
                f"{day},System Bench Film {film},{year},https://boxd.it/sb{film},4,"
                f"{rewatch},,{day}\r\n"
            )
    return films


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_standin/stats", timeout=10) as answer:
        return json.load(answer)


def reset(urls: dict[str, str]) -> None:
    """Counters and stored records of every stand-in back to nothing (a fresh catalogue)."""
    for url in urls.values():
        request = urllib.request.Request(f"{url}/_standin/reset", data=b"{}", method="POST")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10):
            pass


def upstream_counts(urls: dict[str, str]) -> dict[str, int]:
    omdb, imdb, catalogue = (stats(urls[name]) for name in ("omdb", "imdb", "catalogue"))
    return {
        "omdb": omdb["requests"],
        "imdb": imdb["requests"],
        "posts": catalogue["by_endpoint"].get("POST /movies", 0),
        "catalogue": catalogue["requests"],
    }


def wait(what: str, check: Any, timeout: float, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        time.sleep(every)
    raise SystemExit(f"timed out waiting for {what}")


class System:
    """A `jobsimport dev` in its own temporary project, configured by variables only."""

    def __init__(self, root: Path, urls: dict[str, str], variables: dict[str, str]) -> None:
        self.root = root
        self.port = free_port()
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DAGSTER_", "JOBSIMPORT_", "OMDB_", "IMDB_", "ASHISHDOTME_"))
        }
        environ.pop("DATABASE_URL", None)
        environ.update(
            OMDB_BASE_URL=urls["omdb"],
            OMDB_API_KEY=DEFAULT_API_KEY,
            OMDB_DAILY_BUDGET="100000",
            IMDB_API_URL=urls["imdb"],
            ASHISHDOTME_API_URL=urls["catalogue"],
            ASHISHDOTME_TOKEN=DEFAULT_TOKEN,
            JOBSIMPORT_SENSOR_INTERVAL="1",
            JOBSIMPORT_CONCURRENCY=str(CONCURRENCY),
            **variables,
        )
        (root / "dagster.yaml").write_bytes((PROJECT / "dagster.yaml").read_bytes())
        self.log = (root / "jobsimport-dev.log").open("wb")
        self.process = subprocess.Popen(
            [str(JOBSIMPORT), "dev", "--port", str(self.port)],
            cwd=root,
            env=environ,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.client = DagsterGraphQLClient(f"http://127.0.0.1:{self.port}", None)
        wait("jobsimport dev to serve", self._ready, 180, every=0.5)
        url = running_embedded_postgres_url(root / ".jobsimport" / "pgdata")
        assert url is not None, "the embedded Postgres is not running"
        self.engine = sa.create_engine(url, poolclass=sa.NullPool)

    def _ready(self) -> bool | None:
        if self.process.poll() is not None:
            raise SystemExit(f"jobsimport dev exited with {self.process.returncode}")
        try:
            self.client.partition_keys()
        except Exception:  # not serving yet: any answer but a good one means wait
            return None
        return True

    def drop(self, source: Path, name: str) -> float:
        """Place the file in `uploads/movies/` as `submit` does; the moment it lands."""
        target = self.root / "uploads" / "movies" / name
        part = target.with_name(f".{name}.part")
        part.write_bytes(source.read_bytes())
        part.rename(target)
        return time.time()

    def job(self, file_name: str) -> Any:
        query = sa.text(
            "select partition_key, status, total_rows, success_rows, skipped_rows, failed_rows,"
            " extract(epoch from created_at) as created, extract(epoch from started_at) as"
            " started, extract(epoch from completed_at) as completed"
            " from jobsimport.import_jobs where file_name = :name"
        )
        with self.engine.connect() as conn:
            return conn.execute(query, {"name": file_name}).first()

    def run_worker_pid(self, partition_key: str) -> int | None:
        run = self.client.latest_runs(partition_keys=[partition_key]).get(partition_key)
        if run is None:
            return None
        events = self.client.execute(LOGS, {"id": run.run_id})["logsForRun"]["events"]
        for event in events:
            found = re.search(r"Started process for run \(pid: (\d+)\)", event.get("message") or "")
            if found:
                return int(found.group(1))
        return None

    def step_seconds(self, partition_key: str) -> dict[str, float]:
        """How long each op of the partition's latest run took, from its STEP_SUCCESS events
        (read once the run has ended: the import completes before its last op does)."""
        run = wait(
            "the run to end",
            lambda: (
                found
                if (found := self.client.latest_runs(partition_keys=[partition_key])[partition_key])
                and found.status in ("SUCCESS", "FAILURE", "CANCELED")
                else None
            ),
            60,
        )
        events = self.client.execute(LOGS, {"id": run.run_id})["logsForRun"]["events"]
        found = (
            re.search(
                r'Finished execution of step "[\w.]*?(\w+)" in (?:(\d+)m)?([\d.]+)(ms|s)', message
            )
            for message in (event.get("message") or "" for event in events)
        )
        return {  # Dagster writes "812ms", "4.1s" or "3m22s"
            m.group(1): 60 * int(m.group(2) or 0)
            + float(m.group(3)) / (1000 if m.group(4) == "ms" else 1)
            for m in found
            if m
        }

    def import_file(self, source: Path, name: str) -> dict[str, Any]:
        """Drop the file, follow its import to the end; timings and the worker's peak RSS."""
        dropped = self.drop(source, name)
        key = wait("the sensor to take the file", lambda: (self.job(name) or [None])[0], 120)
        peak_rss = 0
        worker: psutil.Process | None = None
        while True:
            job = self.job(name)
            if job.status in ("completed", "partial", "failed", "cancelled"):
                break
            if worker is None and (pid := self.run_worker_pid(key)) is not None:
                with contextlib.suppress(psutil.NoSuchProcess):
                    worker = psutil.Process(pid)
            if worker is not None:
                try:
                    peak_rss = max(peak_rss, worker.memory_info().rss)
                except psutil.NoSuchProcess:
                    worker = None
            time.sleep(0.1)
        return {
            "job": job,
            "seconds": float(job.completed) - dropped,
            "pick_up_seconds": float(job.created) - dropped,
            "start_seconds": float(job.started - job.created),
            "row_seconds": float(job.completed - job.started),
            "peak_rss_mb": peak_rss / 2**20,
            "steps": self.step_seconds(key),
        }

    def stop(self) -> None:
        self.engine.dispose()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def measure(
    label: str, urls: dict[str, str], diary: Path, films: int, rows: int, latency: float,
    variables: dict[str, str], target: float,
) -> bool:  # fmt: skip
    reset(urls)
    with tempfile.TemporaryDirectory(prefix="bench-system-") as tmp:
        system = System(Path(tmp), urls, variables)
        try:
            before = upstream_counts(urls)
            first = system.import_file(diary, "diary.csv")
            after = upstream_counts(urls)
            again = system.import_file(diary, "diary-again.csv")
            last = upstream_counts(urls)
        finally:
            system.stop()
    job = first["job"]
    assert job.status == "completed", job
    calls = {name: after[name] - before[name] for name in before}
    omdb_per_row = calls["omdb"] / rows
    calls_per_row = (calls["omdb"] + calls["imdb"] + calls["catalogue"]) / rows
    rps = float(variables.get("OMDB_REQUESTS_PER_SECOND", 20))
    omdb_limit = rps / omdb_per_row if omdb_per_row else float("inf")
    limit = min(CONCURRENCY / (calls_per_row * latency), omdb_limit)
    # A row's IMDb search runs beside its OMDb lookup: the calls it waits for one after the
    # other are its OMDb and catalogue calls. The limit counts every call in sequence.
    waited_per_row = (calls["omdb"] + calls["catalogue"]) / rows
    path_limit = min(CONCURRENCY / (waited_per_row * latency), omdb_limit)
    rate = rows / first["seconds"]
    row_rate = rows / first["row_seconds"]
    ratio = rate / limit
    print(
        f"{label}: drop -> completed {first['seconds']:.1f} s, {rate:.1f} rows/s "
        f"(sensor pick-up {first['pick_up_seconds']:.1f} s, queue and run start "
        f"{first['start_seconds']:.1f} s, row phase {first['row_seconds']:.1f} s, "
        f"{row_rate:.1f} rows/s; ops "
        + ", ".join(f"{op} {seconds:.1f} s" for op, seconds in first["steps"].items())
        + "); "
        f"upstream calls per row {calls_per_row:.3f} (OMDb {calls['omdb']}, IMDb {calls['imdb']}, "
        f"catalogue {calls['catalogue']} of which POST {calls['posts']}); "
        f"OMDb calls per distinct film {calls['omdb'] / films:.3f}; "
        f"run worker peak RSS {first['peak_rss_mb']:.0f} MB; limit {limit:.1f} rows/s; "
        f"ratio {ratio:.3f} end to end, {row_rate / limit:.3f} for the row phase "
        f"(target >= {target}); counting only the calls a row waits for in sequence "
        f"({waited_per_row:.3f} per row: IMDb's search overlaps OMDb's lookup) the limit is "
        f"{path_limit:.1f} rows/s and the ratios {rate / path_limit:.3f} end to end, "
        f"{row_rate / path_limit:.3f} for the row phase"
    )
    redrop = {name: last[name] - after[name] for name in after}
    print(
        f"{label}: re-drop of the same file ended {again['job'].status} "
        f"({again['job'].skipped_rows} rows skipped) with {redrop['omdb']} OMDb calls and "
        f"{redrop['posts']} POSTs (target 0 and 0)"
    )
    return ratio >= target and redrop["omdb"] == 0 and redrop["posts"] == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument(
        "--only", choices=("lifted", "default"), help="measure one configuration, not both"
    )
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory(prefix="bench-diary-") as tmp:
        diary = Path(tmp) / "diary.csv"
        films = write_diary(diary, args.rows)
        faults = json.dumps({"latency_ms": args.latency_ms})
        standins = subprocess.Popen(
            [sys.executable, "-m", "jobsimport_dagster.standins", "--faults", faults],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert standins.stdout is not None
            urls = json.loads(standins.stdout.readline())
            print(
                f"{args.rows} rows ({films} distinct films), {args.latency_ms:.0f} ms per "
                f"upstream call, JOBSIMPORT_CONCURRENCY={CONCURRENCY}"
            )
            configurations = {
                "lifted": (
                    "OMDb cap lifted (OMDB_REQUESTS_PER_SECOND=1000)",
                    {"OMDB_REQUESTS_PER_SECOND": "1000"},
                    0.85,
                ),
                "default": ("default OMDb cap (OMDB_REQUESTS_PER_SECOND unset: 20/s)", {}, 0.9),
            }
            results = [
                measure(label, urls, diary, films, args.rows, latency, variables, target=target)
                for name, (label, variables, target) in configurations.items()
                if args.only in (None, name)
            ]
        finally:
            standins.terminate()
            standins.wait()
    print("all targets met" if all(results) else "some targets missed")


if __name__ == "__main__":
    main()
