"""The OMDb day budget, counted in Postgres so every run and every process shares it."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from jobsimport_dagster.db.tables import omdb_budget


def take(conn: sa.Connection, *, day: date, budget: int, wanted: int) -> int:
    """Take up to `wanted` calls from `day`'s budget, atomically; 0 when it is spent.

    Runs take a few calls at a time (a lease) so that a row costs no round trip of its own.
    """
    conn.execute(insert(omdb_budget).values(day=day, calls=0).on_conflict_do_nothing())
    row = conn.execute(
        sa.select(omdb_budget.c.calls, omdb_budget.c.exhausted)
        .where(omdb_budget.c.day == day)
        .with_for_update()
    ).one()
    granted = 0 if row.exhausted else max(0, min(wanted, budget - row.calls))
    if granted:
        conn.execute(
            sa.update(omdb_budget)
            .where(omdb_budget.c.day == day)
            .values(calls=omdb_budget.c.calls + granted)
        )
    return granted


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


def calls_on(conn: sa.Connection, *, day: date) -> int:
    calls = conn.execute(sa.select(omdb_budget.c.calls).where(omdb_budget.c.day == day)).scalar()
    return calls or 0
