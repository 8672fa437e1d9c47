"""Survey results sent in the SPS template go through the real refresh: a published interval is kept, a
sample size with a design effect gives a Wilson interval, neither gives 'none'; a bad file fails that
source with every problem listed and leaves the published version as it was."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.versions.connection import connect_version
from tests.conftest import run_sps, sps_env
from tests.integration.refresh_control import copy_baseline

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "survey_template" / "synthetic_results.csv"
Z = 1.959963984540054


def _published(data: Path) -> duckdb.DuckDBPyConnection:
    return connect_version(str(data / "published" / (data / "published" / "CURRENT").read_text().strip()))


def test_survey_template_results_keep_their_uncertainty(tmp_path, snapshot_dir, refreshed_data_dir):
    data, snap = copy_baseline(refreshed_data_dir, snapshot_dir, tmp_path)
    (snap / "survey_results").mkdir()
    shutil.copy(FIXTURE, snap / "survey_results" / FIXTURE.name)
    first = run_sps(["refresh"], sps_env(data, snap))
    assert first.returncode == 0, first.stderr[-2000:]
    with _published(data) as db:
        rows = {
            r[0]: r[1:]
            for r in db.execute(
                "select coalesce(sex, breakdown, 'total'), value, ci_low, ci_high, sample_size, uncertainty_method, "
                "submission_id, comparability_group from fct_observations where source_dataset = 'survey_results'"
            ).fetchall()
        }
    assert rows["total"][:5] == (61.5, 58.2, 64.8, None, "published")
    assert rows["total"][5] == f"survey_results/{FIXTURE.name}"
    assert rows["total"][6] == "survey_results:feel_safe_after_dark:synthetic test survey (fixture)"
    p, n_eff = 0.52, 800 / 1.5  # the design effect shrinks the effective sample
    centre = (p + Z**2 / (2 * n_eff)) / (1 + Z**2 / n_eff)
    half = Z * math.sqrt(p * (1 - p) / n_eff + Z**2 / (4 * n_eff**2)) / (1 + Z**2 / n_eff)
    assert rows["female"][4] == "wilson"
    assert rows["female"][1] == pytest.approx(100 * (centre - half), abs=1e-4)
    assert rows["female"][2] == pytest.approx(100 * (centre + half), abs=1e-4)
    assert rows["Place of occurrence=public transport"][1:5] == (None, None, None, "none")

    before = (data / "published" / "CURRENT").read_text()
    (snap / "survey_results" / "broken.csv").write_text(
        FIXTURE.read_text().splitlines()[0] + "\n"
        "feel_safe_after_dark,LV001C,2024,,,,abc,,,,,S,P,,,\n"
        "feel_safe_after_dark,riga,2024,,,,50,60,70,,,S,P,,,\n"
    )
    second = run_sps(["refresh"], sps_env(data, snap))
    assert second.returncode == 4  # the only source to refresh failed
    assert "3 problem(s)" in second.stderr and "Stack Trace" not in second.stderr
    for expected in (
        "broken.csv, line 2, column estimate",
        "broken.csv, line 3, column geo_code",
        "broken.csv, line 3, column ci_low",
    ):
        assert expected in second.stderr
    assert (data / "published" / "CURRENT").read_text() == before
