"""Viewing claims against a real Postgres: one holder per viewing, across imports and processes."""

import threading
import uuid

import pytest
import sqlalchemy as sa

from jobsimport_dagster.codes import RowCode, RowStatus
from jobsimport_dagster.db import claims, viewings
from jobsimport_dagster.db.rows import insert_rows
from jobsimport_dagster.db.tables import import_jobs, viewing_claims
from jobsimport_dagster_tests.db.test_rows import batch, new_job

VIEWING = ["movies:key:up|2024-01-02", "movies:imdb:tt1049413|2024-01-02"]
Verdict = viewings.ClaimVerdict


def _job_with_row(engine: sa.Engine, title: str = "Up") -> tuple[uuid.UUID, uuid.UUID]:
    """A new import with one pending row: (job id, row id)."""
    with engine.begin() as conn:
        job_id = new_job(conn)
        insert_rows(conn, job_id, [batch((2, {"Name": title}, {"title": title}, None))])
        (row,) = claims.open_rows(conn, job_id)
    return job_id, row.id


def _claim(engine: sa.Engine, job_row: tuple[uuid.UUID, uuid.UUID], keys: list[str]):
    job_id, row_id = job_row
    with engine.begin() as conn:
        return viewings.claim_viewings(conn, job_id=job_id, wanted={row_id: keys})[row_id]


def _set_status(engine: sa.Engine, row_id: uuid.UUID, status: str, code: str | None = None):
    with engine.begin() as conn:
        claims.write_updates(conn, [claims.RowUpdate(row_id, status, error_code=code)])


def _holders(engine: sa.Engine) -> dict[str, uuid.UUID]:
    with engine.connect() as conn:
        query = sa.select(viewing_claims.c.claim_key, viewing_claims.c.row_id)
        return {key: row_id for key, row_id in conn.execute(query)}


def test_viewing_keys_are_sorted_and_namespaced_by_type() -> None:
    keys = viewings.viewing_keys(
        "shows", dedupe_key="severance|s1", imdb_id=" TT11280740 ", date_or_season="1"
    )
    assert keys == ["shows:imdb:tt11280740|1", "shows:key:severance|s1"]
    # Before enrichment there is no IMDb ID: the dedupe key alone.
    assert viewings.viewing_keys(
        "movies", dedupe_key="up|2024-01-02", imdb_id=None, date_or_season="2024-01-02"
    ) == ["movies:key:up|2024-01-02"]


def test_a_free_viewing_is_held_and_holding_it_again_is_harmless(engine: sa.Engine) -> None:
    first = _job_with_row(engine)
    assert _claim(engine, first, VIEWING).verdict is Verdict.HELD
    assert _claim(engine, first, VIEWING).verdict is Verdict.HELD
    assert _holders(engine) == dict.fromkeys(VIEWING, first[1])


def test_a_viewing_another_import_is_posting_waits(engine: sa.Engine) -> None:
    holder, waiter = _job_with_row(engine), _job_with_row(engine)
    assert _claim(engine, holder, VIEWING).verdict is Verdict.HELD
    with viewings.insert_lease(engine, holder[0]):
        # All or none: the waiter holds neither key, not even the one nobody else had.
        claim = _claim(engine, waiter, [*VIEWING, "movies:key:up (2009)|2024-01-02"])
        assert claim.verdict is Verdict.WAIT
        assert set(_holders(engine).values()) == {holder[1]}


def test_a_viewing_imported_by_another_import_is_already_imported(engine: sa.Engine) -> None:
    holder, later = _job_with_row(engine), _job_with_row(engine)
    _claim(engine, holder, VIEWING)
    _set_status(engine, holder[1], RowStatus.SUCCESS)
    with viewings.insert_lease(engine, holder[0]):
        claim = _claim(engine, later, [*VIEWING, "movies:key:other|2024-01-02"])
    with engine.connect() as conn:
        holder_key = conn.execute(
            sa.select(import_jobs.c.partition_key).where(import_jobs.c.id == holder[0])
        ).scalar()
    assert claim == viewings.ViewingClaim(Verdict.IMPORTED, holder_key, 2)
    assert "movies:key:other|2024-01-02" not in _holders(engine)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        # the holder's POST was refused: the viewing is free for the next import
        (RowStatus.FAILED, RowCode.INSERT_REJECTED),
        # the holder found the record in the catalogue and posted nothing
        (RowStatus.SKIPPED, RowCode.EXISTS_IN_API),
        # the holder's run died while the row was in flight (no lease is held)
        (RowStatus.PROCESSING, None),
        # a terminated run released the row before its POST
        (RowStatus.PENDING, None),
    ],
)
def test_a_viewing_whose_holder_failed_or_died_is_taken_over(
    engine: sa.Engine, status: str, code: str | None
) -> None:
    holder, taker = _job_with_row(engine), _job_with_row(engine)
    _claim(engine, holder, VIEWING)
    _set_status(engine, holder[1], status, code)
    assert _claim(engine, taker, VIEWING).verdict is Verdict.TAKEN_OVER
    assert _holders(engine) == dict.fromkeys(VIEWING, taker[1])
    # The old holder, run again, now finds the taker's row in flight or done.
    _set_status(engine, taker[1], RowStatus.SUCCESS)
    assert _claim(engine, holder, VIEWING).verdict is Verdict.IMPORTED


def test_the_lease_goes_with_its_connection(engine: sa.Engine) -> None:
    job_id, _ = _job_with_row(engine)
    with engine.connect() as conn:
        assert not viewings.is_inserting(conn, job_id)
    with viewings.insert_lease(engine, job_id), engine.connect() as conn:
        assert viewings.is_inserting(conn, job_id)
        # A run killed mid-insert: its connection ends, and so does its lease.
        lease_pids = conn.execute(
            sa.text("select pid from pg_locks where locktype = 'advisory' and classid = :c"),
            {"c": viewings.INSERT_LEASE_CLASS},
        ).scalars()
        for pid in list(lease_pids):
            # With a timeout it waits until the backend is gone (not only signalled).
            conn.execute(sa.select(sa.func.pg_terminate_backend(pid, 5000)))
        assert not viewings.is_inserting(conn, job_id)
    # Leaving the lease whose connection is gone is no error (the lock went with it).
    with engine.connect() as conn:
        assert not viewings.is_inserting(conn, job_id)


def test_concurrent_claims_of_one_viewing_leave_exactly_one_holder(engine: sa.Engine) -> None:
    rows = [_job_with_row(engine) for _ in range(8)]
    start = threading.Barrier(len(rows))
    verdicts: list[Verdict] = []

    def claim(job_row: tuple[uuid.UUID, uuid.UUID]) -> None:
        with viewings.insert_lease(engine, job_row[0]):
            start.wait()
            verdicts.append(_claim(engine, job_row, VIEWING).verdict)
            start.wait()  # every lease is held until every claim is judged

    threads = [threading.Thread(target=claim, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(verdicts) == sorted([Verdict.HELD] + [Verdict.WAIT] * 7)
    assert len(set(_holders(engine).values())) == 1


def test_viewings_held_by_other_imports_rows_that_posted_or_post_are_claimed_elsewhere(
    engine: sa.Engine,
) -> None:
    posting, succeeded, failed, asking = (_job_with_row(engine) for _ in range(4))
    _claim(engine, posting, ["movies:key:up|2024-01-02"])
    _claim(engine, succeeded, ["movies:key:alien|1979-05-25"])
    _set_status(engine, succeeded[1], RowStatus.SUCCESS)
    _claim(engine, failed, ["movies:key:heat|1995-12-15"])
    _set_status(engine, failed[1], RowStatus.FAILED, RowCode.INSERT_FAILED)
    _claim(engine, asking, ["movies:key:own|2024-01-01"])
    wanted = ["up|2024-01-02", "alien|1979-05-25", "heat|1995-12-15", "own|2024-01-01", "new|x"]
    with engine.connect() as conn:
        found = viewings.claimed_elsewhere(
            conn, import_type="movies", job_id=asking[0], dedupe_keys=wanted
        )
        other_type = viewings.claimed_elsewhere(
            conn, import_type="shows", job_id=asking[0], dedupe_keys=wanted
        )
    # A failed holder posted nothing; the asking import's own claim is not "elsewhere".
    assert found == {"up|2024-01-02", "alien|1979-05-25"}
    assert other_type == set()
