"""The OMDb day budget in Postgres: leases, their last partial grant, give-backs, exhaustion."""

from datetime import date

import sqlalchemy as sa

from jobsimport_dagster.db import budget
from jobsimport_dagster.db.tables import omdb_budget

DAY = date(2026, 11, 24)


def calls_on(conn: sa.Connection, *, day: date) -> int:
    """The calls counted for `day` (0 when none)."""
    query = sa.select(omdb_budget.c.calls).where(omdb_budget.c.day == day)
    return conn.execute(query).scalar() or 0


def test_leases_grant_what_is_left_and_then_nothing(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        grants = [budget.take(conn, day=DAY, budget=50, wanted=16) for _ in range(5)]
        budget.give_back(conn, day=DAY, calls=6)
        after_give_back = budget.take(conn, day=DAY, budget=50, wanted=16)
        calls = calls_on(conn, day=DAY)
    assert grants == [16, 16, 16, 2, 0]
    assert (after_give_back, calls) == (6, 50)


def test_an_exhausted_day_grants_nothing(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        assert budget.take(conn, day=DAY, budget=50, wanted=16) == 16
        budget.mark_exhausted(conn, day=DAY)
        assert budget.take(conn, day=DAY, budget=50, wanted=16) == 0
        # The next day is a new budget.
        assert budget.take(conn, day=date(2026, 11, 25), budget=50, wanted=16) == 16
