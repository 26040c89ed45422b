"""Imports of the same viewings running side by side through the real system: each posted once.

Each test starts a `jobsimport dev` of its own (fresh database, fresh stand-ins) and drops the
real exports into its folder; the daemon's run queue lets two imports of one type run at once.
"""

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jobsimport_dagster.clients.dagster_graphql import RunSummary
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster_tests.e2e.conftest import (
    EXTRATONE,
    FINISHED,
    RUN_TIMEOUT,
    System,
    running_system,
    wait_for,
)

AGOS = "letterboxd/agosvenezia_diary_2024-06-01.csv"
NETFLIX = "netflix/netflix_us_NetflixViewingHistory_tsachit.csv"
OTHER_FILMS = (
    "Title,Year,Watched Date,IMDb ID\r\n"
    "Alien,1979,2024-06-01,\r\n"
    "Rocky,1976,2024-06-02,\r\n"
    "Brazil,1985,2024-06-03,\r\n"
)
LOGS = """
query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
  __typename ... on MessageEvent { message } } } } }
"""
# The insert step's words for a row another import of the same run queue posted.
TAKEN_BY_A_TWIN = re.compile(r"was imported by import (movies|shows)-")


@pytest.fixture
def system(postgres_server_url: str, migrated_template: str, tmp_path: Path) -> Iterator[System]:
    with running_system(postgres_server_url, migrated_template, tmp_path) as running:
        yield running


def _text(sample_data: Path, name: str) -> str:
    return (sample_data / name).read_bytes().decode("utf-8")


def _new_partitions(system: System, before: set[str], count: int) -> list[str]:
    def added() -> list[str] | None:
        new = sorted(set(system.client().partition_keys()) - before)
        return new if len(new) >= count else None

    return wait_for(f"{count} files to be registered", added, RUN_TIMEOUT)


def _running(system: System, keys: list[str]) -> dict[str, RunSummary]:
    def started() -> dict[str, RunSummary] | None:
        runs = system.client().latest_runs(partition_keys=keys)
        both = len(runs) == len(keys) and all(r.status == "STARTED" for r in runs.values())
        return runs if both else None

    return wait_for("the runs to start side by side", started, RUN_TIMEOUT, every=0.2)


def _ended(system: System, keys: list[str]) -> dict[str, RunSummary]:
    return {key: system.finished_run(key) for key in keys}


def _movies_posted_once(system: System, keys: list[str]) -> list[dict[str, Any]]:
    """Every movie record was posted once, by exactly one success row of these imports."""
    rows = [row for key in keys for row in system.rows(key)]
    success = [r for r in rows if r["status"] == "success"]
    viewings = [
        (r["normalized_payload"]["body"]["imdbId"], r["normalized_payload"]["body"]["viewingDate"])
        for r in success
    ]
    assert len(set(viewings)) == len(viewings)
    catalogue = system.standins.catalogue.standin
    assert catalogue.stats()["duplicates"] == 0
    assert {record["id"] for record in catalogue.records("movies")} == {
        r["target_record_id"] for r in success
    }
    return rows


def _twin_lines(system: System, first: str, second: str, *, run_died: bool = False) -> None:
    """Line by line, the two imports of one file: a viewing is posted by one of them and
    skipped `already_imported` by the other; anything else ends the same in both.

    When a run died after a POST arrived and before it could record it, the other import
    found the record in a fresh catalogue read: `exists_in_api`, naming that very record.
    """
    one = {r["row_number"]: r for r in system.rows(first)}
    two = {r["row_number"]: r for r in system.rows(second)}
    assert one.keys() == two.keys()
    for line, row in one.items():
        twin = two[line]
        pair = sorted((row["status"], twin["status"]))
        if "success" in pair:
            assert pair == ["skipped", "success"], (line, pair)
            skipped, posted = (row, twin) if row["status"] == "skipped" else (twin, row)
            if run_died and skipped["error_code"] == "exists_in_api":
                assert skipped["target_record_id"] == posted["target_record_id"], line
            else:
                assert skipped["error_code"] == "already_imported", (line, skipped["error_message"])
        else:
            assert (row["status"], row["error_code"]) == (twin["status"], twin["error_code"])


def _distinct_viewings(rows: list[dict[str, Any]]) -> int:
    """The viewings of a file: its valid rows' distinct dedupe keys."""
    return len({r["dedupe_key"] for r in rows if r["status"] != "failed" and r["dedupe_key"]})


def _run_worker_pid(system: System, run_id: str) -> int | None:
    events = system.client().execute(LOGS, {"id": run_id})["logsForRun"]["events"]
    for event in events:
        found = re.search(r"Started process for run \(pid: (\d+)\)", event.get("message") or "")
        if found:
            return int(found.group(1))
    return None


def test_the_same_diary_dropped_twice_at_once_posts_each_viewing_once(
    system: System, sample_data: Path
) -> None:
    catalogue = system.standins.catalogue.standin
    catalogue.set_faults(Faults(latency_ms=30))  # POSTs slow enough for the runs to overlap
    diary = _text(sample_data, EXTRATONE)
    before = set(system.client().partition_keys())
    system.drop("diary.csv", diary)
    system.drop("diary-again.csv", diary)
    twins = _new_partitions(system, before, 2)
    _running(system, twins)
    # Two other exports, while the twins run: a template of other films and a Netflix history.
    system.drop("later.csv", OTHER_FILMS)
    system.drop("NetflixViewingHistory.csv", _text(sample_data, NETFLIX), folder="shows")
    others = sorted(set(_new_partitions(system, before, 4)) - set(twins))
    runs = _ended(system, twins + others)
    assert all(runs[key].status == "SUCCESS" for key in twins), runs
    (later,) = [key for key in others if key.startswith("movies")]
    (history,) = [key for key in others if key.startswith("shows")]
    _movies_posted_once(system, [*twins, later])
    _twin_lines(system, *twins)
    diary_rows = system.rows(twins[0])
    posted_by_twins = [r for key in twins for r in system.rows(key) if r["status"] == "success"]
    # Records created for the diary = its distinct viewings: none twice, none lost.
    assert len(posted_by_twins) == _distinct_viewings(diary_rows)
    # The twins ran side by side: the insert step found viewings the other was posting.
    assert any(
        TAKEN_BY_A_TWIN.search(r["error_message"] or "") for key in twins for r in system.rows(key)
    )
    assert all(system.job(key).status == "completed" for key in twins)
    shows_posted = [r for r in system.rows(history) if r["status"] == "success"]
    assert catalogue.stats()["stored"]["shows"] == len(shows_posted) > 0
    print(
        f"double drop of {EXTRATONE}: {len(posted_by_twins)} records created for "
        f"{_distinct_viewings(diary_rows)} distinct viewings ({len(diary_rows)} rows)"
    )


def test_a_twin_run_killed_mid_insert_loses_nothing_and_posts_nothing_twice(
    system: System, sample_data: Path
) -> None:
    catalogue = system.standins.catalogue.standin
    catalogue.set_faults(Faults(latency_ms=60))
    diary = _text(sample_data, AGOS)
    before = set(system.client().partition_keys())
    system.drop("diary.csv", diary)
    system.drop("diary-copy.csv", diary)
    victim, survivor = _new_partitions(system, before, 2)
    runs = _running(system, [victim, survivor])
    wait_for(
        "the runs to be posting",
        lambda: catalogue.stats()["stored"]["movies"] >= 40 or None,
        RUN_TIMEOUT,
        every=0.05,
    )
    pid = _run_worker_pid(system, runs[victim].run_id)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    # The survivor takes over what the dead run held, after a fresh look at the catalogue.
    assert system.finished_run(survivor).status == "SUCCESS"
    catalogue.set_faults(Faults())
    killed = system.finished_run(victim)
    if killed.status != "SUCCESS":  # no automatic retry yet: the user's way out
        retried = system.cli("retry-failed", victim, "--url", system.url)
        assert retried.exit_code == 0, retried.output

        def done() -> RunSummary | None:
            run = system.client().latest_runs(partition_keys=[victim])[victim]
            return run if run.status in FINISHED and run.status != killed.status else None

        assert wait_for("the retry to end", done, RUN_TIMEOUT).status == "SUCCESS"
    rows = _movies_posted_once(system, [victim, survivor])
    assert not [r for r in rows if r["status"] in ("pending", "processing")]
    _twin_lines(system, victim, survivor, run_died=True)


def test_a_dry_run_beside_a_real_import_claims_and_posts_nothing(
    system: System, sample_data: Path
) -> None:
    catalogue = system.standins.catalogue.standin
    catalogue.set_faults(Faults(latency_ms=30))
    history = _text(sample_data, NETFLIX)
    before = set(system.client().partition_keys())
    system.drop("NetflixViewingHistory.csv", history, folder="shows/dry-run")
    system.drop("NetflixViewingHistory.csv", history, folder="shows")
    keys = _new_partitions(system, before, 2)
    dry = next(k for k in keys if k.startswith("shows-dry-"))
    real = next(k for k in keys if k != dry)
    runs = _ended(system, keys)
    assert {run.status for run in runs.values()} == {"SUCCESS"}, runs
    dry_rows, real_rows = system.rows(dry), system.rows(real)
    assert not [r for r in dry_rows if r["status"] == "success"]
    assert any(r["error_code"] == "dry_run" for r in dry_rows)
    # The real import was held back by nothing: every season it found is posted, once.
    assert not [r for r in real_rows if r["error_code"] == "already_imported"]
    posted = [r for r in real_rows if r["status"] == "success"]
    assert posted and catalogue.stats()["stored"]["shows"] == len(posted)
    assert catalogue.stats()["duplicates"] == 0
    with system.engine.connect() as conn:
        holders = set(
            conn.execute(sa.text("select distinct job_id from jobsimport.viewing_claims")).scalars()
        )
    assert holders == {system.job(real).id}
