"""The progress mart's SQL (dbt_project/models/marts/city_progress.sql) on small SYNTHETIC series, every expected
number worked out by hand in the comments (docs/methodology/progress.md explains the methods)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.fixtures.dbt_sql import run_model

Z = 1.959963984540054

OBSERVATION_COLUMNS = [
    "indicator_code", "geo_code", "sex", "age_group", "breakdown", "comparability_group", "period", "period_year",
    "value", "ci_low", "ci_high", "standard_error", "is_ci_approximate", "break_in_series", "quality_note",
    "uncertainty_method",
]  # fmt: skip
INDICATORS = pd.DataFrame(
    [
        ("zz_feel_safe", "perception", True),
        ("zz_harassment", "survey", False),
        ("zz_robbery_rate", "police_recorded", False),
        ("zz_open_space", "city_report", True),
        ("zz_audit_score", "safety_audit", True),
        ("zz_audit_count", "safety_audit", True),
    ],
    columns=["indicator_code", "indicator_family", "higher_is_better"],
)
NO_TARGETS = pd.DataFrame(
    {
        "indicator_code": pd.Series(dtype="str"),
        "geo_code": pd.Series(dtype="str"),
        "target_value": pd.Series(dtype="float"),
        "target_year": pd.Series(dtype="int"),
        "baseline_year": pd.Series(dtype="int"),
        "target_source": pd.Series(dtype="str"),
        "source": pd.Series(dtype="str"),
    }
)


def obs(indicator, geo, group, period, value, se=None, *, ci=None, brk=False, note=None, sex=None, approx=True):
    """One SYNTHETIC observation; the interval is value +- 1.96 se unless given."""
    if ci is None and se is not None:
        ci = (value - Z * se, value + Z * se)
    low, high = ci if ci else (None, None)
    year = int(str(period)[:4])
    method = "wilson" if se is not None else "not_applicable" if indicator.endswith("_rate") else "none"
    return (indicator, geo, sex, None, None, group, str(period), year, value, low, high, se, approx and se is not None,
            brk, note, method)  # fmt: skip


def observations(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=OBSERVATION_COLUMNS)
    frame["observation_id"] = [f"zz-{i}" for i in range(len(frame))]  # unique, as fct_observations' contract says
    return frame


def progress(rows, targets=None) -> pd.DataFrame:
    frame = observations(rows)
    result = run_model(
        "city_progress",
        {
            "fct_observations": frame,
            "indicators": INDICATORS,
            "int_progress_targets": targets if targets is not None else NO_TARGETS,
        },
    )
    return result.sort_values(["indicator_code", "geo_code", "method", "from_period"]).reset_index(drop=True)


def one(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    assert mask.sum() == 1, f"{mask.sum()} rows match {where}:\n{frame}"
    return frame[mask].iloc[0]


SURVEY = [
    # ZZ001C, more feeling safe is better: 2006 without interval, then 2009, 2012, 2015 with standard errors
    obs("zz_feel_safe", "ZZ001C", "g:feel", 2006, 55.0, None, note="No 95 % interval: registry has no sample size."),
    obs("zz_feel_safe", "ZZ001C", "g:feel", 2009, 60.0, 2.0),
    obs("zz_feel_safe", "ZZ001C", "g:feel", 2012, 66.0, 2.1),
    obs("zz_feel_safe", "ZZ001C", "g:feel", 2015, 70.0, 2.0),
    # the same indicator asked differently (another comparability group): never paired with the rows above
    obs("zz_feel_safe", "ZZ001C", "g:night", 2019, 40.0, 1.5),
    # ZZ002C: a small rise, within sampling error
    obs("zz_feel_safe", "ZZ002C", "g:feel", 2012, 68.0, 2.1),
    obs("zz_feel_safe", "ZZ002C", "g:feel", 2015, 70.0, 2.0),
    # harassment, less is better: a rise is a deterioration
    obs("zz_harassment", "ZZ001C", "g:har", "2016/17", 10.0, 0.8),
    obs("zz_harassment", "ZZ001C", "g:har", "2019/20", 13.0, 0.9),
]


def test_survey_change_test_follows_from_its_own_change_se():
    result = progress(SURVEY)
    survey = result[result["method"] == "survey_change_95"]
    # 2009 -> 2015: change 70 - 60 = 10, se = sqrt(2.0^2 + 2.0^2) = 2.8284; 10 > 1.96 x 2.8284 = 5.544
    row = one(survey, geo_code="ZZ001C", from_period="2009")
    assert row["change"] == pytest.approx(10.0)
    assert row["change_se"] == pytest.approx(math.sqrt(8.0))
    assert row["change_ci_low"] == pytest.approx(10.0 - Z * math.sqrt(8.0))
    assert row["change_ci_high"] == pytest.approx(10.0 + Z * math.sqrt(8.0))
    assert row["assessment"] == "significant improvement"
    assert row["to_period"] == "2015" and row["from_value"] == 60.0 and row["to_value"] == 70.0
    # 2012 -> 2015: change 4, se = sqrt(2.1^2 + 2.0^2) = 2.9, 4 < 1.96 x 2.9 = 5.684: no significant change
    row = one(survey, geo_code="ZZ001C", from_period="2012")
    assert row["change_se"] == pytest.approx(2.9)
    assert row["assessment"] == "no significant change"
    assert "approximate" in row["note"]
    # ZZ002C 2012 -> 2015: change 2 within sampling error
    assert one(survey, geo_code="ZZ002C", from_period="2012")["assessment"] == "no significant change"
    # harassment 2016/17 -> 2019/20: +3 with se sqrt(0.64 + 0.81) = 1.2042 > ... a deterioration (less is better)
    row = one(survey, indicator_code="zz_harassment")
    assert row["change"] == pytest.approx(3.0) and row["change_se"] == pytest.approx(math.sqrt(1.45))
    assert row["assessment"] == "significant deterioration"
    # the annual growth rate of the window: (70 / 60)^(1/6) - 1 = 2.6025 % a year
    assert one(survey, geo_code="ZZ001C", from_period="2009")["annual_growth_rate"] == pytest.approx(
        100 * ((70 / 60) ** (1 / 6) - 1)
    )


def test_rows_without_uncertainty_are_not_assessable_and_say_why():
    row = one(progress(SURVEY), geo_code="ZZ001C", from_period="2006")
    assert row["assessment"] == "not assessable (no uncertainty)"
    assert pd.isna(row["change_se"]) and pd.isna(row["change_ci_low"]) and pd.isna(row["change_ci_high"])
    assert row["change"] == pytest.approx(15.0)  # the difference is a fact; its significance is not
    assert "2006: No 95 % interval: registry has no sample size." in row["note"]


def test_two_comparability_groups_are_never_joined():
    result = progress(SURVEY)
    feel = result[(result["indicator_code"] == "zz_feel_safe") & (result["geo_code"] == "ZZ001C")]
    assert set(feel["comparability_group"]) == {"g:feel"}  # g:night has one period: nothing to compare
    assert "2019" not in set(feel["to_period"]) | set(feel["from_period"])
    assert set(feel["from_period"]) == {"2006", "2009", "2012"}


def test_never_across_a_break_in_series():
    rows = [
        obs("zz_feel_safe", "ZZ003C", "g:feel", 2009, 50.0, 2.0),
        obs("zz_feel_safe", "ZZ003C", "g:feel", 2012, 60.0, 2.0, brk=True),  # not comparable with 2009
        obs("zz_feel_safe", "ZZ003C", "g:feel", 2015, 64.0, 2.0),
    ]
    result = progress(rows)
    crossing = one(result, from_period="2009")
    assert crossing["assessment"] == "not assessable (break in series)"
    assert pd.isna(crossing["change"]) and pd.isna(crossing["change_se"])
    assert "break in series in 2012" in crossing["note"]
    after = one(result, from_period="2012")
    assert after["change"] == pytest.approx(4.0) and after["assessment"] == "no significant change"


POLICE = [
    # robbery per 100 000 in region ZZ1 (less is better), 2010-2020; 2015 = 100, 2020 = 90
    *(obs("zz_robbery_rate", "ZZ1", "crim:ZZ", year, value) for year, value in [
        (2010, 120.0), (2011, 118.0), (2012, 110.0), (2013, 108.0), (2014, 104.0), (2015, 100.0), (2016, 97.0),
        (2017, 95.0), (2018, 93.0), (2019, 91.0), (2020, 90.0)]),
    # a region whose rate starts at zero: no growth rate for Eurostat; Open SDG replaces the zero by 0.001
    obs("zz_robbery_rate", "ZZ2", "crim:ZZ", 2015, 0.0),
    obs("zz_robbery_rate", "ZZ2", "crim:ZZ", 2016, 1.0),
    obs("zz_robbery_rate", "ZZ2", "crim:ZZ", 2020, 2.0),
]  # fmt: skip


def test_eurostat_trend_over_the_last_five_years_and_since_the_baseline():
    result = progress(POLICE)
    trend = result[(result["method"] == "eurostat_sdg_trend") & (result["geo_code"] == "ZZ1")]
    # the last 5 years start in 2015 = the baseline year 2015: one row, not two
    row = one(trend, from_period="2015")
    assert len(trend) == 1
    # CAGR = (90 / 100)^(1/5) - 1 = -2.0852 % a year; desired direction down: +2.0852 >= 1: significant progress
    assert row["annual_growth_rate"] == pytest.approx(100 * (0.9**0.2 - 1))
    assert row["assessment"] == "significant progress"
    assert pd.isna(row["change_se"])  # no sampling error
    assert "police-recorded" in row["note"] and "Eurostat short-term" in row["note"]
    open_sdg = one(result, method="open_sdg", geo_code="ZZ1")
    assert open_sdg["assessment"] == "substantial progress"  # 2.0852 % >= 1.5 %
    assert one(result, method="eurostat_sdg_trend", geo_code="ZZ2")["assessment"] == (
        "not assessable (zero or negative start value)"
    )
    # Open SDG: (2 / 0.001)^(1/5) - 1 = 356.3 % a year upwards, less is better: deterioration
    zero = one(result, method="open_sdg", geo_code="ZZ2")
    assert zero["annual_growth_rate"] == pytest.approx(100 * ((2 / 0.001) ** 0.2 - 1))
    assert zero["assessment"] == "deterioration"


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        (95.5, "moderate progress"),  # (95.5/100)^(1/5)-1 = -0.92 %: between 0 and 1 % the right way
        (101.0, "moderate movement away"),  # +0.199 %: between 0 and -1 % the wrong way
        (110.0, "significant movement away"),  # +1.924 %
    ],
)
def test_eurostat_thresholds(end, expected):
    rows = [obs("zz_robbery_rate", "ZZ9", "crim:ZZ", 2015, 100.0), obs("zz_robbery_rate", "ZZ9", "crim:ZZ", 2020, end)]
    assert one(progress(rows), method="eurostat_sdg_trend")["assessment"] == expected


def targets(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "indicator_code",
            "geo_code",
            "target_value",
            "target_year",
            "baseline_year",
            "target_source",
            "source",
        ],
    )


def test_eurostat_and_open_sdg_target_methods():
    result = progress(POLICE, targets(("zz_robbery_rate", "ZZ1", 50.0, 2030, 2015, "city", "safety plan")))
    # required CAGR = (50 / 100)^(1/15) - 1 = -4.5158 % a year; actual -2.0852 %; ratio 0.4618: insufficient
    row = one(result, method="eurostat_sdg_target")
    assert row["target_value"] == 50.0 and row["target_year"] == 2030 and row["from_period"] == "2015"
    assert row["assessment"] == "insufficient progress towards the target"
    assert "required growth rate -4.52 % a year" in row["note"]
    assert "target set by the city (safety plan), baseline year 2015" in row["note"]
    # Open SDG with a target: ratio -1 x -0.020852 / 0.045158 = 0.4618, below 0.6: limited progress
    assert one(result, method="open_sdg", geo_code="ZZ1")["assessment"] == "limited progress"
    # a target already met
    met = progress(POLICE, targets(("zz_robbery_rate", "ZZ1", 95.0, 2030, 2015, "city", "plan")))
    assert one(met, method="eurostat_sdg_target")["assessment"] == "target met"
    assert one(met, method="open_sdg", geo_code="ZZ1")["assessment"] == "target achieved"


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ((72.0, 78.0), "cannot tell"),  # the path value 74 is inside the interval
        ((74.5, 79.0), "on track"),  # the whole interval is above the path
        ((70.0, 73.0), "off track"),  # the whole interval is below it
    ],
)
def test_target_uses_the_interval_of_the_latest_value(ci, expected):
    rows = [
        obs("zz_feel_safe", "ZZ001C", "g:feel", 2015, 70.0, 2.0),
        obs("zz_feel_safe", "ZZ001C", "g:feel", 2019, 75.0, 1.5, ci=ci),
    ]
    result = progress(rows, targets(("zz_feel_safe", "ZZ001C", 80.0, 2025, 2015, "city", "strategy")))
    row = one(result, method="target_ci")
    # straight path from 70 in 2015 to 80 in 2025: 70 + 10 x 4 / 10 = 74 in 2019
    assert row["assessment"] == expected
    assert f"path value 74.0 in 2019, latest 95 % interval {ci[0]} to {ci[1]}" in row["note"]
    assert row["target_value"] == 80.0 and row["target_year"] == 2025
    # the surveys' change test stays as it was, and no Eurostat row is made for a sampled series
    assert set(result["method"]) == {"survey_change_95", "target_ci"}


def test_a_city_target_wins_over_a_reference_target_and_breakdowns_get_none():
    rows = [
        obs("zz_robbery_rate", "ZZ1", "crim:ZZ", 2015, 100.0),
        obs("zz_robbery_rate", "ZZ1", "crim:ZZ", 2020, 90.0),
        obs("zz_robbery_rate", "ZZ1", "crim:ZZ", 2015, 100.0, sex="female"),
        obs("zz_robbery_rate", "ZZ1", "crim:ZZ", 2020, 90.0, sex="female"),
    ]
    result = progress(
        rows,
        targets(
            ("zz_robbery_rate", None, 10.0, 2030, 2015, "reference", "EU"),
            ("zz_robbery_rate", "ZZ1", 95.0, 2030, 2015, "city", "own"),
        ),
    )
    row = one(result, method="eurostat_sdg_target")
    assert row["target_value"] == 95.0 and pd.isna(row["sex"])


def test_nothing_to_assess_with_one_period():
    assert progress([obs("zz_feel_safe", "ZZ001C", "g:feel", 2015, 70.0, 2.0)]).empty


def test_site_audit_scores_are_tested_as_samples_and_audit_counts_as_counts():
    rows = [
        obs("zz_audit_score", "ZZ001C", "audit", 2022, 55.0, 3.0),  # bootstrap over sites
        obs("zz_audit_score", "ZZ001C", "audit", 2025, 66.0, 3.0),
        obs("zz_audit_count", "ZZ001C", "audit:n", 2020, 40.0),
        obs("zz_audit_count", "ZZ001C", "audit:n", 2025, 60.0),
    ]
    frame = observations(rows)
    frame.loc[frame["indicator_code"] == "zz_audit_count", "uncertainty_method"] = "not_applicable"
    result = run_model(
        "city_progress", {"fct_observations": frame, "indicators": INDICATORS, "int_progress_targets": NO_TARGETS}
    )
    score = one(result, indicator_code="zz_audit_score")
    # +11 with se sqrt(9 + 9) = 4.243: 11 > 8.32, a significant improvement
    assert (score["method"], score["assessment"]) == ("survey_change_95", "significant improvement")
    assert score["change_se"] == pytest.approx(math.sqrt(18))
    assert set(result.loc[result["indicator_code"] == "zz_audit_count", "method"]) == {"eurostat_sdg_trend", "open_sdg"}
