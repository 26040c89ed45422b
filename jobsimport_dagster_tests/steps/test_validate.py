"""Validation: each bad row gets one outcome naming all its problems; good rows are stored."""

import csv
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db.jobs import NewImportJob, create_job, get_job
from jobsimport_dagster.db.row_list import RowQuery, list_rows
from jobsimport_dagster.db.rows import failed_rows, rows_by_status
from jobsimport_dagster.db.tables import row_titles
from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.models import RowOutcome
from jobsimport_dagster.sources.base import Adapter
from jobsimport_dagster.sources.exports import LETTERBOXD_EXPORT
from jobsimport_dagster.sources.letterboxd import DIARY
from jobsimport_dagster.sources.netflix import NETFLIX
from jobsimport_dagster.sources.template import MOVIES_TEMPLATE, SHOWS_TEMPLATE
from jobsimport_dagster.steps.export import run_export
from jobsimport_dagster.steps.normalize import fold_text
from jobsimport_dagster.steps.validate import check_file, run_validate
from jobsimport_dagster_tests.export_zips import LETTERBOXD_FOLDER, letterboxd_zip, write_zip

TODAY = date(2025, 1, 1)
MOVIES = "Title,Year,Watched Date,IMDb ID"
SHOWS = "Show,Season,Started Date,IMDb ID"
DIARY_HEADER = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date"
LONG_TITLE = "a" * 301


def outcomes(tmp_path: Path, header: str, rows: list[str], adapter: Adapter) -> list[tuple]:
    """(line, code, message) of every failed row of a file with this header and these rows."""
    path = tmp_path / "file.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return [
        (line, outcome.code, outcome.message)
        for checked in check_file(path, adapter, today=TODAY)
        for line, outcome in checked.failed_lines()
    ]


@pytest.mark.parametrize(
    ("row", "code", "message"),
    [
        # a field too many (an unquoted comma in a title)
        ("Red, White and Blue,2023,2024-03-05,", RowCode.MALFORMED_ROW,
         "The row has 5 fields but the header has 4."),
        # fields missing
        ("Up,2009", RowCode.MALFORMED_ROW, "The row has 2 fields but the header has 4."),
        # a title that is only spaces
        ('"   ",2009,2024-01-01,', RowCode.INVALID_TITLE, "The title is empty or only spaces."),
        # an empty title
        (",2009,2024-01-01,", RowCode.INVALID_TITLE, "The title is empty or only spaces."),
        # a control character (a BEL pasted from a terminal)
        ("Up\x07,2009,2024-01-01,", RowCode.INVALID_TITLE,
         "The title 'Up\\x07' contains control characters."),
        # a quoted title spanning lines
        ('"Up\nand away",2009,2024-01-01,', RowCode.INVALID_TITLE,
         "The title 'Up\\nand away' contains control characters."),
        # too long to be a title; the message quotes only its start
        (f"{LONG_TITLE},2009,2024-01-01,", RowCode.INVALID_TITLE,
         f"The title '{'a' * 60}'… is 301 characters long; at most 300 fit."),
        # not a calendar date
        ("Up,2009,2023-02-30,", RowCode.INVALID_DATE,
         "The date '2023-02-30' is not a real date in YYYY-MM-DD form."),
        # a US-style date (the template and Letterboxd use ISO dates)
        ("Up,2009,08/02/2026,", RowCode.INVALID_DATE,
         "The date '08/02/2026' is not a real date in YYYY-MM-DD form."),
        # unpadded month and day
        ("Up,2009,2024-1-5,", RowCode.INVALID_DATE,
         "The date '2024-1-5' is not a real date in YYYY-MM-DD form."),
        # no date at all
        ("Up,2009,,", RowCode.INVALID_DATE, "The date '' is not a real date in YYYY-MM-DD form."),
        # a viewing date in the future (past tomorrow: a viewer east of UTC is a day ahead)
        ("Up,2009,2025-01-03,", RowCode.INVALID_DATE,
         "The date '2025-01-03' is not between 1900-01-01 and 2025-01-02."),
        # before films were watched at home or anywhere much
        ("Up,2009,1899-12-31,", RowCode.INVALID_DATE,
         "The date '1899-12-31' is not between 1900-01-01 and 2025-01-02."),
        # a year with placeholders
        ("Up,19xx,2024-01-01,", RowCode.INVALID_YEAR,
         "The year '19xx' is not a year from 1870 to 2030."),
        # years out of range
        ("Up,1850,2024-01-01,", RowCode.INVALID_YEAR,
         "The year '1850' is not a year from 1870 to 2030."),
        ("Up,2031,2024-01-01,", RowCode.INVALID_YEAR,
         "The year '2031' is not a year from 1870 to 2030."),
        # a person's ID where a title's belongs
        ("Up,2009,2024-01-01,nm0000001", RowCode.INVALID_IMDB_ID,
         "The IMDb ID 'nm0000001' is not of the form tt1234567."),
        # too few digits
        ("Up,2009,2024-01-01,tt12345", RowCode.INVALID_IMDB_ID,
         "The IMDb ID 'tt12345' is not of the form tt1234567."),
        # precedence: a ragged row is malformed whatever else is wrong
        (",19xx,2023-02-30,nm1,extra", RowCode.MALFORMED_ROW,
         "The row has 5 fields but the header has 4."),
    ],
)  # fmt: skip
def test_a_bad_movies_row_gets_one_clear_outcome(
    tmp_path: Path, row: str, code: RowCode, message: str
) -> None:
    good = "The Matrix,1999,2024-05-01,tt0133093"
    assert outcomes(tmp_path, MOVIES, [good, row, good], MOVIES_TEMPLATE) == [(3, code, message)]


@pytest.mark.parametrize(
    "row",
    [
        # a formula-looking title is data, kept as it is
        '"=HYPERLINK(""http://x"",""y"")",2001,2024-01-02,',
        # the failed-rows CSV's guard before a formula character
        "'=1+1,2001,2024-01-02,",
        # a title that starts with an apostrophe
        "'71,2014,2024-01-02,",
        # numeric titles
        "1917,2019,2024-01-02,",
        "9,2009,2024-01-02,",
        # a TAB inside a title (Netflix exports have them)
        "Up\tAgain,2009,2024-01-02,",
        # an empty Year (Letterboxd leaves some empty)
        "One of the Roughs,,2024-01-02,",
        # spaces around values
        " Up , 2009 , 2024-01-02 , tt1049413 ",
        # tomorrow is not the future yet, east of UTC
        "Up,2009,2025-01-02,",
        # an announced film's year
        "Up,2030,2024-01-02,",
    ],
)
def test_a_quirky_but_valid_movies_row_passes(tmp_path: Path, row: str) -> None:
    assert outcomes(tmp_path, MOVIES, [row], MOVIES_TEMPLATE) == []


@pytest.mark.parametrize(
    ("row", "code", "message"),
    [
        # season zero
        ("Severance,0,2024-01-17,", RowCode.INVALID_TITLE,
         "The season '0' is not a whole number from 1 to 999."),
        # a season label instead of a number
        ("Severance,Part 2,2024-01-17,", RowCode.INVALID_TITLE,
         "The season 'Part 2' is not a whole number from 1 to 999."),
        # no season
        ("Severance,,2024-01-17,", RowCode.INVALID_TITLE,
         "The season '' is not a whole number from 1 to 999."),
        # the show's title comes before its season; both are named
        (",x,2024-01-17,", RowCode.INVALID_TITLE,
         "The title is empty or only spaces. The season 'x' is not a whole number from 1 to 999."),
        # the started date is checked like a viewing date
        ("Severance,2,2025-02-30,", RowCode.INVALID_DATE,
         "The date '2025-02-30' is not a real date in YYYY-MM-DD form."),
    ],
)  # fmt: skip
def test_a_bad_shows_row_gets_one_clear_outcome(
    tmp_path: Path, row: str, code: RowCode, message: str
) -> None:
    assert outcomes(tmp_path, SHOWS, [row], SHOWS_TEMPLATE) == [(2, code, message)]


BAD_TITLE = "The title is empty or only spaces."
BAD_YEAR = "The year '19xx' is not a year from 1870 to 2030."
BAD_DATE = "The date '2023-02-30' is not a real date in YYYY-MM-DD form."
BAD_ID = "The IMDb ID 'nm1' is not of the form tt1234567."
RENAME = (
    "could be day/month or month/day and the file's dates do not settle which; rename the "
    "file to end -dmy.csv (day first) or -mdy.csv (month first) and drop it again."
)


@pytest.mark.parametrize(
    ("header", "row", "adapter", "code", "message"),
    [
        # the row: a bad date and a bad year; the template's Year comes before its date
        (MOVIES, "Up,19xx,2023-02-30,", MOVIES_TEMPLATE, RowCode.INVALID_YEAR,
         f"{BAD_YEAR} {BAD_DATE}"),
        # everything wrong at once: one sentence each, in the file's column order
        (MOVIES, " ,19xx,2023-02-30,nm1", MOVIES_TEMPLATE, RowCode.INVALID_TITLE,
         f"{BAD_TITLE} {BAD_YEAR} {BAD_DATE} {BAD_ID}"),
        # two problems of one cell: both named, in the rules' order
        (MOVIES, f"Up\x07{LONG_TITLE},2009,2024-01-01,", MOVIES_TEMPLATE, RowCode.INVALID_TITLE,
         f"The title 'Up\\x07{'a' * 57}'… contains control characters. "
         f"The title 'Up\\x07{'a' * 57}'… is 304 characters long; at most 300 fit."),
        # a ragged row reports only that: its cells are shifted
        (MOVIES, " ,19xx,2023-02-30,nm1,extra", MOVIES_TEMPLATE, RowCode.MALFORMED_ROW,
         "The row has 5 fields but the header has 4."),
        # Letterboxd's diary: Watched Date is its last column, so the year comes first
        (DIARY_HEADER, "2024-01-02,Up,19xx,https://boxd.it/x,,,,2023-02-30", DIARY,
         RowCode.INVALID_YEAR, f"{BAD_YEAR} {BAD_DATE}"),
        # no Watched Date: the viewing date is Date, the diary's first column
        (DIARY_HEADER, "2023-02-30, ,2009,https://boxd.it/x,,,,", DIARY, RowCode.INVALID_DATE,
         f"{BAD_DATE} {BAD_TITLE}"),
        # shows: the Season column comes before the started date
        (SHOWS, "Severance,0,2023-02-30,nm1", SHOWS_TEMPLATE, RowCode.INVALID_TITLE,
         "The season '0' is not a whole number from 1 to 999. "
         f"{BAD_DATE} {BAD_ID}"),
        # a Netflix date the file cannot read is said once, in the adapter's words
        ("Title,Date,IMDb ID", '"Dark: Staffel 1: Lügen",03/05/2020,nm1', NETFLIX,
         RowCode.INVALID_DATE, f"The date '03/05/2020' {RENAME} {BAD_ID}"),
    ],
)  # fmt: skip
def test_a_row_with_several_problems_reports_them_all(
    tmp_path: Path, header: str, row: str, adapter: Adapter, code: RowCode, message: str
) -> None:
    assert outcomes(tmp_path, header, [row], adapter) == [(2, code, message)]


def test_fields_that_are_never_sent_never_fail_a_row(tmp_path: Path) -> None:
    # a rating out of Letterboxd's 0.5-5 range, odd Rewatch and Tags values
    row = '2024-01-02,Up,2009,https://boxd.it/x,7,maybe,"a, b",2024-01-01'
    assert outcomes(tmp_path, DIARY_HEADER, [row], DIARY) == []


def test_the_real_exports_are_all_valid(sample_data: Path) -> None:
    # Row counts from pandas.read_csv(path, dtype=str, keep_default_na=False).
    for name, rows in (
        ("agosvenezia_diary_2024-06-01.csv", 262),
        ("extratone_diary_2024_crlf.csv", 317),
    ):
        chunks = list(check_file(sample_data / "letterboxd" / name, DIARY, today=TODAY))
        assert sum(len(c.records) for c in chunks) == rows
        assert [c.outcomes for c in chunks] == [{}]


def new_job(
    conn: sa.Connection,
    source: str = "letterboxd-diary",
    *,
    import_type: str = "movies",
    file_name: str = "diary.csv",
) -> uuid.UUID:
    job = create_job(
        conn,
        NewImportJob(
            partition_key=f"{import_type}-20250101T000000-test-{uuid.uuid4().hex[:8]}",
            type=import_type,
            source=source,
            file_name=file_name,
            file_sha256="0" * 64,
            file_bytes=1,
            uploaded_by="test",
        ),
    )
    return job.id


def test_run_validate_stores_every_row_of_a_real_export(
    engine: sa.Engine, sample_data: Path
) -> None:
    path = sample_data / "letterboxd" / "extratone_diary_2024_crlf.csv"
    with engine.begin() as conn:
        job_id = new_job(conn)
        summary = run_validate(conn, job_id=job_id, path=path, adapter=DIARY, today=TODAY)
    # 317 rows by pandas.read_csv; the CRLF file has no invalid row
    assert summary.rows_in == 317
    assert summary.counts == {"valid": 317, "invalid": 0}
    assert summary.extra == {"source": "letterboxd-diary", "rows_added": 317}
    with engine.begin() as conn:
        pending = rows_by_status(conn, job_id, [RowStatus.PENDING])
        job = get_job(conn, job_id=job_id)
    assert [r.row_number for r in pending] == list(range(2, 319))
    assert job is not None and (job.total_rows, job.processed_rows) == (317, 0)
    # line 3: a quoted title with a comma, an empty Year, Watched Date years after Date
    row = pending[1]
    assert row.raw_payload == {
        "Date": "2023-07-26",
        "Name": "One of the Roughs, a Kosmos",
        "Year": "",
        "Letterboxd URI": "https://boxd.it/4AvAJT",
        "Rating": "",
        "Rewatch": "",
        "Tags": "",
        "Watched Date": "2017-03-06",
    }
    assert row.normalized_payload == {
        "title": "One of the Roughs, a Kosmos",
        "viewing_date": "2017-03-06",
        "year": None,
        "imdb_id": None,
        "rating": None,
        "rewatch": False,
        "tags": None,
        "review": None,
        "source_uri": "https://boxd.it/4AvAJT",
    }
    assert row.dedupe_key == "one of the roughs, a kosmos|2017-03-06"
    assert (row.error_code, row.error_message, row.attempt_count) == (None, None, 0)
    # rewatches and tags as counted by pandas: Rewatch == "Yes" 107, Tags non-empty 23
    assert sum(r.normalized_payload["rewatch"] for r in pending) == 107
    assert sum(r.normalized_payload["tags"] is not None for r in pending) == 23


def test_run_validate_twice_adds_nothing(engine: sa.Engine, sample_data: Path) -> None:
    path = sample_data / "letterboxd" / "agosvenezia_diary_2024-06-01.csv"
    with engine.begin() as conn:
        job_id = new_job(conn)
        first = run_validate(conn, job_id=job_id, path=path, adapter=DIARY, today=TODAY)
    with engine.begin() as conn:
        second = run_validate(conn, job_id=job_id, path=path, adapter=DIARY, today=TODAY)
        count = conn.execute(sa.text("SELECT count(*) FROM jobsimport.import_rows")).scalar()
    # 262 rows by pandas.read_csv
    assert (first.extra["rows_added"], second.extra["rows_added"], count) == (262, 0, 262)
    assert second.counts == first.counts == {"valid": 262, "invalid": 0}


def test_run_validate_fails_bad_rows_and_keeps_good_ones(engine: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "movies.csv"
    path.write_text(
        "\n".join(
            [
                MOVIES,
                "The Matrix,1999,2024-05-01,tt0133093",
                "Ragged,1999,2024-05-01,,surplus",
                '"   ",1999,2024-05-01,',
                "Up,2009,2023-02-30,",
                "Up,19xx,2023-02-30,",
                '=HYPERLINK("x"),2009,2024-05-02,',
            ]
        ),
        encoding="utf-8",
    )
    with engine.begin() as conn:
        job_id = new_job(conn, source="template")
        summary = run_validate(
            conn, job_id=job_id, path=path, adapter=MOVIES_TEMPLATE, today=TODAY, chunk_rows=2
        )
        failed = failed_rows(conn, job_id)
        exported, _ = run_export(
            conn, job_id=job_id, archive=path, upload_root=tmp_path, partition_key="movies-x"
        )
        pending = rows_by_status(conn, job_id, [RowStatus.PENDING])
        stored_failed = rows_by_status(conn, job_id, [RowStatus.FAILED])
        job = get_job(conn, job_id=job_id)
    assert summary.counts == {
        "valid": 2,
        "invalid": 4,
        "invalid_date": 1,
        "invalid_title": 1,
        "invalid_year": 1,
        "malformed_row": 1,
    }
    assert [(f.line, f.code, f.message) for f in failed] == [
        (3, "malformed_row", "The row has 5 fields but the header has 4."),
        (4, "invalid_title", "The title is empty or only spaces."),
        (5, "invalid_date", "The date '2023-02-30' is not a real date in YYYY-MM-DD form."),
        # every problem of the row, in the file's column order (Year before Watched Date)
        (6, "invalid_year", f"{BAD_YEAR} {BAD_DATE}"),
    ]
    # the failed-rows CSV says the same
    assert exported is not None
    with exported.open(encoding="utf-8", newline="") as handle:
        exported_rows = list(csv.DictReader(handle))
    assert [(r["line"], r["error_code"], r["error_message"]) for r in exported_rows][3] == (
        "6",
        "invalid_year",
        f"{BAD_YEAR} {BAD_DATE}",
    )
    # the ragged row's surplus cell is kept
    assert failed[0].raw == {
        "Title": "Ragged",
        "Year": "1999",
        "Watched Date": "2024-05-01",
        "IMDb ID": "",
        "_extra_cells": ["surplus"],
    }
    # good rows around the bad ones are stored, a formula-looking title as data
    assert [(r.row_number, r.normalized_payload["title"], r.dedupe_key) for r in pending] == [
        (2, "The Matrix", "the matrix|2024-05-01"),
        (7, '=HYPERLINK("x")', '=hyperlink("x")|2024-05-02'),
    ]
    assert [(r.normalized_payload, r.dedupe_key) for r in stored_failed] == [(None, None)] * 4
    assert job is not None and (job.total_rows, job.failed_rows, job.processed_rows) == (6, 4, 4)


def test_run_validate_rejects_a_file_bad_past_the_screened_head(
    engine: sa.Engine, tmp_path: Path
) -> None:
    # the intake screen reads 64 KiB; a Latin-1 byte later is found while the rows stream
    path = tmp_path / "movies.csv"
    good = b"The Matrix,1999,2024-05-01,\n" * 3
    path.write_bytes(MOVIES.encode() + b"\n" + good + "Amélie,2001,2024-01-01,\n".encode("latin-1"))
    with engine.begin() as conn:
        job_id = new_job(conn, source="template")
    with pytest.raises(FileRejected) as rejected, engine.begin() as conn:
        run_validate(conn, job_id=job_id, path=path, adapter=MOVIES_TEMPLATE, chunk_rows=2)
    assert rejected.value.reason == (
        "The file is not UTF-8 text (byte 0xE9 on line 5); save it as CSV UTF-8 and drop it again."
    )
    with engine.begin() as conn:
        assert rows_by_status(conn, job_id, list(RowStatus)) == []


def test_run_validate_stores_show_seeds_and_chunks_with_no_valid_row(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "shows.csv"
    path.write_text(
        f"{SHOWS}\n"
        "Severance,2,2025-01-01,tt11280740\n"
        "Severance,0,2025-01-01,\n"  # season zero
        "The Bear,03,2024-06-27,\n",
        encoding="utf-8",
    )
    with engine.begin() as conn:
        job_id = new_job(conn, source="template")
        # one row per chunk: the middle chunk has no valid row at all
        run_validate(
            conn, job_id=job_id, path=path, adapter=SHOWS_TEMPLATE, today=TODAY, chunk_rows=1
        )
        rows = rows_by_status(conn, job_id, list(RowStatus))
    assert [(r.row_number, r.status, r.normalized_payload, r.dedupe_key) for r in rows] == [
        (2, "pending", {"show": "Severance", "season": 2, "viewing_date": "2025-01-01",
                        "year": None, "imdb_id": "tt11280740"}, "severance|s2"),
        (3, "failed", None, None),
        (4, "pending", {"show": "The Bear", "season": 3, "viewing_date": "2024-06-27",
                        "year": None, "imdb_id": None}, "the bear|s3"),
    ]  # fmt: skip


def listed_and_stored_titles(
    engine: sa.Engine, job_id: uuid.UUID, import_type: str
) -> tuple[dict[int, str], dict[int, str]]:
    """Each line's title as the listing shows it (SQL `title_expression`) folded in Python, and
    as the validate step stored it in `row_titles` for search."""
    with engine.connect() as conn:
        page = list_rows(conn, job_id=job_id, import_type=import_type, query=RowQuery(limit=1000))
        query = sa.select(row_titles.c.row_number, row_titles.c.title)
        stored = dict(conn.execute(query.where(row_titles.c.job_id == job_id)).all())
    return {int(r.line): fold_text(r.title or "") for r in page.rows}, stored


def test_titles_of_rows_a_rerun_adds_are_stored_for_search(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "shows.csv"
    path.write_text(f"{SHOWS}\nSeverance,2,2025-01-01,tt11280740\n", encoding="utf-8")
    with engine.begin() as conn:
        job_id = new_job(conn, source="template", import_type="shows")
        run_validate(conn, job_id=job_id, path=path, adapter=SHOWS_TEMPLATE, today=TODAY)
    # the step re-run on a longer file: through the staging table, only new lines' titles
    path.write_text(
        f"{SHOWS}\nSeverance,2,2025-01-01,tt11280740\n"
        "Ørnen,x,2024-12-02,\n"  # failed: titled from the file's own columns
        "  Borgen\t,1,2024-12-03,\n",
        encoding="utf-8",
    )
    with engine.begin() as conn:
        summary = run_validate(conn, job_id=job_id, path=path, adapter=SHOWS_TEMPLATE, today=TODAY)
    assert summary.extra["rows_added"] == 2
    listed, stored = listed_and_stored_titles(engine, job_id, "shows")
    assert stored == listed == {
        2: "severance season 2", 3: "ornen season x", 4: "borgen season 1",
    }  # fmt: skip
    with engine.connect() as conn:
        found = list_rows(conn, job_id=job_id, import_type="shows", query=RowQuery(search="ØRNEN"))
    assert [r.line for r in found.rows] == [3]


def test_stored_titles_are_the_listings_titles_folded(engine: sa.Engine, tmp_path: Path) -> None:
    # the Python titles twin the SQL `title_expression`: seeds, blank and ragged rows, accents
    path = tmp_path / "diary.csv"
    path.write_text(
        "Date,Name,Year,Letterboxd URI,Watched Date\n"
        "2024-01-01,Amélie,2001,https://boxd.it/a,2024-01-01\n"
        "2024-01-02,  ,2001,https://boxd.it/b,2024-01-02\n"  # blank title: failed
        "2024-01-03,Straße ,19xx,https://boxd.it/c,2024-01-03\n"  # bad year: from the file
        "2024-01-04,Cœur,2001\n"  # ragged
        "2024-01-05,Heat,1995,https://boxd.it/e,2024-01-05,extra\n",  # ragged, a cell more
        encoding="utf-8",
    )
    with engine.begin() as conn:
        job_id = new_job(conn)
        run_validate(conn, job_id=job_id, path=path, adapter=DIARY, today=TODAY)
    listed, stored = listed_and_stored_titles(engine, job_id, "movies")
    assert stored == listed == {2: "amelie", 3: "", 4: "strasse", 5: "coeur", 6: "heat"}


# Every day 12 or less: this file's dates cannot tell day from month.
AMBIGUOUS_HISTORY = (
    "Title,Date\n"
    '"Dark: Staffel 1: Lügen","03/05/2020"\n'
    '"Hubie Halloween","11/10/2020"\n'
    '"Dark: Staffel 1: Geheimnisse","01/05/2020"\n'
)


def test_a_netflix_file_that_cannot_tell_its_dates_asks_to_be_renamed(tmp_path: Path) -> None:
    path = tmp_path / "NetflixViewingHistory.csv"
    path.write_text(AMBIGUOUS_HISTORY, encoding="utf-8")
    (checked,) = check_file(path, NETFLIX, today=TODAY)
    rename = (
        "could be day/month or month/day and the file's dates do not settle which; rename the "
        "file to end -dmy.csv (day first) or -mdy.csv (month first) and drop it again."
    )
    assert [(line, o.code, o.message) for line, o in checked.failed_lines()] == [
        (2, RowCode.INVALID_DATE, f"The date '03/05/2020' {rename}"),
        (4, RowCode.INVALID_DATE, f"The date '01/05/2020' {rename}"),
    ]
    # the film is skipped, not failed: failed_lines leaves it out
    assert checked.outcomes[1] == RowOutcome(
        RowStatus.SKIPPED,
        RowCode.NOT_A_SHOW,
        "'Hubie Halloween' has no season label (like 'Season 1' or 'Part 2'), "
        "so it is not a show's episode.",
    )


def test_run_validate_reads_netflix_dates_in_the_order_the_jobs_file_name_gives(
    engine: sa.Engine, tmp_path: Path
) -> None:
    # the archived copy is named by its partition key: the user's file name is the job's
    path = tmp_path / "shows-20250101T000000-netflixviewinghistory-dmy-0a1b2c3d.csv"
    path.write_text(AMBIGUOUS_HISTORY, encoding="utf-8")
    with engine.begin() as conn:
        job_id = new_job(
            conn, "netflix", import_type="shows", file_name="NetflixViewingHistory-dmy.csv"
        )
        summary = run_validate(conn, job_id=job_id, path=path, adapter=NETFLIX, today=TODAY)
        rows = rows_by_status(conn, job_id, list(RowStatus))
        job = get_job(conn, job_id=job_id)
    assert summary.counts == {"valid": 2, "invalid": 0, "skipped": 1, "not_a_show": 1}
    assert [(r.row_number, r.status, r.error_code, r.normalized_payload, r.dedupe_key)
            for r in rows] == [
        (2, "pending", None, {"show": "Dark", "season": 1, "viewing_date": "2020-05-03",
                              "year": None, "imdb_id": None}, "dark|s1"),
        (3, "skipped", "not_a_show", None, None),
        (4, "pending", None, {"show": "Dark", "season": 1, "viewing_date": "2020-05-01",
                              "year": None, "imdb_id": None}, "dark|s1"),
    ]  # fmt: skip
    assert job is not None and (job.total_rows, job.skipped_rows, job.processed_rows) == (3, 1, 1)


def test_the_real_netflix_history_maps_every_line(sample_data: Path) -> None:
    # 424 lines: 351 episodes, 73 films and seasons with only a name (see defs/imports/test_shows)
    history = sample_data / "netflix" / "netflix_us_NetflixViewingHistory_tsachit.csv"
    (checked,) = check_file(history, NETFLIX, today=TODAY)
    assert len(checked.records) == 424
    assert checked.failed_lines() == []
    assert {o.code for o in checked.outcomes.values()} == {RowCode.NOT_A_SHOW}
    assert len(checked.outcomes) == 73


def test_run_validate_stores_each_csv_of_an_export_zip_with_its_own_lines(
    engine: sa.Engine, sample_data: Path, tmp_path: Path
) -> None:
    export = sample_data / LETTERBOXD_FOLDER
    diary = (export / "diary.csv").read_bytes()
    # a bad date on the watched.csv line of a film with no diary entry
    watched = (
        b"Date,Name,Year,Letterboxd URI\r\n"
        b"2017-12-15,La La Land,2016,https://boxd.it/a5fa\r\n"
        b"2017-13-40,Pulp Fiction,1994,https://boxd.it/29Pq\r\n"
    )
    path = write_zip(tmp_path / "export.zip", {"diary.csv": diary, "watched.csv": watched})
    with engine.begin() as conn:
        job_id = new_job(conn, "letterboxd-export", file_name="export.zip")
        summary = run_validate(
            conn, job_id=job_id, path=path, adapter=LETTERBOXD_EXPORT, today=TODAY
        )
        exported, failed = run_export(
            conn, job_id=job_id, archive=path, upload_root=tmp_path, partition_key="k"
        )
        rows = rows_by_status(conn, job_id, list(RowStatus))
    assert summary.rows_in == 317 + 2
    assert summary.extra == {"source": "letterboxd-export", "rows_added": 319}
    # each CSV's lines count from its own header; the diary's rows come first
    assert [(r.source_file, r.row_number) for r in rows][:2] == [("diary.csv", 2), ("diary.csv", 3)]
    assert [(r.line, r.status, r.error_code) for r in rows][-2:] == [
        ("watched.csv:2", "pending", None),
        ("watched.csv:3", "failed", "invalid_date"),
    ]
    # the failed-rows CSV names the CSV and line, in the columns the rows came with
    assert [(f.line, f.code) for f in failed] == [("watched.csv:3", "invalid_date")]
    assert exported is not None
    with exported.open(encoding="utf-8", newline="") as handle:
        (exported_row,) = csv.DictReader(handle)
    assert exported_row == {
        "Date": "2017-13-40",
        "Name": "Pulp Fiction",
        "Year": "1994",
        "Letterboxd URI": "https://boxd.it/29Pq",
        "IMDb ID": "",
        "line": "watched.csv:3",
        "error_code": "invalid_date",
        "error_message": "The date '2017-13-40' is not a real date in YYYY-MM-DD form.",
        "candidates": "",  # only an ambiguous_match row lists candidates
    }


def test_a_watched_film_of_the_diary_keeps_its_seed_for_a_run_that_keeps_duplicates(
    engine: sa.Engine, sample_data: Path, tmp_path: Path
) -> None:
    path = letterboxd_zip(sample_data, tmp_path / "x.zip", members=("diary.csv", "watched.csv"))
    with engine.begin() as conn:
        job_id = new_job(conn, "letterboxd-export", file_name="x.zip")
        run_validate(conn, job_id=job_id, path=path, adapter=LETTERBOXD_EXPORT, today=TODAY)
        skipped = rows_by_status(conn, job_id, [RowStatus.SKIPPED])
    assert len(skipped) == 293
    assert {(r.source_file, r.error_code) for r in skipped} == {
        ("watched.csv", "duplicate_in_file")
    }
    assert all(r.normalized_payload and r.dedupe_key for r in skipped)


def test_a_zip_damaged_past_the_screened_heads_rejects_the_file(
    engine: sa.Engine, sample_data: Path, tmp_path: Path
) -> None:
    path = letterboxd_zip(sample_data, tmp_path / "x.zip", members=("diary.csv",))
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF  # a byte of diary.csv's compressed data: its CRC no longer matches
    path.write_bytes(bytes(data))
    with engine.begin() as conn, pytest.raises(FileRejected) as rejected:
        job_id = new_job(conn, "letterboxd-export", file_name="x.zip")
        run_validate(conn, job_id=job_id, path=path, adapter=LETTERBOXD_EXPORT, today=TODAY)
    assert rejected.value.reason.startswith("The archive cannot be read (")
