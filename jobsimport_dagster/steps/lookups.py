"""The enrich chain's Lookups over the Postgres cache, the OMDb day budget and the clients.

Built for rows in flight: cache answers for the rows' first lookups are read in one query,
new answers are written in batches, and OMDb calls are leased from the day's budget a few at
a time, so a row costs upstream calls and almost no database round trips of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.clients.imdb import ImdbCandidate, ImdbClient
from jobsimport_dagster.clients.omdb import OmdbClient
from jobsimport_dagster.db import budget, cache
from jobsimport_dagster.db.cache import CachedAnswer, CacheKey
from jobsimport_dagster.errors import BudgetExhausted
from jobsimport_dagster.steps.enrich import Kind
from jobsimport_dagster.steps.normalize import normalize_title

OMDB = "omdb"
IMDB = "imdb"


def omdb_id_key(imdb_id: str) -> CacheKey:
    return (OMDB, f"i={imdb_id.lower()}")


def omdb_title_key(title: str, year: int | None, kind: Kind | str) -> CacheKey:
    return (OMDB, f"t={normalize_title(title)}&y={year or ''}&type={kind}")


def omdb_search_key(query: str, year: int | None, kind: Kind | str) -> CacheKey:
    return (OMDB, f"s={normalize_title(query)}&y={year or ''}&type={kind}")


def imdb_search_key(query: str) -> CacheKey:
    return (IMDB, f"search={normalize_title(query)}")


def imdb_search_answer(candidates: Iterable[ImdbCandidate]) -> dict[str, Any]:
    """How an IMDb search is cached, and what `parse_imdb_search` reads back."""
    return {
        "results": [
            {"id": c.id, "title": c.title, "year": c.year, "type": c.kind} for c in candidates
        ]
    }


def first_key(seed: Mapping[str, Any], kind: Kind) -> CacheKey:
    """The cache key of a row's first lookup in the chain (IMDb ID, else title and year)."""
    if seed.get("imdb_id"):
        return omdb_id_key(str(seed["imdb_id"]))
    title = str(seed["show"] if kind is Kind.SERIES else seed["title"])
    return omdb_title_key(title, seed.get("year"), kind)


class CachedLookups:
    """Thread-safe. Call `prefetch_seeds` first, `flush` now and then, `close` at the end."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        omdb: OmdbClient,
        imdb: ImdbClient,
        daily_budget: int,
        now: Callable[[], datetime],
        lease_size: int = 32,
    ) -> None:
        self._engine = engine
        self._omdb = omdb
        self._imdb = imdb
        self._daily_budget = daily_budget
        self._now = now
        self._lease_size = max(1, lease_size)
        self._lock = threading.Lock()
        self._budget_lock = threading.Lock()
        self._known: dict[CacheKey, CachedAnswer] = {}
        self._read: set[CacheKey] = set()
        self._unsaved: dict[CacheKey, CachedAnswer] = {}
        self._lease_day: date | None = None
        self._lease_left = 0
        self.omdb_calls = 0
        self.imdb_calls = 0
        self.cache_hits = 0

    def prefetch_seeds(self, seeds: Iterable[Mapping[str, Any]], kind: Kind) -> None:
        """Read the stored answers of these rows' first lookups in one query."""
        self.prefetch(first_key(seed, kind) for seed in seeds)

    def prefetch(self, keys: Iterable[CacheKey]) -> None:
        """Read the stored answers for these keys in one query."""
        keys = set(keys)
        with self._engine.connect() as conn:
            answers = cache.get_answers(conn, keys, now=self._now())
        with self._lock:
            self._known.update(answers)
            self._read |= keys

    def flush(self) -> None:
        """Write the answers fetched since the last flush."""
        with self._lock:
            unsaved, self._unsaved = self._unsaved, {}
        if unsaved:
            with self._engine.begin() as conn:
                cache.put_answers(conn, unsaved, now=self._now())

    def close(self) -> None:
        """Flush, and give back the leased calls this run did not make."""
        self.flush()
        with self._budget_lock:
            day, unused = self._lease_day, self._lease_left
            self._lease_day, self._lease_left = None, 0
        if day is not None and unused:
            with self._engine.begin() as conn:
                budget.give_back(conn, day=day, calls=unused)

    def omdb_by_id(self, imdb_id: str) -> Mapping[str, Any] | None:
        return self._omdb_answer(omdb_id_key(imdb_id), lambda: self._omdb.by_id(imdb_id=imdb_id))

    def omdb_by_title(
        self, title: str, *, year: int | None, kind: Kind
    ) -> Mapping[str, Any] | None:
        return self._omdb_answer(
            omdb_title_key(title, year, kind),
            lambda: self._omdb.by_title(title=title, year=year, kind=str(kind)),
        )

    def omdb_search(self, query: str, *, year: int | None, kind: Kind) -> Mapping[str, Any] | None:
        def fetch() -> dict[str, Any] | None:
            results = self._omdb.search(query=query, year=year, kind=str(kind))
            return {"Search": results, "Response": "True"} if results else None

        return self._omdb_answer(omdb_search_key(query, year, kind), fetch)

    def imdb_search(self, query: str) -> Mapping[str, Any] | None:
        def fetch() -> dict[str, Any] | None:
            candidates = self._imdb.search(query=query)
            self._count("imdb_calls")
            return imdb_search_answer(candidates) if candidates else None

        return self._cached(imdb_search_key(query), fetch)

    def _omdb_answer(
        self, key: CacheKey, fetch: Callable[[], dict[str, Any] | None]
    ) -> Mapping[str, Any] | None:
        def spend_then_fetch() -> dict[str, Any] | None:
            day = self._spend()
            self._count("omdb_calls")
            try:
                return fetch()
            except BudgetExhausted:
                with self._budget_lock:
                    self._lease_left = 0
                with self._engine.begin() as conn:
                    budget.mark_exhausted(conn, day=day)
                raise

        return self._cached(key, spend_then_fetch)

    def _spend(self) -> date:
        """One call from the lease, taking a new lease from Postgres when it runs out."""
        day = self._now().date()
        with self._budget_lock:
            if self._lease_day == day and self._lease_left > 0:
                self._lease_left -= 1
                return day
            stale_day, stale = self._lease_day, self._lease_left
            with self._engine.begin() as conn:
                if stale_day is not None:
                    budget.give_back(conn, day=stale_day, calls=stale)
                granted = budget.take(
                    conn, day=day, budget=self._daily_budget, wanted=self._lease_size
                )
            self._lease_day, self._lease_left = day, max(granted - 1, 0)
        if not granted:
            raise BudgetExhausted(
                f"the OMDb budget of {self._daily_budget} calls for {day} is spent"
            )
        return day

    def _cached(
        self, key: CacheKey, fetch: Callable[[], dict[str, Any] | None]
    ) -> Mapping[str, Any] | None:
        with self._lock:
            hit = self._known.get(key)
            read = key in self._read
        if hit is None and not read:
            with self._engine.connect() as conn:
                hit = cache.get_answers(conn, [key], now=self._now()).get(key)
        if hit is not None:
            self._count("cache_hits")
            return hit.response if hit.found else None
        answer = fetch()
        stored = CachedAnswer(found=answer is not None, response=answer)
        with self._lock:
            self._known[key] = stored
            self._read.add(key)
            self._unsaved[key] = stored
        return answer

    def _count(self, counter: str) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)
