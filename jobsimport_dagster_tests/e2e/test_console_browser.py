"""The import console in a real browser against the real system (`jobsimport dev`, SPEC §11).

A user uploads a real Letterboxd diary (with two bad rows) from the upload page, follows it to
its import, watches the bar move to the end, filters the failed rows, searches a title,
downloads the failed-rows CSV; then uploads a file while the catalogue refuses the token,
sees the run fail and presses "Retry failed rows" once it is healed. Every page is also
shown 360 px wide. Screenshots go to `test-artifacts/console-*.png`.
"""

import contextlib
import json
import re
import time
from pathlib import Path

import pytest
import requests

from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster_tests.conftest import PROJECT_ROOT
from jobsimport_dagster_tests.e2e.conftest import BAD_ROWS, CHROMIUM_ARGS, System

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
AGOSVENEZIA = "letterboxd/agosvenezia_diary_2024-06-01.csv"
# Three films on dates no other test imports: posted once the catalogue takes the token.
RETRIED_FILE = (
    "Title,Year,Watched Date,IMDb ID\r\n"
    "Casablanca,1942,2024-10-01,\r\nMetropolis,1927,2024-10-02,\r\nUp,2009,2024-10-03,\r\n"
)
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1400, "height": 1000}
CONSOLE_PATHS = ["/imports", "/upload", "/api/imports"]
MATERIALIZATION_LINKS = """
query Links($partition: String!) {
  assetOrError(assetKey: {path: ["import_results"]}) {
    ... on Asset {
      assetMaterializations(partitions: [$partition], limit: 1) {
        metadataEntries { label ... on UrlMetadataEntry { url } }
      }
    }
  }
}
"""


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def _fits(page) -> bool:
    """Nothing wider than the window: the page is read without sideways scrolling (tables
    scroll inside their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _upload(page, system: System, path: Path, *, import_type: str = "movies") -> str:
    """Send a file from the upload page; returns the import's key once the page followed it."""
    page.goto(f"{system.url}/upload")
    page.set_input_files("#file", str(path))
    page.check(f"input[name=type][value={import_type}]")
    page.click("#send")
    page.wait_for_url(re.compile(r".*/imports/[^/?]+$"), timeout=120_000)
    return page.url.rsplit("/", 1)[1]


def _progress(page) -> tuple[int, int]:
    bar = page.locator("#progress")
    return int(float(bar.get_attribute("value") or 0)), int(float(bar.get_attribute("max") or 0))


def _lines(page) -> list[int]:
    return [int(t) for t in page.locator("table.rows tbody td:first-child").all_inner_texts()]


def test_the_console_from_upload_to_retry(
    system: System, chromium: Path, tmp_path: Path, sample_data: Path
) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    diary = tmp_path / "diary.csv"
    real = (sample_data / AGOSVENEZIA).read_text()
    diary.write_text(real + BAD_ROWS, newline="")
    bad_lines = [len(real.splitlines()) + n for n in (1, 2)]  # the two rows appended
    retried_file = tmp_path / "to-retry.csv"
    retried_file.write_text(RETRIED_FILE, newline="")
    catalogue = system.standins.catalogue.standin
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                http_credentials={"username": "me", "password": system.token},
                viewport=DESKTOP,
                accept_downloads=True,
            )
            page = context.new_page()
            page.goto(f"{system.url}/upload")
            _shot(page, "upload")
            # Upload a real export; slow answers so the run can be watched.
            catalogue.set_faults(Faults(latency_ms=150))
            try:
                key = _upload(page, system, diary)
                seen: list[tuple[int, int]] = []
                running_shot = False
                deadline = time.monotonic() + 180
                # The page refreshes itself, then reloads once the run has ended.
                while not page.locator("#failed-csv").count() and time.monotonic() < deadline:
                    with contextlib.suppress(PlaywrightError):
                        seen.append(_progress(page))
                        if 0 < seen[-1][0] < seen[-1][1] and not running_shot:
                            _shot(page, "import-running")
                            running_shot = True
                    page.wait_for_timeout(300)
            finally:
                catalogue.set_faults(Faults())
            page.wait_for_selector("#failed-csv", timeout=60_000)
            job = system.job(key)
            done, total = _progress(page)
            _shot(page, "import-finished")
            # The bar moved while the run worked and ended full, agreeing with Postgres.
            assert any(0 < value < total for value, _ in seen), seen
            assert (done, total) == (job.processed_rows, job.total_rows) == (total, total)
            assert job.status == "partial"
            counters = {
                name: page.locator(f'[data-field="{name}"]').inner_text()
                for name in ("total_rows", "success_rows", "failed_rows", "skipped_rows")
            }
            assert counters == {
                "total_rows": str(job.total_rows),
                "success_rows": str(job.success_rows),
                "failed_rows": "2",
                "skipped_rows": str(job.skipped_rows),
            }
            # The console links to the run and the partition in Dagster.
            run = system.client().latest_runs(partition_keys=[key])[key]
            assert page.locator("#run-link").get_attribute("href") == f"/runs/{run.run_id}"
            partition_link = page.locator("#partition-link").get_attribute("href") or ""
            assert partition_link.endswith(f"partition={key}")
            # Filter the failed rows.
            page.select_option("select[name=status]", "failed")
            page.click("form.filters button")
            page.wait_for_url(re.compile(r".*status=failed.*"))
            assert _lines(page) == bad_lines
            _shot(page, "import-failed-rows")
            # Search a title, ignoring case and accents, as `jobsimport rows --search` does.
            page.goto(f"{system.url}/imports/{key}")
            page.fill("input[name=search]", "PAST LIVES")
            page.click("form.filters button")
            page.wait_for_url(re.compile(r".*search=PAST.*"))
            found = page.locator("table.rows tbody td.title").all_inner_texts()
            assert found and all("past lives" in t.lower() for t in found)
            cli = system.cli("rows", key, "--search", "PAST LIVES", "--format", "json")
            assert [r["line"] for r in json.loads(cli.output)["rows"]] == _lines(page)
            _shot(page, "import-search")
            # Download the failed-rows CSV: the file in uploads/failed/, byte for byte.
            with page.expect_download() as download:
                page.click("#failed-csv")
            saved = tmp_path / "downloaded.csv"
            download.value.save_as(saved)
            written = system.uploads / "failed" / f"{key}.failed.csv"
            assert saved.read_bytes() == written.read_bytes()
            # An upload while the catalogue refuses the token: the run fails, rows left to do.
            catalogue.set_faults(Faults(error_rate=1.0, error_status=401))
            try:
                retry_key = _upload(page, system, retried_file)
                page.wait_for_selector("#retry", timeout=180_000)
            finally:
                catalogue.set_faults(Faults())
            assert system.job(retry_key).status == "failed"
            # The page says why: the run's reason names the variable to set.
            assert "ASHISHDOTME_TOKEN" in page.locator("details.events").inner_text()
            _shot(page, "import-retry")
            before = system.client().latest_runs(partition_keys=[retry_key])[retry_key]
            page.click("#retry")
            page.wait_for_selector("#retried", timeout=60_000)
            page.wait_for_selector('[data-field="status"]:text("completed")', timeout=180_000)
            after = system.client().latest_runs(partition_keys=[retry_key])[retry_key]
            assert after.run_id != before.run_id and after.status == "SUCCESS"
            assert [r["status"] for r in system.rows(retry_key)] == ["success"] * 3
            _shot(page, "import-retried")
            page.goto(f"{system.url}/imports")
            assert key in page.inner_text("table.imports") and retry_key in page.content()
            _shot(page, "imports")
            # The same pages on a phone.
            phone = browser.new_context(
                http_credentials={"username": "me", "password": system.token},
                viewport=PHONE,
                is_mobile=True,
            ).new_page()
            for name, path in [
                ("imports", "/imports"),
                ("import", f"/imports/{key}"),
                ("import-failed-rows", f"/imports/{key}?status=failed"),
                ("upload", "/upload"),
            ]:
                phone.goto(system.url + path)
                _shot(phone, f"{name}-360")
                assert _fits(phone), f"{path} is wider than 360 px"
        finally:
            browser.close()
    # The partition's metadata in Dagster links back to the console page.
    data = system.client().execute(MATERIALIZATION_LINKS, {"partition": key})
    entries = data["assetOrError"]["assetMaterializations"][0]["metadataEntries"]
    assert {"label": "console", "url": f"/imports/{key}"} in entries


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/imports"),
        ("GET", "/imports/movies-20250101T000000-x-00000000"),
        ("GET", "/imports/movies-20250101T000000-x-00000000/failed.csv"),
        ("POST", "/imports/movies-20250101T000000-x-00000000/retry"),
        ("GET", "/upload"),
        ("POST", "/upload"),
        ("GET", "/api/imports"),
        ("GET", "/api/imports/movies-20250101T000000-x-00000000"),
        ("GET", "/api/imports/movies-20250101T000000-x-00000000/rows"),
        ("GET", "/console-static/console.css"),
    ],
)
def test_every_console_path_answers_401_without_the_token(
    system: System, method: str, path: str
) -> None:
    answer = requests.request(method, system.url + path, timeout=20)
    assert answer.status_code == 401
    assert system.token not in answer.text


def test_a_cross_site_upload_is_refused(system: System, session_cookie: str) -> None:
    content = b"Title,Year,Watched Date,IMDb ID\r\nUp,2009,2024-11-01,\r\n"
    files = {"file": ("cross.csv", content, "text/csv")}
    # A browser's Basic login is sent to another site's form post too: the console refuses it.
    sent = requests.post(
        f"{system.url}/upload",
        files=files,
        data={"type": "movies"},
        auth=("me", system.token),
        headers={"Origin": "http://evil.example"},
        timeout=20,
    )
    assert sent.status_code == 403
    # The session cookie from another origin does not even pass the gate.
    sent = requests.post(
        f"{system.url}/upload",
        files=files,
        data={"type": "movies"},
        cookies={"jobsimport_session": session_cookie},
        headers={"Origin": "http://evil.example"},
        timeout=20,
    )
    assert sent.status_code == 401
    assert not list(system.uploads.rglob("cross*.csv"))
