"""Rows in flight: worker threads pull rows themselves; results are written in batches."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence

from jobsimport_dagster.db.claims import ClaimedRow, RowUpdate
from jobsimport_dagster.errors import MissingCredential
from jobsimport_dagster.steps.progress import Progress


def _chunks(rows: Sequence[ClaimedRow], size: int) -> Iterator[list[ClaimedRow]]:
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


class _Feed:
    """Hands out rows to workers, claiming them a chunk at a time a little ahead of need.

    When fewer than `low_water` claimed rows are left, the worker that notices claims the
    next chunk outside the lock while the others keep taking rows, so a claim's round trip
    stalls one worker rather than all of them.
    """

    def __init__(
        self,
        rows: Sequence[ClaimedRow],
        chunk_size: int,
        low_water: int,
        claim: Callable[[list[ClaimedRow]], list[ClaimedRow]] | None,
    ) -> None:
        self._chunks = _chunks(rows, chunk_size)
        self._low_water = low_water
        self._claim = claim
        self._ready = threading.Condition()
        self._claiming = False
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
                elif self._claiming:
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
        """The next chunk to claim (marking a claim under way), or None; under the lock."""
        if self._claiming or self._drained:
            return None
        chunk = next(self._chunks, None)
        if chunk is None:
            self._drained = True
            return None
        self._claiming = True
        return chunk

    def _fill(self, chunk: list[ClaimedRow]) -> None:
        """Claim `chunk` outside the lock; whatever was claimed joins the waiting rows."""
        claimed: list[ClaimedRow] = []
        try:
            claimed = self._claim(chunk) if self._claim else chunk
        finally:
            with self._ready:
                self.waiting.extend(claimed)
                self._claiming = False
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
    claim: Callable[[list[ClaimedRow]], list[ClaimedRow]] | None = None,
    release: Callable[[list[ClaimedRow]], None] | None = None,
    flush_seconds: float = 0.5,
) -> None:
    """Run `work` on every row with `concurrency` rows in flight.

    Each worker takes its next row as soon as it is free (rows are claimed with `claim` in
    chunks of at least 16, a little before they start); the calling thread writes results with
    `write` in batches. A missing or refused credential stops new rows, lets in-flight ones
    finish, writes, then raises: rows not taken keep their state. An interruption (terminate)
    does the same and releases the claimed rows that never started.
    """
    feed = _Feed(rows, max(16, concurrency * 4), max(1, concurrency), claim)
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
