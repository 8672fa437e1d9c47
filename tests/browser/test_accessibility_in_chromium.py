"""Every page of the dashboard passes axe-core (axe-playwright-python, in Debian's Chromium through Playwright) with
no serious or critical violation, in English and in Latvian (the longest words of the eight languages), on the real
refresh served by `sps serve`: the pages of the navigation, the police view, Compare's progress mode and two cities
over time, a chart's data table switched on, and the health report opened. axe runs every rule it has (WCAG 2.0 and
2.1 A and AA, and best practices); minor and moderate findings are printed, not failed. Each page's counts are
printed in the test output (the terminal summary, tests/browser/conftest.py) and written to
tests/browser/artifacts/axe_results.json. The keyboard alone (Tab) reaches every control of five pages."""

from __future__ import annotations

import json

import pytest

from pipelines.shared import i18n
from tests.browser.conftest import AXE_RESULTS
from tests.browser.test_dashboard_in_chromium import ARTIFACTS, browser, dashboard_url  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.browser]
FAILING = {"serious", "critical"}


# Resolves once the page has not changed for `quiet` ms (charts, tables and maps drawn), at most after `most` ms.
SETTLED = """([quiet, most]) => new Promise(resolve => {
  const done = () => { observer.disconnect(); clearTimeout(cap); resolve(true); };
  let timer = setTimeout(done, quiet);
  const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quiet); });
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const cap = setTimeout(done, most);
})"""


def _settled(page) -> None:
    """No run in progress, every chart drawn (an svg or canvas in each Vega-Lite element), then the page quiet for
    400 ms: what a fixed 1.5 s wait after the run stood for, without waiting longer than the page needs."""
    page.wait_for_selector("[data-testid='stStatusWidget']", state="hidden", timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stVegaLiteChart']\")]"
        ".every(chart => chart.querySelector('svg, canvas'))",
        timeout=60_000,
    )
    page.evaluate(SETTLED, [400, 10_000])


def _drawn(page) -> None:
    """Wait until the app's run has drawn the page: the sidebar's page-language element (drawn before the page
    itself, dashboards/accessibility.py), then no run in progress, then the charts' first drawing."""
    page.wait_for_selector("[data-testid='stMain']", timeout=60_000)
    page.wait_for_selector("[data-testid='stSidebar'] [data-testid='stHtml']", state="attached", timeout=60_000)
    _settled(page)


def _switch_on(label: str):
    def act(page, lang):
        with i18n.using(lang):
            name = i18n.gettext(label)
        page.get_by_text(name, exact=True).first.click()

    return act


def _expand(label_start: str):
    def act(page, lang):
        with i18n.using(lang):
            name = i18n.gettext(label_start).split("{")[0].strip()
        page.locator("[data-testid='stExpander'] summary").filter(has_text=name).first.click()

    return act


# (name, path with its query, an action that puts the page in the state to check)
PAGES = [
    ("Compare cities", "/?indicator=feel_safe_city&period=2015", None),
    ("Compare cities: two cities over time",
     "/?indicator=feel_safe_city&period=2015&peer=custom&cities=LV001C%2CES001C", None),
    ("Compare cities: progress", "/?indicator=feel_safe_city&mode=progress", None),
    ("Compare cities: chart data table", "/?indicator=feel_safe_city&period=2015",
     _switch_on("Data of this chart (table)")),
    ("Compare cities: police regions", "/?indicator=homicide_rate", None),
    ("Overview map", "/map", None),
    ("City profile", "/city?city=LV001C", None),
    ("Perception vs recorded crime", "/perception-crime", None),
    ("Indicators and methodology", "/methodology", None),
    ("Data quality and freshness", "/quality", _expand("Health report of this version: {status}")),
    ("Upload (cities)", "/upload", None),
    ("Downloads", "/downloads", None),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "lv"])
@pytest.mark.parametrize(("name", "path", "action"), PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_or_critical_axe_violation(browser, dashboard_url, name, path, action, lang):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(viewport={"width": 1280, "height": 1800})
    page.goto(f"{dashboard_url}{path}{'&' if '?' in path else '?'}lang={lang}")
    _drawn(page)
    if action is not None:  # its rerun, then its charts' first drawing (_drawn waited for the page's own)
        action(page, lang)
        page.wait_for_timeout(500)  # the rerun the action starts has begun (its status widget is shown)
        _settled(page)
    # the page's language is set by a script of the page (dashboards/accessibility.py) once its element is drawn
    page.wait_for_function(f"document.documentElement.lang === '{lang}'", timeout=20_000)
    # resultTypes: every rule still runs; only the violations list each node they found, the other result types one
    # node per rule. The passing rules are counted, not listed: with their nodes, axe's answer was 2-4.6 MB a page
    # and took 2.3-4 s to return, against 0.6-0.8 s with the same rules passed and the same violations.
    results = Axe().run(page, options={"resultTypes": ["violations"]}).response
    page.close()

    violations = results["violations"]
    by_impact = {impact: 0 for impact in ("critical", "serious", "moderate", "minor")}
    for violation in violations:
        by_impact[violation["impact"]] = by_impact.get(violation["impact"], 0) + len(violation["nodes"])
    record = {
        "page": f"{name} [{lang}]",
        "rules_passed": len(results["passes"]),
        "violations": by_impact,
        "rules": sorted(f"{v['impact']}: {v['id']} ({len(v['nodes'])})" for v in violations),
    }
    AXE_RESULTS.append(record)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe_results.json").write_text(json.dumps(AXE_RESULTS, indent=1), encoding="utf-8")
    print(json.dumps(record))

    assert len(results["passes"]) > 10  # axe ran its rules on a drawn page
    failing = [
        f"{v['impact']} {v['id']}: {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in FAILING
    ]
    assert failing == [], f"{name} [{lang}]: " + "; ".join(failing)


CONTROLS = """() => {
  const scopes = ['[data-testid=stSidebar]', '[data-testid=stMain]'];
  const kinds = ['input', 'button', 'textarea', 'select', 'a[href]', '[role=switch]'];
  const all = [...document.querySelectorAll(scopes.flatMap(scope => kinds.map(k => `${scope} ${k}`)).join(', '))]
    // shown controls only: not inside a closed expander or anything else display:none / visibility:hidden
    .filter(e => !e.disabled && e.checkVisibility({checkVisibilityCSS: true}));
  const seenGroups = new Set();
  const wanted = [];
  for (const e of all) {
    // a select box is reached by its text box; its arrow button is a pointer shortcut (tabindex -1) by design
    if (e.tagName === 'BUTTON' && e.closest('[data-testid=stSelectbox], [data-testid=stMultiSelect]')) continue;
    // a radio group is one tab stop; the arrow keys move between its options (WAI-ARIA radio group pattern)
    if (e.type === 'radio') { if (seenGroups.has(e.name)) continue; seenGroups.add(e.name); }
    wanted.push(e);
  }
  wanted.forEach((e, i) => e.setAttribute('data-sps-control', String(i)));
  return wanted.map(e => `${e.tagName.toLowerCase()} ${e.type || ''} ${(e.getAttribute('aria-label')
    || e.innerText || e.name || '').trim().slice(0, 50)} [${e.getAttribute('data-testid')
    || e.closest('[data-testid]').getAttribute('data-testid')}]`);
}"""
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e) return null;
  if (e.getAttribute('data-testid') === 'stSkipToContent') return 'skip';
  if (e.type === 'radio') {  // any option of a radio group stands for the group
    const first = document.querySelector(`input[type=radio][name="${e.name}"][data-sps-control]`);
    return first ? first.getAttribute('data-sps-control') : null;
  }
  return e.getAttribute('data-sps-control');
}"""


@pytest.mark.parametrize(
    "path",
    ["/?indicator=feel_safe_city&period=2015", "/city?city=LV001C", "/map", "/upload", "/quality"],
)
def test_the_keyboard_reaches_every_control(browser, dashboard_url, path):  # noqa: F811
    """Tab alone (Shift-free, from the top of the page) reaches every control of the page and the sidebar: links,
    text and select boxes, switches, buttons (downloads, a chart's actions), one stop per radio group."""
    page = browser.new_page(viewport={"width": 1280, "height": 1800})
    page.goto(dashboard_url + path)
    _drawn(page)
    controls = page.evaluate(CONTROLS)
    assert len(controls) >= 12, controls  # the sidebar's ten and the page's own
    reached: set[str] = set()
    presses = 0
    # one full round of the Tab order: until the skip link (the page's first stop) has focus again; a data table
    # is several stops of its own (its canvas keeps focus over a few presses), hence no fixed count
    while presses < 3000 and len(reached) < len(controls):
        page.keyboard.press("Tab")
        presses += 1
        focused = page.evaluate(FOCUSED)
        if focused == "skip" and presses > 1:
            break
        if focused not in (None, "skip"):
            reached.add(focused)
    page.close()
    missed = [controls[int(i)] for i in sorted(set(map(str, range(len(controls)))) - reached, key=int)]
    print(f"keyboard {path}: {len(reached)} of {len(controls)} controls reached by Tab ({presses} presses)")
    assert missed == [], f"{path}: controls Tab never reaches: {missed}"
