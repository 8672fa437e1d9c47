"""Every chart of the dashboard has a text alternative (WCAG 2.1 SC 1.1.1): each call of
dashboards.common.altair_chart passes a generated sentence, and the sentence of a ranked chart names the highlighted
city with its value, period, 95 % interval and rank interval, in the reader's language. The frame below is a small
SYNTHETIC fixture (three cities, made-up values)."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from dashboards import chart_text
from pipelines.shared import i18n

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
SYNTHETIC = pd.DataFrame(
    {
        "geo_code": ["LV001C", "ES001C", "FI001C"],
        "city": ["Rīga", "Madrid", "Helsinki"],
        "value": [61.0, 70.5, 80.0],
        "ci_low": [58.0, None, 77.0],
        "ci_high": [64.0, None, 83.0],
    }
)


STREAMLIT_CHARTS = {"altair_chart", "vega_lite_chart", "pydeck_chart", "plotly_chart", "map", "line_chart",
                    "bar_chart", "area_chart", "scatter_chart", "pyplot", "bokeh_chart", "graphviz_chart"}  # fmt: skip


def _calls() -> list[tuple[str, ast.Call]]:
    """Every call drawing a chart: the project's altair_chart(...) and Streamlit's own st.<chart>(...)."""
    calls = []
    for path in sorted(DASHBOARDS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            ours = isinstance(func, ast.Name) and func.id == "altair_chart"
            streamlit = (
                isinstance(func, ast.Attribute)
                and func.attr in STREAMLIT_CHARTS
                and (ast.unparse(func.value) in ("st", "st.sidebar") or ast.unparse(func.value).startswith("columns"))
            )
            if ours or streamlit:
                calls.append((f"{path.relative_to(DASHBOARDS)}:{node.lineno}", node))
    return calls


def test_every_chart_of_the_dashboard_is_drawn_with_a_generated_text_alternative():
    calls = _calls()
    assert len(calls) >= 10  # the pages' charts, all through dashboards.common.altair_chart
    without = []
    for where, call in calls:
        if where.startswith("common.py"):  # the helper itself draws with st.altair_chart
            assert getattr(call.func, "attr", "") == "altair_chart"
            continue
        description = (
            call.args[1]
            if len(call.args) > 1
            else next((k.value for k in call.keywords if k.arg == "description"), None)
        )
        generated = isinstance(description, ast.Call) and "chart_text" in ast.unparse(description.func)
        if getattr(call.func, "id", None) != "altair_chart" or not generated:
            without.append(where)
    assert without == [], f"charts without a dashboards.chart_text sentence: {without}"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Rīga, 2019: 61.0 %, 95 % CI 58.0–64.0, rank 72–80 of 83. Feel safe, 2019: 3 bars; highest Helsinki "
               "(80.0 %), lowest Rīga (61.0 %), median 70.5 %."),
        ("fr", "Rīga, 2019 : 61,0 %, IC à 95 % 58,0–64,0, rang 72–80 sur 83. Feel safe, 2019 : 3 barres ; la plus "
               "haute Helsinki (80,0 %), la plus basse Rīga (61,0 %), médiane 70,5 %."),
    ],
)  # fmt: skip
def test_a_ranked_chart_says_the_highlighted_city_s_value_interval_and_rank(lang, expected):
    with i18n.using(lang):
        rank = i18n.translate("rank {best}–{worst} of {cities}", best=72, worst=80, cities=83)
        sentence = chart_text.ranked(SYNTHETIC, "city", "%", "Feel safe", "2019", "LV001C", rank)
    assert sentence == expected


def test_a_ranked_chart_without_values_says_so():
    assert chart_text.ranked(SYNTHETIC.assign(value=None), "city", "%", "Feel safe", "2019") == (
        "Feel safe: no value to draw."
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Feel safe, 2019/20: one bar, Madrid (70.5 %)."),
        ("fr", "Feel safe, 2019/20 : une barre, Madrid (70,5 %)."),
    ],
)
def test_a_chart_of_one_bar_names_it_without_highest_lowest_and_median(lang, expected):
    """One bar has no highest, lowest and median ("highest England and Wales ... lowest England and Wales")."""
    with i18n.using(lang):
        assert chart_text.ranked(SYNTHETIC.iloc[[1]], "city", "%", "Feel safe", "2019/20") == expected
