"""The dashboard in a real browser (Debian's Chromium through Playwright): an analyst picks two cities and an
indicator, sees the chart and the table, downloads the CSV, and it equals `sps export` for those cells.
Screenshots go to tests/browser/artifacts/ (and docs/img/ when SPS_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SPS, run_sps, sps_env

pytestmark = [pytest.mark.integration, pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard_url(refreshed_data_dir):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    port = _free_port()
    process = subprocess.Popen(
        [SPS, "serve", "--port", str(port)],
        env=sps_env(refreshed_data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("sps serve did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


def _pick(page, label: str, text: str) -> None:
    """Type into the select box whose label starts with `label` (labels are matched from their start, so
    'Cities' never matches 'Highlight a city (shades the cities ...)')."""
    label_element = page.locator("[data-testid='stWidgetLabel']", has_text=re.compile("^" + re.escape(label)))
    box = page.locator("[data-testid='stSelectbox'], [data-testid='stMultiSelect']").filter(has=label_element)
    assert box.count() == 1, f"{box.count()} boxes labelled {label!r}"
    box.click()
    page.keyboard.type(text)
    page.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(1500)


def _download(page, label: str, target) -> None:
    """Click a download button once the app has finished rerunning; a click that lands while a rerun replaces the
    button is lost, so the click is tried once more if no download starts (seen in CI on a loaded machine)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    for attempt in range(2):
        page.wait_for_selector("[data-testid='stStatusWidget']", state="hidden", timeout=60_000)
        try:
            with page.expect_download(timeout=20_000) as download_info:
                page.get_by_role("button", name=label).last.click()
            download_info.value.save_as(target)
            return
        except PlaywrightTimeoutError:
            if attempt:
                raise


def test_two_cities_chart_table_and_csv_download(browser, dashboard_url, refreshed_data_dir, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1600}, accept_downloads=True)
    page.goto(dashboard_url)
    page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=60_000)
    # two indicators in a row: the second must land (an unkeyed picker whose index followed the URL snapped back)
    _pick(page, "Indicator", "Feel safe in the neighbourhood (feel_safe_neighbourhood)")
    _pick(page, "Indicator", "Feel safe in the city (feel_safe_city)")
    _pick(page, "Peer group", "My own list")
    _pick(page, "Cities", "Riga (LV001C)")
    _pick(page, "Cities", "Madrid (ES001C)")
    page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    page.wait_for_timeout(2000)
    assert page.get_by_text("Over time", exact=True).count() == 1
    assert "indicator=feel_safe_city" in page.url and "period=2015" in page.url
    assert "cities=LV001C%2CES001C" in page.url or "cities=LV001C,ES001C" in page.url
    page.screenshot(path=str(ARTIFACTS / "compare_two_cities.png"), full_page=True)
    if os.environ.get("SPS_UPDATE_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / "compare_two_cities.png", DOCS_IMG / "compare_two_cities.png")

    downloaded = tmp_path / "shown.csv"
    _download(page, "Download CSV", downloaded)
    with open(downloaded, newline="", encoding="utf-8") as fh:
        shown = {row["geo_code"]: row for row in csv.DictReader(fh)}
    assert set(shown) == {"LV001C", "ES001C"}

    export = tmp_path / "export.csv"
    assert run_sps(["export", "observations", "--out", str(export)], sps_env(refreshed_data_dir)).returncode == 0
    with open(export, newline="", encoding="utf-8") as fh:
        exported = {
            row["geo_code"]: row
            for row in csv.DictReader(fh)
            if row["indicator_code"] == "feel_safe_city" and row["period"] == "2015" and row["geo_code"] in shown
        }
    for geo_code, row in shown.items():
        for column in ("value", "ci_low", "ci_high", "sample_size", "lineage_id"):
            assert (
                float(row[column]) == float(exported[geo_code][column])
                if column != "lineage_id"
                else row[column] == exported[geo_code][column]
            )
    page.close()
