"""`jobsimport submit`: the same summary as `validate`, then an atomic copy into the folder."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from jobsimport_dagster.cli.submit import submit_command

TEMPLATE = "Title,Year,Watched Date,IMDb ID\nThe Matrix,1999,2024-05-01,tt0133093\n"


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def submit(uploads: Path, path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        submit_command,
        [str(path), *args],
        env={"JOBSIMPORT_UPLOAD_DIR": str(uploads), "JOBSIMPORT_PROJECT_ROOT": str(uploads.parent)},
    )
    return result.exit_code, result.output


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_submit_copies_a_real_export_into_the_movies_folder(
    sample_data: Path, uploads: Path
) -> None:
    source = sample_data / "letterboxd" / "extratone_diary_2024_crlf.csv"
    code, output = submit(uploads, source, "--type", "movies")
    target = uploads / "movies" / source.name
    assert (code, output) == (
        0,
        "source: letterboxd-diary (movies)\nrows: 317, valid: 317, invalid: 0\n"
        f"submitted: {target}\n",
    )
    # byte for byte (CRLF kept), and no .part left behind for the sensor to trip on
    assert target.read_bytes() == source.read_bytes()
    assert files_in(uploads / "movies") == [source.name]


def test_submit_dry_run_goes_to_the_dry_run_folder(tmp_path: Path, uploads: Path) -> None:
    path = write(tmp_path, "shows.csv", "Show,Season,Started Date\nSeverance,2,2025-01-17\n")
    code, _ = submit(uploads, path, "--type", "shows", "--dry-run")
    assert code == 0
    assert files_in(uploads / "shows" / "dry-run") == ["shows.csv"]
    assert files_in(uploads / "shows") == ["dry-run"]


def test_submit_never_overwrites_a_file_already_there(tmp_path: Path, uploads: Path) -> None:
    path = write(tmp_path, "movies.csv", TEMPLATE)
    (uploads / "movies").mkdir(parents=True)
    (uploads / "movies" / "movies.csv").write_text("earlier", encoding="utf-8")
    (uploads / "movies" / "movies-2.csv").write_text("earlier too", encoding="utf-8")
    code, output = submit(uploads, path, "--type", "movies")
    assert code == 0
    assert output.endswith(f"submitted: {uploads / 'movies' / 'movies-3.csv'}\n")
    assert (uploads / "movies" / "movies.csv").read_text(encoding="utf-8") == "earlier"
    assert (uploads / "movies" / "movies-3.csv").read_text(encoding="utf-8") == TEMPLATE


def test_submit_copies_a_file_with_invalid_rows(tmp_path: Path, uploads: Path) -> None:
    # the import fails those rows; the file itself is fine
    path = write(tmp_path, "movies.csv", TEMPLATE + "Up,2009,2023-02-30,\n")
    code, output = submit(uploads, path, "--type", "movies")
    assert code == 0
    assert "rows: 2, valid: 1, invalid: 1\n" in output
    assert files_in(uploads / "movies") == ["movies.csv"]


def test_submit_does_not_copy_a_rejected_file(tmp_path: Path, uploads: Path) -> None:
    path = write(tmp_path, "watchlist.csv", "Date,Name,Year,Letterboxd URI\n2024-01-01,Up,2009,x\n")
    code, output = submit(uploads, path, "--type", "movies")
    assert code == 2
    assert output.startswith("rejected: watchlist.csv is a Letterboxd watchlist")
    assert files_in(uploads / "movies") == []
