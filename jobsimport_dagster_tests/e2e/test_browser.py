"""What a user sees of each outcome in Dagster's UI, read by a real browser and over GraphQL.

A real browser (headless Chromium) logs in with the token and reads an import's partition page,
then the partition list of `import_results` after a completed, a partial, a failed and a
rejected drop (SPEC §9); screenshots are kept in `test-artifacts/`. Chromium comes from the
system (Debian's `chromium`, the `chromium` fixture of `conftest.py`), never downloaded.
"""

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster_tests.conftest import PROJECT_ROOT
from jobsimport_dagster_tests.e2e.conftest import CHROMIUM_ARGS, DiaryImport, System, wait_for

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# One film each, on dates no other test imports: the run completes, or fails on the catalogue.
COMPLETED_FILE = "Title,Year,Watched Date,IMDb ID\r\nCasablanca,1942,2024-09-01,\r\n"
FAILED_FILE = "Title,Year,Watched Date,IMDb ID\r\nMetropolis,1927,2024-09-02,\r\n"
# A Letterboxd watchlist shares the diary's header but is not a watch history: rejected.
WATCHLIST = "Date,Name,Year,Letterboxd URI\r\n2024-09-03,Up,2009,https://boxd.it/2a1m\r\n"
PARTITION_STATUSES = """
{
  assetNodeOrError(assetKey: {path: ["import_results"]}) {
    ... on AssetNode {
      assetPartitionStatuses {
        ... on DefaultPartitionStatuses { materializedPartitions failedPartitions }
      }
      assetCheckOrError(checkName: "no_failed_rows") {
        ... on AssetCheck {
          partitionStatuses {
            ... on AssetCheckDefaultPartitionStatuses {
              succeededPartitions failedPartitions executionFailedPartitions
            }
          }
        }
      }
    }
  }
}
"""
OBSERVED = """
query Observed($key: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $key) {
    ... on Asset {
      assetObservations(partitions: $partitions, limit: 1) {
        metadataEntries {
          label
          ... on TextMetadataEntry { text }
          ... on IntMetadataEntry { intValue }
          ... on TableMetadataEntry { table { records } }
        }
      }
    }
  }
}
"""


def test_the_partition_page_shows_the_import_status_and_counters(
    system: System, diary_import: DiaryImport, chromium: Path
) -> None:
    from playwright.sync_api import Error, sync_playwright
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    key = diary_import.partition_key
    page_url = f"{system.url}/assets/import_results?view=partitions&partition={key}"
    job = system.job(key)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            # Without the token the browser is asked for it and, with nothing to answer, stops.
            anonymous = browser.new_context()
            with pytest.raises(Error, match="ERR_INVALID_AUTH_CREDENTIALS"):
                anonymous.new_page().goto(page_url)
            anonymous.close()
            # Answering the Basic prompt with the token opens the UI and leaves a session cookie.
            context = browser.new_context(
                http_credentials={"username": "me", "password": system.token},
                viewport={"width": 1400, "height": 1100},
            )
            page = context.new_page()
            page.goto(page_url)
            metadata = page.locator("table", has_text="total_rows").first
            metadata.wait_for(timeout=60_000)
            # Dagster's newsletter dialog on a first visit, unless dagster.yaml turns it off.
            with contextlib.suppress(PlaywrightTimeout):
                page.get_by_role("button", name="Skip").click(timeout=3_000)
            page.screenshot(path=str(ARTIFACTS / "partition-page.png"), full_page=True)
            rows = {
                cells[0]: cells[1]
                for row in metadata.locator("tr").all()
                if len(cells := [c.strip() for c in row.locator("td").all_inner_texts()]) >= 2
            }
            cookies = {c["name"]: c for c in context.cookies()}
        finally:
            browser.close()
    assert page.url.startswith(system.url)
    assert rows["status"] == job.status == "partial"
    assert rows["total_rows"] == str(job.total_rows)
    assert rows["success_rows"] == str(job.success_rows)
    assert rows["failed_rows"] == "2"
    assert rows["skipped_rows"] == str(job.skipped_rows)
    session = cookies["jobsimport_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert system.token not in session["value"]


@dataclass(frozen=True)
class Outcomes:
    """Partition keys of a completed, a partial and a failed import, and the rejected file."""

    completed: str
    partial: str
    failed: str
    rejected: Path


@pytest.fixture(scope="module")
def outcomes(system: System, diary_import: DiaryImport) -> Iterator[Outcomes]:
    """The four outcomes side by side; afterwards the failed import is retried (and completes),
    so later tests find no failed partition of this module's making."""
    client = system.client()
    before = set(client.partition_keys())
    system.drop("casablanca.csv", COMPLETED_FILE)
    completed = system.new_partition(before)
    assert system.finished_run(completed).status == "SUCCESS"
    catalogue = system.standins.catalogue.standin
    catalogue.set_faults(Faults(error_rate=1.0, error_status=401))  # the token is refused
    try:
        before = set(client.partition_keys())
        system.drop("metropolis.csv", FAILED_FILE)
        failed = system.new_partition(before)
        failed_run = system.finished_run(failed)
    finally:
        catalogue.set_faults(Faults())
    assert failed_run.status == "FAILURE"
    system.drop("watchlist.csv", WATCHLIST)
    rejected = wait_for(
        "the watchlist to be rejected",
        lambda: next(iter((system.uploads / "rejected").glob("*-watchlist.csv")), None),
        60,
    )
    yield Outcomes(completed, diary_import.partition_key, failed, rejected)
    (retry,) = client.retry_failed(partition_keys=[failed])
    assert retry.run is not None
    assert system.finished_run(failed, not_run=failed_run.run_id).status == "SUCCESS"
    assert system.job(failed).status == "completed"


def _observed(system: System, asset: str, partition: str | None = None) -> dict[str, object]:
    """The entries of the newest observation of `asset` (of that partition), by label."""
    data = system.client().execute(
        OBSERVED,
        {"key": {"path": [asset]}, "partitions": [partition] if partition else None},
    )
    (observation,) = data["assetOrError"]["assetObservations"]
    return {
        entry["label"]: entry.get("text", entry.get("intValue", entry.get("table")))
        for entry in observation["metadataEntries"]
    }


def test_graphql_partition_statuses_tell_the_four_outcomes_apart(
    system: System, outcomes: Outcomes
) -> None:
    node = system.client().execute(PARTITION_STATUSES, {})["assetNodeOrError"]
    asset = node["assetPartitionStatuses"]
    check = node["assetCheckOrError"]["partitionStatuses"]
    # completed: materialized, its check passed for that partition
    assert outcomes.completed in asset["materializedPartitions"]
    assert outcomes.completed in check["succeededPartitions"]
    # partial: materialized, its check failed for that partition
    assert outcomes.partial in asset["materializedPartitions"]
    assert outcomes.partial in check["failedPartitions"]
    # failed: a failed partition (never missing), its check never ran
    assert outcomes.failed in asset["failedPartitions"]
    assert outcomes.failed not in asset["materializedPartitions"]
    assert outcomes.failed not in check["succeededPartitions"] + check["failedPartitions"]
    # The failed partition still tells its status, counters and the reason.
    job = system.job(outcomes.failed)
    observed = _observed(system, "import_results", outcomes.failed)
    assert observed["status"] == job.status == "failed"
    assert (observed["total_rows"], observed["pending_rows"]) == (1, 1)
    assert "ASHISHDOTME_TOKEN" in str(observed["reason"])
    # The rejected file is listed by `rejected_files`, with its reason and where it went.
    listed = _observed(system, "rejected_files")
    records = [json.loads(r) for r in listed["rejected_files"]["records"]]  # type: ignore[index]
    (watchlist,) = [r for r in records if r["moved_to"] == str(outcomes.rejected)]
    assert watchlist["file"] == "watchlist.csv"
    reason = outcomes.rejected.with_name(outcomes.rejected.name + ".error.txt").read_text()
    assert watchlist["reason"] == reason.strip()


def _dot_colours(page, keys: list[str]) -> dict[str, str]:
    """The colour of each partition's status dot in a Dagster partition list (`green`…)."""
    colours = {}
    for key in keys:
        row = page.locator('[class*="VirtualizedTable_row"]').filter(
            has=page.locator(f'[title="{key}"]')
        )
        style = row.locator('div[style*="border-radius: 100%"]').first.get_attribute("style")
        match = re.search(r"--color-accent-([a-z]+)", style or "")
        colours[key] = match.group(1) if match else str(style)
    return colours


def _metadata(page) -> dict[str, str]:
    """A partition's metadata table as the UI shows it: label -> value (first two cells)."""
    table = page.locator("table", has_text="total_rows").first
    table.wait_for(timeout=60_000)
    return {
        cells[0]: cells[1]
        for row in table.locator("tr").all()
        if len(cells := [c.strip() for c in row.locator("td").all_inner_texts()]) >= 2
    }


def _filter_counts(page, labels: tuple[str, ...]) -> dict[str, int]:
    """The counts in the status filter above a partition list, e.g. `Failed (1)`."""
    text = page.inner_text("body")
    return {label: int(re.search(rf"{label} \((\d+)\)", text).group(1)) for label in labels}


def test_the_partition_list_tells_the_four_outcomes_apart(
    system: System, outcomes: Outcomes, chromium: Path
) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    keys = [outcomes.completed, outcomes.partial, outcomes.failed]
    partitions = f"{system.url}/assets/import_results?view=partitions"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                http_credentials={"username": "me", "password": system.token},
                viewport={"width": 1400, "height": 1100},
            )
            page = context.new_page()
            # The partition list: a colour per outcome, and no import left grey ("missing").
            page.goto(f"{partitions}&partition={outcomes.failed}")
            page.get_by_text("failed, and did not materialize this asset").wait_for(timeout=60_000)
            with contextlib.suppress(PlaywrightTimeout):
                page.get_by_role("button", name="Skip").click(timeout=3_000)
            colours = _dot_colours(page, keys)
            counts = _filter_counts(page, ("Failed", "Materialized", "Missing"))
            failed = _metadata(page)
            banner = page.get_by_text("failed, and did not materialize this asset").inner_text()
            page.screenshot(path=str(ARTIFACTS / "outcomes-failed-partition.png"), full_page=True)
            # The partial import: materialized, its own check failed (WARN) in the check's list.
            page.goto(f"{partitions}&partition={outcomes.partial}")
            partial = _metadata(page)
            page.screenshot(path=str(ARTIFACTS / "outcomes-partial-partition.png"), full_page=True)
            page.goto(f"{system.url}/assets/import_results?view=checks")
            page.locator("button[role=tab]", has_text="Partitions").click(timeout=60_000)
            page.get_by_text("Passed (").wait_for(timeout=60_000)
            check_colours = _dot_colours(page, keys)
            check_counts = _filter_counts(page, ("Execution Failed", "Failed", "Passed"))
            page.screenshot(path=str(ARTIFACTS / "outcomes-check-partitions.png"), full_page=True)
            # The rejected file, outside the sensor's tick log: the asset `rejected_files`.
            page.goto(f"{system.url}/assets/rejected_files")
            listed = page.locator("table", has_text="rejected_count").first
            listed.wait_for(timeout=60_000)
            rejected_text = listed.inner_text()
            page.screenshot(path=str(ARTIFACTS / "outcomes-rejected-files.png"), full_page=True)
        finally:
            browser.close()
    # completed and partial are green (materialized), the failed import red, none grey.
    assert colours == {
        outcomes.completed: "green",
        outcomes.partial: "green",
        outcomes.failed: "red",
    }
    assert counts["Failed"] >= 1 and counts["Missing"] == 0
    # The failed partition still shows its status, counters and the reason.
    assert banner.startswith("Run ")
    assert failed["status"] == system.job(outcomes.failed).status == "failed"
    assert (failed["total_rows"], failed["pending_rows"]) == ("1", "1")
    assert "ASHISHDOTME_TOKEN" in failed["reason"]
    assert partial["status"] == "partial" and partial["failed_rows"] == "2"
    # The check tells partial from completed, partition by partition.
    assert check_colours[outcomes.completed] == "green"
    assert check_colours[outcomes.partial] == "red"
    assert check_counts["Failed"] >= 1 and check_counts["Passed"] >= 1
    assert check_counts["Execution Failed"] >= 1  # the failed run never judged its rows
    reason = outcomes.rejected.with_name(outcomes.rejected.name + ".error.txt").read_text()
    assert "watchlist.csv" in rejected_text
    assert " ".join(reason.split()[:6]) in " ".join(rejected_text.split())
