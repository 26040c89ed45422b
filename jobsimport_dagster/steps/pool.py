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
    """Hands out rows to workers, claiming them a chunk at a time just before they start."""

    def __init__(
        self,
        rows: Sequence[ClaimedRow],
        chunk_size: int,
        claim: Callable[[list[ClaimedRow]], list[ClaimedRow]] | None,
    ) -> None:
        self._chunks = _chunks(rows, chunk_size)
        self._claim = claim
        self._lock = threading.Lock()
        self.waiting: deque[ClaimedRow] = deque()
        self.stopped = threading.Event()

    def next_row(self) -> ClaimedRow | None:
        with self._lock:
            while not self.waiting and not self.stopped.is_set():
                chunk = next(self._chunks, None)
                if chunk is None:
                    return None
                self.waiting.extend(self._claim(chunk) if self._claim else chunk)
            return None if self.stopped.is_set() else self.waiting.popleft()

    def unstarted(self) -> list[ClaimedRow]:
        with self._lock:
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
    chunks of at least 16, just before they start); the calling thread writes results with
    `write` in batches. A missing or refused credential stops new rows, lets in-flight ones
    finish, writes, then raises: rows not taken keep their state. An interruption (terminate)
    does the same and releases the claimed rows that never started.
    """
    feed = _Feed(rows, max(16, concurrency * 4), claim)
    lock = threading.Lock()
    results: list[RowUpdate] = []
    errors: list[BaseException] = []

    def worker() -> None:
        while (row := feed.next_row()) is not None:
            try:
                update = work(row)
            except BaseException as error:  # handed to the calling thread, which raises it
                errors.append(error)
                feed.stopped.set()
                return
            with lock:
                results.append(update)

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
