"""Stand-in fault injection: 5xx, 429, hangs and ambiguous POSTs, drawn deterministically."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    HANG = "hang"
    ERROR = "error"
    RATE_LIMITED = "rate_limited"
    STORE_THEN_FAIL = "store_then_fail"
    STORE_THEN_HANG = "store_then_hang"


@dataclass(frozen=True)
class Faults:
    """How a stand-in misbehaves. Rates are fractions of requests; together they must not exceed 1.

    `hang_*` holds a request for `hang_seconds` and then answers 504 without handling it;
    `store_then_*` (POSTs that store, only) stores the record and then answers `error_status`
    or holds the answer for `hang_seconds`: the ambiguous POST a client cannot tell from a loss.
    """

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    rate_429: float = 0.0
    retry_after: int | None = 1
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    store_then_fail_rate: float = 0.0
    store_then_hang_rate: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        rates = self._rates(stores=True)
        if any(not 0.0 <= rate <= 1.0 for _, rate in rates):
            raise ValueError("fault rates must be between 0 and 1")
        if sum(rate for _, rate in rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must add up to at most 1")
        if self.latency_ms < 0 or self.hang_seconds < 0:
            raise ValueError("latency_ms and hang_seconds must not be negative")
        if not 400 <= self.error_status <= 599:
            raise ValueError("error_status must be an HTTP error status")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], base: Faults | None = None) -> Faults:
        """`base` (or the defaults) with the given fields changed; unknown names are refused."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        return replace(base or cls(), **dict(values))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def pick(self, signature: str, occurrence: int, *, stores: bool = False) -> Fault | None:
        """The fault for the `occurrence`-th arrival of a request, or None.

        Seeded by (seed, signature, occurrence) rather than arrival order, so concurrent
        clients see the same faults run after run, and a retry of a request gets a fresh draw.
        """
        roll = random.Random(f"{self.seed}|{signature}|{occurrence}").random()
        edge = 0.0
        for fault, rate in self._rates(stores=stores):
            edge += rate
            if roll < edge:
                return fault
        return None

    def _rates(self, *, stores: bool) -> list[tuple[Fault, float]]:
        rates = [
            (Fault.HANG, self.hang_rate),
            (Fault.ERROR, self.error_rate),
            (Fault.RATE_LIMITED, self.rate_429),
        ]
        if stores:
            rates += [
                (Fault.STORE_THEN_FAIL, self.store_then_fail_rate),
                (Fault.STORE_THEN_HANG, self.store_then_hang_rate),
            ]
        return rates
