"""Progress of a long step: done/total, rows/s and ETA, reported at most every few seconds."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Progress:
    """Calls `report` with a one-line summary when `interval` seconds passed since the last."""

    total: int
    report: Callable[[str], None]
    interval: float = 10.0
    clock: Callable[[], float] = time.monotonic
    done: int = 0
    _started: float = field(default=0.0, init=False)
    _last: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._started = self._last = self.clock()

    def advance(self, rows: int = 1) -> None:
        self.done += rows
        now = self.clock()
        if now - self._last >= self.interval or self.done == self.total:
            self._last = now
            self.report(self.line(now))

    def line(self, now: float) -> str:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        remaining = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta = f"{remaining:.0f}s" if remaining != float("inf") else "unknown"
        return f"{self.done}/{self.total} rows, {rate:.1f} rows/s, ETA {eta}"
