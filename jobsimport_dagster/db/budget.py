"""The OMDb day budget, counted in Postgres so every run and every process shares it."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from jobsimport_dagster.db.tables import omdb_budget


def try_spend(conn: sa.Connection, *, day: date, budget: int) -> bool:
    """Take one call from `day`'s budget atomically; False when it is spent."""
    if budget <= 0:
        return False
    statement = insert(omdb_budget).values(day=day, calls=1)
    statement = statement.on_conflict_do_update(
        index_elements=["day"],
        set_={"calls": omdb_budget.c.calls + 1},
        where=sa.and_(omdb_budget.c.calls < budget, sa.not_(omdb_budget.c.exhausted)),
    ).returning(omdb_budget.c.calls)
    calls = conn.execute(statement).scalar()
    return calls is not None and calls <= budget


def mark_exhausted(conn: sa.Connection, *, day: date) -> None:
    """OMDb said its limit is reached: that spends the rest of the day's budget (SPEC §7)."""
    statement = insert(omdb_budget).values(day=day, calls=0, exhausted=True)
    conn.execute(
        statement.on_conflict_do_update(index_elements=["day"], set_={"exhausted": True})
    )


def calls_on(conn: sa.Connection, *, day: date) -> int:
    calls = conn.execute(sa.select(omdb_budget.c.calls).where(omdb_budget.c.day == day)).scalar()
    return calls or 0
