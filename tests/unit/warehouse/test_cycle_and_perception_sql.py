"""The reporting-cycle mart and the perception-versus-recorded-crime mart on small SYNTHETIC tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.fixtures.dbt_sql import run_model

CYCLES = pd.DataFrame(
    [
        (2026, dt.date(2026, 3, 1), dt.date(2027, 1, 31), 2023, 2025, "ind_a;ind_b;ind_c", ""),
        (2027, dt.date(2027, 3, 1), dt.date(2028, 1, 31), 2024, 2026, "ind_a;ind_d", ""),
    ],
    columns=["cycle", "opens_on", "closes_on", "first_period_year", "last_period_year", "indicators_requested", "note"],
)
GEOGRAPHIES = pd.DataFrame(
    [
        ("ZZ001C", "city", "Zedtown", None, True),
        ("ZZ001C:d1", "district", "Zedtown district 1", "ZZ001C", False),
        ("ZZ002C", "city", "Yville ", None, True),
        ("ZZ003C", "city", "Xburg", None, True),
        ("ZZ004C", "city", "Wtown", None, False),
        ("ZZ", "country", "Zedland", None, False),
    ],
    columns=["geo_code", "geo_level", "geo_name", "parent_geo_code", "is_partnership_city"],
)


def observation(indicator, geo, year, source_type="city_report", submission=None, reported=None):
    return (indicator, geo, year, 1.0, source_type, submission, pd.Timestamp(reported, tz="UTC") if reported else None)


def cycle_status(observations, uploads) -> pd.DataFrame:
    frame = pd.DataFrame(
        observations,
        columns=["indicator_code", "geo_code", "period_year", "value", "source_type", "submission_id", "reported_at"],
    )
    frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True)
    files = pd.DataFrame(uploads, columns=["submission_id", "city_code", "uploaded_at"])
    files["uploaded_at"] = pd.to_datetime(files["uploaded_at"], utc=True, format="ISO8601")
    result = run_model(
        "city_cycle_status",
        {
            "reporting_cycles": CYCLES,
            "partnership_cities": pd.DataFrame({"geo_code": ["ZZ001C", "ZZ002C", "ZZ003C"]}),
            "stg_city__submission_files": files,
            "fct_observations": frame,
            "dim_geographies": GEOGRAPHIES,
        },
    )
    return result.set_index(["cycle", "city_code"])


def test_status_per_city_and_cycle_by_channel():
    result = cycle_status(
        [
            # Zedtown: a upload for the city, b from its district, c from an official source: complete in 2026
            observation("ind_a", "ZZ001C", 2025, submission="s1", reported="2026-04-02 10:00"),
            observation("ind_b", "ZZ001C:d1", 2024, submission="s1", reported="2026-04-02 10:00"),
            observation("ind_c", "ZZ001C", 2023, source_type="eurostat"),
            # Yville: one of three in 2026 (a survey it sent); a value of 2022 is before the cycle's data years
            observation("ind_b", "ZZ002C", 2025, source_type="survey", submission="s2"),
            observation("ind_a", "ZZ002C", 2022, submission="s3", reported="2026-05-01"),
            # Wtown is not a partnership city but uploaded: listed
            observation("ind_d", "ZZ004C", 2026, submission="s4", reported="2027-06-01"),
        ],
        [("s1", "ZZ001C", "2026-04-02 10:00"), ("s3", "ZZ002C", "2026-05-01"), ("s4", "ZZ004C", "2027-06-01")],
    )
    zed = result.loc[(2026, "ZZ001C")]
    assert zed["status"] == "complete" and zed["indicators_reported"] == 3 and zed["share_reported"] == 1.0
    assert zed["reported_by_city_upload"] == "ind_a, ind_b"
    assert zed["reported_by_official_source"] == "ind_c"
    assert pd.isna(zed["missing_indicators"])
    assert zed["last_submission_at"] == pd.Timestamp("2026-04-02 10:00", tz="UTC")
    yville = result.loc[(2026, "ZZ002C")]
    assert yville["status"] == "partial" and yville["reported_by_city_survey"] == "ind_b"
    assert yville["missing_indicators"] == "ind_a, ind_c"
    assert yville["share_reported"] == pytest.approx(1 / 3)
    assert yville["city_name"] == "Yville"
    # its upload of 2026-05-01 came while the 2026 cycle was open, though its value is too old to count
    assert yville["last_submission_at"] == pd.Timestamp("2026-05-01", tz="UTC")
    xburg = result.loc[(2026, "ZZ003C")]
    assert xburg["status"] == "none" and xburg["missing_indicators"] == "ind_a, ind_b, ind_c"
    assert pd.isna(xburg["last_submission_at"])
    assert result.loc[(2027, "ZZ004C")]["status"] == "partial"  # ind_d of 2026, not ind_a
    assert not result.loc[(2027, "ZZ004C")]["is_partnership_city"]
    assert result.loc[(2027, "ZZ001C")]["reported_by_city_upload"] == "ind_a"  # 2025 is in 2024-2026 too
    assert sorted(result.index.get_level_values("city_code").unique()) == ["ZZ001C", "ZZ002C", "ZZ003C", "ZZ004C"]


def test_perception_next_to_the_nearest_police_year_ranked_within_the_country():
    indicators = pd.DataFrame(
        [("feel_safe_zz", "perception", True), ("robbery", "police_recorded", False), ("trust_zz", "survey", True)],
        columns=["indicator_code", "indicator_family", "higher_is_better"],
    )

    def row(indicator, geo, level, year, value, group, dataset="urb_percep"):
        return (indicator, geo, level, str(year), year, value, None, None, group, dataset, None, None, None)

    observations = pd.DataFrame(
        [
            row("feel_safe_zz", "ZZ001C", "city", 2015, 80.0, "urb:feel"),
            row("trust_zz", "ZZ001C", "city", 2015, 50.0, "city:trust"),  # not a share feeling safe: left out
            row("feel_safe_zz", "ZZ002C", "city", 2015, 60.0, "urb:feel"),
            row("feel_safe_zz", "YY001C", "city", 2015, 70.0, "urb:feel"),
            row("robbery", "ZZ11", "nuts3", 2014, 50.0, "crim:ZZ", "crim_gen_reg"),  # one year before
            row("robbery", "ZZ11", "nuts3", 2016, 55.0, "crim:ZZ", "crim_gen_reg"),  # one year after: the earlier wins
            row("robbery", "ZZ12", "nuts3", 2015, 90.0, "crim:ZZ", "crim_gen_reg"),
            row("robbery", "YY11", "nuts3", 2010, 10.0, "crim:YY", "crim_gen_reg"),  # 5 years off: not paired
        ],
        columns=["indicator_code", "geo_code", "geo_level", "period", "period_year", "value", "ci_low", "ci_high",
                 "comparability_group", "source_dataset", "sex", "age_group", "breakdown"],
    )  # fmt: skip
    areas = pd.DataFrame(
        [("ZZ001C", "region", "ZZ11", "crim_gen_reg"), ("ZZ002C", "region", "ZZ12", "crim_gen_reg"),
         ("YY001C", "region", "YY11", "crim_gen_reg")],
        columns=["city_code", "context", "area_code", "source_dataset"],
    )  # fmt: skip
    geographies = pd.DataFrame(
        [("ZZ001C", "Zedtown", "ZZ"), ("ZZ002C", "Yville", "ZZ"), ("YY001C", "Xburg", "YY")],
        columns=["geo_code", "geo_name", "country_code"],
    )
    result = run_model(
        "city_perception_vs_police",
        {
            "fct_observations": observations,
            "indicators": indicators,
            "city_context_areas": areas,
            "dim_geographies": geographies,
        },
    ).set_index("geo_code")
    assert list(result.index) == ["ZZ001C", "ZZ002C"] and set(result["perception_indicator_code"]) == {
        "feel_safe_zz"
    }  # Xburg's police year is more than 3 years away
    zed = result.loc["ZZ001C"]
    assert zed["police_period"] == "2014" and zed["year_gap"] == -1 and zed["police_rate"] == 50.0
    assert zed["rank_feeling_safe_in_country"] == 1 and zed["rank_police_rate_in_country"] == 1
    assert result.loc["ZZ002C", "rank_police_rate_in_country"] == 2 and zed["cities_in_country"] == 2
    assert zed["percentile_feeling_safe"] == 100.0 and result.loc["ZZ002C", "percentile_feeling_safe"] == 0.0
