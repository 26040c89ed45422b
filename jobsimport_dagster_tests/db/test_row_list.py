"""Listing an import's rows: filters, accent- and case-blind search, pages, the JSON shape."""

import uuid

import pytest
import sqlalchemy as sa

from jobsimport_dagster.codes import RowStatus
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.row_list import RowQuery, fold_text, folded, list_rows
from jobsimport_dagster.db.rows import RowBatch, insert_rows, json_text
from jobsimport_dagster.db.tables import import_rows, row_titles
from jobsimport_dagster_tests.stored_rows import store_row


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Amélie", "amelie"),  # precomposed accent
        ("AMÉLIE", "amelie"),  # upper-case accented letter
        ("Ame\u0301lie", "amelie"),  # decomposed: e + combining acute
        ("Łódź", "lodz"),  # letters with no decomposition
        ("Straße", "strasse"),  # one letter folding to two
        ("Cœur", "coeur"),
        ("Tiếng Việt", "tieng viet"),  # Latin Extended Additional
        ("not_found", "not_found"),  # codes stay as they are
        ("Ælita", "aelita"),
    ],
)
def test_fold_text(text: str, expected: str) -> None:
    assert fold_text(text) == expected


def test_sql_fold_equals_python_fold(engine: sa.Engine) -> None:
    # every Latin letter with a diacritic, in both cases, and the ones folded by hand
    latin = "".join(map(chr, [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]))
    sample = latin + " ß æ Æ œ Œ Ø ø Ł ł þ e\u0301 Ñandú ÉCOLE"
    with engine.connect() as conn:
        from_sql = conn.execute(sa.select(folded(sa.literal(sample)))).scalar_one()
    assert from_sql == fold_text(sample)


def _job(conn: sa.Connection, key: str, import_type: str) -> uuid.UUID:
    new = jobs.NewImportJob(
        partition_key=key,
        type=import_type,
        source="template",
        file_name=f"{key}.csv",
        file_sha256="0" * 64,
        file_bytes=1,
        uploaded_by="me",
    )
    return jobs.create_job(conn, new).id


def _row(conn: sa.Connection, job_id: uuid.UUID, line: int, **values: object) -> None:
    store_row(conn, job_id, row_number=line, **values)


@pytest.fixture
def movies(engine: sa.Engine) -> uuid.UUID:
    """A movies import with a row in each state a user meets."""
    with engine.begin() as conn:
        job_id = _job(conn, "movies-20250101T000000-mine-00000000", "movies")
        _row(
            conn, job_id, 2,
            raw_payload={"Title": "Amélie", "Year": "2001", "Watched Date": "2024-05-01"},
            normalized_payload={
                "title": "Amélie", "viewing_date": "2024-05-01", "year": 2001,
                "imdb_id": None, "match": {"imdb_id": "tt0211915", "title": "Amélie"},
                "match_verdict": {"verdict": "verified", "route": "omdb_title"},
            },
            status=RowStatus.SUCCESS, target_record_id="501",
        )  # fmt: skip
        _row(
            conn, job_id, 3,
            raw_payload={"Title": "Heat", "Year": "19x5", "Watched Date": "2024-02-30"},
            status=RowStatus.FAILED, error_code="invalid_date",
            error_message="The date 2024-02-30 is not a real date.",
        )  # fmt: skip
        _row(
            conn, job_id, 4,
            raw_payload={"Title": "Nowhere Man", "Year": "2020", "Watched Date": "2024-03-01"},
            normalized_payload={
                "title": "Nowhere Man", "viewing_date": "2024-03-01", "year": 2020,
                "imdb_id": None,
            },
            status=RowStatus.FAILED, error_code="not_found",
            error_message="No provider knows 'Nowhere Man' (2020).",
        )  # fmt: skip
        _row(
            conn, job_id, 5,
            raw_payload={"Title": "ÉCOLE 100%", "Year": "2019", "IMDb ID": "tt7654321"},
            normalized_payload={
                "title": "ÉCOLE 100%", "viewing_date": "2024-04-01", "year": 2019,
                "imdb_id": "tt7654321",
            },
            status=RowStatus.PENDING,
        )  # fmt: skip
    return job_id


def _page(engine: sa.Engine, job_id: uuid.UUID, import_type: str = "movies", **query: object):
    with engine.connect() as conn:
        return list_rows(conn, job_id=job_id, import_type=import_type, query=RowQuery(**query))


def test_every_row_by_line_with_its_fields(engine: sa.Engine, movies: uuid.UUID) -> None:
    page = _page(engine, movies)
    assert page.total == 4
    assert [r.as_dict() for r in page.rows] == [
        {
            "line": 2, "status": "success", "error_code": None, "error_message": None,
            "title": "Amélie", "year": 2001, "viewing_date": "2024-05-01",
            "imdb_id": "tt0211915", "target_record_id": "501", "verdict": "verified",
        },
        # an invalid row has no normalized payload: title and date come from the file, and a
        # year that is not a number is left out
        {
            "line": 3, "status": "failed", "error_code": "invalid_date",
            "error_message": "The date 2024-02-30 is not a real date.", "title": "Heat",
            "year": None, "viewing_date": "2024-02-30", "imdb_id": None,
            "target_record_id": None, "verdict": None,
        },
        {
            "line": 4, "status": "failed", "error_code": "not_found",
            "error_message": "No provider knows 'Nowhere Man' (2020).", "title": "Nowhere Man",
            "year": 2020, "viewing_date": "2024-03-01", "imdb_id": None,
            "target_record_id": None, "verdict": None,
        },
        # not matched yet: the IMDb ID the row gave
        {
            "line": 5, "status": "pending", "error_code": None, "error_message": None,
            "title": "ÉCOLE 100%", "year": 2019, "viewing_date": "2024-04-01",
            "imdb_id": "tt7654321", "target_record_id": None, "verdict": None,
        },
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "lines", "total"),
    [
        ({"status": "failed"}, [3, 4], 2),
        ({"code": "not_found"}, [4], 1),
        ({"status": "success", "code": "not_found"}, [], 0),
        ({"search": "amelie"}, [2], 1),  # accents ignored
        ({"search": "AMÉLIE"}, [2], 1),  # case ignored on both sides
        ({"search": "ecole"}, [5], 1),  # the title's own accent and case
        ({"search": "NOT_FO"}, [4], 1),  # the code matches too
        ({"search": "100%"}, [5], 1),  # % is a character, not a wildcard
        ({"search": "_"}, [3, 4], 2),  # so is _: only codes hold one
        ({"search": "  heat "}, [3], 1),  # surrounding spaces dropped
        ({"limit": 2}, [2, 3], 4),  # a page; total counts every match
        ({"limit": 2, "offset": 2}, [4, 5], 4),
        ({"offset": 10}, [], 4),
    ],
)
def test_filters_search_and_pages(
    engine: sa.Engine, movies: uuid.UUID, query: dict[str, object], lines: list[int], total: int
) -> None:
    page = _page(engine, movies, **query)
    assert ([r.line for r in page.rows], page.total) == (lines, total)


def test_shows_rows_are_titled_by_show_and_season(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        job_id = _job(conn, "shows-20250101T000000-mine-00000000", "shows")
        _row(
            conn, job_id, 2,
            raw_payload={"Show": "Borgen", "Season": "1", "Started Date": "2024-01-01"},
            normalized_payload={
                "show": "Borgen", "season": 1, "viewing_date": "2024-01-01", "year": None,
                "imdb_id": None, "match": {"imdb_id": "tt1526318"},
            },
            status=RowStatus.SUCCESS, target_record_id="7",
        )  # fmt: skip
        _row(
            conn, job_id, 3,
            raw_payload={"Show": "Ørnen", "Season": "x", "Started Date": "2024-01-02"},
            status=RowStatus.FAILED, error_code="invalid_title",
            error_message="The season x is not a whole number.",
        )  # fmt: skip
    page = _page(engine, job_id, "shows")
    assert [(r.title, r.imdb_id, r.viewing_date) for r in page.rows] == [
        ("Borgen Season 1", "tt1526318", "2024-01-01"),
        ("Ørnen Season x", None, "2024-01-02"),  # from the file's own columns
    ]
    assert [r.line for r in _page(engine, job_id, "shows", search="ornen").rows] == [3]
    assert [r.line for r in _page(engine, job_id, "shows", search="season 1").rows] == [2]


def test_page_as_dict_is_rows_and_total(engine: sa.Engine, movies: uuid.UUID) -> None:
    page = _page(engine, movies, code="not_found")
    as_dict = page.as_dict()
    assert list(as_dict) == ["rows", "total"]
    assert as_dict["total"] == 1
    assert list(as_dict["rows"][0]) == [
        "line", "status", "error_code", "error_message", "title", "year", "viewing_date",
        "imdb_id", "target_record_id", "verdict",
    ]  # fmt: skip


def _stored_titles(engine: sa.Engine, job_id: uuid.UUID) -> dict[int, str]:
    with engine.connect() as conn:
        query = sa.select(row_titles.c.row_number, row_titles.c.title).where(
            row_titles.c.job_id == job_id
        )
        return dict(conn.execute(query).all())


def test_row_titles_hold_each_title_folded_as_search_compares_it(
    engine: sa.Engine, movies: uuid.UUID
) -> None:
    # `search_titles` (Python, as rows are written) gives the title the listing shows (SQL
    # `title_expression`), folded: a search reads them instead of folding every payload.
    listed = {r.line: fold_text(r.title or "") for r in _page(engine, movies, limit=100).rows}
    assert _stored_titles(engine, movies) == listed == {
        2: "amelie", 3: "heat", 4: "nowhere man", 5: "ecole 100%",
    }  # fmt: skip


def test_rows_copied_in_bulk_get_their_titles_too(engine: sa.Engine) -> None:
    # Validation writes rows with COPY, first straight into the table, on a re-run through a
    # staging table: both write the rows' titles, a re-run only those of the lines it adds.
    def batch(line: int, show: str, source_file: str = "") -> RowBatch:
        return RowBatch(
            source_files=[source_file],
            row_numbers=[line],
            raw_payloads=[json_text({"Show": show, "Season": "2"})],
            statuses=[RowStatus.PENDING],
            normalized_payloads=[json_text({"show": show, "season": 2})],
            dedupe_keys=[f"{show}|2"],
            error_codes=[None],
            error_messages=[None],
            titles=[fold_text(f"{show} Season 2")],
        )

    with engine.begin() as conn:
        job_id = _job(conn, "shows-20250101T000000-mine-00000000", "shows")
        insert_rows(conn, job_id, [batch(2, "Borgen")])
    with engine.begin() as conn:
        insert_rows(conn, job_id, [batch(2, "Borgen"), batch(3, "Ørnen")])
    assert _stored_titles(engine, job_id) == {2: "borgen season 2", 3: "ornen season 2"}
    assert [r.line for r in _page(engine, job_id, "shows", search="ØRNEN").rows] == [3]


def test_row_titles_go_with_their_rows(engine: sa.Engine, movies: uuid.UUID) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(import_rows).where(import_rows.c.row_number == 3))
    assert set(_stored_titles(engine, movies)) == {2, 4, 5}
    with engine.begin() as conn:
        conn.execute(sa.delete(jobs.import_jobs).where(jobs.import_jobs.c.id == movies))
    assert _stored_titles(engine, movies) == {}


def test_a_search_in_an_export_zip_finds_the_line_of_the_right_csv(engine: sa.Engine) -> None:
    # Each CSV inside a zip numbers its own lines: diary.csv:2 and watched.csv:2 are two rows.
    def batch(source_file: str, title: str) -> RowBatch:
        return RowBatch(
            source_files=[source_file],
            row_numbers=[2],
            raw_payloads=[json_text({"Name": title})],
            statuses=[RowStatus.PENDING],
            normalized_payloads=[json_text({"title": title})],
            dedupe_keys=[f"{title}|2024-01-01"],
            error_codes=[None],
            error_messages=[None],
            titles=[fold_text(title)],
        )

    with engine.begin() as conn:
        job_id = _job(conn, "movies-20250101T000000-export-00000000", "movies")
        insert_rows(conn, job_id, [batch("diary.csv", "Amélie"), batch("watched.csv", "Heat")])
    assert [r.line for r in _page(engine, job_id, "movies", search="amelie").rows] == [
        "diary.csv:2"
    ]
    assert [r.line for r in _page(engine, job_id, "movies", search="HEAT").rows] == [
        "watched.csv:2"
    ]
    assert [r.line for r in _page(engine, job_id, "movies").rows] == [
        "diary.csv:2",
        "watched.csv:2",
    ]
