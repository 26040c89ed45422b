"""`jobsimport validate` and `template`: the pipeline's checks offline, with exit codes 0/1/2."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from jobsimport_dagster.cli.validate import template_command, validate_command
from jobsimport_dagster_tests.export_zips import ACTIVITY, letterboxd_zip, netflix_zip, write_zip

MOVIES = "Title,Year,Watched Date,IMDb ID\n"


def validate(path: Path, import_type: str = "movies") -> tuple[int, str]:
    result = CliRunner().invoke(validate_command, [str(path), "--type", import_type])
    return result.exit_code, result.output


# Row counts from pandas.read_csv(path, dtype=str, keep_default_na=False).
@pytest.mark.parametrize(
    ("name", "rows"),
    [("agosvenezia_diary_2024-06-01.csv", 262), ("extratone_diary_2024_crlf.csv", 317)],
)
def test_validate_passes_a_real_export(sample_data: Path, name: str, rows: int) -> None:
    code, output = validate(sample_data / "letterboxd" / name)
    assert (code, output) == (
        0,
        f"source: letterboxd-diary (movies)\nrows: {rows}, valid: {rows}, invalid: 0\n",
    )


def test_validate_counts_netflix_lines_that_are_not_episodes_as_skipped(sample_data: Path) -> None:
    # 424 lines: 351 episodes, 73 titles without a season label (films, specials): not_a_show.
    code, output = validate(
        sample_data / "netflix" / "netflix_us_NetflixViewingHistory_tsachit.csv", "shows"
    )
    assert (code, output) == (
        0,
        "source: netflix (shows)\nrows: 424, valid: 351, invalid: 0, skipped: 73\n",
    )


def test_validate_reports_each_bad_row_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "movies.csv"
    path.write_text(
        MOVIES
        + "The Matrix,1999,2024-05-01,tt0133093\n"
        + "Red, White and Blue,2023,2024-03-05,\n"
        + '"   ",2009,2024-01-01,\n'
        + "Up,2009,2023-02-30,\n"
        + "Up,19xx,2024-01-01,\n"
        + '=HYPERLINK("x"),2009,2024-01-01,\n'
        # several problems: all named at once, the Year column's first
        + "Up,19xx,2023-02-30,nm1\n",
        encoding="utf-8",
    )
    code, output = validate(path)
    latest_year = datetime.now(UTC).year + 5  # the year rule's horizon, as validate has it
    bad_year = f"The year '19xx' is not a year from 1870 to {latest_year}."
    bad_date = "The date '2023-02-30' is not a real date in YYYY-MM-DD form."
    assert code == 1
    assert output.splitlines() == [
        "line 3: malformed_row: The row has 5 fields but the header has 4.",
        "line 4: invalid_title: The title is empty or only spaces.",
        f"line 5: invalid_date: {bad_date}",
        f"line 6: invalid_year: {bad_year}",
        f"line 8: invalid_year: {bad_year} {bad_date} "
        "The IMDb ID 'nm1' is not of the form tt1234567.",
        "source: template (movies)",
        "rows: 7, valid: 2, invalid: 5",
    ]


@pytest.mark.parametrize(
    ("name", "content", "import_type", "reason"),
    [
        # watchlist.csv shares watched.csv's header: the name decides
        ("watchlist.csv", "Date,Name,Year,Letterboxd URI\n2024-01-01,Up,2009,https://boxd.it/x\n",
         "movies", "watchlist.csv is a Letterboxd watchlist, not a watch history; "
         "drop watched.csv or diary.csv from the export instead."),
        # the shows template given as movies
        ("shows.csv", "Show,Season,Started Date,IMDb ID\nSeverance,2,2025-01-17,\n", "movies",
         "shows.csv is a shows file (shows template), not movies; import it as shows instead "
         "(drop it in the shows folder)."),
        # an unknown header
        ("x.csv", "foo,bar\n1,2\n", "shows",
         "The header (foo, bar) is not a known shows format; expected the template "
         "(Show, Season, Started Date) or a Netflix viewing history (Title, Date) or a "
         "Netflix viewing activity (Profile Name, Start Time, Duration, Title, "
         "Supplemental Video Type)."),
        # the folder's own file checks apply too: semicolons
        ("movies.csv", "Title;Year;Watched Date;IMDb ID\nUp;2009;2024-01-01;\n", "movies",
         "The columns are separated by ';' instead of ','; "
         "save it as CSV UTF-8 (comma delimited) and drop it again."),
        # a header and no rows
        ("movies.csv", MOVIES, "movies", "The file has a header line but no rows."),
    ],
)  # fmt: skip
def test_validate_rejects_a_file_and_exits_2(
    tmp_path: Path, name: str, content: str, import_type: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert validate(path, import_type) == (2, f"rejected: {reason}\n")


@pytest.mark.parametrize(
    ("import_type", "expected"),
    [
        ("movies", "Title,Year,Watched Date,IMDb ID\nThe Matrix,1999,2024-05-01,tt0133093\n"),
        ("shows", "Show,Season,Started Date,IMDb ID\nSeverance,2,2025-01-17,tt11280740\n"),
    ],
)
def test_template_prints_a_template_that_validates(
    tmp_path: Path, import_type: str, expected: str
) -> None:
    result = CliRunner().invoke(template_command, [import_type])
    assert (result.exit_code, result.output) == (0, expected)
    path = tmp_path / f"{import_type}.csv"
    path.write_text(result.output, encoding="utf-8")
    assert validate(path, import_type) == (
        0,
        f"source: template ({import_type})\nrows: 1, valid: 1, invalid: 0\n",
    )


def test_validate_checks_a_whole_letterboxd_export_zip(sample_data: Path, tmp_path: Path) -> None:
    # diary.csv's 317 entries and watched.csv's 408 films, 293 of which the diary has
    path = letterboxd_zip(sample_data, tmp_path / "letterboxd-extratone-2024.zip")
    assert validate(path) == (
        0,
        "source: letterboxd-export (movies)\nrows: 725, valid: 432, invalid: 0, skipped: 293\n",
    )
    # a zip that is no export is rejected with its reason, as the folder would
    other = write_zip(tmp_path / "photos.zip", {"a.jpg": b"\xff\xd8"})
    code, output = validate(other)
    assert (code, output.startswith("rejected: This .zip holds a.jpg, not ")) == (2, True)


def test_validate_reads_viewing_activity_with_the_profiles_chosen(
    sample_data: Path, tmp_path: Path
) -> None:
    activity = sample_data / ACTIVITY
    # several profiles, none chosen: every viewing is invalid_profile, and a line says why
    result = CliRunner().invoke(validate_command, [str(activity), "--type", "movies"], env={})
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("line 13: invalid_profile: The file holds the profiles 'User1', ")
    assert result.output.endswith("rows: 387, valid: 0, invalid: 92, skipped: 295\n")
    # JOBSIMPORT_NETFLIX_PROFILES chooses User1: 17 films, the rest skipped
    chosen = CliRunner().invoke(
        validate_command,
        [str(activity), "--type", "movies"],
        env={"JOBSIMPORT_NETFLIX_PROFILES": "User1"},
    )
    assert (chosen.exit_code, chosen.output) == (
        0,
        "source: netflix-activity (movies)\nrows: 387, valid: 17, invalid: 0, skipped: 370\n",
    )
    # inside Netflix's zip, read from its CONTENT_INTERACTION folder, lines named by the CSV
    zipped = netflix_zip(sample_data, tmp_path / "netflix-report.zip")
    result = CliRunner().invoke(validate_command, [str(zipped), "--type", "shows"], env={})
    assert result.output.splitlines()[0].startswith("line ViewingActivity.csv:")
    assert result.output.endswith("rows: 387, valid: 0, invalid: 202, skipped: 185\n")


def test_template_help_says_exports_need_none() -> None:
    result = CliRunner().invoke(template_command, ["--help"])
    assert "drop their CSVs, or the whole export zip as downloaded" in " ".join(
        result.output.split()
    )
