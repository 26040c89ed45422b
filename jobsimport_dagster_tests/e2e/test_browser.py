"""A real browser (headless Chromium) logs in with the token and reads an import's partition page.

Chromium comes from the system (Debian's `chromium`), never downloaded. Without it the test is
skipped, saying why, unless JOBSIMPORT_REQUIRE_BROWSER=1 (CI), where a missing browser fails.
"""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from jobsimport_dagster_tests.conftest import PROJECT_ROOT
from jobsimport_dagster_tests.e2e.conftest import DiaryImport, System

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The system's Chromium, and Playwright to drive it; missing ones skip or fail (CI)."""
    required = os.environ.get("JOBSIMPORT_REQUIRE_BROWSER") == "1"
    missing = []
    if not (CHROMIUM.is_file() or shutil.which("chromium")):
        missing.append(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package is not installed (pip install -e '.[dev]')")
    if missing:
        reason = "; ".join(missing)
        if required:
            pytest.fail(f"JOBSIMPORT_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return CHROMIUM if CHROMIUM.is_file() else Path(str(shutil.which("chromium")))


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
