"""The OMDb day budget as runs spend it: leases from Postgres shared by threads and runs."""

import threading
import time
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from jobsimport_dagster.clients.imdb import ImdbCandidate
from jobsimport_dagster.clients.omdb import Kind
from jobsimport_dagster.db import cache
from jobsimport_dagster.db.cache import CachedAnswer
from jobsimport_dagster.errors import BudgetExhausted
from jobsimport_dagster.steps.enrich import enrich_seed
from jobsimport_dagster.steps.lookups import BudgetLease, CachedLookups, omdb_id_key
from jobsimport_dagster_tests.db.test_budget import calls_on

DAY = date(2026, 11, 24)


def spend_all(lease: BudgetLease, calls: int, *, threads: int = 8) -> tuple[int, int]:
    """Spend `calls` from `threads` threads: (calls allowed, calls refused)."""
    counts = {"allowed": 0, "refused": 0}
    lock = threading.Lock()
    per_thread = calls // threads

    def spend() -> None:
        for _ in range(per_thread):
            try:
                lease.spend(DAY)
                outcome = "allowed"
            except BudgetExhausted:
                outcome = "refused"
            with lock:
                counts[outcome] += 1

    workers = [threading.Thread(target=spend) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counts["allowed"], counts["refused"]


def calls_counted(engine: sa.Engine, day: date = DAY) -> int:
    with engine.connect() as conn:
        return calls_on(conn, day=day)


def test_threads_never_spend_more_than_the_budget(engine: sa.Engine) -> None:
    lease = BudgetLease(engine, daily_budget=100, size=16)
    assert spend_all(lease, 160) == (100, 60)
    assert calls_counted(engine) == 100
    lease.close()
    assert calls_counted(engine) == 100  # every leased call was made: nothing to give back


def test_two_runs_share_the_day_and_unused_calls_go_back(engine: sa.Engine) -> None:
    first = BudgetLease(engine, daily_budget=100, size=32)
    second = BudgetLease(engine, daily_budget=100, size=32)
    assert spend_all(first, 40) == (40, 0)
    assert spend_all(second, 24) == (24, 0)
    first.close()
    second.close()
    assert calls_counted(engine) == 64


def test_a_new_day_gives_back_the_old_days_rest(engine: sa.Engine) -> None:
    lease = BudgetLease(engine, daily_budget=100, size=32)
    lease.spend(DAY)
    next_day = date(2026, 11, 25)
    lease.spend(next_day)
    lease.close()
    assert (calls_counted(engine), calls_counted(engine, next_day)) == (1, 1)


def test_omdb_saying_the_limit_is_reached_spends_the_day(engine: sa.Engine) -> None:
    lease = BudgetLease(engine, daily_budget=100, size=16)
    lease.spend(DAY)
    lease.exhaust(DAY)
    with pytest.raises(BudgetExhausted, match="budget of 100 calls for 2026-11-24 is spent"):
        lease.spend(DAY)
    # Another run is refused too: the day is marked spent in Postgres.
    with pytest.raises(BudgetExhausted):
        BudgetLease(engine, daily_budget=100, size=16).spend(DAY)


def test_calls_reserved_ahead_are_spent_without_another_lease(engine: sa.Engine) -> None:
    lease = BudgetLease(engine, daily_budget=100, size=16)
    lease.reserve(DAY, 40)
    assert calls_counted(engine) == 40
    lease.reserve(DAY, 30)  # already in hand
    assert spend_all(lease, 40) == (40, 0)
    assert calls_counted(engine) == 40
    lease.reserve(DAY, 80)  # only 60 are left of the day
    assert spend_all(lease, 64) == (60, 4)
    lease.close()
    assert calls_counted(engine) == 100


class SlowOmdb:
    """An OMDb client that answers `t=` after a pause and counts the calls it got."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def by_title(self, *, title: str, year: int | None, kind: str) -> dict[str, str]:
        with self._lock:
            self.calls += 1
        time.sleep(0.2)
        return {"Title": title, "Year": str(year), "imdbID": "tt0000001", "Type": kind}


def test_rows_asking_the_same_lookup_at_once_cost_one_call(engine: sa.Engine) -> None:
    # A film and its rewatch a few lines later are in flight together: one OMDb call.
    omdb = SlowOmdb()
    lookups = CachedLookups(
        engine,
        omdb=omdb,
        imdb=None,
        daily_budget=100,
        now=lambda: datetime(2026, 11, 24, tzinfo=UTC),
        workers=1,
    )
    answers: list[object] = []
    start = threading.Barrier(6)

    def ask() -> None:
        start.wait()
        answers.append(lookups.omdb_by_title("Up", year=2009, kind=Kind.MOVIE))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    lookups.close()
    assert omdb.calls == 1
    assert lookups.omdb_calls == 1 and lookups.cache_hits == 5
    assert len(answers) == 6 and all(a == answers[0] for a in answers)
    assert calls_counted(engine) == 1


def test_prepare_leases_one_omdb_call_per_row_and_none_for_imdbs_second_opinion(
    engine: sa.Engine,
) -> None:
    # A row looked up by title (OMDb t= plus IMDb's search, which has no day budget), and a
    # film whose IMDb ID the user chose before (OMDb i=, already cached) with its rewatch.
    now = datetime(2026, 11, 24, tzinfo=UTC)
    with engine.begin() as conn:
        cached = CachedAnswer(found=True, response={"imdbID": "tt4772188"})
        cache.put_answers(conn, {omdb_id_key("tt4772188"): cached}, now=now)
    lookups = CachedLookups(
        engine, omdb=None, imdb=None, daily_budget=100, now=lambda: now, workers=1
    )
    max_2015 = {"title": "Max", "year": 2015, "imdb_id": None}
    flow = {"title": "Flow", "year": 2024, "imdb_id": None}
    lookups.prepare([(max_2015, None), (flow, "tt4772188"), (flow, "tt4772188")], Kind.MOVIE)
    # only Max's t= is leased: Flow's chosen ID is answered from the cache
    assert calls_counted(engine) == 1
    assert lookups.omdb_by_id("tt4772188") == {"imdbID": "tt4772188"}
    assert (lookups.omdb_calls, lookups.cache_hits) == (0, 1)
    lookups.close()  # the call not made goes back to the day
    assert calls_counted(engine) == 0


class MeetingUpstreams:
    """OMDb and IMDb fakes that each answer only once the other has been asked: the lookups
    meet only if they are in flight at the same time (else `BrokenBarrierError`)."""

    def __init__(self) -> None:
        self._both_asked = threading.Barrier(2, timeout=5)

    def by_title(self, *, title: str, year: int | None, kind: str) -> dict[str, str]:
        self._both_asked.wait()
        return {"Title": title, "Year": str(year), "imdbID": "tt0000002", "Type": kind}

    def search(self, *, query: str) -> list[ImdbCandidate]:
        self._both_asked.wait()
        return [ImdbCandidate(id="tt0000002", title=query, year=2009, kind="movie")]


def test_a_rows_imdb_search_is_in_flight_beside_its_omdb_lookup(engine: sa.Engine) -> None:
    # The second opinion needs nothing from OMDb's answer: a row waits one round trip, not two.
    upstreams = MeetingUpstreams()
    now = datetime(2026, 11, 24, tzinfo=UTC)
    lookups = CachedLookups(
        engine, omdb=upstreams, imdb=upstreams, daily_budget=100, now=lambda: now, workers=1
    )
    seed = {"title": "Up", "year": 2009, "imdb_id": None}
    result = enrich_seed(seed, kind=Kind.MOVIE, lookups=lookups)
    lookups.close()
    assert result.match is not None and result.match.imdb_id == "tt0000002"
    assert result.verdict is not None and result.verdict["verdict"] == "verified"
    assert (lookups.omdb_calls, lookups.imdb_calls) == (1, 1)


class CountingImdb:
    def __init__(self) -> None:
        self.searches = 0

    def search(self, *, query: str) -> list[ImdbCandidate]:
        self.searches += 1
        return []


def test_no_second_opinion_is_sought_once_the_omdb_budget_is_spent(engine: sa.Engine) -> None:
    # The row fails `budget_exhausted` before OMDb is asked: an IMDb search beside it would be
    # a call for nothing, made by every row left in the file.
    imdb = CountingImdb()
    now = datetime(2026, 11, 24, tzinfo=UTC)
    lookups = CachedLookups(
        engine, omdb=SlowOmdb(), imdb=imdb, daily_budget=1, now=lambda: now, workers=1
    )
    first = enrich_seed({"title": "Up", "year": 2009, "imdb_id": None}, kind=Kind.MOVIE,
                        lookups=lookups)  # fmt: skip
    assert first.match is not None and imdb.searches == 1
    with pytest.raises(BudgetExhausted):
        enrich_seed({"title": "Heat", "year": 1995, "imdb_id": None}, kind=Kind.MOVIE,
                    lookups=lookups)  # fmt: skip
    with pytest.raises(BudgetExhausted):
        enrich_seed({"title": "Ran", "year": 1985, "imdb_id": None}, kind=Kind.MOVIE,
                    lookups=lookups)  # fmt: skip
    lookups.close()
    assert imdb.searches == 2  # Heat's went out before the budget was found spent; Ran's not
