"""Whole exports through the real pipeline: dropped into the folder, taken by `upload_sensor`,
imported by `import_job` against real Postgres and the stand-ins (SPEC §4, §5)."""

import csv
import io
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.row_list import RowQuery, list_rows
from jobsimport_dagster.db.tables import import_rows
from jobsimport_dagster.defs.imports.sensors import upload_sensor
from jobsimport_dagster.defs.resources import (
    DatabaseResource,
    PipelineResource,
    UploadFolderResource,
)
from jobsimport_dagster.intake import folders
from jobsimport_dagster.standins.server import StandinGroup
from jobsimport_dagster_tests.defs.imports import test_jobs
from jobsimport_dagster_tests.defs.imports.test_jobs import Importer
from jobsimport_dagster_tests.export_zips import (
    ACTIVITY,
    LETTERBOXD_FOLDER,
    letterboxd_zip,
    netflix_zip,
    with_encryption_flag,
    write_zip,
    zip_bomb,
)

# The job tests' stand-ins: OMDb, IMDb and the catalogue on 127.0.0.1.
standins = test_jobs.standins
UPLOAD_LIMIT = 10_485_760


@dataclass
class Folder:
    """The watched folder with `upload_sensor` ticking over it as the daemon would; each run
    executed in process by the job tests' `Importer` on the same instance and database."""

    importer: Importer
    cursor: str | None = None

    @property
    def root(self) -> Path:
        return self.importer.root

    @property
    def engine(self) -> sa.Engine:
        return self.importer.engine

    def drop(self, source: Path, folder: str, name: str | None = None) -> Path:
        target = self.root / folder / (name or source.name)
        shutil.copyfile(source, target)
        return target

    def take(self) -> list[str]:
        """Two ticks (a file is taken once unchanged since the previous one); the keys of the
        imports they accepted, their partitions added as the daemon adds them."""
        keys: list[str] = []
        for _ in range(2):
            context = dg.build_sensor_context(
                instance=self.importer.instance,
                cursor=self.cursor,
                resources={
                    "database": DatabaseResource(url=self.importer.database_url),
                    "upload_folder": UploadFolderResource(
                        path=str(self.root), max_upload_bytes=UPLOAD_LIMIT
                    ),
                },
            )
            result = upload_sensor(context)
            assert isinstance(result, dg.SensorResult)
            self.cursor = result.cursor
            new = [r.partition_key for r in result.run_requests or [] if r.partition_key]
            self.importer.instance.add_dynamic_partitions("import_files", new)
            keys += new
        return keys

    def run(self, key: str, netflix_profiles: tuple[str, ...] = ()) -> None:
        pipeline = PipelineResource(concurrency=8, netflix_profiles=list(netflix_profiles))
        result = self.importer.run(key, pipeline=pipeline)
        assert result.success, [e.message for e in result.all_events if e.is_failure]

    def job(self, key: str) -> jobs.ImportJob:
        return self.importer.job(key)

    def rows(self, key: str) -> list[dict[str, Any]]:
        """The import's rows in file order: a zip's CSVs by name, each by its lines."""
        with self.engine.connect() as conn:
            query = (
                sa.select(import_rows)
                .where(import_rows.c.job_id == self.job(key).id)
                .order_by(import_rows.c.source_file, import_rows.c.row_number)
            )
            return [dict(r._mapping) for r in conn.execute(query)]

    def posted(self, kind: str) -> list[dict[str, Any]]:
        return self.importer.standins.catalogue.standin.records(kind)


@pytest.fixture
def folder(
    dagster_instance: dg.DagsterInstance,
    engine: sa.Engine,
    database_url: str,
    tmp_path: Path,
    standins: StandinGroup,
) -> Folder:
    root = tmp_path / "uploads"
    folders.ensure_tree(root)
    return Folder(Importer(dagster_instance, engine, database_url, root, standins))


def real_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def test_the_letterboxd_export_zip_posts_each_viewing_once_rewatches_kept(
    folder: Folder, sample_data: Path, tmp_path: Path
) -> None:
    export = sample_data / LETTERBOXD_FOLDER
    dropped = folder.drop(
        letterboxd_zip(sample_data, tmp_path / "letterboxd-extratone-2024.zip"), "movies"
    )
    zipped = dropped.read_bytes()
    (key,) = folder.take()
    job = folder.job(key)
    assert (job.source, job.file_name) == ("letterboxd-export", "letterboxd-extratone-2024.zip")
    # the archive is kept as dropped, under its partition key
    assert (folder.root / "archive" / f"{key}.zip").read_bytes() == zipped
    folder.run(key)

    diary, watched = real_csv(export / "diary.csv"), real_csv(export / "watched.csv")
    in_diary = {(r["Name"], r["Year"]) for r in diary}
    watched_only = [r for r in watched if (r["Name"], r["Year"]) not in in_diary]
    rows = folder.rows(key)
    by_file = Counter((r["source_file"], r["status"], r["error_code"]) for r in rows)
    # every diary entry is posted; watched.csv adds its films with no diary entry, and leaves
    # the others to the diary; watchlist.csv and likes/films.csv are never read
    assert by_file == {
        ("diary.csv", "success", None): len(diary),
        ("watched.csv", "success", None): len(watched_only),
        ("watched.csv", "skipped", "duplicate_in_file"): len(watched) - len(watched_only),
    }
    job = folder.job(key)
    assert (job.status, job.total_rows, job.success_rows) == (
        "completed",
        len(diary) + len(watched),
        len(diary) + len(watched_only),
    )
    # rows keep their own CSV and line: the header is line 1 of each
    assert [(r["source_file"], r["row_number"]) for r in rows][:1] == [("diary.csv", 2)]
    assert ("watched.csv", 2) in {(r["source_file"], r["row_number"]) for r in rows}
    with folder.engine.connect() as conn:
        listed = list_rows(
            conn, job_id=folder.job(key).id, import_type="movies", query=RowQuery(limit=1000)
        )
    assert listed.rows[0].line == "diary.csv:2"
    assert {row.line for row in listed.rows} >= {"watched.csv:2", f"diary.csv:{len(diary) + 1}"}

    # each viewing posted once: one record per diary entry, a rewatch its own record
    posted = folder.posted("movies")
    assert len(posted) == len(diary) + len(watched_only)
    assert folder.importer.standins.catalogue.standin.stats()["duplicates"] == 0
    dates = Counter(record["viewingDate"][:10] for record in posted)
    for entry in diary:
        assert dates[entry["Watched Date"]] >= 1
    rewatches = [r for r in diary if r["Rewatch"] == "Yes"]
    assert len(rewatches) == 107
    rewatched = {r["Name"] for r in rewatches}
    for name in sorted(rewatched)[:20]:
        entries = sorted(r["Watched Date"] for r in diary if r["Name"] == name)
        payloads = sorted(
            r["normalized_payload"]["viewing_date"]
            for r in rows
            if r["source_file"] == "diary.csv" and r["raw_payload"]["Name"] == name
        )
        assert payloads == entries
    # the review and rating of a diary entry stay in its payload (never sent)
    reviewed = next(
        r for r in rows if r["raw_payload"].get("Letterboxd URI") == "https://boxd.it/mDm0N"
    )
    assert (reviewed["normalized_payload"]["review"], reviewed["normalized_payload"]["rating"]) == (
        "lol",
        "3",
    )
    assert all("review" not in record for record in posted)


def test_the_letterboxd_zip_and_its_diary_never_post_a_viewing_twice(
    folder: Folder, sample_data: Path, tmp_path: Path
) -> None:
    folder.drop(letterboxd_zip(sample_data, tmp_path / "letterboxd.zip"), "movies")
    (first,) = folder.take()
    folder.run(first)
    posted = len(folder.posted("movies"))
    # the same export dropped again, and the diary inside it alone: nothing new to post
    folder.drop(letterboxd_zip(sample_data, tmp_path / "letterboxd.zip"), "movies", "again.zip")
    folder.drop(sample_data / LETTERBOXD_FOLDER / "diary.csv", "movies")
    again, diary = folder.take()
    for key in (again, diary):
        folder.run(key)
        codes = Counter(r["error_code"] for r in folder.rows(key))
        assert codes.keys() <= {"already_imported", "duplicate_in_file"}, codes
    assert len(folder.posted("movies")) == posted


@pytest.mark.parametrize(
    ("import_type", "kind"),
    [("shows", "shows"), ("movies", "movies")],
)
def test_viewing_activity_imports_only_the_chosen_profile(
    folder: Folder, sample_data: Path, import_type: str, kind: str
) -> None:
    # User1 is chosen by the file name: the other profiles' 321 lines are skipped
    folder.drop(sample_data / ACTIVITY, import_type, "ViewingActivity-profile-User1.csv")
    (key,) = folder.take()
    assert folder.job(key).source == "netflix-activity"
    folder.run(key)
    rows = folder.rows(key)
    codes = Counter(r["error_code"] for r in rows if r["status"] == "skipped")
    assert codes["other_profile"] == 321
    assert all(
        r["raw_payload"]["Profile Name"] != "User1"
        for r in rows
        if r["error_code"] == "other_profile"
    )
    imported = [r for r in rows if r["status"] == "success"]
    assert imported
    assert {r["raw_payload"]["Profile Name"] for r in imported} == {"User1"}
    assert not any(r["status"] == "failed" for r in rows)
    posted = folder.posted(kind)
    assert len(posted) == len(imported)
    if kind == "shows":
        # episodes, one record per show-season, dated by the first episode's UTC day
        # User1's episodes played 5 minutes or more (read off the file by hand): Sherlock's
        # Series 2 from 11/6/2020 19:42 and The Queen's Gambit's limited series from
        # 11/5/2020 21:02; Sherlock's Series 1 (4 s) and Hannibal (14 s) were no viewings.
        seasons = sorted(
            (p["show"], p["season"], p["viewing_date"])
            for p in (r["normalized_payload"] for r in imported)
        )
        assert seasons == [("Sherlock", 2, "2020-11-06"), ("The Queen's Gambit", 1, "2020-11-05")]
        assert all(r["raw_payload"]["Supplemental Video Type"] == "" for r in imported)
        assert all(record["title"].split(" Season ")[-1].isdigit() for record in posted)
    else:
        # User1's films played 5 minutes or more, one record per film per UTC day (counted
        # apart with csv + the Start Time's date): The Da Vinci Code was watched in several
        # sittings on 12/4 and 12/5, Red Dragon and Hillbilly Elegy in two on one day.
        films = sorted(
            (p["title"], p["viewing_date"]) for p in (r["normalized_payload"] for r in imported)
        )
        assert films == [
            ("Fargo", "2020-11-19"),
            ("Frida", "2020-12-04"),
            ("Hillbilly Elegy", "2020-12-04"),
            ("Mud", "2021-01-07"),
            ("Red Dragon", "2020-11-20"),
            ("Snowden", "2020-11-09"),
            ("The Battered Bastards of Baseball", "2020-12-31"),
            ("The Da Vinci Code", "2020-12-04"),
            ("The Da Vinci Code", "2020-12-05"),
        ]
        assert codes["duplicate_in_file"] == 17 - len(films)


def test_the_netflix_zip_imports_the_profiles_of_the_setting(
    folder: Folder, sample_data: Path, tmp_path: Path
) -> None:
    dropped = netflix_zip(sample_data, tmp_path / "netflix-report.zip", folder="netflix-report/")
    folder.drop(dropped, "movies")
    (key,) = folder.take()
    assert (folder.root / "archive" / f"{key}.zip").exists()
    folder.run(key, netflix_profiles=("User1",))
    rows = folder.rows(key)
    assert {r["source_file"] for r in rows} == {"ViewingActivity.csv"}
    success = [r for r in rows if r["status"] == "success"]
    assert success and {r["raw_payload"]["Profile Name"] for r in success} == {"User1"}
    assert Counter(r["error_code"] for r in rows)["other_profile"] == 321


def test_activity_of_several_profiles_with_none_chosen_fails_listing_them(
    folder: Folder, sample_data: Path
) -> None:
    folder.drop(sample_data / ACTIVITY, "shows", "ViewingActivity.csv")
    (key,) = folder.take()
    folder.run(key)
    rows = folder.rows(key)
    failed = [r for r in rows if r["status"] == "failed"]
    assert failed and {r["error_code"] for r in failed} == {"invalid_profile"}
    assert failed[0]["error_message"].startswith(
        "The file holds the profiles 'User1', 'User2', 'User3', 'User4' and none is chosen"
    )
    assert folder.posted("shows") == []
    assert folder.job(key).status == "failed"
    # the failed-rows CSV names each row's line and the reason, to fix and drop back
    failed_csv = folder.root / "failed" / f"{key}.failed.csv"
    assert "invalid_profile" in failed_csv.read_text(encoding="utf-8")


def rejected(folder: Folder, name: str) -> tuple[bytes, str]:
    """The one rejected copy of `name` and the sentence beside it."""
    (kept,) = [p for p in (folder.root / "rejected").iterdir() if p.name.endswith(f"-{name}")]
    note = kept.with_name(kept.name + folders.ERROR_SUFFIX).read_text(encoding="utf-8")
    return kept.read_bytes(), note.strip()


def test_unsafe_zips_are_rejected_with_their_reason_and_kept(
    folder: Folder, sample_data: Path, tmp_path: Path
) -> None:
    export = sample_data / LETTERBOXD_FOLDER
    climbing = write_zip(
        tmp_path / "climbing.zip",
        {"diary.csv": (export / "diary.csv").read_bytes(), "../diary.csv": b"x"},
    )
    encrypted = tmp_path / "encrypted.zip"
    encrypted.write_bytes(with_encryption_flag(letterboxd_zip(sample_data, encrypted).read_bytes()))
    bomb = zip_bomb(tmp_path / "bomb.zip", unpacked_bytes=64 * 1024 * 1024)
    photos = write_zip(tmp_path / "photos.zip", {"photos/a.jpg": b"\xff\xd8\xff"})
    for path in (climbing, encrypted, bomb, photos):
        folder.drop(path, "movies")
    assert folder.take() == []
    reasons = {}
    for path in (climbing, encrypted, bomb, photos):
        kept, reasons[path.name] = rejected(folder, path.name)
        assert kept == path.read_bytes()  # kept as dropped, never unpacked
    assert reasons == {
        "climbing.zip": "The archive holds '../diary.csv', a path outside the archive, so it is "
        "not opened; download the export again and drop it as it came.",
        "encrypted.zip": "The archive is encrypted ('diary.csv' needs a password); unzip it and "
        "drop the CSV you want to import (diary.csv, ViewingActivity.csv…) instead.",
        "bomb.zip": "The archive unpacks to 67,108,864 bytes, over the 52,428,800-byte limit of "
        "an export zip, so it is not unpacked; unzip it and drop the CSV you want to import "
        "(diary.csv, ViewingActivity.csv…) instead.",
        "photos.zip": "This .zip holds photos/a.jpg, not a Letterboxd export (with diary.csv) or "
        "a Netflix export (with CONTENT_INTERACTION/ViewingActivity.csv); unzip it and drop the "
        "CSV you want to import (diary.csv, ViewingActivity.csv…) instead.",
    }
    assert list((folder.root / "movies").iterdir()) == [folder.root / "movies" / "dry-run"]
    with folder.engine.connect() as conn:
        assert jobs.list_jobs(conn, limit=None) == []
