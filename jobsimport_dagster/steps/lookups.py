"""The enrich chain's Lookups over the Postgres cache, the OMDb day budget and the clients.

Built for rows in flight: cache answers for the rows' first lookups are read in one query,
new answers are written in batches, and OMDb calls are leased from the day's budget a few at
a time, so a row costs upstream calls and almost no database round trips of its own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from jobsimport_dagster.clients.imdb import ImdbClient, imdb_search_answer
from jobsimport_dagster.clients.omdb import Kind, OmdbClient
from jobsimport_dagster.db import budget, cache
from jobsimport_dagster.db.cache import CachedAnswer, CacheKey
from jobsimport_dagster.errors import BudgetExhausted
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


def first_keys(seed: Mapping[str, Any], kind: Kind, chosen: str | None = None) -> list[CacheKey]:
    """The cache keys of a row's first lookups in the chain: its IMDb ID (or the one the user
    chose before), else OMDb by title and year and the IMDb search, its second opinion."""
    imdb_id = seed.get("imdb_id") or chosen
    if imdb_id:
        return [omdb_id_key(str(imdb_id))]
    title = str(seed["show"] if kind is Kind.SERIES else seed["title"])
    return [omdb_title_key(title, seed.get("year"), kind), imdb_search_key(title)]


class BudgetLease:
    """OMDb calls from the day budget in Postgres, leased ahead of need. Thread-safe.

    `reserve` leases the calls a chunk of rows will need before it starts (the feeder thread
    does this); a thread that still finds none in hand leases `size` more, outside the lock,
    while the others wait. Once a day's budget is spent, every later call that day raises.
    """

    def __init__(self, engine: sa.Engine, *, daily_budget: int, size: int) -> None:
        self._engine = engine
        self._daily_budget = daily_budget
        self._size = max(1, size)
        self._ready = threading.Condition()
        self._day: date | None = None
        self._left = 0
        self._leasing = False
        self._spent_day: date | None = None

    def spend(self, day: date) -> None:
        """Count one call on `day`; raise `BudgetExhausted` when the day's budget is spent."""
        with self._ready:
            while not (self._day == day and self._left > 0):
                if self._spent_day == day:
                    raise BudgetExhausted(
                        f"the OMDb budget of {self._daily_budget} calls for {day} is spent"
                    )
                if self._leasing:
                    self._ready.wait()
                else:
                    self._lease(day, self._size)
            self._left -= 1

    def spent(self, day: date) -> bool:
        """True once this run has found the day's budget spent."""
        with self._ready:
            return self._spent_day == day

    def reserve(self, day: date, calls: int) -> None:
        """Lease ahead so that `calls` calls on `day` are in hand (no wait if a lease is under
        way or the day is spent: `spend` then waits or raises)."""
        with self._ready:
            in_hand = self._left if self._day == day else 0
            if in_hand < calls and not self._leasing and self._spent_day != day:
                self._lease(day, calls - in_hand)

    def exhaust(self, day: date) -> None:
        """OMDb said its limit is reached: the day is spent, here and for every run."""
        with self._ready:
            self._spent_day = day
            if self._day == day:
                self._left = 0
        with self._engine.begin() as conn:
            budget.mark_exhausted(conn, day=day)

    def close(self) -> None:
        """Give back the leased calls that were not made."""
        with self._ready:
            day, unused = self._day, self._left
            self._left = 0
        if day is not None and unused:
            with self._engine.begin() as conn:
                budget.give_back(conn, day=day, calls=unused)

    def _lease(self, day: date, wanted: int) -> None:
        """Lease `wanted` calls on `day` (giving back another day's rest); called with the lock
        held, which is let go during the round trip."""
        self._leasing = True
        stale_day, stale = self._day, self._left
        if stale_day == day:
            stale = 0
        else:
            self._day, self._left = day, 0
        granted = 0
        self._ready.release()
        try:
            with self._engine.begin() as conn:
                if stale_day is not None and stale:
                    budget.give_back(conn, day=stale_day, calls=stale)
                granted = budget.take(conn, day=day, budget=self._daily_budget, wanted=wanted)
        finally:
            self._ready.acquire()
            self._leasing = False
            self._ready.notify_all()
        if self._day == day:
            self._left += granted
        if not granted:
            self._spent_day = day


class CachedLookups:
    """Thread-safe. Call `prepare` for rows about to start, `flush` now and then, `close` at
    the end. `workers` threads run IMDb's searches beside the rows' OMDb calls (one per row
    in flight is enough)."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        omdb: OmdbClient,
        imdb: ImdbClient,
        daily_budget: int,
        now: Callable[[], datetime],
        workers: int,
        lease_size: int = 32,
    ) -> None:
        self._engine = engine
        self._ahead = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="imdb")
        self._omdb = omdb
        self._imdb = imdb
        self._now = now
        self._budget = BudgetLease(engine, daily_budget=daily_budget, size=lease_size)
        self._lock = threading.Lock()
        self._known: dict[CacheKey, CachedAnswer] = {}
        self._read: set[CacheKey] = set()
        self._unsaved: dict[CacheKey, CachedAnswer] = {}
        # Lookups being fetched now: a row asking the same (a rewatch in the same chunk)
        # waits for that answer instead of paying for a second call.
        self._fetching: dict[CacheKey, threading.Event] = {}
        self.omdb_calls = 0
        self.imdb_calls = 0
        self.cache_hits = 0

    def prepare(self, rows: Iterable[tuple[Mapping[str, Any], str | None]], kind: Kind) -> None:
        """Before these rows (seed, IMDb ID chosen before) start: read the stored answers to
        their first lookups in one query, and lease an OMDb call for each that has none."""
        keys = {key for seed, chosen in rows for key in first_keys(seed, kind, chosen)}
        with self._engine.connect() as conn:
            answers = cache.get_answers(conn, keys, now=self._now())
        with self._lock:
            self._known.update(answers)
            self._read |= keys
        missing = [key for key in keys - answers.keys() if key[0] == OMDB]
        self._budget.reserve(self._now().date(), len(missing))

    def flush(self) -> None:
        """Write the answers fetched since the last flush."""
        with self._lock:
            unsaved, self._unsaved = self._unsaved, {}
        if unsaved:
            with self._engine.begin() as conn:
                cache.put_answers(conn, unsaved, now=self._now())

    def close(self) -> None:
        """Let the searches under way end, flush, and give back the leased calls this run
        did not make."""
        self._ahead.shutdown(wait=True, cancel_futures=True)
        self.flush()
        self._budget.close()

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

    def start_imdb_search(self, query: str) -> Callable[[], Mapping[str, Any] | None]:
        """The search runs on one of the run's `workers` threads for second opinions, unless
        this run already has its answer, or OMDb's day budget is spent: then the row's OMDb
        lookup will most likely fail, and the search is made only if the chain asks for it."""
        key = imdb_search_key(query)
        with self._lock:
            known = key in self._known
        if known:
            answer = self._imdb_search(query)
            return lambda: answer
        if self._budget.spent(self._now().date()):
            return functools.partial(self._imdb_search, query)
        return self._ahead.submit(self._imdb_search, query).result

    def _imdb_search(self, query: str) -> Mapping[str, Any] | None:
        def fetch() -> dict[str, Any] | None:
            candidates = self._imdb.search(query=query)
            self._count("imdb_calls")
            return imdb_search_answer(candidates) if candidates else None

        return self._cached(imdb_search_key(query), fetch)

    def _omdb_answer(
        self, key: CacheKey, fetch: Callable[[], dict[str, Any] | None]
    ) -> Mapping[str, Any] | None:
        def spend_then_fetch() -> dict[str, Any] | None:
            day = self._now().date()
            self._budget.spend(day)
            self._count("omdb_calls")
            try:
                return fetch()
            except BudgetExhausted:
                self._budget.exhaust(day)
                raise

        return self._cached(key, spend_then_fetch)

    def _cached(
        self, key: CacheKey, fetch: Callable[[], dict[str, Any] | None]
    ) -> Mapping[str, Any] | None:
        """This run's answer, else the store's, else `fetch`'s: one fetch per key however many
        rows ask at once (a rewatch in the same chunk waits for the first row's answer)."""
        while True:
            with self._lock:
                hit = self._known.get(key)
                if hit is not None:
                    break
                fetching = self._fetching.get(key)
                if fetching is None:  # this thread is in charge of the key
                    self._fetching[key] = threading.Event()
                    read = key in self._read
                    break
            fetching.wait()  # then look again: an error there leaves the key to this thread
        if hit is None:
            try:
                if not read:
                    with self._engine.connect() as conn:
                        hit = cache.get_answers(conn, [key], now=self._now()).get(key)
                    with self._lock:
                        self._read.add(key)
                if hit is None:
                    answer = fetch()
                    fetched = CachedAnswer(found=answer is not None, response=answer)
                    with self._lock:
                        self._known[key] = self._unsaved[key] = fetched
                    return answer
                with self._lock:
                    self._known[key] = hit
            finally:
                with self._lock:
                    self._fetching.pop(key).set()
        self._count("cache_hits")
        return hit.response if hit.found else None

    def _count(self, counter: str) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)
