"""The city report in a real browser (Debian's Chromium through Playwright): it renders without a single network
request, and Chromium's print-to-PDF makes an A4 document with a page break before every section. An image of
the first printed page goes to tests/browser/artifacts/ (and docs/img/ when SPS_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_sps, sps_env

pytestmark = [pytest.mark.integration, pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
A4_PX = (794, 1123)  # 210 x 297 mm at 96 px per inch


def test_riga_report_prints_to_a_multi_page_a4_pdf_without_network(refreshed_data_dir, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    html = tmp_path / "riga.html"
    done = run_sps(["report", "--city", "LV001C", "--out", str(html)], sps_env(refreshed_data_dir))
    assert done.returncode == 0, done.stderr
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": A4_PX[0], "height": A4_PX[1]})
            page.on("request", lambda request: requests.append(request.url))
            page.goto(html.as_uri())
            page.wait_for_selector("svg.chart")
            assert page.locator("svg.chart").count() >= 8
            pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            # The first printed page as an image: print styles, the @page margins, and everything after the first
            # page break (every section.part starts a new page) left out, as in the PDF.
            page.emulate_media(media="print")
            page.add_style_tag(
                content="body { padding: 14mm 12mm !important; } section.part, footer { display: none; }"
            )
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "city_report_riga_page1.png"
            page.screenshot(path=str(shot), clip={"x": 0, "y": 0, "width": A4_PX[0], "height": A4_PX[1]})
        finally:
            browser.close()
    assert requests == [html.as_uri()]  # the document itself, nothing else
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:]
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 8  # summary, then a page break before each of the seven other sections
    (ARTIFACTS / "city_report_riga.pdf").write_bytes(pdf)
    if os.environ.get("SPS_UPDATE_SCREENSHOTS"):
        shutil.copy(shot, DOCS_IMG / "city_report_riga_page1.png")
