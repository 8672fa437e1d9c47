"""City uploads waiting in the inbox go through the real refresh on the real snapshot: a resubmission
supersedes the earlier value but both stay in the history, a district is a geography of its city, a local
indicator stays out of fct_observations. The submissions are SYNTHETIC (tests/fixtures/city_inbox.py)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import duckdb
import pytest

from pipelines.versions.connection import connect_version
from tests.conftest import refreshed_copy, run_sps, sps_env
from tests.fixtures.city_inbox import write_submission

pytestmark = pytest.mark.integration
Z = 1.959963984540054
PERCENT = "% of population"
RATE = "offences per 100 000 inhabitants"


def _published(data) -> duckdb.DuckDBPyConnection:
    return connect_version(str(data / "published" / (data / "published" / "CURRENT").read_text().strip()))


def _wilson(percent: float, n: int) -> tuple[float, float]:
    p = percent / 100
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return 100 * (centre - half), 100 * (centre + half)


@pytest.fixture(scope="module")
def city_reported(tmp_path_factory, snapshot_dir, refreshed_data_dir):
    data = refreshed_copy(refreshed_data_dir, tmp_path_factory.mktemp("city_submissions") / "data")
    inbox = data / "inbox"
    first = write_submission(
        inbox,
        "20260101T090000000000",
        "LV001C",
        [
            {
                "indicator_code": "feel_safe_after_dark",
                "geo_code": "LV001C",
                "period": "2023",
                "value": "60",
                "unit": PERCENT,
                "sample_size": "700",
            },
            {
                "indicator_code": "homicide_rate",
                "geo_code": "LV001C",
                "period": "2022",
                "value": "3.1",
                "unit": RATE,
                "sample_size": "1000",
            },
            {
                "indicator_code": "feel_safe_after_dark",
                "geo_code": "LV001C:Centrs",
                "parent_geo_code": "LV001C",
                "period": "2023",
                "value": "55",
                "unit": PERCENT,
                "ci_low": "50",
                "ci_high": "60",
            },
            {
                "indicator_code": "local:LV001C:lit_streets",
                "geo_code": "LV001C",
                "period": "2023",
                "value": "87.5",
                "unit": "% of streets",
                "local_indicator_name": "Streets with working lighting (SYNTHETIC)",
                "local_indicator_unit": "% of streets",
                "local_indicator_description": "Synthetic test indicator.",
            },
        ],
        original_filename="riga_2023.csv",
    )
    second = write_submission(
        inbox,
        "20260201T090000000000",
        "LV001C",
        [
            {
                "indicator_code": "feel_safe_after_dark",
                "geo_code": "LV001C",
                "period": "2023",
                "value": "62.5",
                "unit": PERCENT,
                "sample_size": "700",
                "note": "corrected weighting",
            }
        ],
        original_filename="riga_2023_corrected.csv",
    )
    result = run_sps(["refresh"], sps_env(data, snapshot_dir))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # the observations were validated in its Great Expectations worker process (docs/adr/0027), which ended without
    # a word on stderr
    assert "Traceback" not in result.stderr and "worker" not in result.stderr, result.stderr[-3000:]
    # nor a word from Dagster's Python loggers (dbt's telemetry library gives the root logger a stderr handler):
    # without --verbose, what the run logs is in its event log, not on the terminal
    assert "dagster" not in result.stderr.lower(), result.stderr[-3000:]
    log = max((data / "logs").glob("refresh-*.log"), key=lambda path: path.stat().st_mtime).read_text()
    assert "gx_observations_make_sense: " in log and " observations validated in a worker process" in log
    assert "loaded 2 submission(s), 5 rows, from the inbox" in result.stdout
    return data, first, second


def test_resubmission_supersedes_the_earlier_value(city_reported):
    data, first, second = city_reported
    with _published(data) as db:
        rows = db.execute(
            "select value, report_version, submission_id, reported_at, is_official, comparability_group, "
            "uncertainty_method, ci_low, ci_high, sample_size, lineage_id, geo_level, source_dataset "
            "from fct_observations where source_type = 'city_report' and indicator_code = 'feel_safe_after_dark' "
            "and geo_code = 'LV001C'"
        ).fetchall()
    assert len(rows) == 1
    value, version, submission, reported_at, official, group, method, low, high, n, lineage, level, dataset = rows[0]
    assert (value, version, submission, official) == (62.5, 2, second, False)
    assert reported_at == datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    assert group == "city_report:feel_safe_after_dark:LV001C" and dataset == "city_report"
    assert (method, n, level) == ("wilson", 700, "city")
    assert (low, high) == pytest.approx(_wilson(62.5, 700), abs=1e-4)
    assert lineage == f"city_report/{second}/row-2"


def test_uncertainty_is_published_or_none_when_wilson_does_not_apply(city_reported):
    data, first, _ = city_reported
    with _published(data) as db:
        rows = {
            r[0]: r[1:]
            for r in db.execute(
                "select geo_code || '/' || indicator_code, uncertainty_method, ci_low, ci_high, sample_size, "
                "report_version, geo_level from fct_observations where source_type = 'city_report'"
            ).fetchall()
        }
    # a rate is not a proportion: its sample size gives no Wilson interval
    assert rows["LV001C/homicide_rate"] == ("none", None, None, 1000, 1, "city")
    assert rows["LV001C:Centrs/feel_safe_after_dark"] == ("published", 50.0, 60.0, None, 1, "district")
    assert len(rows) == 3


def test_both_versions_stay_in_the_history(city_reported):
    data, first, second = city_reported
    with _published(data) as db:
        history = db.execute(
            "select submission_id, report_version, is_latest, value, original_filename, length(sha256), "
            "superseded_by_submission_id, uploaded_at from submission_history "
            "where indicator_code = 'feel_safe_after_dark' and geo_code = 'LV001C' order by report_version"
        ).fetchall()
        total = db.execute("select count(*) from submission_history").fetchall()[0][0]
    assert [row[:7] for row in history] == [
        (first, 1, False, 60.0, "riga_2023.csv", 64, second),
        (second, 2, True, 62.5, "riga_2023_corrected.csv", 64, None),
    ]
    assert history[0][7] == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert total == 5


def test_a_district_is_a_geography_of_its_city(city_reported):
    data, _, _ = city_reported
    with _published(data) as db:
        district = db.execute(
            "select geo_level, parent_geo_code, country_code, has_geometry, register_source from dim_geographies "
            "where geo_code = 'LV001C:Centrs'"
        ).fetchall()
        city_parent = db.execute("select parent_geo_code from dim_geographies where geo_code = 'LV001C'").fetchall()
    assert district == [("district", "LV001C", "LV", False, "city submissions")]
    assert city_parent == [(None,)]


def test_a_local_indicator_stays_out_of_fct_observations(city_reported):
    data, first, _ = city_reported
    with _published(data) as db:
        assert db.execute("select count(*) from fct_observations where indicator_code like 'local:%'").fetchall() == [
            (0,)
        ]
        values = db.execute(
            "select city_code, indicator_code, geo_code, period, value, unit, submission_id, report_version "
            "from city_local_indicator_values"
        ).fetchall()
        dim = db.execute(
            "select city_code, indicator_code, name, unit, description from dim_local_indicators"
        ).fetchall()
    assert values == [("LV001C", "local:LV001C:lit_streets", "LV001C", "2023", 87.5, "% of streets", first, 1)]
    assert dim == [
        (
            "LV001C",
            "local:LV001C:lit_streets",
            "Streets with working lighting (SYNTHETIC)",
            "% of streets",
            "Synthetic test indicator.",
        )
    ]


def test_coverage_shows_what_each_city_reports(city_reported):
    data, _, second = city_reported
    with _published(data) as db:
        coverage = {
            r[0]: r[1:]
            for r in db.execute(
                "select indicator_code, periods_reported, districts_reported, latest_version, latest_upload_date, "
                "latest_submission_id, is_reported from city_reporting_coverage where city_code = 'LV001C'"
            ).fetchall()
        }
        catalogue = db.execute("select count(*) from dim_indicators").fetchall()[0][0]
        partnership = db.execute(
            "select count(*), bool_or(is_reported) from city_reporting_coverage where city_code = 'ES001C'"
        ).fetchall()[0]
    assert len(coverage) == catalogue
    assert coverage["feel_safe_after_dark"] == (1, 1, 2, date(2026, 2, 1), second, True)
    assert coverage["homicide_rate"][:4] == (1, 0, 1, date(2026, 1, 1))
    assert coverage["feel_safe_city"] == (0, 0, None, None, None, False)
    assert partnership == (catalogue, False)  # a partnership city that has not reported yet shows its gaps
