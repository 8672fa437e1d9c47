"""The Great Expectations suite over fct_observations finds SYNTHETIC rows that make no statistical sense, and is
wired as an asset check on marts/fct_observations that publish waits for."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from pipelines.checks import FCT_OBSERVATIONS, validate_observations


def _rows(**changes):
    row = {
        "observation_id": "ok",
        "value": 50.0,
        "ci_low": 45.0,
        "ci_high": 55.0,
        "source_type": "survey",
        "uncertainty_method": "wilson",
        "pct": 50.0,
        "non_pct": None,
    }
    return row | changes


def test_every_rule_names_its_offending_observations():
    frame = pd.DataFrame(
        [
            _rows(),
            _rows(observation_id="pct140", value=140.0, pct=140.0, ci_low=None, ci_high=None),
            _rows(observation_id="negative_rate", value=-3.0, pct=None, non_pct=-3.0, ci_low=None, ci_high=None),
            _rows(observation_id="inverted", ci_low=60.0, ci_high=40.0),
            _rows(observation_id="unknown_source", source_type="blog"),
            _rows(observation_id="unknown_method", uncertainty_method="guess"),
        ]
    )
    outcomes = {rule: (count, sample) for rule, count, sample in validate_observations(frame)}
    assert outcomes["percentages within 0-100"] == (1, ["pct140"])
    assert outcomes["rates and counts not negative"] == (1, ["negative_rate"])
    assert outcomes["interval low <= value"] == (1, ["inverted"])
    assert outcomes["value <= interval high"] == (1, ["inverted"])
    assert outcomes["known source type"] == (1, ["unknown_source"])
    assert outcomes["known uncertainty method"] == (1, ["unknown_method"])


def test_clean_observations_pass_every_rule():
    outcomes = validate_observations(pd.DataFrame([_rows(), _rows(observation_id="b", ci_low=None, ci_high=None)]))
    assert [count for _, count, _ in outcomes] == [0] * 6


def test_the_suite_is_an_asset_check_on_fct_observations():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    key = dg.AssetCheckKey(FCT_OBSERVATIONS, "gx_observations_make_sense")
    assert key in graph.asset_check_keys
    assert key in defs.resolve_job_def("refresh").asset_layer.asset_graph.asset_check_keys
