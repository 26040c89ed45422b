"""The OMDb day budget, counted in Postgres so every run and every process shares it."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from jobsimport_dagster.db.tables import omdb_budget


def take(conn: sa.Connection, *, day: date, budget: int, wanted: int) -> int:
    """Take up to `wanted` calls from `day`'s budget, atomically; 0 when it is spent.

    Runs take a few calls at a time (a lease) so that a row costs no round trip of its own;
    a lease is one statement, plus one to create the day's row the first time.
    """
    granted = conn.execute(_lease(day, budget, wanted)).scalar()
    if granted is None:
        conn.execute(insert(omdb_budget).values(day=day, calls=0).on_conflict_do_nothing())
        granted = conn.execute(_lease(day, budget, wanted)).scalar()
    return granted or 0


def _lease(day: date, budget: int, wanted: int) -> sa.Update:
    """Add the grant to the day's calls and return it (no row: the day has none yet)."""
    before = (
        sa.select(omdb_budget.c.day, omdb_budget.c.calls, omdb_budget.c.exhausted)
        .where(omdb_budget.c.day == day)
        .with_for_update()
        .cte("before")
    )
    grant = sa.case(
        (before.c.exhausted, 0),
        else_=sa.func.least(wanted, sa.func.greatest(budget - before.c.calls, 0)),
    )
    return (
        sa.update(omdb_budget)
        .where(omdb_budget.c.day == before.c.day)
        .values(calls=before.c.calls + grant)
        .returning((omdb_budget.c.calls - before.c.calls).label("granted"))
    )


def give_back(conn: sa.Connection, *, day: date, calls: int) -> None:
    """Return leased calls a run did not make."""
    if calls > 0:
        conn.execute(
            sa.update(omdb_budget)
            .where(omdb_budget.c.day == day)
            .values(calls=sa.func.greatest(omdb_budget.c.calls - calls, 0))
        )


def mark_exhausted(conn: sa.Connection, *, day: date) -> None:
    """OMDb said its limit is reached: that spends the rest of the day's budget (SPEC §7)."""
    statement = insert(omdb_budget).values(day=day, calls=0, exhausted=True)
    conn.execute(statement.on_conflict_do_update(index_elements=["day"], set_={"exhausted": True}))
