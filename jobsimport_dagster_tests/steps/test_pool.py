"""Rows in flight: every row worked once, claims ahead of need, stops that lose nothing."""

import threading
import time
import uuid

import pytest

from jobsimport_dagster.db.claims import ClaimedRow, RowUpdate
from jobsimport_dagster.steps.pool import LATER, Later, Next, run_rows
from jobsimport_dagster.steps.progress import Progress


def make_rows(count: int) -> list[ClaimedRow]:
    return [
        ClaimedRow(
            id=uuid.uuid4(), line=n + 2, status="pending", normalized_payload={}, dedupe_key=None
        )
        for n in range(count)
    ]


class Recorder:
    """The callbacks of `run_rows`, recording what they were given, thread-safely."""

    def __init__(self, *, work_seconds: float = 0.0, claim_seconds: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.work_seconds = work_seconds
        self.claim_seconds = claim_seconds
        self.worked: list[ClaimedRow] = []
        self.written: list[RowUpdate] = []
        self.claims: list[list[ClaimedRow]] = []
        self.released: list[ClaimedRow] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.claim_overlapped_work = False

    def work(self, row: ClaimedRow) -> RowUpdate:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.worked.append(row)
        time.sleep(self.work_seconds)
        with self.lock:
            self.in_flight -= 1
        return RowUpdate(id=row.id, status="success")

    def claim(self, chunk: list[ClaimedRow]) -> list[ClaimedRow]:
        with self.lock:
            self.claims.append(chunk)
            started = len(self.worked)
        time.sleep(self.claim_seconds)
        with self.lock:
            # Other workers went on taking rows while this chunk was being claimed.
            self.claim_overlapped_work |= len(self.worked) > started
        return chunk

    def write(self, updates: list[RowUpdate]) -> None:
        with self.lock:
            self.written.extend(updates)

    def release(self, rows: list[ClaimedRow]) -> None:
        with self.lock:
            self.released.extend(rows)


def progress(total: int) -> Progress:
    return Progress(total=total, report=lambda _: None)


def test_every_row_is_claimed_worked_and_written_once() -> None:
    rows = make_rows(200)
    recorder = Recorder(work_seconds=0.002, claim_seconds=0.03)
    run_rows(
        rows,
        recorder.work,
        concurrency=8,
        write=recorder.write,
        progress=progress(len(rows)),
        take_chunk=recorder.claim,
        release=recorder.release,
        flush_seconds=0.05,
    )
    assert sorted(r.line for r in recorder.worked) == [r.line for r in rows]
    assert sorted(u.id for u in recorder.written) == sorted(r.id for r in rows)
    assert [r for chunk in recorder.claims for r in chunk] == rows  # in file order, each once
    assert all(len(chunk) == 64 for chunk in recorder.claims[:-1])
    assert recorder.most_in_flight == 8
    assert recorder.claim_overlapped_work  # a claim does not stop the other workers
    assert recorder.released == []


def test_rows_the_claim_did_not_get_are_not_worked() -> None:
    rows = make_rows(40)
    recorder = Recorder()
    run_rows(
        rows,
        recorder.work,
        concurrency=4,
        write=recorder.write,
        progress=progress(len(rows)),
        take_chunk=lambda chunk: [r for r in chunk if r.line % 2 == 0],  # another run has the rest
    )
    assert sorted(r.line for r in recorder.worked) == [r.line for r in rows if r.line % 2 == 0]


def test_a_failing_row_stops_new_rows_and_releases_the_claimed_ones() -> None:
    rows = make_rows(300)
    recorder = Recorder(work_seconds=0.002)

    def work(row: ClaimedRow) -> RowUpdate:
        if row.line == 30:
            raise RuntimeError("the token was refused")
        return recorder.work(row)

    with pytest.raises(RuntimeError, match="refused"):
        run_rows(
            rows,
            work,
            concurrency=4,
            write=recorder.write,
            progress=progress(len(rows)),
            take_chunk=recorder.claim,
            release=recorder.release,
        )
    claimed = [r for chunk in recorder.claims for r in chunk]
    worked = {r.id for r in recorder.worked}
    # Every claimed row was worked (and written), is the failing one, or was given back.
    assert {u.id for u in recorder.written} == worked
    assert worked | {r.id for r in recorder.released} | {rows[28].id} == {r.id for r in claimed}
    assert len(claimed) < len(rows)  # rows past the stop were never claimed


def test_a_failing_claim_is_raised() -> None:
    def claim(chunk: list[ClaimedRow]) -> list[ClaimedRow]:
        raise ConnectionError("the database went away")

    with pytest.raises(ConnectionError, match="went away"):
        run_rows(
            make_rows(10),
            lambda row: RowUpdate(id=row.id, status="success"),
            concurrency=2,
            write=lambda _: None,
            progress=progress(10),
            take_chunk=claim,
        )


def test_a_row_that_must_wait_is_handed_out_later_without_holding_a_worker() -> None:
    rows = make_rows(30)
    recorder = Recorder(work_seconds=0.01)
    released = threading.Event()  # the other import's row settles after a while
    attempts: dict[int, int] = {}

    def work(row: ClaimedRow) -> RowUpdate | Later:
        attempts[row.line] = attempts.get(row.line, 0) + 1
        if row.line in (2, 3) and not released.is_set():
            return LATER  # its viewing is another import's, still in flight
        return recorder.work(row)

    threading.Timer(0.5, released.set).start()
    started = time.monotonic()
    run_rows(
        rows,
        work,
        concurrency=2,
        write=recorder.write,
        progress=progress(len(rows)),
        take_chunk=recorder.claim,
        release=recorder.release,
        flush_seconds=0.05,
    )
    order = [r.line for r in recorder.worked]
    # The waiting rows did not hold the two workers: every other row was done before them.
    assert order[-2:] == [2, 3] or order[-2:] == [3, 2]
    assert sorted(order) == [r.line for r in rows]
    assert sorted(u.id for u in recorder.written) == sorted(r.id for r in rows)
    # They were tried a few times with a growing delay, not in a busy loop.
    assert 2 <= attempts[2] <= 5 and 2 <= attempts[3] <= 5
    assert time.monotonic() - started >= 0.5


def test_waiting_rows_are_released_when_the_run_stops() -> None:
    rows = make_rows(20)
    recorder = Recorder()

    def work(row: ClaimedRow) -> RowUpdate | Later:
        if row.line == 21:
            raise RuntimeError("the token was refused")
        return LATER if row.line < 6 else recorder.work(row)

    with pytest.raises(RuntimeError, match="refused"):
        run_rows(
            rows,
            work,
            concurrency=1,
            write=recorder.write,
            progress=progress(len(rows)),
            take_chunk=recorder.claim,
            release=recorder.release,
        )
    # Rows still waiting on another import when the run stopped go back, unlost.
    assert {2, 3, 4, 5} <= {r.line for r in recorder.released}
    assert not {r.id for r in recorder.released} & {u.id for u in recorder.written}


def test_a_row_with_nothing_to_write_is_left_alone() -> None:
    rows = make_rows(10)
    recorder = Recorder()

    def work(row: ClaimedRow) -> RowUpdate | None:
        # Rows on even lines were settled by another run of the import meanwhile.
        return None if row.line % 2 == 0 else recorder.work(row)

    run_rows(
        rows,
        work,
        concurrency=3,
        write=recorder.write,
        progress=progress(len(rows)),
        take_chunk=recorder.claim,
    )
    assert sorted(u.id for u in recorder.written) == sorted(r.id for r in rows if r.line % 2)


def test_rows_passed_on_are_admitted_in_batches_then_worked_again_first() -> None:
    rows = make_rows(60)
    recorder = Recorder(work_seconds=0.005)
    batches: list[list[int]] = []
    second_stage: set[uuid.UUID] = set()

    def admit(passed: list[ClaimedRow]) -> list[ClaimedRow]:
        time.sleep(0.01)  # a claim's round trip: rows pile up meanwhile
        batches.append([r.line for r in passed])
        second_stage.update(r.id for r in passed)
        return [r for r in passed if r.line != 7]  # line 7 was settled by another run

    def work(row: ClaimedRow) -> RowUpdate | Next[ClaimedRow]:
        if row.id not in second_stage:
            return Next(row)  # enriched: on to its claim and POST
        return recorder.work(row)

    run_rows(
        rows,
        work,
        concurrency=4,
        write=recorder.write,
        progress=progress(len(rows)),
        take_chunk=recorder.claim,
        admit=admit,
        flush_seconds=0.05,
    )
    assert sorted(line for batch in batches for line in batch) == [r.line for r in rows]
    assert len(batches) < len(rows)  # rows passed on meanwhile were admitted together
    written = {u.id for u in recorder.written}
    assert written == {r.id for r in rows if r.line != 7}
    assert len(recorder.written) == len(written)  # each once


def test_rows_passed_on_but_not_admitted_yet_are_released_when_the_run_stops() -> None:
    rows = make_rows(40)
    recorder = Recorder()
    admitted: list[ClaimedRow] = []

    def admit(passed: list[ClaimedRow]) -> list[ClaimedRow]:
        admitted.extend(passed)
        return passed

    def work(row: ClaimedRow) -> RowUpdate | Next[ClaimedRow]:
        if row.line == 30:
            raise RuntimeError("the token was refused")
        if row in admitted:
            time.sleep(0.01)
            return recorder.work(row)
        return Next(row)

    with pytest.raises(RuntimeError, match="refused"):
        run_rows(
            rows,
            work,
            concurrency=2,
            write=recorder.write,
            progress=progress(len(rows)),
            take_chunk=recorder.claim,
            admit=admit,
            release=recorder.release,
        )
    written = {u.id for u in recorder.written}
    released = {r.id for r in recorder.released}
    # Nothing is both written and released; every admitted row was either written or released.
    assert not written & released
    assert {r.id for r in admitted} <= written | released
