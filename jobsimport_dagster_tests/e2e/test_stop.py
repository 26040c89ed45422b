"""Stopping `jobsimport dev` mid-run (SIGTERM or Ctrl-C to its process group) leaves nothing.

Each test starts its own `jobsimport dev` (its own project root and database), since it stops
it: the package's shared system must stay up for the other tests.
"""

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from jobsimport_dagster.standins.server import StandinGroup, start_all
from jobsimport_dagster_tests.e2e.conftest import (
    EXTRATONE,
    START_TIMEOUT,
    System,
    running_system,
    wait_for,
)

STOP_SECONDS = 30.0
IMPORTS = 4


def processes_of(root: Path, group: int) -> list[psutil.Process]:
    """Every process of that system: in its process group, or naming its project root in its
    command line or environment (a run whose parent died is in neither tree nor group)."""
    found = []
    for process in psutil.process_iter():
        try:
            # a zombie has exited and waits for its parent (this test) to read its status
            if process.pid == os.getpid() or process.status() == psutil.STATUS_ZOMBIE:
                continue
            if (
                os.getpgid(process.pid) == group
                or str(root) in " ".join(process.cmdline())
                or process.environ().get("JOBSIMPORT_PROJECT_ROOT") == str(root)
            ):
                found.append(process)
        except (psutil.Error, ProcessLookupError):
            continue
    return found


@pytest.fixture
def slow_standins() -> Iterator[StandinGroup]:
    """Stand-ins that answer after a delay, so a run of the real diary lasts a minute or more."""
    with start_all() as group:
        for running in (group.omdb, group.imdb, group.catalogue):
            running.standin.set_faults(latency_ms=400)
        yield group


@pytest.fixture
def own_system(
    postgres_server_url: str,
    migrated_template: str,
    tmp_path: Path,
    slow_standins: StandinGroup,
) -> Iterator[System]:
    with running_system(
        postgres_server_url, migrated_template, tmp_path, slow_standins, JOBSIMPORT_CONCURRENCY="2"
    ) as system:
        try:
            yield system
        finally:
            # Whatever the test found, leave nothing running.
            for left in processes_of(system.root, system.process.pid):
                left.kill()


def runs_in_flight(system: System) -> list[str] | None:
    """The ids of the runs that are STARTED and whose worker is alive, once there are two."""
    runs = [r for r in system.client().latest_runs().values() if r.status == "STARTED"]
    return [r.run_id for r in runs] if len(runs) >= 2 else None


@pytest.mark.parametrize(
    ("to_group", "signum"),
    [
        # what a service manager's stop sends (and what Dagster's processes take as Ctrl-C)
        (True, signal.SIGTERM),
        # Ctrl-C in the terminal: the whole foreground process group gets SIGINT
        (True, signal.SIGINT),
        # `kill PID`: only `jobsimport dev` itself is told; it must stop the rest
        (False, signal.SIGTERM),
    ],
    ids=["SIGTERM-group", "SIGINT-group", "SIGTERM-process"],
)
def test_stopping_dev_mid_run_leaves_no_process(
    own_system: System, sample_data: Path, to_group: bool, signum: signal.Signals
) -> None:
    system = own_system
    diary = (sample_data / EXTRATONE).read_text(encoding="utf-8")
    for number in range(IMPORTS):
        system.drop(f"diary-{number}.csv", diary)
    wait_for("two runs in flight", lambda: runs_in_flight(system), START_TIMEOUT, every=1.0)
    group = system.process.pid
    before = processes_of(system.root, group)
    # the system, its daemon, its code server and the runs' workers
    assert len(before) >= 5, [p.cmdline() for p in before]

    if to_group:
        os.killpg(group, signum)
    else:
        system.process.send_signal(signum)
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and processes_of(system.root, group):
        time.sleep(1)
    left = [p.cmdline() for p in processes_of(system.root, group)]
    assert left == [], f"{left}\n{system.log_tail()}"
    assert system.process.wait(timeout=1) == 0, system.log_tail()
