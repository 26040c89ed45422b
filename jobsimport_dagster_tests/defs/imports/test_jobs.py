"""`import_job` executed for a partition: real Postgres, real Dagster instance, real stand-ins."""

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.tables import DAGSTER_SCHEMA, import_rows
from jobsimport_dagster.defs.imports.partitions import import_files
from jobsimport_dagster.defs.resources import (
    CatalogueResource,
    DatabaseResource,
    ImdbResource,
    OmdbResource,
    PipelineResource,
    UploadFolderResource,
)
from jobsimport_dagster.intake import folders
from jobsimport_dagster.settings import with_search_path
from jobsimport_dagster.sources.registry import detect_adapter
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY
from jobsimport_dagster.standins.server import StandinGroup, start_all
from jobsimport_dagster.steps.read import read_header
from jobsimport_dagster_tests.defs.imports.reexecution import resolved_import_job

AGOS = "letterboxd/agosvenezia_diary_2024-06-01.csv"
EXTRATONE = "letterboxd/extratone_diary_2024_crlf.csv"


@pytest.fixture
def standins() -> Iterator[StandinGroup]:
    with start_all() as group:
        yield group


@dataclass
class Importer:
    """Drops files the way the sensor accepts them and runs their partition in process."""

    instance: dg.DagsterInstance
    engine: sa.Engine
    database_url: str
    root: Path
    standins: StandinGroup
    count: int = 0

    def accept(self, source: Path, *, import_type: str = "movies", dry_run: bool = False) -> str:
        self.count += 1
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        key = f"{import_type}{'-dry' if dry_run else ''}-20261124T000000-t{self.count}-{digest[:8]}"
        shutil.copyfile(source, folders.archive_path(self.root, key))
        with self.engine.begin() as conn:
            jobs.create_job(
                conn,
                jobs.NewImportJob(
                    partition_key=key,
                    type=import_type,
                    source="letterboxd-diary",
                    file_name=source.name,
                    file_sha256=digest,
                    file_bytes=len(data),
                    uploaded_by="tester",
                    dry_run=dry_run,
                ),
            )
        self.instance.add_dynamic_partitions("import_files", [key])
        return key

    def omdb(self, **changes: Any) -> OmdbResource:
        settings: dict[str, Any] = {
            "base_url": self.standins.urls()["omdb"],
            "api_key": DEFAULT_API_KEY,
            "timeout_seconds": 1.0,
            "requests_per_second": 500.0,
        }
        return OmdbResource(**{**settings, **changes})

    def resources(self, **overrides: Any) -> dict[str, Any]:
        urls = self.standins.urls()
        resources: dict[str, Any] = {
            "database": DatabaseResource(url=self.database_url),
            "upload_folder": UploadFolderResource(path=str(self.root), max_upload_bytes=10_485_760),
            "pipeline": PipelineResource(concurrency=8),
            "omdb": self.omdb(),
            "imdb": ImdbResource(base_url=urls["imdb"], timeout_seconds=1.0),
            "catalogue": CatalogueResource(
                base_url=urls["catalogue"], token=DEFAULT_TOKEN, timeout_seconds=1.0
            ),
        }
        resources.update(overrides)
        return resources

    def run(self, key: str, *, run_config: dict[str, Any] | None = None, **overrides: Any):
        return resolved_import_job(self.resources(**overrides)).execute_in_process(
            partition_key=key,
            instance=self.instance,
            run_config=run_config or {},
            raise_on_error=False,
        )

    def job(self, key: str) -> jobs.ImportJob:
        with self.engine.connect() as conn:
            job = jobs.get_job(conn, partition_key=key)
        assert job is not None
        return job

    def rows(self, key: str) -> list[dict[str, Any]]:
        job = self.job(key)
        with self.engine.connect() as conn:
            result = conn.execute(
                sa.select(import_rows)
                .where(import_rows.c.job_id == job.id)
                .order_by(import_rows.c.row_number)
            )
            return [dict(r._mapping) for r in result]


@pytest.fixture
def importer(
    dagster_instance: dg.DagsterInstance,
    engine: sa.Engine,
    database_url: str,
    tmp_path: Path,
    standins: StandinGroup,
) -> Importer:
    folders.ensure_tree(tmp_path)
    return Importer(dagster_instance, engine, database_url, tmp_path, standins)


def _by_status(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def _assert_counters_match(job: jobs.ImportJob, rows: list[dict[str, Any]]) -> None:
    by_status = _by_status(rows)
    assert job.total_rows == len(rows)
    assert job.success_rows == by_status.get("success", 0)
    assert job.failed_rows == by_status.get("failed", 0)
    assert job.skipped_rows == by_status.get("skipped", 0)
    assert job.processed_rows == job.success_rows + job.failed_rows + job.skipped_rows


def test_real_diary_imports_every_row_once(importer: Importer, sample_data: Path) -> None:
    key = importer.accept(sample_data / AGOS)
    result = importer.run(key)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    rows = importer.rows(key)
    job = importer.job(key)
    _assert_counters_match(job, rows)
    assert job.status in ("completed", "partial")
    success = [r for r in rows if r["status"] == "success"]
    assert len(success) > 200
    assert all(r["target_record_id"] for r in success)
    # Every record was posted exactly once and carries the file's viewing date (Watched Date).
    stats = importer.standins.catalogue.standin.stats()
    assert stats["duplicates"] == 0
    assert stats["stored"]["movies"] == len(success)
    # Dedupe and insert share the run's one read of the catalogue (SPEC §8).
    assert stats["by_endpoint"]["GET /movies"] == 1
    first = rows[0]
    assert first["normalized_payload"]["body"]["viewingDate"] == "2023-09-01T00:00:00.000Z"
    assert first["raw_payload"]["Watched Date"] == "2023-09-01"
    assert all(r["attempt_count"] == 1 for r in rows if r["status"] == "success")


def test_each_run_reads_the_catalogue_once_even_with_the_same_resources(
    importer: Importer, sample_data: Path
) -> None:
    job = resolved_import_job(importer.resources())
    first, second = importer.accept(sample_data / AGOS), importer.accept(sample_data / EXTRATONE)
    for key in (first, second):
        result = job.execute_in_process(partition_key=key, instance=importer.instance)
        assert result.success
    stats = importer.standins.catalogue.standin.stats()
    assert stats["by_endpoint"]["GET /movies"] == 2
    assert stats["duplicates"] == 0


def test_reimport_of_the_same_file_posts_nothing(importer: Importer, sample_data: Path) -> None:
    first = importer.accept(sample_data / AGOS)
    assert importer.run(first).success
    posted = importer.standins.catalogue.standin.stats()["stored"]["movies"]
    second = importer.accept(sample_data / AGOS)
    assert importer.run(second).success
    rows = importer.rows(second)
    assert importer.standins.catalogue.standin.stats()["stored"]["movies"] == posted
    assert not [r for r in rows if r["status"] == "success"]
    codes = {r["error_code"] for r in rows if r["status"] == "skipped"}
    assert "already_imported" in codes


def test_dry_run_posts_nothing_then_a_real_run_imports(
    importer: Importer, sample_data: Path
) -> None:
    key = importer.accept(sample_data / EXTRATONE, dry_run=True)
    assert importer.run(key).success
    rows = importer.rows(key)
    dry = [r for r in rows if r["error_code"] == "dry_run"]
    assert dry and all("body" in r["normalized_payload"] for r in dry)
    assert importer.standins.catalogue.standin.stats()["stored"]["movies"] == 0
    config = {"ops": {"import_results": {"ops": {"import_rows": {"config": {"dry_run": False}}}}}}
    result = importer.run(key, run_config=config)
    assert result.success
    rows = importer.rows(key)
    assert not [r for r in rows if r["error_code"] == "dry_run"]
    assert importer.standins.catalogue.standin.stats()["stored"]["movies"] == len(dry)


def test_faults_everywhere_still_post_each_record_once(
    importer: Importer, sample_data: Path
) -> None:
    faults = Faults(error_rate=0.2, rate_429=0.05, hang_rate=0.03, hang_seconds=2.0, seed=7)
    for running in (importer.standins.omdb, importer.standins.imdb):
        running.standin.set_faults(faults)
    importer.standins.catalogue.standin.set_faults(
        Faults(
            error_rate=0.15,
            rate_429=0.05,
            store_then_fail_rate=0.05,
            store_then_hang_rate=0.03,
            hang_seconds=2.0,
            seed=11,
        )
    )
    key = importer.accept(sample_data / AGOS)
    result = importer.run(key)
    rows = importer.rows(key)
    assert result.success, _by_status(rows)
    stats = importer.standins.catalogue.standin.stats()
    assert stats["duplicates"] == 0
    success = [r for r in rows if r["status"] == "success"]
    assert stats["stored"]["movies"] == len(success)
    assert not [r for r in rows if r["error_code"] in ("upstream_unavailable", "insert_failed")]


def test_budget_spent_fails_the_run_and_the_next_day_finishes_it(
    importer: Importer, sample_data: Path
) -> None:
    key = importer.accept(sample_data / AGOS)
    result = importer.run(key, omdb=importer.omdb(daily_budget=50))
    assert not result.success
    rows = importer.rows(key)
    exhausted = [r for r in rows if r["error_code"] == "omdb_budget_exhausted"]
    assert exhausted
    assert importer.job(key).status in ("failed", "partial")
    calls_before = importer.standins.omdb.standin.stats()["requests"]
    assert importer.run(key, omdb=importer.omdb(daily_budget=1000, clock_shift_days=1)).success
    rows = importer.rows(key)
    assert not [r for r in rows if r["error_code"] == "omdb_budget_exhausted"]
    assert importer.job(key).status in ("completed", "partial")
    # Only rows that never got an answer cost new calls: cached answers are not asked again.
    new_calls = importer.standins.omdb.standin.stats()["requests"] - calls_before
    assert 0 < new_calls < len(rows)


def test_missing_token_stops_the_run_naming_the_variable(
    importer: Importer, sample_data: Path
) -> None:
    key = importer.accept(sample_data / AGOS)
    no_token = CatalogueResource(base_url=importer.standins.urls()["catalogue"], token=None)
    result = importer.run(key, catalogue=no_token)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "ASHISHDOTME_TOKEN" in str(failure.event_specific_data.error)
    rows = importer.rows(key)
    assert {r["status"] for r in rows} <= {"pending", "failed"}
    assert importer.job(key).status == "failed"
    assert uuid.UUID(str(importer.job(key).id))


def test_partition_metadata_and_failed_rows_csv(importer: Importer, tmp_path: Path) -> None:
    # A template file with a bad date and a title OMDb does not know: both end in the CSV.
    importer.standins.omdb.standin.configure(not_found=["Nowhere Film"])
    source = tmp_path / "mine.csv"
    source.write_text(
        "Title,Year,Watched Date,IMDb ID\n"
        "Up,2009,2024-01-02,\n"
        '=HYPERLINK("x"),2001,2024-02-30,\n'
        "Nowhere Film,2001,2024-01-03,\n",
        encoding="utf-8",
    )
    key = importer.accept(source)
    with importer.engine.begin() as conn:
        conn.execute(sa.text("update jobsimport.import_jobs set source='template'"))
    result = importer.run(key)
    assert result.success
    (materialization,) = [
        event.event_specific_data.materialization
        for event in result.get_asset_materialization_events()
    ]
    metadata = materialization.metadata
    assert metadata["total_rows"].value == 3
    assert metadata["success_rows"].value == 1
    assert metadata["failed_rows"].value == 2
    assert metadata["omdb_calls"].value >= 1
    assert metadata["console"] == dg.MetadataValue.url(f"/imports/{key}")
    # Up is verified; the invalid and the unknown row have no verdict (SPEC §12)
    verdicts = {k: v.value for k, v in metadata.items() if k.startswith("verdict_")}
    assert verdicts == {
        "verdict_given_id": 0, "verdict_remembered": 0, "verdict_verified": 1,
        "verdict_ambiguous_match": 0,
    }  # fmt: skip
    assert materialization.partition == key
    table = metadata["failed_rows_table"].value
    assert [(r.data["line"], r.data["code"]) for r in table.records] == [
        (3, "invalid_date"),
        (4, "not_found"),
    ]
    (check,) = result.get_asset_check_evaluations()
    # partial: the partition's own check fails with a warning (SPEC §9)
    assert (check.check_name, check.partition, check.passed) == ("no_failed_rows", key, False)
    assert check.severity == dg.AssetCheckSeverity.WARN
    failed_csv = importer.root / "failed" / f"{key}.failed.csv"
    assert metadata["failed_rows_csv"].value == str(failed_csv)
    with failed_csv.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    assert records[0] == [
        "Title", "Year", "Watched Date", "IMDb ID", "line", "error_code", "error_message",
        "candidates",
    ]  # fmt: skip
    # The formula-looking title is neutralised with a leading quote, kept as data.
    assert records[1][:6] == ['\'=HYPERLINK("x")', "2001", "2024-02-30", "", "3", "invalid_date"]
    assert records[2][:6] == ["Nowhere Film", "2001", "2024-01-03", "", "4", "not_found"]


RUN_WORKER = """
import json, sys
import dagster as dg
from jobsimport_dagster.defs.resources import *
from jobsimport_dagster_tests.defs.imports.reexecution import resolved_import_job
spec = json.loads(sys.argv[1])
with dg.DagsterInstance.from_config(spec["home"]) as instance:
    resolved_import_job(
        {
            "database": DatabaseResource(url=spec["database_url"]),
            "upload_folder": UploadFolderResource(path=spec["root"], max_upload_bytes=10485760),
            "pipeline": PipelineResource(concurrency=4),
            "omdb": OmdbResource(base_url=spec["omdb"], api_key=spec["omdb_key"],
                                 requests_per_second=500.0),
            "imdb": ImdbResource(base_url=spec["imdb"]),
            "catalogue": CatalogueResource(base_url=spec["catalogue"], token=spec["token"]),
        }
    ).execute_in_process(partition_key=spec["key"], instance=instance, raise_on_error=False)
"""


def _start_run(importer: Importer, key: str, home: Path) -> subprocess.Popen[bytes]:
    """`import_job` for `key` in a process of its own, as a run worker runs it."""
    if not (home / "dagster.yaml").is_file():
        home.mkdir(exist_ok=True)
        storage_url = with_search_path(importer.database_url, DAGSTER_SCHEMA)
        (home / "dagster.yaml").write_text(
            f"storage:\n  postgres:\n    postgres_url: '{storage_url}'\n", encoding="utf-8"
        )
    urls = importer.standins.urls()
    spec = {
        "home": str(home), "key": key, "database_url": importer.database_url,
        "root": str(importer.root), "omdb": urls["omdb"], "omdb_key": DEFAULT_API_KEY,
        "imdb": urls["imdb"], "catalogue": urls["catalogue"], "token": DEFAULT_TOKEN,
    }  # fmt: skip
    return subprocess.Popen([sys.executable, "-c", RUN_WORKER, json.dumps(spec)])


def _kill_once_posting(importer: Importer, worker: subprocess.Popen[bytes], posts: int) -> None:
    """SIGKILL the worker once the catalogue holds `posts` records: in the middle of insert."""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if importer.standins.catalogue.standin.stats()["stored"]["movies"] >= posts:
                break
            assert worker.poll() is None, "the worker ended before the kill"
            time.sleep(0.05)
        else:
            pytest.fail("the insert step never got going")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()


def test_sigkill_during_insert_then_relaunch_posts_each_record_once(
    importer: Importer, sample_data: Path, tmp_path: Path
) -> None:
    key = importer.accept(sample_data / AGOS)
    # Slow POSTs so the kill lands in the middle of the insert step.
    importer.standins.catalogue.standin.set_faults(Faults(latency_ms=60))
    _kill_once_posting(importer, _start_run(importer, key, tmp_path / "home"), posts=40)
    rows = importer.rows(key)
    assert {r["status"] for r in rows} & {"pending", "processing"}, "killed after the end"
    (run,) = importer.instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": key}))
    assert run.status == dg.DagsterRunStatus.STARTED
    importer.instance.report_run_canceled(run)
    importer.standins.catalogue.standin.set_faults(Faults())
    result = importer.run(key)
    assert result.success
    rows = importer.rows(key)
    success = [r for r in rows if r["status"] == "success"]
    stats = importer.standins.catalogue.standin.stats()
    assert stats["duplicates"] == 0
    assert stats["stored"]["movies"] == len(success)
    assert not [r for r in rows if r["status"] in ("pending", "processing")]


def _viewings_posted_once(importer: Importer, *keys: str) -> list[dict[str, Any]]:
    """Every row of these imports ended `success` or `skipped`, each viewing was posted by
    exactly one success row, and the catalogue holds exactly those records: the success rows."""
    rows = [row for key in keys for row in importer.rows(key)]
    assert {r["status"] for r in rows} <= {"success", "skipped"}, _by_status(rows)
    success = [r for r in rows if r["status"] == "success"]
    viewings = [
        (r["normalized_payload"]["body"]["imdbId"], r["normalized_payload"]["body"]["viewingDate"])
        for r in success
    ]
    assert len(set(viewings)) == len(viewings)
    stats = importer.standins.catalogue.standin.stats()
    assert stats["duplicates"] == 0
    assert stats["stored"]["movies"] == len(success)
    assert {r["target_record_id"] for r in success} == {
        record["id"] for record in importer.standins.catalogue.standin.records("movies")
    }
    for key in keys:
        _assert_counters_match(importer.job(key), importer.rows(key))
    return rows


def test_the_same_diary_imported_twice_at_once_posts_each_viewing_once(
    importer: Importer, sample_data: Path, tmp_path: Path
) -> None:
    # POSTs slow enough that both runs are inserting at the same time.
    importer.standins.catalogue.standin.set_faults(Faults(latency_ms=15))
    first, second = (
        importer.accept(sample_data / EXTRATONE),
        importer.accept(sample_data / EXTRATONE),
    )
    workers = [_start_run(importer, key, tmp_path / "home") for key in (first, second)]
    for worker in workers:
        assert worker.wait(timeout=300) == 0
    _viewings_posted_once(importer, first, second)
    # Each viewing went to one import; the other skipped it as already imported.
    by_line = {key: {r["row_number"]: r for r in importer.rows(key)} for key in (first, second)}
    for line, row in by_line[first].items():
        pair = (row["status"], by_line[second][line]["status"])
        if "success" in pair:
            assert sorted(pair) == ["skipped", "success"], (line, pair)
            skipped = row if row["status"] == "skipped" else by_line[second][line]
            assert skipped["error_code"] == "already_imported", skipped["error_message"]
        else:  # repeats inside the file, or films the catalogue had: the same in both
            assert row["error_code"] == by_line[second][line]["error_code"], line
    assert all(importer.job(key).status == "completed" for key in (first, second))


def test_a_run_killed_while_a_twin_import_waits_loses_nothing_and_posts_nothing_twice(
    importer: Importer, sample_data: Path, tmp_path: Path
) -> None:
    importer.standins.catalogue.standin.set_faults(Faults(latency_ms=40))
    first, second = importer.accept(sample_data / AGOS), importer.accept(sample_data / AGOS)
    killed = _start_run(importer, first, tmp_path / "home")
    survivor = _start_run(importer, second, tmp_path / "home")
    _kill_once_posting(importer, killed, posts=60)
    # The survivor takes over what the dead run held, after a fresh look at the catalogue.
    assert survivor.wait(timeout=300) == 0
    (run,) = importer.instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": first}))
    importer.instance.report_run_canceled(run)
    importer.standins.catalogue.standin.set_faults(Faults())
    assert importer.run(first).success
    rows = _viewings_posted_once(importer, first, second)
    assert all(importer.job(key).status in ("completed", "partial") for key in (first, second))
    assert {r["error_code"] for r in rows if r["status"] == "skipped"} >= {"already_imported"}


def test_a_dry_run_beside_a_real_import_claims_and_posts_nothing(
    importer: Importer, sample_data: Path, tmp_path: Path
) -> None:
    importer.standins.catalogue.standin.set_faults(Faults(latency_ms=15))
    dry = importer.accept(sample_data / EXTRATONE, dry_run=True)
    real = importer.accept(sample_data / EXTRATONE)
    workers = [_start_run(importer, key, tmp_path / "home") for key in (dry, real)]
    for worker in workers:
        assert worker.wait(timeout=300) == 0
    _viewings_posted_once(importer, dry, real)
    dry_rows = importer.rows(dry)
    assert not [r for r in dry_rows if r["status"] == "success"]
    assert any(r["error_code"] == "dry_run" for r in dry_rows)
    with importer.engine.connect() as conn:
        claimed_by = set(
            conn.execute(sa.text("select job_id from jobsimport.viewing_claims")).scalars()
        )
    assert claimed_by == {importer.job(real).id}
    # Nothing of the real import was held back by the dry run.
    assert not [r for r in importer.rows(real) if r["error_code"] == "already_imported"]


def test_ambiguous_posts_are_settled_by_a_fresh_get(importer: Importer, sample_data: Path) -> None:
    # Every other POST stores the record and then answers 503 or hangs past the timeout.
    importer.standins.catalogue.standin.set_faults(
        Faults(store_then_fail_rate=0.3, store_then_hang_rate=0.2, hang_seconds=1.5, seed=3)
    )
    key = importer.accept(sample_data / EXTRATONE)
    assert importer.run(key).success
    rows = importer.rows(key)
    stats = importer.standins.catalogue.standin.stats()
    assert stats["faults_injected"]
    assert stats["duplicates"] == 0
    success = [r for r in rows if r["status"] == "success"]
    assert stats["stored"]["movies"] == len(success) > 250
    assert all(r["target_record_id"] for r in success)


def test_longer_export_posts_only_the_new_rows(
    importer: Importer, sample_data: Path, tmp_path: Path
) -> None:
    full = (sample_data / AGOS).read_text(encoding="utf-8").splitlines(keepends=True)
    earlier = tmp_path / "diary-may.csv"
    earlier.write_text("".join(full[:101]), encoding="utf-8")
    assert importer.run(importer.accept(earlier)).success
    posted_first = importer.standins.catalogue.standin.stats()["stored"]["movies"]
    later = importer.accept(sample_data / AGOS)
    assert importer.run(later).success
    rows = importer.rows(later)
    posted_total = importer.standins.catalogue.standin.stats()["stored"]["movies"]
    new = [r for r in rows if r["status"] == "success"]
    assert posted_total - posted_first == len(new)
    assert all(r["row_number"] > 101 for r in new)
    assert {r["error_code"] for r in rows if r["row_number"] <= 101} <= {
        "already_imported", "duplicate_in_file", "invalid_date", "invalid_year", "invalid_title",
    }  # fmt: skip
    assert importer.standins.catalogue.standin.stats()["duplicates"] == 0


def test_watched_export_after_the_diary_posts_nothing_twice(
    importer: Importer, sample_data: Path, tmp_path: Path
) -> None:
    diary = importer.accept(sample_data / AGOS)
    assert importer.run(diary).success
    posted = importer.standins.catalogue.standin.stats()["stored"]["movies"]
    # watched.csv: the same films, dated when they were logged, not when they were seen.
    with (sample_data / AGOS).open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    watched = tmp_path / "watched.csv"
    with watched.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Name", "Year", "Letterboxd URI"])
        for record in records:
            writer.writerow(
                [record["Date"], record["Name"], record["Year"], record["Letterboxd URI"]]
            )
    key = importer.accept(watched)
    with importer.engine.begin() as conn:
        conn.execute(
            sa.text(
                "update jobsimport.import_jobs set source='letterboxd-watched' "
                "where partition_key=:k"
            ),
            {"k": key},
        )
    assert importer.run(key).success
    assert importer.standins.catalogue.standin.stats()["stored"]["movies"] == posted
    assert importer.standins.catalogue.standin.stats()["duplicates"] == 0


def test_a_tv_episode_is_not_accepted_as_the_film(importer: Importer, tmp_path: Path) -> None:
    # OMDb's `t=airplane` without a year answers a 1999 TV episode, not the 1980 film.
    source = tmp_path / "airplane.csv"
    source.write_text("Title,Year,Watched Date,IMDb ID\nairplane,,2024-03-01,\n", encoding="utf-8")
    key = importer.accept(source)
    with importer.engine.begin() as conn:
        conn.execute(sa.text("update jobsimport.import_jobs set source='template'"))
    assert importer.run(key).success
    (row,) = importer.rows(key)
    if row["status"] == "success":
        assert row["normalized_payload"]["body"]["imdbId"] == "tt0080339"
    else:
        assert row["error_code"] in ("not_found", "wrong_type")
    episode_id = "tt0584812"
    posted = importer.standins.catalogue.standin.records("movies")
    assert all(record["imdbId"] != episode_id for record in posted)


def test_reexecution_from_failure_takes_the_rows_left_with_no_local_storage(
    importer: Importer, sample_data: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The location as Dagster loads it, configured from the environment like `jobsimport dev`.
    urls = importer.standins.urls()
    for name, value in {
        "DATABASE_URL": database_url,
        "JOBSIMPORT_UPLOAD_DIR": str(importer.root),
        "OMDB_BASE_URL": urls["omdb"],
        "OMDB_API_KEY": DEFAULT_API_KEY,
        "IMDB_API_URL": urls["imdb"],
        "ASHISHDOTME_API_URL": urls["catalogue"],
        "ASHISHDOTME_TOKEN": DEFAULT_TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    job = dg.build_reconstructable_job(
        "jobsimport_dagster_tests.defs.imports.reexecution", "build_import_job"
    )
    # OMDb says "Request limit reached!" after 30 calls: the rest of the day's budget is spent.
    importer.standins.omdb.standin.configure(daily_limit=30)
    key = importer.accept(sample_data / EXTRATONE)
    with dg.execute_job(job, importer.instance, tags={"dagster/partition": key}) as first:
        assert not first.success
        failed_steps = [e.step_key for e in first.all_events if e.is_step_failure]
        assert failed_steps == ["import_results.import_rows"]
        parent = first.run_id
    assert any(r["error_code"] == "omdb_budget_exhausted" for r in importer.rows(key))
    # The next day: OMDb answers again and our day budget is fresh.
    importer.standins.omdb.standin.configure(daily_limit=None)
    with importer.engine.begin() as conn:
        conn.execute(sa.text("delete from jobsimport.omdb_budget"))
    # Another machine re-executes it: nothing of the first run's local storage is there.
    storage = Path(importer.instance.storage_directory())
    shutil.rmtree(storage, ignore_errors=True)
    assert not storage.exists()
    options = dg.ReexecutionOptions.from_failure(parent, importer.instance)
    # The UI and GraphQL copy the parent's tags into a re-execution; `execute_job` is told.
    tags = {"dagster/partition": key}
    with dg.execute_job(job, importer.instance, tags=tags, reexecution_options=options) as retry:
        assert retry.success
        executed = {e.step_key for e in retry.all_events if e.is_step_success}
        assert executed == {"import_results.import_rows"}
    rows = importer.rows(key)
    assert not [r for r in rows if r["error_code"] == "omdb_budget_exhausted"]
    assert importer.job(key).status in ("completed", "partial")
    assert importer.standins.catalogue.standin.stats()["duplicates"] == 0


def test_failed_rows_csv_with_imdb_ids_filled_in_imports_the_fixed_rows(
    importer: Importer, tmp_path: Path
) -> None:
    importer.standins.omdb.standin.configure(not_found=["Nowhere Film"])
    source = tmp_path / "diary.csv"
    source.write_text(
        "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
        "2024-01-05,Up,2009,https://boxd.it/a,4,,,2024-01-04\n"
        "2024-01-06,Nowhere Film,2001,https://boxd.it/b,,,,2024-01-05\n",
        encoding="utf-8",
    )
    key = importer.accept(source)
    assert importer.run(key).success
    failed_csv = importer.root / "failed" / f"{key}.failed.csv"
    with failed_csv.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, records = reader.fieldnames, list(reader)
    assert [(r["Name"], r["error_code"]) for r in records] == [("Nowhere Film", "not_found")]
    # The user looks the film up, fills in its IMDb ID and drops the file back in.
    records[0]["IMDb ID"] = "tt0080339"
    fixed = tmp_path / f"{key}.failed.csv"
    with fixed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
    assert detect_adapter(read_header(fixed), fixed.name, "movies").name == "letterboxd-diary"
    again = importer.accept(fixed)
    assert importer.run(again).success
    (row,) = importer.rows(again)
    assert row["status"] == "success", row["error_message"]
    body = row["normalized_payload"]["body"]
    assert (body["imdbId"], body["viewingDate"]) == ("tt0080339", "2024-01-05T00:00:00.000Z")
    assert row["row_number"] == 2  # its line in the dropped file, not the original's


def _template_import(importer: Importer, tmp_path: Path, name: str, rows: str) -> str:
    source = tmp_path / name
    source.write_text(f"Title,Year,Watched Date,IMDb ID\n{rows}", encoding="utf-8")
    key = importer.accept(source)
    with importer.engine.begin() as conn:
        conn.execute(
            sa.text("update jobsimport.import_jobs set source='template' where partition_key=:k"),
            {"k": key},
        )
    return key


def _observations(importer: Importer, key: str) -> list[dg.AssetObservation]:
    """The partition's observations of `import_results`, as stored (what the UI reads)."""
    records = importer.instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("import_results"), asset_partitions=[key]),
        limit=10,
    ).records
    return [record.asset_observation for record in records]


def test_each_outcome_is_its_own_partition_status(importer: Importer, tmp_path: Path) -> None:
    importer.standins.omdb.standin.configure(not_found=["Nowhere Film"])
    completed = _template_import(importer, tmp_path, "done.csv", "Up,2009,2024-01-02,\n")
    partial = _template_import(
        importer, tmp_path, "some.csv", "Heat,1995,2024-01-03,\nNowhere Film,2001,2024-01-03,\n"
    )
    runs = {key: importer.run(key) for key in (completed, partial)}
    assert all(result.success for result in runs.values())
    checks = {
        key: [(c.partition, c.passed, c.severity) for c in result.get_asset_check_evaluations()]
        for key, result in runs.items()
    }
    # completed: the partition's check passed; partial: that partition's check failed (WARN)
    assert checks[completed] == [(completed, True, dg.AssetCheckSeverity.WARN)]
    assert checks[partial] == [(partial, False, dg.AssetCheckSeverity.WARN)]
    # An outage while dedupe reads the catalogue: the run fails early, saying why.
    importer.standins.catalogue.standin.set_faults(Faults(error_rate=1.0))
    failed = _template_import(importer, tmp_path, "later.csv", "Alien,1979,2024-06-01,\n")
    result = importer.run(failed)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "import_results.import_rows"
    assert "re-execute this partition" in str(failure.event_specific_data.error)
    assert importer.job(failed).status == "failed"
    (observed,) = _observations(importer, failed)
    assert observed.partition == failed
    assert observed.metadata["status"].value == "failed"
    assert (observed.metadata["total_rows"].value, observed.metadata["pending_rows"].value) == (
        1,
        1,
    )
    assert "re-execute this partition" in observed.metadata["reason"].value
    statuses = importer.instance.get_status_by_partition(
        dg.AssetKey("import_results"), [completed, partial, failed], import_files
    )
    assert statuses is not None
    assert {key: status.value for key, status in statuses.items() if status} == {
        completed: "MATERIALIZED",
        partial: "MATERIALIZED",
        failed: "FAILED",
    }


def test_rows_left_fail_the_partition_with_the_import_metadata_observed(
    importer: Importer, sample_data: Path
) -> None:
    key = importer.accept(sample_data / EXTRATONE)
    result = importer.run(key, omdb=importer.omdb(daily_budget=20))
    assert not result.success
    assert not result.get_asset_materialization_events()
    (observed,) = _observations(importer, key)
    job = importer.job(key)
    assert observed.metadata["status"].value == job.status
    assert observed.metadata["failed_rows"].value == job.failed_rows > 0
    assert "rows are left to do" in observed.metadata["reason"].value
    assert observed.metadata["failed_rows_table"].value.records
    statuses = importer.instance.get_status_by_partition(
        dg.AssetKey("import_results"), [key], import_files
    )
    assert statuses is not None and statuses[key] is not None
    assert statuses[key].value == "FAILED"
