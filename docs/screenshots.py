"""Regenerate the README's screenshots of languages and the map (`make screenshots`): serves the dashboard with
`sps serve` on the current published version (SPS_DATA_DIR; run `sps refresh` on the real snapshot first) and
saves, with Debian's Chromium through Playwright:

- docs/img/city_profile_fr.png: the City profile of Bruxelles/Brussel in French (?lang=fr);
- docs/img/city_profile_lv.png: the City profile of Riga in Latvian (?lang=lv);
- docs/img/overview_map_riga.png: the Overview map of feeling safe at night in the city, 2019, with the tooltip of
  Riga, placed at its region's label point (an approximate location, drawn as a diamond: docs/adr/0019).

Usage: python docs/screenshots.py [--chromium /usr/bin/chromium]"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
SHOTS = [
    # (file, page, viewport height, the mark to hover: Vega's SVG labels each mark with its fields)
    ("city_profile_fr.png", "/city?city=BE001C&lang=fr", 1700, None),
    ("city_profile_lv.png", "/city?city=LV001C&lang=lv", 1700, None),
    ("overview_map_riga.png", "/map?indicator=feel_safe_night_city&period=2019&lang=en", 1000, "city: Riga;"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = _free_port()
    sps = str(Path(sys.executable).with_name("sps"))
    server = subprocess.Popen(
        [sps, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print(f"screenshots: sps serve did not start: {server.stderr.read().decode()[-500:]}")
                    return 1
                time.sleep(0.3)
        IMG.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"])
            for name, path, height, hover in SHOTS:
                page = browser.new_page(viewport={"width": 1280, "height": height})
                page.goto(url + path)
                page.wait_for_selector("[data-testid='stMain']", timeout=60_000)
                page.wait_for_selector("[data-testid='stStatusWidget']", state="hidden", timeout=60_000)
                page.wait_for_timeout(2500)  # the charts' first drawing
                if hover:
                    page.locator(f'[aria-label*="{hover}"]').first.hover()
                    page.wait_for_timeout(800)
                page.screenshot(path=str(IMG / name))
                print(f"screenshots: wrote docs/img/{name} ({path})")
                page.close()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
