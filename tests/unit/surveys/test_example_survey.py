"""The SYNTHETIC Toruń example in examples/surveys/: the committed files are exactly what the documented generator
writes, and the survey kit accepts them as a city would send them (Polish labels, Kobo headers, 8 districts,
two-stage design)."""

from __future__ import annotations

import importlib.util

import polars as pl

from pipelines.settings import PROJECT_ROOT
from pipelines.surveys.check import check_survey, estimate_survey

FOLDER = PROJECT_ROOT / "examples" / "surveys"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_torun_survey", FOLDER / "generate_torun_survey.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_example_is_what_the_generator_writes(tmp_path):
    written = _generator().generate(tmp_path)
    for path in written.values():
        assert path.read_bytes() == (FOLDER / path.name).read_bytes(), path.name
    assert "SYNTHETIC" in (FOLDER / "design.yml").read_text(encoding="utf-8")
    assert "SYNTHETIC" in (FOLDER / "README.md").read_text(encoding="utf-8")


def test_the_example_is_accepted_and_estimated_for_torun():
    check = check_survey(
        (FOLDER / "torun_2026_kobo_export.csv").read_bytes(),
        "torun_2026_kobo_export.csv",
        "PL013C",
        design_yml=(FOLDER / "design.yml").read_bytes(),
    )
    assert check.accepted and check.warnings == [], [str(p) for p in check.problems]
    assert 750 <= check.survey["achieved_n"] <= 850
    assert (check.survey["strata"], check.survey["psus"], check.design.weighting) == (8, 48, "design")
    assert check.period == "2026" and check.survey["response_rate"] == 0.48
    rows = estimate_survey(check)
    safe = rows.filter(pl.col("indicator_code") == "feel_safe_after_dark")
    assert sorted(g for g in safe["geo_code"] if ":" in g) == [f"PL013C:d0{i}" for i in range(1, 9)]
    total = safe.filter(pl.col("geo_code") == "PL013C", pl.col("sex").is_null(), pl.col("age_group").is_null())
    total = total.filter(pl.col("breakdown").is_null()).row(0, named=True)
    assert total["df"] == 40 and total["ci_low"] < total["value"] < total["ci_high"]
    # Raking the same interviews to the example margins instead of the file's weights gives a close estimate.
    raked = check_survey(
        (FOLDER / "torun_2026_kobo_export.csv").read_bytes(),
        "torun_2026_kobo_export.csv",
        "PL013C",
        design_yml=(FOLDER / "design.yml").read_bytes(),
        margins_csv=(FOLDER / "margins.csv").read_bytes(),
    )
    assert raked.accepted and raked.design.weighting == "raked"
    again = estimate_survey(raked).filter(
        pl.col("indicator_code") == "feel_safe_after_dark",
        pl.col("geo_code") == "PL013C",
        pl.col("sex").is_null(),
        pl.col("age_group").is_null(),
        pl.col("breakdown").is_null(),
    )
    assert abs(again["value"].item() - total["value"]) < 3
