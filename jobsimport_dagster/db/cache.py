"""The enrichment cache: every upstream answer, so a retry or a re-import costs no new call."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from jobsimport_dagster.db.tables import enrichment_cache

NOT_FOUND_TTL = timedelta(days=7)

CacheKey = tuple[str, str]  # (provider, request key)


@dataclass(frozen=True)
class CachedAnswer:
    found: bool
    response: Any


def get_answers(
    conn: sa.Connection, keys: Iterable[CacheKey], *, now: datetime
) -> dict[CacheKey, CachedAnswer]:
    """The stored answers among `keys`, in one query; a cached "not found" older than 7 days
    counts as absent (SPEC §7)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    query = sa.select(
        enrichment_cache.c.provider,
        enrichment_cache.c.request_key,
        enrichment_cache.c.found,
        enrichment_cache.c.response,
        enrichment_cache.c.fetched_at,
    ).where(sa.tuple_(enrichment_cache.c.provider, enrichment_cache.c.request_key).in_(wanted))
    return {
        (row.provider, row.request_key): CachedAnswer(found=row.found, response=row.response)
        for row in conn.execute(query)
        if row.found or now - row.fetched_at <= NOT_FOUND_TTL
    }


_NEW_ANSWER = insert(enrichment_cache)
_UPSERT_ANSWER = _NEW_ANSWER.on_conflict_do_update(
    index_elements=["provider", "request_key"],
    set_={
        "found": _NEW_ANSWER.excluded.found,
        "response": _NEW_ANSWER.excluded.response,
        "fetched_at": _NEW_ANSWER.excluded.fetched_at,
    },
)


def put_answers(
    conn: sa.Connection, answers: dict[CacheKey, CachedAnswer], *, now: datetime
) -> None:
    """Store many answers in one round trip (a newer answer replaces an older one).

    One fixed statement executed for many rows: SQLAlchemy compiles it once and batches it,
    which costs a fraction of the CPU of a new N-row VALUES statement per batch.
    """
    if not answers:
        return
    conn.execute(
        _UPSERT_ANSWER,
        [
            {
                "provider": provider,
                "request_key": key,
                "found": answer.found,
                "response": answer.response,
                "fetched_at": now,
            }
            for (provider, key), answer in sorted(answers.items())
        ],
    )
