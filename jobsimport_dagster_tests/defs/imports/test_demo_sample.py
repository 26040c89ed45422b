"""The sample `jobsimport demo` drops, run by `import_job`: it ends partial with one row the
user fixes by filling in `IMDb ID` in the failed-rows CSV and dropping it back."""

import csv
from pathlib import Path

from jobsimport_dagster.cli.demo import FIX_IMDB_ID, SAMPLE, UNKNOWN_TITLES
from jobsimport_dagster.steps.export import failed_csv_path
from jobsimport_dagster_tests.defs.imports.test_jobs import (  # noqa: F401 (fixtures)
    Importer,
    importer,
    standins,
)


def fill_in_imdb_id(failed_csv: Path, imdb_id: str, target: Path) -> Path:
    """The user's fix: the failed-rows CSV with `IMDb ID` filled in, saved as a new file."""
    with failed_csv.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        row["IMDb ID"] = imdb_id
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return target


def test_the_demo_ends_partial_and_its_failed_row_imports_once_its_imdb_id_is_filled_in(
    importer: Importer,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    # the stand-ins as the demo starts them
    importer.standins.omdb.standin.configure(not_found=UNKNOWN_TITLES)
    key = importer.accept(SAMPLE)
    assert importer.run(key).success
    rows = importer.rows(key)
    failed = [r for r in rows if r["status"] == "failed"]
    assert importer.job(key).status == "partial"
    assert [(r["raw_payload"]["Name"], r["error_code"]) for r in failed] == [
        (UNKNOWN_TITLES[0], "not_found")
    ]
    assert {r["status"] for r in rows} - {"failed"} == {"success"}

    failed_csv = failed_csv_path(importer.root, key)
    fixed = fill_in_imdb_id(failed_csv, FIX_IMDB_ID, tmp_path / "fixed.csv")
    fixed_key = importer.accept(fixed)
    assert importer.run(fixed_key).success
    (row,) = importer.rows(fixed_key)
    assert (row["status"], row["error_code"]) == ("success", None)
    assert row["normalized_payload"]["imdb_id"] == FIX_IMDB_ID
    assert row["target_record_id"]
    assert importer.job(fixed_key).status == "completed"
    posted = importer.standins.catalogue.standin.records("movies")
    assert [m["title"] for m in posted if m["imdbId"] == FIX_IMDB_ID] == ["Amélie"]
