"""The benchmark harness runs end to end at a tiny scale and writes every section; the scale generator
makes an exact, clearly synthetic ×N copy and never touches the real snapshot. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks.scale import SDMX_FILES, generate, split_factor
from tests.conftest import PROJECT_ROOT


def _cells(path) -> int:
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    return sum(len(line.split("\t")) - 1 for line in lines[1:])


def test_split_factor_is_exact():
    for factor in (1, 2, 3, 10, 12, 100):
        plan = split_factor(factor)
        assert plan.cities * plan.years == factor
    assert (split_factor(100).cities, split_factor(100).years) == (10, 10)


def test_scale_generator_writes_a_synthetic_copy_with_n_times_the_cells(snapshot_dir, tmp_path):
    before = {f: (snapshot_dir / f).stat().st_mtime for f in SDMX_FILES}
    info = generate(snapshot_dir, tmp_path / "x6", 6)
    out = tmp_path / "x6" / "snapshot"
    assert (info["cities_factor"], info["years_factor"]) == (2, 3)
    for relative in SDMX_FILES:
        assert _cells(out / relative) == 6 * _cells(snapshot_dir / relative)
    text = (out / "eurostat/urb_percep.tsv").read_text(encoding="utf-8")
    assert ",AT001C\t" in text and ",AT001C-SYN01\t" in text  # the real city and its marked copy
    assert "SYN02" not in text  # two city copies: the real one and SYN01
    assert "synthetic" in (tmp_path / "x6" / "SYNTHETIC.md").read_text().lower()
    assert info["uploads"] == 12 and all("-SYN" in p.name for p in (tmp_path / "x6" / "uploads").iterdir())
    assert {f: (snapshot_dir / f).stat().st_mtime for f in SDMX_FILES} == before


def test_scale_generator_refuses_to_write_inside_the_real_snapshot(snapshot_dir):
    with pytest.raises(ValueError, match="must not be written inside"):
        generate(snapshot_dir, snapshot_dir / "scaled", 2)


@pytest.mark.bench
@pytest.mark.integration
@pytest.mark.slow
def test_harness_runs_at_tiny_scale_and_writes_every_section(snapshot_dir, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--tiny", "--snapshot-dir", str(snapshot_dir),
         "--work", str(tmp_path / "work"), "--out", str(tmp_path / "results"), "--name", "smoke"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    markdown = (tmp_path / "results" / "smoke.md").read_text()
    for section in ("## Machine", "## Targets", "### Profile findings", "## 1-3. Refresh, lower bound",
                    "## 4. Dashboard at 2x", "## 5. Upload validation", "## 6. Start-up overhead",
                    "## 7. Upload -> published", "## 8. 2 concurrent sessions against `sps serve` at 2x"):  # fmt: skip
        assert section in markdown, section
    data = json.loads((tmp_path / "results" / "smoke.json").read_text())
    scale = data["scales"]["2"]
    assert scale["lower_bound"][0]["rows"]["fct_observations"] > 0
    assert scale["full_refresh_stages"]["dbt_build_s"]["n"] == 1
    assert scale["full_rebuild_stages"]["dbt_build_s"]["n"] == 1  # `sps refresh --full` ran a Dagster run
    assert "| rebuild (--full) |" in markdown
    assert scale["ratio_refresh_to_lower_bound"] > 0
    assert not any("skipped" in q for q in data["dashboard"]["2"]["queries"].values())  # every query timed
    assert not any(p.get("exception") for p in data["dashboard"]["2"]["pages"].values())
    errors = data["uploads"]["500_rows_50_errors"]["last"]
    assert errors["errors"] >= 50 and errors["report_table_rows"] == errors["problems"]
    ids = {t["id"].split(":")[0] for t in data["targets"]}
    assert {"refresh_1x", "refresh_ratio", "no_change", "dashboard", "upload_1m", "upload_report"} <= ids
    # issue 21: the bound produces the product's observations; the sessions talked to the real server; uploads
    # reached a published version
    assert scale["lower_bound_compare"] == {**scale["lower_bound_compare"], "only_in_bound": 0, "only_in_product": 0}
    assert data["sessions"]["errors"] == 0 and data["sessions"]["interactions"]["n"] == 2 * 4
    assert data["upload_latency"]["watch_latency_s"]["n"] == 2
    whole, after = data["upload_latency"]["upload_start_to_published_s"], data["upload_latency"]["watch_latency_s"]
    assert whole["n"] == 2 and whole["min"] >= after["min"]  # the whole wait holds the wait after the upload
    assert {"r2_upload_published", "r2_refresh_1x", "r2_lower_bound", "r2_dashboard_100", "r2_sessions"} <= ids
    assert not (tmp_path / "work" / "scale-2x").exists()  # scratch data folders are removed
