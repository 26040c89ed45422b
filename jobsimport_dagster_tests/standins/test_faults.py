"""Fault draws are deterministic per request, follow their rates, and bad settings are refused."""

from collections import Counter

import pytest

from jobsimport_dagster.standins.faults import Fault, Faults


def _draws(faults: Faults, *, stores: bool = False, n: int = 4000) -> Counter[Fault | None]:
    return Counter(faults.pick(f"GET /|t=film {i}", 1, stores=stores) for i in range(n))


def test_pick_is_the_same_for_the_same_seed_signature_and_occurrence() -> None:
    faults = Faults(error_rate=0.3, hang_rate=0.1, seed=7)
    first = [faults.pick("GET /|t=up", k) for k in range(1, 200)]
    again = [
        Faults(error_rate=0.3, hang_rate=0.1, seed=7).pick("GET /|t=up", k) for k in range(1, 200)
    ]
    other_seed = [
        Faults(error_rate=0.3, hang_rate=0.1, seed=8).pick("GET /|t=up", k) for k in range(1, 200)
    ]
    assert first == again
    assert first != other_seed


def test_a_retry_of_the_same_request_gets_a_fresh_draw() -> None:
    faults = Faults(error_rate=0.5)
    assert len({faults.pick("GET /|t=up", k) for k in range(1, 50)}) == 2


def test_draws_follow_the_configured_rates() -> None:
    counts = _draws(Faults(error_rate=0.2, rate_429=0.05, hang_rate=0.05))
    assert 0.17 < counts[Fault.ERROR] / 4000 < 0.23
    assert 0.03 < counts[Fault.RATE_LIMITED] / 4000 < 0.07
    assert 0.03 < counts[Fault.HANG] / 4000 < 0.07


def test_store_faults_are_only_drawn_for_requests_that_store() -> None:
    faults = Faults(store_then_fail_rate=0.5, store_then_hang_rate=0.5)
    assert set(_draws(faults)) == {None}
    assert set(_draws(faults, stores=True)) == {Fault.STORE_THEN_FAIL, Fault.STORE_THEN_HANG}


@pytest.mark.parametrize(
    "settings",
    [
        {"error_rate": 1.5},  # a rate above 1
        {"error_rate": 0.6, "hang_rate": 0.6},  # rates adding up past 1
        {"rate_429": -0.1},  # a negative rate
        {"latency_ms": -1},  # negative latency
        {"error_status": 200},  # an "error" that is a success
        {"flakiness": 0.1},  # an unknown setting (typo over HTTP)
    ],
)
def test_bad_settings_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Faults.from_mapping(settings)


def test_from_mapping_changes_only_the_given_fields() -> None:
    base = Faults(latency_ms=25, seed=3)
    changed = Faults.from_mapping({"error_rate": 0.2}, base=base)
    assert changed.to_dict() == {**base.to_dict(), "error_rate": 0.2}
