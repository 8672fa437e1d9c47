"""The dashboard in Chromium when the current published version is damaged on disk (4 KB overwritten): the page
shows the newest intact version's chart with a visible banner naming the damaged version."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.test_dashboard_in_chromium import (
    ARTIFACTS,
    CHROMIUM,
    _free_port,
    browser,  # noqa: F401 - the fixture, used by name
)
from tests.conftest import SPS, sps_env
from tests.integration.damage import damaged_current

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_a_damaged_version_is_replaced_by_the_intact_one_with_a_banner(browser, refreshed_data_dir, tmp_path):  # noqa: F811
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    data, intact, broken = damaged_current(refreshed_data_dir, tmp_path)
    port = _free_port()
    process = subprocess.Popen(
        [SPS, "serve", "--port", str(port)],
        env=sps_env(data),
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
                assert time.monotonic() < deadline and process.poll() is None, "sps serve did not start"
                time.sleep(0.3)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(url)
        page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=60_000)
        banner = page.locator("[data-testid='stAlertContentWarning']").first
        banner.wait_for(timeout=30_000)
        text = banner.inner_text()
        assert f"Published version {broken} is damaged" in text and f"newest intact version, {intact}" in text
        assert banner.is_visible()
        assert page.get_by_text(f"Published version {intact}").count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "damaged_version_banner.png"), full_page=True)
        page.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
