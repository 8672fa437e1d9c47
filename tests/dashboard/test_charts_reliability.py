"""Values flagged u (low reliability: a city survey's 30-99 respondents or a CV above 30 %, or Eurostat's flag) are
drawn hollow in the ranked bars and the time series; the specs stay valid Vega-Lite. SYNTHETIC frames."""

from __future__ import annotations

import pandas as pd
from altair.utils.schemapi import debug_mode

from dashboards import charts


def valid(chart) -> dict:
    with debug_mode(True):
        return chart.to_dict(validate=True)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "city": ["A", "B", "C"],
            "geo_code": ["PL013C", "BE012C", "FR008C"],
            "value": [62.3, 55.0, 70.1],
            "ci_low": [58.1, 44.0, 66.0],
            "ci_high": [66.4, 65.5, 74.0],
            "flags": [None, "u", "uw"],
            "comparison": ["selected city", "not statistically different", "statistically different"],
        }
    )


def test_low_reliability_bars_are_hollow_with_their_outline():
    spec = valid(charts.ranked_bars(frame(), "city", "%"))
    bars = spec["layer"][0]
    assert bars["encoding"]["fillOpacity"]["field"] == "low_reliability"
    assert bars["encoding"]["fillOpacity"]["scale"]["range"] == [1.0, 0.1]
    assert bars["encoding"]["stroke"]["field"] == "comparison"  # the outline keeps the comparison colour
    rows = {r["geo_code"]: r["low_reliability"] for r in spec["datasets"][bars["data"]["name"]]}
    assert rows == {"PL013C": False, "BE012C": True, "FR008C": True}
    plain = valid(charts.ranked_bars(frame().assign(flags=None), "city", "%"))
    assert "fillOpacity" not in plain["layer"][0]["encoding"]


def test_low_reliability_points_are_hollow_in_the_time_series():
    series = (
        frame()
        .drop(columns="comparison")
        .assign(
            period_year=[2026, 2026, 2026], period=["2026"] * 3, source_dataset="city_survey", break_in_series=False
        )
    )
    spec = valid(charts.city_time_series(series, "%"))
    points = next(layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "point")
    assert points["encoding"]["fillOpacity"]["field"] == "low_reliability"
