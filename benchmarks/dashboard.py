"""Dashboard timings on a refreshed data folder (server side, no browser).

    python -m benchmarks.dashboard --data-dir DIR [--repeats 20]

1. every public function of dashboards/queries.py, called directly for a typical selection (uncached, on the
   module's one open read-only connection per published version, as the pages do): the first call (which
   opens the connection) and p50 / p95 / max of the repeats, in ms;
2. every page through streamlit.testing's AppTest: the first render (cold query cache) and p50 / p95 of
   re-renders (the pages' st.cache_data warm), in ms;
3. interactions: a user picking a value not picked before (another indicator on Compare cities and on the
   map, another city on the city profile), so that page's queries for it run uncached: the first pick of the
   process (one-time imports and caches) apart, then p50 / p95 of the next ones, in ms.
   They are reported with the pages ("<page>: <interaction>"), so the target covers them too.
AppTest compiles the page script again on every run, which `sps serve` does once per process (its runtime keeps
one script cache); the harness shares one script cache between runs, as the server does.
A query function whose parameters are not known here is reported as skipped, so a new query is never
silently left out. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import time
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
PAGES = [
    "views/compare.py",
    "views/overview_map.py",
    "views/city_profile.py",
    "views/methodology.py",
    "views/quality.py",
    "views/upload.py",
    "views/downloads.py",
]
# A typical selection: the 2015 wave of "feel safe in the city", Riga against Madrid, all cities as peers.
SELECTION = {
    "indicator_code": "feel_safe_city",
    "period": "2015",
    "geo_code": "LV001C",
    "geo_codes": ("LV001C", "ES001C"),
    "peer_group": "all",
    "geo_level": "nuts3",
    "nuts_level": 3,
    # the progress, cycle and perception-vs-crime views (issue 19) and the police views by country (issue 24)
    "name": "city_progress",
    "comparability_group": "urb_percep:feel_safe_city",
    "method": "survey_change_95",
    "from_period": "2012",
    "to_period": "2015",
    "perception_indicator": "feel_safe_night_neighbourhood",
    "perception_period": "2019",
    "police_indicator": "robbery_rate",
    "geo_levels": ("nuts3", "nuts2", "nuts1"),
    "source_dataset": "crim_gen_reg",
    "city": "LV001C",
    "country": "LV",
}


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
    }


BULK_ROWS_LIMIT = 2_000_000


def _observations(published) -> int:
    from pipelines.versions.store import open_version

    with open_version(Path(published.path)) as conn:
        return conn.execute("select count(*) from fct_observations").fetchall()[0][0]


def time_queries(repeats: int) -> dict:
    from dashboards import queries

    published = queries.current_published()
    results = {}
    for name, function in inspect.getmembers(queries, inspect.isfunction):
        if name.startswith("_") or function.__module__ != queries.__name__ or name == "current_published":
            continue
        params = [p for p in inspect.signature(function).parameters if p != "published"]
        if any(p not in SELECTION for p in params):
            results[name] = {"skipped": f"unknown parameter(s) {[p for p in params if p not in SELECTION]}"}
            continue
        if name == "all_observations" and _observations(published) > BULK_ROWS_LIMIT:
            # the bulk download (Downloads page, behind a button) builds one pandas frame of every observation:
            # at 100x (11 M rows) that is more memory than this machine has (a run was killed at 17.8 GB)
            results[name] = {"skipped": f"bulk download of more than {BULK_ROWS_LIMIT:,} rows: not timed in memory"}
            continue
        args = [SELECTION[p] for p in params]
        samples = []
        for _ in range(repeats + 1):
            t0 = time.perf_counter()
            out = function(published, *args)
            samples.append((time.perf_counter() - t0) * 1000)
        results[name] = {
            "first_ms": round(samples[0], 1),
            **percentiles(samples[1:]),
            "rows": len(out) if hasattr(out, "__len__") else None,
        }
    return results


def share_script_cache() -> None:
    """Let every AppTest run use one script cache, as the server's runtime does (AppTest makes a new one per run,
    so each run would compile the page again: ~70 ms for the city profile, a cost `sps serve` pays once)."""
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_script_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def time_pages(repeats: int) -> dict:
    from streamlit.testing.v1 import AppTest

    share_script_cache()
    results = {}
    at = AppTest.from_file(str(APP), default_timeout=120)
    t0 = time.perf_counter()
    at.run()
    results["_first_run_of_app"] = {"first_ms": round((time.perf_counter() - t0) * 1000, 1)}
    for page in PAGES:
        t0 = time.perf_counter()
        at.switch_page(page).run()
        first = (time.perf_counter() - t0) * 1000
        samples = []
        for _ in range(repeats):
            t1 = time.perf_counter()
            at.run()
            samples.append((time.perf_counter() - t1) * 1000)
        results[page] = {
            "first_ms": round(first, 1),
            **percentiles(samples),
            "exception": bool(at.exception),
        }
    results.update(time_interactions(at, repeats))
    return results


def _pick(at, label: str | None = None, key: str | None = None):
    return next(
        (s for s in at.selectbox if (key is not None and s.key == key) or (key is None and s.label == label)), None
    )


def time_interactions(at, repeats: int) -> dict:
    """Pick values not picked before, one after the other, and time each run of the page that follows."""
    from dashboards import queries

    published = queries.current_published()
    indicators = queries.indicators(published)
    compare = [c for c in indicators.loc[indicators["observations"] > 0, "indicator_code"] if c != "feel_safe_city"]
    mapped = [c for c in queries.map_indicators(published)["indicator_code"] if c != "feel_safe_night_neighbourhood"]
    cities = queries.city_profile_cities(published).sort_values(
        ["indicators_with_value", "geo_code"], ascending=[False, True], kind="stable"
    )
    profiles = [c for c in cities["geo_code"] if c != "LV001C"]
    plans = [
        ("views/compare.py", "another indicator", {"label": "Indicator"}, compare),
        ("views/overview_map.py", "another indicator", {"label": "Indicator"}, mapped),
        ("views/city_profile.py", "another city", {"key": "city_profile_city"}, profiles),
    ]
    results = {}
    for page, what, widget, values in plans:
        at.switch_page(page).run()
        samples, exception = [], False
        for value in values[: repeats + 1]:
            box = _pick(at, **widget)
            if box is None:  # the page stopped before the widget (nothing to show): nothing to time
                break
            box.set_value(value)
            t0 = time.perf_counter()
            at.run()
            samples.append((time.perf_counter() - t0) * 1000)
            exception = exception or bool(at.exception)
            shown = _pick(at, **widget)
            if not exception and (shown is None or shown.value != value):
                # a pick the page dropped re-renders the old value from the cache: timing it would flatter the
                # first view (until 86bf9d9 every second pick on Compare and the map was dropped this way)
                raise RuntimeError(f"{page}: picked {value!r}, the page shows {getattr(shown, 'value', None)!r}")
        name = f"{page}: {what} (first view of it)"
        if len(samples) > 1:  # the first pick of the process is reported apart, as a page's first render is
            results[name] = {"first_ms": round(samples[0], 1), **percentiles(samples[1:]), "exception": exception}
        elif samples:
            results[name] = {"first_ms": round(samples[0], 1), "exception": exception}
        else:
            results[name] = {"skipped": f"no {what.split()[-1]} to pick", "exception": exception}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the dashboard's queries and pages.")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ["SPS_DATA_DIR"] = str(Path(args.data_dir).resolve())
    queries = time_queries(args.repeats)
    pages = time_pages(args.repeats)
    print(json.dumps({"queries": queries, "pages": pages}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
