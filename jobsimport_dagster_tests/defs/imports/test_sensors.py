"""`upload_sensor` on a real instance (Postgres) and a real folder, applied as the daemon would."""

import hashlib
import os
import pwd
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from jobsimport_dagster.db import jobs, uploads
from jobsimport_dagster.defs.imports.sensors import tick_result, upload_sensor
from jobsimport_dagster.defs.resources import DatabaseResource, UploadFolderResource
from jobsimport_dagster.intake import folders
from jobsimport_dagster.intake.scan import MAX_ACCEPTED_PER_TICK
from jobsimport_dagster_tests.conftest import job_events

SHOWS_TEMPLATE = b"Show,Season,Started Date,IMDb ID\nSeverance,2,2025-01-17,tt11280740\n"
MOVIES_TEMPLATE = b"Title,Year,Watched Date,IMDb ID\nUp,2009,2024-01-01,\n"
KEY = re.compile(r"^(movies|shows)(-dry)?-\d{8}T\d{6}-[a-z0-9-]{1,40}-[0-9a-f]{8}(-\d+)?$")


class Tick:
    """Evaluates the sensor like the daemon: cursor kept, partitions added, runs created by key."""

    def __init__(self, instance: dg.DagsterInstance, root: Path, database_url: str) -> None:
        self.instance = instance
        self.root = root
        self.cursor: str | None = None
        self.resources = {
            "database": DatabaseResource(url=database_url),
            "upload_folder": UploadFolderResource(path=str(root), max_upload_bytes=1_000_000),
        }

    def evaluate(self) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources
        )
        result = upload_sensor(context)
        assert isinstance(result, dg.SensorResult)
        return result

    def __call__(self) -> list[str]:
        """One tick, applied; returns the partition keys of the runs it created."""
        result = self.evaluate()
        self.apply(result)
        return [request.partition_key for request in result.run_requests or []]

    def apply(self, result: dg.SensorResult) -> None:
        self.cursor = result.cursor
        for request in result.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            new = [
                key
                for key in request.partition_keys
                if not self.instance.has_dynamic_partition(request.partitions_def_name, key)
            ]
            self.instance.add_dynamic_partitions(request.partitions_def_name, new)
        for request in result.run_requests or []:
            assert self.instance.has_dynamic_partition("import_files", request.partition_key)
            if self.runs(run_key=request.run_key):
                continue  # the daemon skips a run key that already has a run
            tags = {
                **request.tags,
                "dagster/partition": request.partition_key,
                "dagster/run_key": request.run_key,
            }
            self.instance.add_run(dg.DagsterRun(job_name="import_job", tags=tags))

    def runs(self, *, run_key: str | None = None) -> list[dg.DagsterRun]:
        tags = {"dagster/run_key": run_key} if run_key else {}
        return list(self.instance.get_runs(filters=dg.RunsFilter(tags=tags)))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def tick(dagster_instance: dg.DagsterInstance, root: Path, database_url: str) -> Tick:
    return Tick(dagster_instance, root, database_url)


def drop(root: Path, relative: str, content: bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def queued_import(
    engine: sa.Engine, key: str, content: bytes, *, file_name: str = "", dry_run: bool = False
) -> None:
    """A `queued` import as a tick commits it, before any run is requested."""
    with engine.begin() as conn:
        jobs.create_job(
            conn,
            jobs.NewImportJob(
                partition_key=key,
                type="movies",
                source="template",
                file_name=file_name or f"{key}.csv",
                file_sha256=hashlib.sha256(content).hexdigest(),
                file_bytes=len(content),
                uploaded_by="someone",
                dry_run=dry_run,
            ),
        )


def all_jobs(engine: sa.Engine) -> list[jobs.ImportJob]:
    with engine.connect() as conn:
        return jobs.list_jobs(conn)


def test_first_tick_creates_the_folder_tree(tick: Tick, root: Path) -> None:
    assert tick() == []
    for name in ("movies", "shows", "movies/dry-run", "shows/dry-run", "archive", "rejected"):
        assert (root / name).is_dir()
    assert (root / "failed").is_dir()


def test_complete_files_become_partitions_runs_jobs_and_archives(
    tick: Tick, root: Path, engine: sa.Engine, sample_data: Path
) -> None:
    diary = next((sample_data / "letterboxd").glob("*.csv"))
    tick()  # creates the tree
    shutil.copy(diary, root / "movies" / diary.name)
    drop(root, "shows/dry-run/my shows.csv", SHOWS_TEMPLATE)

    assert tick() == []  # first sight: files wait a tick
    keys = tick()

    assert len(keys) == 2 and all(KEY.match(key) for key in keys)
    assert set(dagster_keys(tick)) == set(keys)
    by_file = {job.file_name: job for job in all_jobs(engine)}
    movie, show = by_file[diary.name], by_file["my shows.csv"]
    assert (movie.type, movie.source, movie.dry_run, movie.status) == (
        "movies",
        "letterboxd-diary",
        False,
        "queued",
    )
    assert (show.type, show.source, show.dry_run) == ("shows", "template", True)
    assert show.partition_key.startswith("shows-dry-") and show.partition_key.endswith(
        "-my-shows-" + hashlib.sha256(SHOWS_TEMPLATE).hexdigest()[:8]
    )
    assert movie.file_sha256 == hashlib.sha256(diary.read_bytes()).hexdigest()
    assert movie.file_bytes == diary.stat().st_size
    assert movie.uploaded_by == pwd.getpwuid(os.getuid()).pw_name
    archived = folders.archive_path(root, movie.partition_key)
    assert archived.read_bytes() == diary.read_bytes()
    assert folders.archive_path(root, show.partition_key).read_bytes() == SHOWS_TEMPLATE
    assert not any((root / "movies").glob("*.csv"))
    assert not any((root / "shows" / "dry-run").iterdir())

    [run] = tick.runs(run_key=movie.partition_key)
    assert run.tags["dagster/partition"] == movie.partition_key
    assert {k: v for k, v in run.tags.items() if k.startswith("jobsimport/")} == {
        "jobsimport/type": "movies",
        "jobsimport/source": "letterboxd-diary",
        "jobsimport/file": diary.name,
        "jobsimport/dry_run": "false",
    }
    with engine.connect() as conn:
        [event] = job_events(conn, movie.id)
    assert event["message"] == f"accepted movies/{diary.name} as letterboxd-diary"

    assert tick() == []  # once a run exists nothing is requested again
    assert len(tick.runs()) == 2


def test_a_growing_file_is_waited_for(tick: Tick, root: Path, engine: sa.Engine) -> None:
    path = drop(root, "movies/slow.csv", MOVIES_TEMPLATE)
    assert tick() == []
    with path.open("ab") as file:  # the copy is still going
        file.write(b"Heat,1995,2024-01-02,\n")
    assert tick() == []
    assert all_jobs(engine) == []
    assert len(tick()) == 1
    [job] = all_jobs(engine)
    assert (
        job.file_bytes
        == path.parent.parent.joinpath("archive", f"{job.partition_key}.csv").stat().st_size
    )


def test_rejected_files_are_kept_with_their_reason(
    tick: Tick, root: Path, engine: sa.Engine
) -> None:
    drop(root, "movies/letterboxd-export.zip", b"PK\x03\x04")
    drop(
        root,
        "movies/latin1.csv",
        "Title,Year,Watched Date\nAmélie,2001,2024-01-01\n".encode("latin-1"),
    )
    drop(root, "movies/watchlist.csv", b"Date,Name,Year,Letterboxd URI\n2024-01-01,Up,2009,u\n")
    drop(root, "shows/header-only.csv", b"Show,Season,Started Date\n")
    drop(root, "movies/big.csv", MOVIES_TEMPLATE + b"x" * 1_000_000)
    drop(root, "movies/caf\udce9.csv", MOVIES_TEMPLATE)  # a Latin-1 byte in the name

    assert tick() == []
    assert tick() == []

    reasons = {
        path.name.split("-", 1)[1].removesuffix(".error.txt"): path.read_text()
        for path in (root / "rejected").glob("*.error.txt")
    }
    assert set(reasons) == {
        "letterboxd-export.zip",
        "latin1.csv",
        "watchlist.csv",
        "header-only.csv",
        "big.csv",
        "caf\udce9.csv",
    }
    assert reasons["caf\udce9.csv"] == (
        "The file name is not valid UTF-8; rename it and drop it again.\n"
    )
    assert reasons["header-only.csv"] == "The file has a header line but no rows.\n"
    assert reasons["latin1.csv"].startswith("The file is not UTF-8 text (byte 0xE9 on line 2)")
    assert "unzip it" in reasons["letterboxd-export.zip"]
    assert "watchlist" in reasons["watchlist.csv"]
    assert "over the 1,000,000-byte limit" in reasons["big.csv"]
    for note in (root / "rejected").glob("*.error.txt"):
        assert note.with_name(note.name.removesuffix(".error.txt")).is_file()
    assert all_jobs(engine) == []
    assert [path.name for path in (root / "movies").iterdir()] == ["dry-run"]


def test_ignored_files_are_left_alone(tick: Tick, root: Path, engine: sa.Engine) -> None:
    left = [
        drop(root, "movies/.hidden.csv", MOVIES_TEMPLATE),
        drop(root, "movies/copying.csv.part", MOVIES_TEMPLATE),
        drop(root, "movies/copying.csv.tmp", MOVIES_TEMPLATE),
        drop(root, "movies/nested/deep.csv", MOVIES_TEMPLATE),
        drop(root, "elsewhere.csv", MOVIES_TEMPLATE),
        drop(root, "failed/k.failed.csv", MOVIES_TEMPLATE),
    ]
    os.symlink(left[0], root / "movies" / "link.csv")
    assert tick() == [] and tick() == []
    assert all(path.read_bytes() == MOVIES_TEMPLATE for path in left)
    assert (root / "movies" / "link.csv").is_symlink()
    assert all_jobs(engine) == []
    assert not any((root / "rejected").iterdir())


def test_same_bytes_under_two_names_in_one_tick_get_suffixed_keys(tick: Tick, root: Path) -> None:
    drop(root, "movies/Diary.csv", MOVIES_TEMPLATE)
    drop(root, "movies/diary.csv", MOVIES_TEMPLATE)  # same slug, same hash, same second
    tick()
    keys = sorted(tick())
    assert len(keys) == 2
    assert keys[1] == keys[0] + "-2"


def test_at_most_fifty_files_per_tick(tick: Tick, root: Path) -> None:
    for n in range(MAX_ACCEPTED_PER_TICK + 5):
        drop(root, f"movies/m{n:02}.csv", MOVIES_TEMPLATE + f"Film {n},2000,2024-01-01,\n".encode())
    tick()
    assert len(tick()) == MAX_ACCEPTED_PER_TICK
    assert len(tick()) == 5
    assert tick() == []


def test_a_lost_tick_result_is_requested_again_once(
    tick: Tick, root: Path, engine: sa.Engine
) -> None:
    drop(root, "movies/a.csv", MOVIES_TEMPLATE)
    tick()
    lost = tick.evaluate()  # the daemon died before creating runs and partitions
    [key] = [request.partition_key for request in lost.run_requests or []]
    assert not dagster_keys(tick)

    assert tick() == [key]  # the queued import with no run is requested again
    assert dagster_keys(tick) == [key]
    assert [run.tags["dagster/partition"] for run in tick.runs()] == [key]
    assert tick() == []  # and never again once it has a run
    assert len(all_jobs(engine)) == 1


def test_a_lost_import_behind_a_long_queue_is_still_requested(
    tick: Tick, root: Path, engine: sa.Engine
) -> None:
    queued_import(engine, "movies-20240601T120000-lost-00000000", b"")  # its tick died: no run
    waiting = [f"movies-20240601T120001-q{n}-00000000" for n in range(600)]
    for key in waiting:  # newer imports whose runs wait in Dagster's queue
        queued_import(engine, key, b"")
        tick.instance.add_run(dg.DagsterRun(job_name="import_job", tags={"dagster/partition": key}))
    requested = [request.partition_key for request in tick.evaluate().run_requests or []]
    assert requested == ["movies-20240601T120000-lost-00000000"]


def test_a_tick_that_died_before_moving_the_file_is_finished(
    tick: Tick, root: Path, engine: sa.Engine
) -> None:
    path = drop(root, "movies/dry-run/a.csv", MOVIES_TEMPLATE)
    key = "movies-dry-20240601T120000-a-" + hashlib.sha256(MOVIES_TEMPLATE).hexdigest()[:8]
    # The row was committed, then the process died.
    queued_import(engine, key, MOVIES_TEMPLATE, file_name="a.csv", dry_run=True)

    assert tick() == [key]
    assert folders.archive_path(root, key).read_bytes() == MOVIES_TEMPLATE
    assert not path.exists()
    assert tick() == [] and tick() == []  # not imported a second time
    assert [job.partition_key for job in all_jobs(engine)] == [key]


def test_tick_result_requests_each_import_by_its_key() -> None:
    now = datetime.now(UTC)
    job = jobs.ImportJob(
        id=uuid.uuid4(),
        partition_key="shows-dry-20240601T120000-x-12345678",
        type="shows",
        source="template",
        status="queued",
        total_rows=0,
        processed_rows=0,
        success_rows=0,
        failed_rows=0,
        skipped_rows=0,
        dry_run=True,
        skip_duplicates=True,
        uploaded_by="me",
        file_name="x.csv",
        file_sha256="1" * 64,
        file_bytes=3,
        started_at=None,
        completed_at=None,
        created_at=now,
        updated_at=now,
    )
    result = tick_result([job], cursor="{}")
    [request] = result.run_requests or []
    assert (request.run_key, request.partition_key) == (job.partition_key, job.partition_key)
    assert request.tags == {
        "jobsimport/type": "shows",
        "jobsimport/source": "template",
        "jobsimport/file": "x.csv",
        "jobsimport/dry_run": "true",
    }
    [add] = result.dynamic_partitions_requests or []
    assert (add.partitions_def_name, list(add.partition_keys)) == (
        "import_files",
        [job.partition_key],
    )
    assert result.cursor == "{}"
    # The partition's first record, reported before the run plans it: a run that then fails
    # leaves a failed partition that still shows what it is (SPEC §9).
    [accepted] = result.asset_events
    assert isinstance(accepted, dg.AssetMaterialization)
    assert (accepted.asset_key, accepted.partition) == (
        dg.AssetKey("import_results"),
        job.partition_key,
    )
    assert accepted.metadata["status"].value == "queued"
    assert accepted.metadata["file"].value == "x.csv"
    # It links to the import's page in the console, served on the UI's own port.
    assert accepted.metadata["console"] == dg.MetadataValue.url(f"/imports/{job.partition_key}")
    empty = tick_result([], cursor="{}")
    assert (empty.run_requests, empty.dynamic_partitions_requests) == ([], [])
    assert empty.asset_events == []


def dagster_keys(tick: Tick) -> list[str]:
    return list(tick.instance.get_dynamic_partitions("import_files"))


def test_a_tick_that_rejects_observes_rejected_files(tick: Tick, root: Path) -> None:
    drop(root, "movies/header-only.csv", b"Title,Year,Watched Date,IMDb ID\n")
    drop(root, "movies/caf\udce9.csv", MOVIES_TEMPLATE)  # a Latin-1 byte in the name
    assert tick.evaluate().asset_events == []  # first sight: not complete yet
    tick()
    result = tick.evaluate()
    (observation,) = result.asset_events
    assert isinstance(observation, dg.AssetObservation)
    assert observation.asset_key == dg.AssetKey("rejected_files")
    metadata = observation.metadata
    assert metadata["rejected_count"].value == 2
    records = {r.data["file"]: r.data for r in metadata["rejected_files"].value.records}
    assert set(records) == {"header-only.csv", "caf\\xe9.csv"}
    header_only = records["header-only.csv"]
    assert header_only["reason"] == "The file has a header line but no rows."
    moved = Path(header_only["moved_to"])
    assert moved.parent == root / "rejected" and moved.is_file()
    assert moved.name.endswith("-header-only.csv")
    # A tick that rejects nothing says nothing.
    tick.apply(result)
    assert tick.evaluate().asset_events == []


def test_a_file_sent_from_the_console_brings_its_options(
    tick: Tick, root: Path, engine: sa.Engine
) -> None:
    # The console records what a file asks for beyond its folder (skip_duplicates off), by
    # folder, name and bytes; a dropped file of other bytes under that name keeps the default.
    tick()
    drop(root, "movies/sent.csv", MOVIES_TEMPLATE)
    drop(root, "movies/other.csv", MOVIES_TEMPLATE + b"Heat,1995,2024-01-02,\n")
    with engine.begin() as conn:
        upload_id = uploads.record_upload(
            conn,
            folder="movies",
            file_name="sent.csv",
            file_sha256=hashlib.sha256(MOVIES_TEMPLATE).hexdigest(),
            skip_duplicates=False,
        )
        uploads.record_upload(
            conn,
            folder="movies",
            file_name="other.csv",
            file_sha256=hashlib.sha256(b"not these bytes").hexdigest(),
            skip_duplicates=False,
        )
    tick()
    assert len(tick()) == 2
    by_file = {job.file_name: job for job in all_jobs(engine)}
    assert by_file["sent.csv"].skip_duplicates is False
    assert by_file["other.csv"].skip_duplicates is True
    with engine.connect() as conn:
        upload = uploads.get_upload(conn, upload_id)
    assert upload is not None and upload.partition_key == by_file["sent.csv"].partition_key
