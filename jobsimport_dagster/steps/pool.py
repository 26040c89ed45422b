"""Rows in flight: a bounded thread pool over rows, with batched writes and a clean stop."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from jobsimport_dagster.db.claims import ClaimedRow, RowUpdate
from jobsimport_dagster.errors import MissingCredential
from jobsimport_dagster.steps.progress import Progress


def _chunks(rows: Sequence[ClaimedRow], size: int) -> Iterator[list[ClaimedRow]]:
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


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
    """Run `work` on every row with at most `concurrency` in flight.

    Rows are claimed (`claim`) in chunks just before they start, so at most one chunk waits
    claimed-but-unstarted; results are written (`write`) in batches. A missing or refused
    credential stops new rows, lets in-flight ones finish, writes, then raises: rows not
    taken keep their state. An interruption (terminate) releases the unstarted claimed rows.
    """
    # Claims go in chunks of at least 16 rows: one UPDATE for many, few rows left waiting.
    pending_chunks = _chunks(rows, max(16, concurrency * 2))
    in_flight: dict[Future[RowUpdate], ClaimedRow] = {}
    waiting: list[ClaimedRow] = []
    results: list[RowUpdate] = []
    stop: MissingCredential | None = None
    last_flush = time.monotonic()

    # Writes run on their own thread, one batch at a time, so refilling never waits for them.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="row-writes")
    writes: list[Future[None]] = []

    def flush() -> None:
        nonlocal last_flush
        for written in [w for w in writes if w.done()]:
            writes.remove(written)
            written.result()
        if results:
            writes.append(writer.submit(write, list(results)))
            progress.advance(len(results))
            results.clear()
        last_flush = time.monotonic()

    def drain() -> None:
        try:
            for written in writes:
                written.result()
        finally:
            writer.shutdown(wait=True)

    executor = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="rows")
    try:
        while True:
            while stop is None and len(in_flight) < concurrency:
                if not waiting:
                    chunk = next(pending_chunks, None)
                    if chunk is None:
                        break
                    waiting = claim(chunk) if claim else chunk
                    continue
                row = waiting.pop(0)
                in_flight[executor.submit(work, row)] = row
            if not in_flight:
                break
            done, _ = wait(in_flight, timeout=flush_seconds, return_when=FIRST_COMPLETED)
            for future in done:
                in_flight.pop(future)
                error = future.exception()
                if isinstance(error, MissingCredential):
                    stop = stop or error
                elif error is not None:
                    raise error
                else:
                    results.append(future.result())
            if time.monotonic() - last_flush >= flush_seconds:
                flush()
        flush()
        drain()
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        results.extend(
            f.result()
            for f in in_flight
            if f.done() and not f.cancelled() and f.exception() is None
        )
        flush()
        drain()
        unstarted = waiting + [r for f, r in in_flight.items() if f.cancelled()]
        if release and unstarted:
            release(unstarted)
        raise
    executor.shutdown(wait=True)
    if stop is not None:
        if release and waiting:
            release(waiting)
        raise stop
