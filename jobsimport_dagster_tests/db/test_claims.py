"""Row claims and batched row updates against a real Postgres."""

import sqlalchemy as sa

from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db import claims
from jobsimport_dagster.db.rows import insert_rows, rows_by_status
from jobsimport_dagster_tests.db.test_rows import batch, new_job


def test_write_updates_sets_what_is_given_and_keeps_what_is_none(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        job_id = new_job(conn)
        insert_rows(
            conn,
            job_id,
            [
                batch(
                    (2, {"Name": "Up"}, {"title": "Up"}, None),
                    (3, {"Name": "Her"}, {"title": "Her"}, None),
                )
            ],
        )
        first, second = claims.open_rows(conn, job_id)
        claims.write_updates(
            conn,
            [
                claims.RowUpdate(
                    id=first.id,
                    status=RowStatus.SUCCESS,
                    normalized_payload={"title": "Up", "body": {"imdbId": "tt1049413"}},
                    target_record_id="rec-1",
                ),
                claims.RowUpdate(
                    id=second.id,
                    status=RowStatus.FAILED,
                    error_code=RowCode.NOT_FOUND,
                    error_message="No movie matching 'Her' was found on OMDb or IMDb.",
                ),
            ],
        )
        # A later update without a payload or record id keeps the stored ones.
        claims.write_updates(conn, [claims.RowUpdate(id=first.id, status=RowStatus.SUCCESS)])
        rows = {r.row_number: r for r in rows_by_status(conn, job_id, list(RowStatus))}
    assert rows[2].status == RowStatus.SUCCESS
    assert rows[2].normalized_payload == {"title": "Up", "body": {"imdbId": "tt1049413"}}
    assert rows[2].target_record_id == "rec-1"
    assert rows[2].error_code is None
    assert rows[3].status == RowStatus.FAILED
    assert rows[3].error_code == RowCode.NOT_FOUND
    assert rows[3].normalized_payload == {"title": "Her"}
    assert rows[3].target_record_id is None
