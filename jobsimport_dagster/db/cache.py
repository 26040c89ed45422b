"""The enrichment cache: every upstream answer, so a retry or a re-import costs no new call."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from jobsimport_dagster.db.tables import enrichment_cache

NOT_FOUND_TTL = timedelta(days=7)


@dataclass(frozen=True)
class CachedAnswer:
    found: bool
    response: Any


def get_answer(
    conn: sa.Connection, *, provider: str, request_key: str, now: datetime
) -> CachedAnswer | None:
    """The stored answer; a cached "not found" older than 7 days counts as absent (SPEC §7)."""
    row = conn.execute(
        sa.select(enrichment_cache.c.found, enrichment_cache.c.response, enrichment_cache.c.fetched_at)
        .where(
            enrichment_cache.c.provider == provider,
            enrichment_cache.c.request_key == request_key,
        )
    ).first()
    if row is None or (not row.found and now - row.fetched_at > NOT_FOUND_TTL):
        return None
    return CachedAnswer(found=row.found, response=row.response)


def put_answer(
    conn: sa.Connection,
    *,
    provider: str,
    request_key: str,
    found: bool,
    response: Any,
    now: datetime,
) -> None:
    statement = insert(enrichment_cache).values(
        provider=provider, request_key=request_key, found=found, response=response, fetched_at=now
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["provider", "request_key"],
            set_={"found": found, "response": statement.excluded.response, "fetched_at": now},
        )
    )
