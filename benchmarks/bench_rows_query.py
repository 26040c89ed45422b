"""Benchmark of the console's rows query (`list_rows`) on a 100,000-row import.

Run: `.venv/bin/python benchmarks/bench_rows_query.py [--rows 100000] [--repeat 7]`. Starts an
embedded Postgres in a temporary folder, migrates it, stores one import of `--rows` rows (and a
second import of the same size beside it, so the job filter matters) with realistic payloads
and outcomes, then times each query the console makes (a page of rows plus the total count),
median of `--repeat` runs, and prints the plan of the slowest one.
"""

import argparse
import io
import json
import random
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from bench_validate import WORDS as TITLE_WORDS

from jobsimport_dagster.db.embedded import start_embedded_postgres
from jobsimport_dagster.db.jobs import NewImportJob, create_job
from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.db.row_list import RowQuery, list_rows
from jobsimport_dagster.steps.normalize import fold_text

# bench_validate's title words (this folder is on the path of a script run from it), and some
# that only fold with the Unicode steps.
WORDS = [*TITLE_WORDS, "Amélie", "Éclair", "Señor", "Über", "Straße", "Cœur", "Łódź"]
# Outcomes as a large real import ends: mostly posted, some skipped, a few failed.
OUTCOMES = (
    [("success", None)] * 85
    + [("skipped", "already_imported")] * 6
    + [("skipped", "duplicate_in_file")] * 3
    + [("failed", "not_found")] * 3
    + [("failed", "invalid_date")] * 2
    + [("failed", "upstream_unavailable")] * 1
)
QUERIES = {
    "first page, no filter": RowQuery(),
    "last page, no filter": RowQuery(offset=-50),
    "status=failed": RowQuery(status="failed"),
    "code=not_found": RowQuery(code="not_found"),
    "search 'amelie' (accent-blind)": RowQuery(search="amelie"),
    "search 'NIGHT RIVER' (rare)": RowQuery(search="NIGHT RIVER"),
    "status=failed + search 'love'": RowQuery(status="failed", search="love"),
    "search 'not_found' (a code)": RowQuery(search="not_found"),
}


def store_rows(conn: sa.Connection, job_id: uuid.UUID, rows: int, seed: int) -> None:
    """`rows` rows of a Letterboxd diary import, written with one COPY, and their titles folded
    for search with another, as `db.rows.insert_rows` writes them."""
    rng = random.Random(seed)
    out, titles = io.StringIO(), io.StringIO()
    for line in range(2, rows + 2):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
        year = str(rng.randint(1930, 2024))
        day = f"20{rng.randint(10, 23)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        status, code = rng.choice(OUTCOMES)
        raw = {
            "Date": day,
            "Name": title,
            "Year": year,
            "Letterboxd URI": f"https://boxd.it/{line:x}",
            "Rating": "4",
            "Rewatch": "",
            "Tags": "",
            "Watched Date": day,
        }
        seed_payload = {"title": title, "year": int(year), "viewing_date": day, "imdb_id": None}
        if status == "success":
            seed_payload["match"] = {"imdb_id": f"tt{line:07d}", "title": title}
        message = f"The row failed with {code}." if status == "failed" else None
        fields = [
            str(job_id),
            str(line),
            json.dumps(raw, ensure_ascii=False),
            json.dumps(seed_payload, ensure_ascii=False),
            f"{title.lower()}|{day}",
            status,
            code or "\\N",
            message or "\\N",
            str(line) if status == "success" else "\\N",
        ]
        out.write("\t".join(f.replace("\\", "\\\\") if f != "\\N" else f for f in fields) + "\n")
        titles.write(f"{job_id}\t\t{line}\t{fold_text(title)}\n")
    out.seek(0)
    titles.seek(0)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.copy_expert(
        "COPY jobsimport.import_rows (job_id, row_number, raw_payload, normalized_payload, "
        "dedupe_key, status, error_code, error_message, target_record_id) FROM STDIN",
        out,
    )
    cursor.copy_expert("COPY jobsimport.row_titles FROM STDIN", titles)


def new_import(conn: sa.Connection, key: str) -> uuid.UUID:
    job = create_job(
        conn,
        NewImportJob(
            partition_key=key,
            type="movies",
            source="letterboxd-diary",
            file_name="diary.csv",
            file_sha256="0" * 64,
            file_bytes=1,
            uploaded_by="bench",
        ),
    )
    return job.id


def time_query(engine: sa.Engine, job_id: uuid.UUID, query: RowQuery, repeat: int) -> float:
    """Median milliseconds of `list_rows` (the page and the count), each on a fresh connection
    from the pool as a request of the console would take it."""
    timings = []
    for _ in range(repeat):
        with engine.connect() as conn:
            started = time.perf_counter()
            list_rows(conn, job_id=job_id, import_type="movies", query=query)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-rows-"))
    try:
        url = start_embedded_postgres(folder / "pgdata", delete_on_exit=True)
        engine = sa.create_engine(url)
        upgrade_to_head(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            job_id = new_import(conn, "movies-20250101T000000-diary-00000000")
            other = new_import(conn, "movies-20250102T000000-diary-11111111")
            store_rows(conn, job_id, args.rows, seed=1)
            store_rows(conn, other, args.rows, seed=2)
        # As autovacuum leaves the tables once the rows are written: statistics and the
        # visibility map (which index-only scans read) up to date.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE jobsimport.import_rows, jobsimport.row_titles"))
        print(f"stored 2 imports of {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
        print(f"{'query':<34} {'ms (median)':>12} {'matches':>9}")
        for name, query in QUERIES.items():
            if query.offset < 0:
                query = RowQuery(offset=args.rows + query.offset)
            with engine.connect() as conn:
                total = list_rows(conn, job_id=job_id, import_type="movies", query=query).total
            ms = time_query(engine, job_id, query, args.repeat)
            print(f"{name:<34} {ms:>12.1f} {total:>9,}")
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
