"""Benchmark: match verdicts and OMDb spending on a fresh import of the real diaries.

Each real Letterboxd diary under `jobsimport_dagster_tests/data/` (and Netflix's viewing history
as films) is imported by the row step (`pipeline.validate_import` + `pipeline.import_rows`, as
the ops run them) into an empty enrichment cache and an empty catalogue, against the stand-ins.
Prints, per file: the rows enriched, their verdicts, the share `verified` or `given_id`, the
OMDb calls, the distinct films (title key + year) and OMDb calls per distinct film (SPEC §12:
at most 1.1). `--rows-out FILE` writes every enriched row's outcome as JSON lines (file, line,
title, year, status, code, IMDb ID, verdict), to compare two releases on the same stand-ins.

    .venv/bin/python benchmarks/bench_verdicts.py [--standins URLS_JSON] [--rows-out FILE]

Without `--standins` (the JSON line `python -m jobsimport_dagster.standins` prints) the
stand-ins are started in a process of their own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from jobsimport_dagster.clients.catalogue import CatalogueClient
from jobsimport_dagster.clients.http import HttpPolicy
from jobsimport_dagster.clients.imdb import ImdbClient
from jobsimport_dagster.clients.omdb import OmdbClient
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.embedded import start_embedded_postgres
from jobsimport_dagster.db.migrate import upgrade_to_head
from jobsimport_dagster.db.tables import import_rows
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY
from jobsimport_dagster.steps import pipeline
from jobsimport_dagster.steps.normalize import normalize_title

DATA = Path(__file__).resolve().parent.parent / "jobsimport_dagster_tests" / "data"
FILES = (
    ("letterboxd/agosvenezia_diary_2024-06-01.csv", "letterboxd-diary"),
    ("letterboxd/extratone_diary_2024_crlf.csv", "letterboxd-diary"),
    ("netflix/netflix_us_NetflixViewingHistory_tsachit.csv", "netflix"),
)
# Codes a row gets from enrichment itself (the rest come before it, or from the POST).
ENRICH_CODES = {"not_found", "wrong_type", "ambiguous_match"}


def import_fresh(engine: sa.Engine, urls: dict[str, str], root: Path, name: str, source: str):
    """Import one file as a new import, the enrichment cache, budget and catalogue empty."""
    for standin in ("omdb", "imdb", "catalogue"):
        requests.post(f"{urls[standin]}/_standin/reset", timeout=5).raise_for_status()
    with engine.begin() as conn:
        conn.execute(sa.text("truncate jobsimport.enrichment_cache, jobsimport.omdb_budget"))
    path = DATA / name
    key = f"movies-verdicts-{uuid.uuid4().hex[:8]}"
    archive = root / "archive" / f"{key}.csv"
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(path.read_bytes())
    with engine.begin() as conn:
        jobs.create_job(
            conn,
            jobs.NewImportJob(
                partition_key=key, type="movies", source=source, file_name=path.name,
                file_sha256="0" * 64, file_bytes=path.stat().st_size, uploaded_by="bench",
            ),
        )  # fmt: skip
    pipeline.validate_import(engine, partition_key=key, archive=archive)
    policy = HttpPolicy(read_timeout=10.0)
    upstreams = pipeline.Upstreams(
        omdb=OmdbClient(urls["omdb"], DEFAULT_API_KEY, policy=policy, requests_per_second=None),
        imdb=ImdbClient(urls["imdb"], policy=policy),
        catalogue=CatalogueClient(urls["catalogue"], DEFAULT_TOKEN, policy=policy),
        daily_budget=1_000_000,
        now=lambda: datetime.now(UTC),
    )
    settled = pipeline.import_rows(
        engine, partition_key=key, options=pipeline.RunOptions(), upstreams=upstreams,
        concurrency=8, upload_root=root, archive=archive, report=lambda _: None,
    )  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(import_rows)
            .where(import_rows.c.job_id == settled.job.id)
            .order_by(import_rows.c.source_file, import_rows.c.row_number)
        ).all()
    return settled, rows


def outcome(name: str, row: Any) -> dict[str, Any] | None:
    """An enriched row's outcome, or None for a row that never reached enrichment."""
    payload = row.normalized_payload or {}
    if "match" not in payload and row.error_code not in ENRICH_CODES:
        return None
    return {
        "file": name,
        "line": row.row_number,
        "title": payload.get("title"),
        "year": payload.get("year"),
        "status": row.status,
        "code": row.error_code,
        "imdb_id": (payload.get("match") or {}).get("imdb_id"),
        "verdict": (payload.get("match_verdict") or {}).get("verdict", row.error_code),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--standins", help="the stand-ins' URLs as JSON (started when absent)")
    parser.add_argument("--rows-out", type=Path, help="write every enriched row as JSON lines")
    args = parser.parse_args()
    server = None
    if args.standins:
        urls = json.loads(args.standins)
    else:
        server = subprocess.Popen(
            [sys.executable, "-m", "jobsimport_dagster.standins"], stdout=subprocess.PIPE, text=True
        )
        assert server.stdout is not None
        urls = json.loads(server.stdout.readline())
    outcomes: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = start_embedded_postgres(Path(tmp) / "pg", delete_on_exit=True)
            engine = sa.create_engine(url, pool_size=20)
            upgrade_to_head(engine)
            for name, source in FILES:
                settled, rows = import_fresh(engine, urls, Path(tmp), name, source)
                enriched = [o for o in (outcome(name, r) for r in rows) if o is not None]
                outcomes += enriched
                verdicts = Counter(str(o["verdict"]) for o in enriched)
                films = {(normalize_title(str(o["title"])), o["year"]) for o in enriched}
                sure = verdicts["verified"] + verdicts["given_id"]
                print(
                    f"{name}: {len(rows)} rows, {len(enriched)} enriched, verdicts "
                    f"{dict(sorted(verdicts.items()))}; verified or given_id "
                    f"{sure / max(1, len(enriched)):.1%}; {settled.omdb_calls} OMDb calls for "
                    f"{len(films)} distinct films = "
                    f"{settled.omdb_calls / max(1, len(films)):.3f} per film"
                )
            engine.dispose()
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    if args.rows_out:
        args.rows_out.write_text("".join(json.dumps(o) + "\n" for o in outcomes))


if __name__ == "__main__":
    main()
