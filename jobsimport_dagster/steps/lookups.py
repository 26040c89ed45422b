"""The enrich chain's Lookups over the Postgres cache, the OMDb day budget and the clients."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.clients.imdb import ImdbClient
from jobsimport_dagster.clients.omdb import OmdbClient
from jobsimport_dagster.db import budget, cache
from jobsimport_dagster.errors import BudgetExhausted
from jobsimport_dagster.steps.enrich import Kind
from jobsimport_dagster.steps.normalize import normalize_title


class CachedLookups:
    """Every answer is cached (a retry or re-import costs no call); every OMDb call is first
    taken from the day's budget in Postgres, shared by all runs. Thread-safe."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        omdb: OmdbClient,
        imdb: ImdbClient,
        daily_budget: int,
        now: Callable[[], datetime],
    ) -> None:
        self._engine = engine
        self._omdb = omdb
        self._imdb = imdb
        self._daily_budget = daily_budget
        self._now = now
        self._lock = threading.Lock()
        self.omdb_calls = 0
        self.imdb_calls = 0
        self.cache_hits = 0

    def omdb_by_id(self, imdb_id: str) -> Mapping[str, Any] | None:
        return self._omdb_answer(f"i={imdb_id.lower()}", lambda: self._omdb.by_id(imdb_id=imdb_id))

    def omdb_by_title(
        self, title: str, *, year: int | None, kind: Kind
    ) -> Mapping[str, Any] | None:
        key = f"t={normalize_title(title)}&y={year or ''}&type={kind}"
        return self._omdb_answer(
            key, lambda: self._omdb.by_title(title=title, year=year, kind=str(kind))
        )

    def omdb_search(self, query: str, *, year: int | None, kind: Kind) -> Mapping[str, Any] | None:
        def fetch() -> dict[str, Any] | None:
            results = self._omdb.search(query=query, year=year, kind=str(kind))
            return {"Search": results, "Response": "True"} if results else None

        return self._omdb_answer(f"s={normalize_title(query)}&y={year or ''}&type={kind}", fetch)

    def imdb_search(self, query: str) -> Mapping[str, Any] | None:
        def fetch() -> dict[str, Any] | None:
            candidates = self._imdb.search(query=query)
            self._count("imdb_calls")
            if not candidates:
                return None
            return {"results": [{**asdict(c), "type": c.kind} for c in candidates]}

        return self._cached("imdb", f"search={normalize_title(query)}", fetch)

    def _omdb_answer(
        self, key: str, fetch: Callable[[], dict[str, Any] | None]
    ) -> Mapping[str, Any] | None:
        def spend_then_fetch() -> dict[str, Any] | None:
            day = self._now().date()
            with self._engine.begin() as conn:
                if not budget.try_spend(conn, day=day, budget=self._daily_budget):
                    raise BudgetExhausted(
                        f"the OMDb budget of {self._daily_budget} calls for {day} is spent"
                    )
            self._count("omdb_calls")
            try:
                return fetch()
            except BudgetExhausted:
                with self._engine.begin() as conn:
                    budget.mark_exhausted(conn, day=day)
                raise

        return self._cached("omdb", key, spend_then_fetch)

    def _cached(
        self, provider: str, key: str, fetch: Callable[[], dict[str, Any] | None]
    ) -> Mapping[str, Any] | None:
        with self._engine.begin() as conn:
            hit = cache.get_answer(conn, provider=provider, request_key=key, now=self._now())
        if hit is not None:
            self._count("cache_hits")
            return hit.response if hit.found else None
        answer = fetch()
        with self._engine.begin() as conn:
            cache.put_answer(
                conn,
                provider=provider,
                request_key=key,
                found=answer is not None,
                response=answer,
                now=self._now(),
            )
        return answer

    def _count(self, counter: str) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)
