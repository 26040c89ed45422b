"""Bulk writes of import_rows through COPY, and the reads of their outcomes."""

import json
import threading
import uuid

import pandas as pd
import psycopg2.errors
import pytest
import sqlalchemy as sa

from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db.jobs import NewImportJob, create_job
from jobsimport_dagster.db.rows import (
    RowBatch,
    failed_rows,
    insert_rows,
    json_lines,
    json_text,
    rows_by_status,
)
from jobsimport_dagster.db.tables import import_rows, row_titles
from jobsimport_dagster.steps.normalize import fold_text


def new_job(conn: sa.Connection) -> uuid.UUID:
    return create_job(
        conn,
        NewImportJob(
            partition_key=f"movies-20250101T000000-rows-{uuid.uuid4().hex[:8]}",
            type="movies",
            source="template",
            file_name="movies.csv",
            file_sha256="0" * 64,
            file_bytes=1,
            uploaded_by="test",
        ),
    ).id


def batch(*rows: tuple[int, dict, dict | None, str | None]) -> RowBatch:
    """Rows as (line, raw, payload or None, failure code or None); the rest follows from them."""
    return RowBatch(
        source_files=[""] * len(rows),
        row_numbers=[r[0] for r in rows],
        raw_payloads=[json_text(r[1]) for r in rows],
        statuses=[RowStatus.FAILED if r[3] else RowStatus.PENDING for r in rows],
        normalized_payloads=[None if r[2] is None else json_text(r[2]) for r in rows],
        dedupe_keys=[None if r[2] is None else f"{r[2]['title'].lower()}|d" for r in rows],
        error_codes=[r[3] for r in rows],
        error_messages=[f"{r[3]} at line {r[0]}" if r[3] else None for r in rows],
        titles=[fold_text((r[2] or r[1]).get("title", r[1].get("Title", ""))) for r in rows],
    )


def stored(conn: sa.Connection, job_id: uuid.UUID) -> list[tuple]:
    return [
        (r.row_number, r.raw_payload, r.normalized_payload, r.dedupe_key, r.status, r.error_code)
        for r in rows_by_status(conn, job_id, list(RowStatus))
    ]


def titles(conn: sa.Connection, job_id: uuid.UUID) -> dict[int, str]:
    query = sa.select(row_titles.c.row_number, row_titles.c.title)
    return dict(conn.execute(query.where(row_titles.c.job_id == job_id)).all())


def test_insert_rows_copies_every_value_faithfully(engine: sa.Engine) -> None:
    raw = {
        # COPY's own special characters: backslash, tab, newline, quotes
        "Title": 'Back\\slash\ttab\nnew "quoted"',
        # non-ASCII and a character outside the BMP
        "Year": "Amélie 🎬",
        # \N is COPY's NULL marker in text: as data it stays text
        "IMDb ID": "\\N",
    }
    with engine.begin() as conn:
        job_id = new_job(conn)
        added = insert_rows(
            conn,
            job_id,
            [
                batch((2, raw, {"title": "Up"}, None)),
                batch(),  # an empty chunk writes nothing
                batch((3, {"Title": ""}, None, RowCode.INVALID_TITLE)),
            ],
        )
        rows = stored(conn, job_id)
    assert added == 2
    assert rows == [
        (2, raw, {"title": "Up"}, "up|d", "pending", None),
        (3, {"Title": ""}, None, None, "failed", "invalid_title"),
    ]


def test_titles_are_copied_faithfully(engine: sa.Engine) -> None:
    # a title is the file's own text: COPY's special characters, and NUL as in the payloads
    title = 'back\\slash\ttab\nnew\r"quoted" \\N a\x00b'
    with engine.begin() as conn:
        job_id = new_job(conn)
        insert_rows(conn, job_id, [batch((2, {"Title": title}, None, RowCode.INVALID_DATE))])
        assert titles(conn, job_id) == {2: fold_text(title).replace("\x00", "\ufffd")}


def test_a_nul_in_a_cell_is_stored_as_a_replacement_character(engine: sa.Engine) -> None:
    # Postgres cannot store NUL in jsonb; the rest of the cell is kept
    with engine.begin() as conn:
        job_id = new_job(conn)
        insert_rows(conn, job_id, [batch((2, {"Title": "a\x00b"}, None, RowCode.INVALID_TITLE))])
        assert stored(conn, job_id)[0][1] == {"Title": "a\ufffdb"}


def test_insert_rows_again_adds_only_missing_lines_and_resets_nothing(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        job_id = new_job(conn)
        insert_rows(conn, job_id, [batch((2, {"Title": "Up"}, {"title": "Up"}, None))])
        # a later step finished line 2
        conn.execute(
            sa.update(import_rows)
            .where(import_rows.c.job_id == job_id)
            .values(status=RowStatus.SUCCESS, target_record_id="m-1", attempt_count=1)
        )
    with engine.begin() as conn:
        added = insert_rows(
            conn,
            job_id,
            [
                batch((2, {"Title": "Up"}, {"title": "Up"}, None)),
                batch((4, {"Title": "Heat"}, {"title": "Heat"}, None)),
            ],
        )
        rows = rows_by_status(conn, job_id, list(RowStatus))
    assert added == 1
    assert [(r.row_number, r.status, r.target_record_id, r.attempt_count) for r in rows] == [
        (2, "success", "m-1", 1),
        (4, "pending", None, 0),
    ]
    with engine.connect() as conn:
        assert titles(conn, job_id) == {2: "up", 4: "heat"}


class Broken(Exception):
    pass


def test_a_failing_chunk_stops_the_copy_and_writes_nothing(engine: sa.Engine) -> None:
    def batches():
        yield batch((2, {"Title": "Up"}, {"title": "Up"}, None))
        raise Broken("the file went away")

    with engine.begin() as conn:
        job_id = new_job(conn)
    with pytest.raises(Broken), engine.begin() as conn:
        insert_rows(conn, job_id, batches())
    with engine.begin() as conn:
        assert stored(conn, job_id) == []
        assert titles(conn, job_id) == {}


def test_failed_rows_and_rows_by_status_read_in_file_order(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        job_id = new_job(conn)
        other_job = new_job(conn)
        insert_rows(
            conn,
            job_id,
            [
                batch(
                    (9, {"Title": "z"}, None, RowCode.INVALID_DATE),
                    (2, {"Title": "Up"}, {"title": "Up"}, None),
                    (5, {"Title": ""}, None, RowCode.INVALID_TITLE),
                )
            ],
        )
        insert_rows(conn, other_job, [batch((3, {"Title": ""}, None, RowCode.INVALID_TITLE))])
        failed = failed_rows(conn, job_id)
        pending = rows_by_status(conn, job_id, [RowStatus.PENDING])
    assert [(f.line, f.raw, f.code, f.message) for f in failed] == [
        (5, {"Title": ""}, "invalid_title", "invalid_title at line 5"),
        (9, {"Title": "z"}, "invalid_date", "invalid_date at line 9"),
    ]
    assert [(r.row_number, r.normalized_payload) for r in pending] == [(2, {"title": "Up"})]


def test_json_text_is_compact_and_keeps_unicode() -> None:
    text = json_text({"Title": "Amélie", "n": 1})
    assert text == '{"Title":"Amélie","n":1}'
    assert json.loads(text) == {"Title": "Amélie", "n": 1}


@pytest.mark.parametrize(
    "frame",
    [
        # the kinds payloads hold: text (quotes, backslash, NUL, a % in a name), None, bool, Int64
        pd.DataFrame(
            {
                "Na%me": ['q"\\', "Amélie\x00", "\t"],
                "tags": [None, "x", None],
                "rewatch": [True, False, True],
                "year": pd.array([1999, None, 2024], dtype="Int64"),
            }
        ),
        # anything else goes to pandas whole
        pd.DataFrame({"rating": [1.5, None], "title": ["Up", None]}),
        pd.DataFrame({"n": [1, None], "title": ["Up", 2]}, dtype=object),
    ],
)
def test_json_lines_writes_what_pandas_to_json_writes(frame: pd.DataFrame) -> None:
    text = frame.to_json(orient="records", lines=True, force_ascii=False)
    expected = text.replace("\\u0000", "\\ufffd").removesuffix("\n").split("\n")
    assert [json.loads(line) for line in json_lines(frame)] == [json.loads(e) for e in expected]


def test_a_copy_the_server_refuses_stops_the_preparing_thread(engine: sa.Engine) -> None:
    # the same line in every batch breaks the (job_id, row_number) key at the second COPY
    twice = (2, {"Title": "Up"}, {"title": "Up"}, None)
    threads_before = threading.active_count()
    with engine.begin() as conn:
        job_id = new_job(conn)
    with pytest.raises(psycopg2.errors.UniqueViolation), engine.begin() as conn:
        insert_rows(conn, job_id, [batch(twice), batch(twice), batch(twice), batch(twice)])
    assert threading.active_count() == threads_before


def test_row_ids_ascend_in_file_order_across_chunks(engine: sa.Engine) -> None:
    # time-ordered (UUIDv7) ids keep the primary-key index growing at its right edge
    with engine.begin() as conn:
        job_id = new_job(conn)
        insert_rows(
            conn,
            job_id,
            [batch((line, {"Title": "x"}, None, RowCode.INVALID_TITLE)) for line in range(2, 7)],
        )
        ids = [r.id for r in rows_by_status(conn, job_id, [RowStatus.FAILED])]
    assert len(ids) == 5 and ids == sorted(ids) and len(set(ids)) == 5
    assert {i.version for i in ids} == {7}
