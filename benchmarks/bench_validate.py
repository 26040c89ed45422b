"""Benchmark of the validate stage: a 10 MiB diary through run_validate against a bare COPY.

Run: `.venv/bin/python benchmarks/bench_validate.py [--mib 10]`. Prints rows/s, the peak RSS of
this process during the stage, and the stage's time over a bare `COPY` of the same rows into a
table of import_rows' shape (targets: ratio <= 2.5, peak RSS <= 200 MB).
"""

import argparse
import atexit
import csv
import io
import random
import resource
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from jobsimport_dagster.db.embedded import start_embedded_postgres
from jobsimport_dagster.db.jobs import NewImportJob, create_job
from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.sources.letterboxd import DIARY
from jobsimport_dagster.steps.validate import run_validate

DIARY_HEADER = [
    "Date",
    "Name",
    "Year",
    "Letterboxd URI",
    "Rating",
    "Rewatch",
    "Tags",
    "Watched Date",
]
WORDS = [
    "Night",
    "Day",
    "Love",
    "Red",
    "White",
    "Blue",
    "City",
    "Last",
    "First",
    "Summer",
    "Winter",
    "River",
    "Road",
    "House",
    "Girl",
    "Man",
    "Dream",
    "Lost",
    "Return",
    "Secret",
    "Dark",
    "Light",
    "Story",
    "Song",
    "Fire",
    "Water",
    "Ghost",
    "King",
    "Queen",
    "Time",
]
COLUMNS = (
    "job_id, row_number, raw_payload, normalized_payload, dedupe_key, "
    "status, error_code, error_message"
)


def build_diary(path: Path, target_bytes: int, seed: int = 7) -> int:
    """A diary-format file of about `target_bytes`, with realistic quirks and ~1% bad rows."""
    rng = random.Random(seed)
    start = date(2010, 1, 1)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(DIARY_HEADER)
        while handle.tell() < target_bytes:
            watched = start + timedelta(days=rng.randrange(5000))
            title = " ".join(rng.choices(WORDS, k=rng.randint(1, 4)))
            if rng.random() < 0.05:
                title = f"{title}, {rng.choice(WORDS)}"  # quoted comma
            year = str(rng.randint(1920, 2024)) if rng.random() > 0.02 else ""
            row = [
                (watched + timedelta(days=1)).isoformat(),
                title,
                year,
                f"https://boxd.it/{rng.getrandbits(32):x}",
                rng.choice(["", "0.5", "2", "3.5", "4", "5"]),
                rng.choice(["", "", "Yes"]),
                rng.choice(["", "", "", "cinema, friends"]),
                watched.isoformat(),
            ]
            bad = rng.random()
            if bad < 0.003:
                row[7] = "2023-02-30"
            elif bad < 0.006:
                row[1] = "   "
            elif bad < 0.008:
                row[2] = "19xx"
            elif bad < 0.01:
                row = row[:5]
            writer.writerow(row)
            rows += 1
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_copy_seconds(engine: sa.Engine, job_id: object) -> float:
    """COPY the stage's rows, already as COPY text, into an unindexed table of that shape."""
    with engine.begin() as conn, conn.connection.cursor() as cursor:
        buffer = io.StringIO()
        cursor.copy_expert(
            f"COPY (SELECT {COLUMNS} FROM jobsimport.import_rows WHERE job_id = '{job_id}' "
            "ORDER BY row_number) TO STDOUT",
            buffer,
        )
        buffer.seek(0)
        cursor.execute(
            "CREATE TEMP TABLE bare_copy (LIKE jobsimport.import_rows INCLUDING DEFAULTS)"
        )
        started = time.perf_counter()
        cursor.copy_expert(f"COPY bare_copy ({COLUMNS}) FROM STDIN", buffer)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=10.0)
    args = parser.parse_args()
    tmpdir = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    # Registered before the server starts, so it runs after the server's own exit handler,
    # which stops Postgres and deletes its data folder (deleting it first leaks the server).
    atexit.register(shutil.rmtree, tmpdir, ignore_errors=True)
    path = tmpdir / "diary.csv"
    rows = build_diary(path, int(args.mib * 1024 * 1024))
    engine = sa.create_engine(
        start_embedded_postgres(tmpdir / "pg", delete_on_exit=True), poolclass=sa.NullPool
    )
    upgrade_to_head(engine)
    with engine.begin() as conn:
        job = create_job(
            conn,
            NewImportJob(
                partition_key="movies-bench",
                type="movies",
                source=DIARY.name,
                file_name=path.name,
                file_sha256="0" * 64,
                file_bytes=path.stat().st_size,
                uploaded_by="bench",
            ),
        )
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    with engine.begin() as conn:
        summary = run_validate(
            conn, job_id=job.id, path=path, adapter=DIARY, today=datetime.now(UTC).date()
        )
    stage = time.perf_counter() - started
    rss_stage = peak_rss_mb()
    copy = bare_copy_seconds(engine, job.id)
    engine.dispose()
    print(f"file: {args.mib:g} MiB, {rows} rows; counts {summary.counts}")
    print(f"validate stage: {stage:.2f} s, {rows / stage:,.0f} rows/s")
    print(
        f"bare COPY of the same rows: {copy:.2f} s; ratio stage/COPY: {stage / copy:.2f}"
        " (target <= 2.5)"
    )
    print(
        f"peak RSS: {rss_stage:.0f} MB (target <= 200; after imports and setup: "
        f"{rss_before:.0f} MB)"
    )


if __name__ == "__main__":
    main()
