"""The dashboard and the city report in the reader's language, in a real browser (Debian's Chromium through
Playwright) on the real refresh served by `sps serve`:

- the City profile in French (?lang=fr) and in Latvian (?lang=lv) has no English left: no text of the catalogue
  whose translation differs (tests/english_left.py), no running English, and no line that the English page shows
  word for word other than names with their codes, codes and numbers; the page's <html lang> is the language;
- a CSV downloaded from a French page keeps dot decimals and codes (machine-readable whatever the language);
- `sps report --lang fr` (Bruxelles/Brussel, BE001C, a French-speaking partnership city with values of its own; Nice
  has none in the snapshot until it uploads: see test_first_user_in_chromium) and `--lang lv` (Riga) read French
  and Latvian throughout and open in Chromium without a single network request.
Screenshots go to tests/browser/artifacts/."""

from __future__ import annotations

import csv
import re

import pytest

from pipelines.shared import i18n
from tests.browser.test_dashboard_in_chromium import (  # noqa: F401
    ARTIFACTS,
    _download,
    browser,
    dashboard_url,
)
from tests.conftest import run_sps, sps_env
from tests.english_left import english_left, shown_text

pytestmark = [pytest.mark.integration, pytest.mark.browser]
NAME_WITH_CODE = re.compile(r"^.+ \([A-Z]{2}[0-9]{3}[A-Z0-9]\)$")  # "Riga (LV001C)": a proper name and its code
WORD = re.compile(r"[a-zà-ž]{3,}")  # a line without a lower-case word of three letters is a code or a number


def _in(lang: str, message: str) -> str:
    with i18n.using(lang):
        return i18n.gettext(message)


def _open(browser, url: str):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 1800}, accept_downloads=True)
    page.goto(url)
    page.wait_for_selector("[data-testid='stMain']", timeout=60_000)
    # the sidebar's page-language element is drawn before the page itself (dashboards/accessibility.py)
    page.wait_for_selector("[data-testid='stSidebar'] [data-testid='stHtml']", state="attached", timeout=60_000)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="hidden", timeout=60_000)
    page.wait_for_timeout(2000)
    return page


def _open_expanders(page) -> int:
    """Open every expander of the page (their text is checked too); how many were opened."""
    summaries = page.locator("[data-testid='stMain'] [data-testid='stExpander'] summary")
    for i in range(summaries.count()):
        summaries.nth(i).click()
    page.wait_for_timeout(1000)
    return summaries.count()


def _shown_lines(page) -> list[str]:
    """The lines of text a reader sees, without the icons' ligature names (aria-hidden, translate=no)."""
    shown = page.evaluate(
        """() => ({
            text: document.body.innerText,
            hidden: [...document.querySelectorAll('[aria-hidden="true"]')]
                .map(e => (e.innerText || e.textContent || '').trim()),
        })"""
    )
    hidden = {h for h in shown["hidden"] if h}
    return [line.strip() for line in shown["text"].splitlines() if line.strip() and line.strip() not in hidden]


@pytest.fixture(scope="module")
def english_city_profile(browser, dashboard_url):  # noqa: F811
    page = _open(browser, f"{dashboard_url}/city?city=LV001C&lang=en")
    assert _open_expanders(page) >= 2
    lines = _shown_lines(page)
    page.close()
    return lines


@pytest.mark.parametrize("lang", ["fr", "lv"])
def test_the_city_profile_has_no_english_left(browser, dashboard_url, english_city_profile, lang):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page = _open(browser, f"{dashboard_url}/city?city=LV001C&lang={lang}")
    page.screenshot(path=str(ARTIFACTS / f"city_profile_{lang}.png"), full_page=True)
    page.wait_for_function(f"document.documentElement.lang === '{lang}'", timeout=20_000)
    assert _open_expanders(page) >= 2  # the progress table and the sources of every value
    lines = _shown_lines(page)
    assert len(lines) > 50 and _in(lang, "City profile") in lines
    english = set(english_city_profile)
    assert len(english) > 50 and "City profile" in english
    # the English page itself is caught by the same checks, so they can fail
    assert len(english_left("\n".join(english_city_profile), lang)) > 20

    left = english_left("\n".join(lines), lang)
    same = sorted({line for line in lines if line in english and WORD.search(line) and not NAME_WITH_CODE.match(line)})
    print(f"City profile [{lang}]: {len(lines)} lines shown; English left: {left or 'none'}; same as English: {same}")
    assert left == [], f"{lang}: English left on the City profile: {left}"
    assert same == [], f"{lang}: lines shown word for word as on the English page: {same}"
    page.close()


def test_a_csv_downloaded_from_a_french_page_keeps_dot_decimals_and_codes(browser, dashboard_url, tmp_path):  # noqa: F811
    page = _open(browser, f"{dashboard_url}/?indicator=feel_safe_city&period=2015&lang=fr")
    text = page.locator("[data-testid='stMain']").inner_text()
    assert re.search(r"\d,\d", text)  # the page shows decimal commas ...
    target = tmp_path / "shown.csv"
    _download(page, _in("fr", "Download CSV"), target)
    page.close()
    with target.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 50 and {"geo_code", "value", "ci_low", "ci_high"} <= set(rows[0])
    values = [row["value"] for row in rows if row["value"]]
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in values), values[:5]  # ... the file keeps dot decimals
    assert any("." in v for v in values)
    assert all(re.fullmatch(r"[A-Z]{2}[0-9]{3}[A-Z0-9]", row["geo_code"]) for row in rows)


@pytest.mark.parametrize(("city", "lang", "decimal"), [("BE001C", "fr", "59,0"), ("LV001C", "lv", "79,0")])
def test_the_city_report_reads_in_its_language_throughout_and_opens_offline(
    browser,  # noqa: F811
    refreshed_data_dir,
    tmp_path,
    city,
    lang,
    decimal,
):
    html = tmp_path / f"{city}_{lang}.html"
    done = run_sps(["report", "--city", city, "--lang", lang, "--out", str(html)], sps_env(refreshed_data_dir))
    assert done.returncode == 0, done.stderr
    english = tmp_path / f"{city}_en.html"
    assert run_sps(["report", "--city", city, "--out", str(english)], sps_env(refreshed_data_dir)).returncode == 0

    text = html.read_text(encoding="utf-8")
    shown = shown_text(text)
    assert decimal in shown  # the locale's decimal comma
    assert (
        len(english_left(shown_text(english.read_text(encoding="utf-8"), skip_english=False), lang)) > 20
    )  # the check can fail
    left = english_left(shown, lang)
    print(f"report {city} [{lang}]: {len(shown.splitlines())} lines; English left: {left or 'none'}")
    assert left == [], left

    requests: list[str] = []
    page = browser.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.goto(html.as_uri())
    page.wait_for_selector("svg.chart")
    assert page.evaluate("document.documentElement.lang") == lang
    title = page.locator("h1").inner_text()
    page.goto(english.as_uri())
    assert title != page.locator("h1").inner_text() and city in title  # the title in the language, not English
    page.close()
    assert requests == [html.as_uri(), english.as_uri()]  # the documents themselves, nothing else


def test_nice_s_report_in_french_after_its_first_upload(browser, refreshed_data_dir, snapshot_dir, tmp_path):  # noqa: F811
    """Nice has no value of its own in the snapshot (`sps report` refuses it); after it uploads one SYNTHETIC 2019
    value, its French report reads French throughout (the city's own source text aside) and opens offline."""
    import shutil
    from dataclasses import replace

    from pipelines.settings import load_settings
    from pipelines.uploads.submit import submit_upload
    from pipelines.uploads.tokens import issue_upload_token

    data = tmp_path / "data"
    shutil.copytree(refreshed_data_dir, data, symlinks=True)
    env = sps_env(data, snapshot_dir)
    html = tmp_path / "nice_fr.html"
    refused = run_sps(["report", "--city", "FR008C", "--lang", "fr", "--out", str(html)], env)
    assert refused.returncode != 0 and "no value of the city itself" in refused.stderr and not html.exists()

    source = "SYNTHETIC browser-test value"
    upload = (
        "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note\n"
        f"feel_safe_night_city,FR008C,2019,,,,64.5,%,61.2,67.7,800,{source},\n"
    )
    _, token = issue_upload_token(data, "FR008C")
    result = submit_upload(
        upload.encode(), "nice_2019.csv", "FR008C", token, None, replace(load_settings(), data_dir=data)
    )
    assert result.accepted, [str(p) for p in result.problems]
    refreshed = run_sps(["refresh"], env)
    assert refreshed.returncode == 0, refreshed.stdout[-2000:] + refreshed.stderr[-2000:]

    done = run_sps(["report", "--city", "FR008C", "--lang", "fr", "--out", str(html)], env)
    assert done.returncode == 0, done.stderr
    shown = shown_text(html.read_text(encoding="utf-8"))
    assert "Nice" in shown and "64,5" in shown  # its value, with a decimal comma
    left = english_left(shown, "fr", allowed=(source,))
    print(f"report FR008C [fr]: {len(shown.splitlines())} lines; English left: {left or 'none'}")
    assert left == [], left
    requests: list[str] = []
    page = browser.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.goto(html.as_uri())
    page.wait_for_selector("h1")
    assert page.evaluate("document.documentElement.lang") == "fr"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "city_report_nice_fr.png"), full_page=False)
    page.close()
    assert requests == [html.as_uri()]


def _main_selections(page) -> list[str]:
    """What each select box of the page (not the sidebar) shows: the value of its combobox input."""
    boxes = page.locator("[data-testid='stMain'] [data-testid='stSelectbox'] input[role='combobox']")
    return [boxes.nth(i).input_value().strip() for i in range(boxes.count())]


def test_switching_language_redraws_every_picker_in_the_new_language(browser, dashboard_url):  # noqa: F811
    """A picker's shown value followed the first language after a switch ("Se sentir en sécurité…" and "aucune" on
    a Latvian page) and the Show radio lost its selection (found by a new user): each picker is a new widget in
    each language and takes its value from the URL."""
    from tests.browser.test_dashboard_in_chromium import _pick

    url = f"{dashboard_url}/?indicator=feel_safe_night_city&peer=custom&cities=LV001C,ES001C,ES002C&lang=fr"
    page = _open(browser, url)
    try:
        french = _main_selections(page)
        assert len(french) >= 3 and any(_in("fr", "none") == text for text in french), french
        _pick(page, f"{_in('fr', 'Language')} (Language)", i18n.LANGUAGES["lv"])
        page.wait_for_selector("[data-testid='stStatusWidget']", state="hidden", timeout=60_000)
        page.wait_for_function("document.documentElement.lang === 'lv'", timeout=60_000)
        page.wait_for_timeout(1500)
        latvian = _main_selections(page)
        page.screenshot(path=str(ARTIFACTS / "compare_fr_then_lv.png"), full_page=True)
        assert len(latvian) == len(french) and not set(latvian) & set(french), (french, latvian)
        assert _in("lv", "none") in latvian
        assert page.locator("[data-testid='stMain'] [data-testid='stRadio'] input:checked").count() >= 1
        assert "feel_safe_night_city" in page.url and "LV001C" in page.url  # the choices stayed
    finally:
        page.close()
