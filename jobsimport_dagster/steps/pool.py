"""Rows in flight: worker threads pull rows themselves; results are written in batches."""

from __future__ import annotations

import gc
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from jobsimport_dagster.db.claims import ClaimedRow, RowUpdate
from jobsimport_dagster.errors import MissingCredential
from jobsimport_dagster.steps.progress import Progress


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Leave the objects alive when a step starts out of the collections made during it.

    A run worker's heap is mostly long-lived (Dagster, the definitions, the modules): without
    this, each full collection rescans all of it and stalls every thread for 50-100 ms while
    rows are in flight. They are handed back to the collector when the step ends.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _chunks(rows: Sequence[ClaimedRow], size: int) -> Iterator[list[ClaimedRow]]:
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


class _Feed:
    """Hands out rows to workers, taking them a chunk at a time a little ahead of need.

    When fewer than `low_water` taken rows are left, the worker that notices takes the next
    chunk outside the lock while the others keep working, so the chunk's round trip (a claim,
    a cache read) stalls one worker rather than all of them.
    """

    def __init__(
        self,
        rows: Sequence[ClaimedRow],
        chunk_size: int,
        low_water: int,
        take_chunk: Callable[[list[ClaimedRow]], list[ClaimedRow]] | None,
    ) -> None:
        self._chunks = _chunks(rows, chunk_size)
        self._low_water = low_water
        self._take_chunk = take_chunk
        self._ready = threading.Condition()
        self._taking = False
        self._drained = False
        self.waiting: deque[ClaimedRow] = deque()
        self.stopped = threading.Event()

    def next_row(self) -> ClaimedRow | None:
        row: ClaimedRow | None = None
        with self._ready:
            while row is None:
                if self.stopped.is_set():
                    return None
                if self.waiting:
                    row = self.waiting.popleft()
                    chunk = self._next_chunk() if len(self.waiting) < self._low_water else None
                elif self._taking:
                    self._ready.wait()
                    continue
                else:
                    chunk = self._next_chunk()
                    if chunk is None:
                        return None
                if chunk is not None:
                    self._ready.release()
                    try:
                        self._fill(chunk)
                    finally:
                        self._ready.acquire()
        return row

    def _next_chunk(self) -> list[ClaimedRow] | None:
        """The next chunk to take (marking it under way), or None; called under the lock."""
        if self._taking or self._drained:
            return None
        chunk = next(self._chunks, None)
        if chunk is None:
            self._drained = True
            return None
        self._taking = True
        return chunk

    def _fill(self, chunk: list[ClaimedRow]) -> None:
        """Take `chunk` outside the lock; the rows taken join the waiting rows."""
        taken: list[ClaimedRow] = []
        try:
            taken = self._take_chunk(chunk) if self._take_chunk else chunk
        finally:
            with self._ready:
                self.waiting.extend(taken)
                self._taking = False
                self._ready.notify_all()

    def unstarted(self) -> list[ClaimedRow]:
        with self._ready:
            rows, self.waiting = list(self.waiting), deque()
            return rows


def run_rows(
    rows: Sequence[ClaimedRow],
    work: Callable[[ClaimedRow], RowUpdate],
    *,
    concurrency: int,
    write: Callable[[list[RowUpdate]], None],
    progress: Progress,
    take_chunk: Callable[[list[ClaimedRow]], list[ClaimedRow]] | None = None,
    release: Callable[[list[ClaimedRow]], None] | None = None,
    flush_seconds: float = 0.5,
) -> None:
    """Run `work` on every row with `concurrency` rows in flight.

    Each worker takes its next row as soon as it is free. Rows go through `take_chunk` in
    chunks of at least 16 a little before they start (insert claims them, enrich reads their
    cached answers), and only the rows it returns are worked. The calling thread writes
    results with `write` in batches. A missing or refused credential stops new rows, lets
    in-flight ones finish, writes, then raises: rows not taken keep their state. An
    interruption (terminate) does the same and `release`s the rows taken that never started.
    """
    feed = _Feed(rows, max(16, concurrency * 8), max(1, concurrency), take_chunk)
    lock = threading.Lock()
    results: list[RowUpdate] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while (row := feed.next_row()) is not None:
                update = work(row)
                with lock:
                    results.append(update)
        except BaseException as error:  # handed to the calling thread, which raises it
            errors.append(error)
            feed.stopped.set()

    def flush() -> None:
        with lock:
            batch = results[:]
            results.clear()
        if batch:
            write(batch)
            progress.advance(len(batch))

    threads = [
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
        feed.stopped.set()
        for thread in threads:
            thread.join()
        flush()
        if release:
            release(feed.unstarted())
        raise
    flush()
    if errors:
        if release:
            release(feed.unstarted())
        credential = next((e for e in errors if isinstance(e, MissingCredential)), None)
        raise credential or errors[0]
