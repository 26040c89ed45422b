"""Rows in flight: a feeder takes rows ahead, workers pull them, results are written in batches."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from jobsimport_dagster.db.claims import RowUpdate
from jobsimport_dagster.errors import MissingCredential
from jobsimport_dagster.steps.progress import Progress

Ref = TypeVar("Ref")  # a row as listed, before its chunk is taken
Row = TypeVar("Row")  # a row as a worker gets it


class Later(Enum):
    """A worker's answer for a row it cannot do yet (it waits on another import)."""

    LATER = "later"


LATER = Later.LATER


def _chunks(rows: Sequence[Ref], size: int) -> Iterator[list[Ref]]:
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


@dataclass(frozen=True)
class Next(Generic[Row]):
    """A worker's answer for a row that goes on to its next stage: `row` is admitted (with
    others, by the feeder) and then handed to a worker again."""

    row: Row


class _Feed(Generic[Ref, Row]):
    """Hands rows to workers. A feeder thread takes them a chunk at a time ahead of need, and
    admits the rows workers pass on to their next stage a batch at a time.

    Taking a chunk (a claim, a read of payloads and cached answers) or admitting a batch (a
    claim) is a round trip: the feeder makes it while the workers are busy, keeping at least
    `low_water` rows waiting. Admitted rows go before new ones. A row whose work says "not
    yet" is put aside and handed out again after a delay that grows each time (`first_delay`
    doubling up to `max_delay`), so it never holds a worker while it waits.
    """

    def __init__(
        self,
        refs: Sequence[Ref],
        *,
        chunk_size: int,
        low_water: int,
        take_chunk: Callable[[list[Ref]], list[Row]],
        admit: Callable[[list[Row]], list[Row]],
        admit_batch: int,
        admit_wait: float = 0.02,
        first_delay: float = 0.2,
        max_delay: float = 2.0,
    ) -> None:
        self._chunks = _chunks(refs, chunk_size)
        self._first_delay = first_delay
        self._max_delay = max_delay
        # A heap of (due on the monotonic clock, order of deferral, row).
        self._deferred: list[tuple[float, int, Row]] = []
        self._order = itertools.count()
        self._delays: dict[int, float] = {}  # by id() of a deferred row: its next delay
        self._low_water = low_water
        self._take_chunk = take_chunk
        self._admit = admit
        self._changed = threading.Condition()
        self._chunks_taken = False
        self._stopped = False
        self._to_admit: list[Row] = []
        self._admit_batch = admit_batch
        self._admit_wait = admit_wait
        self._first_passed_at = 0.0  # when the oldest row in `_to_admit` was passed on
        self._admitting = 0  # rows in the batch being admitted now
        self._held = 0  # rows handed to workers, not answered yet
        self.waiting: deque[Row] = deque()
        self.admitted: deque[Row] = deque()
        self.error: BaseException | None = None

    def _done(self) -> bool:
        """Every row taken and none left anywhere (the caller holds the lock)."""
        return self._chunks_taken and not (
            self.waiting
            or self.admitted
            or self._deferred
            or self._to_admit
            or self._admitting
            or self._held
        )

    def _admit_in(self, now: float) -> float | None:
        """Seconds until the rows passed on should be admitted (0: now), None if there are
        none. A batch is admitted once it is `admit_batch` rows, its oldest row has waited
        `admit_wait`, or the workers have nothing else to do: bigger batches cost fewer round
        trips per row, and a row waiting for its batch does not hold a worker."""
        if not self._to_admit:
            return None
        if len(self._to_admit) >= self._admit_batch or not (self.waiting or self.admitted):
            return 0.0
        return max(0.0, self._first_passed_at + self._admit_wait - now)

    def _idle(self, now: float) -> bool:
        """Nothing for the feeder to do now (the caller holds the lock)."""
        wants_chunk = not self._chunks_taken and len(self.waiting) < self._low_water
        return not (self._stopped or self._admit_in(now) == 0.0 or wants_chunk or self._done())

    def feed(self) -> None:
        """The feeder thread: admit what workers passed on, take chunks as workers need them,
        until every row is done or the feed is stopped."""
        try:
            while True:
                with self._changed:
                    while self._idle(now := time.monotonic()):
                        self._changed.wait(self._admit_in(now))
                    if self._stopped or self._done():
                        return
                    batch: list[Row] = []
                    if self._admit_in(now) == 0.0:
                        batch, self._to_admit = self._to_admit, []
                    self._admitting = len(batch)
                if batch:
                    admitted = self._admit(batch)
                    with self._changed:
                        self.admitted.extend(admitted)
                        self._admitting = 0
                        self._changed.notify_all()
                    continue
                chunk = next(self._chunks, None)
                taken = [] if chunk is None else self._take_chunk(chunk)
                with self._changed:
                    self.waiting.extend(taken)
                    self._chunks_taken = chunk is None
                    self._changed.notify_all()
        except BaseException as error:  # handed to the calling thread, which raises it
            self.error = error
        finally:
            with self._changed:
                self._stopped = True
                self._changed.notify_all()

    def next_row(self) -> Row | None:
        """The next row to work (an admitted row first, then a deferred row once it is due),
        None once every row is done or the feed is stopped."""
        with self._changed:
            while not self._stopped:
                now = time.monotonic()
                row: Row | None = None
                if self.admitted:
                    row = self.admitted.popleft()
                elif self._deferred and self._deferred[0][0] <= now:
                    row = heapq.heappop(self._deferred)[2]
                elif self.waiting:
                    row = self.waiting.popleft()
                    if len(self.waiting) < self._low_water:
                        self._changed.notify_all()
                elif self._done():
                    return None
                if row is not None:
                    self._held += 1
                    return row
                self._changed.wait(self._deferred[0][0] - now if self._deferred else None)
            return None

    def answered(self, row: Row, answer: object) -> None:
        """A worker is done with `row` for now: LATER defers it, Next passes it on."""
        with self._changed:
            self._held -= 1
            if answer is LATER:
                delay = self._delays.get(id(row), self._first_delay)
                self._delays[id(row)] = min(delay * 2, self._max_delay)
                heapq.heappush(self._deferred, (time.monotonic() + delay, next(self._order), row))
            elif isinstance(answer, Next):
                if not self._to_admit:
                    self._first_passed_at = time.monotonic()
                self._to_admit.append(answer.row)
            self._changed.notify_all()

    def stop(self) -> None:
        """No new rows: workers finish the ones they hold, the feeder stops taking chunks."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def unstarted(self) -> list[Row]:
        """The rows taken or admitted that no worker holds (the feed is stopped)."""
        with self._changed:
            rows = [
                *self.waiting,
                *self.admitted,
                *self._to_admit,
                *(row for _, _, row in self._deferred),
            ]
            self.waiting, self.admitted, self._to_admit, self._deferred = deque(), deque(), [], []
            return rows


def run_rows(
    refs: Sequence[Ref],
    work: Callable[[Row], RowUpdate | Next[Row] | Later | None],
    *,
    take_chunk: Callable[[list[Ref]], list[Row]],
    concurrency: int,
    write: Callable[[list[RowUpdate]], None],
    progress: Progress,
    admit: Callable[[list[Row]], list[Row]] = list,
    release: Callable[[list[Row]], None] | None = None,
    flush_seconds: float = 0.5,
) -> None:
    """Run `work` on every row with `concurrency` rows in flight.

    A feeder thread passes the rows (`refs`) through `take_chunk` in chunks of at least 16,
    a little before they start (insert claims them, enrich reads their payloads and cached
    answers); only the rows it returns are worked. Each worker takes its next row as soon as
    it is free, and the calling thread writes results with `write` in batches. A row whose
    `work` returns LATER (it waits on another import) is handed out again later, without
    holding a worker meanwhile; None means there is nothing to write for it. A row answered
    `Next(row)` goes on to its next stage: the feeder passes the rows answered so since its
    last batch through `admit` (insert claims them) and hands the rows it returns to workers
    again, before new rows. A missing or
    refused credential stops new rows, lets in-flight ones finish, writes, then raises: rows
    not taken keep their state. An interruption (terminate) does the same and `release`s the
    rows taken that never started.
    """
    feed: _Feed[Ref, Row] = _Feed(
        refs,
        chunk_size=max(16, concurrency * 8),
        low_water=max(2, concurrency * 2),
        take_chunk=take_chunk,
        admit=admit,
        admit_batch=max(1, concurrency),
    )
    lock = threading.Lock()
    results: list[RowUpdate] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while (row := feed.next_row()) is not None:
                answer = work(row)
                if isinstance(answer, RowUpdate):
                    with lock:
                        results.append(answer)
                feed.answered(row, answer)
        except BaseException as error:  # handed to the calling thread, which raises it
            errors.append(error)
            feed.stop()

    def flush() -> None:
        with lock:
            batch = results[:]
            results.clear()
        if batch:
            write(batch)
            progress.advance(len(batch))

    threads = [threading.Thread(target=feed.feed, name="rows-feeder", daemon=True)] + [
        threading.Thread(target=worker, name=f"rows-{n}", daemon=True)
        for n in range(max(1, concurrency))
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(flush_seconds)
                flush()
    except BaseException:
        feed.stop()
        for thread in threads:
            thread.join()
        flush()
        if release:
            release(feed.unstarted())
        raise
    flush()
    if feed.error is not None:
        errors.append(feed.error)
    if errors:
        if release:
            release(feed.unstarted())
        credential = next((e for e in errors if isinstance(e, MissingCredential)), None)
        raise credential or errors[0]
