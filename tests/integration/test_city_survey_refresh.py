"""City surveys through one real refresh of the real snapshot: the SYNTHETIC Toruń example (examples/surveys/) is
uploaded with a token, a SYNTHETIC Mechelen survey is uploaded and withdrawn before the refresh. After it, Toruń's
estimates are observations (city_survey, taylor_linearisation, sps_core_v1) equal to the upload's estimates, with
lineage to the submission and a survey registry entry; nothing of Mechelen's is published; no exported file, report
or published table holds a respondent id; the microdata stay owner-only in the store."""

from __future__ import annotations

import csv
import re
import stat
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.settings import PROJECT_ROOT
from pipelines.surveys.store import read_audit, store_dir, submissions_dir
from pipelines.versions.connection import connect_version
from tests.conftest import refreshed_copy, run_sps, sps_env
from tests.fixtures.survey_microdata import draw_sample, make_population, to_csv_bytes
from tests.fixtures.versions import TABLES_SQL

pytestmark = pytest.mark.integration
EXAMPLE = PROJECT_ROOT / "examples" / "surveys"


def _token(data: Path, city: str, env) -> str:
    issued = run_sps(["token", "issue", "--city", city], env)
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def surveyed(tmp_path_factory, snapshot_dir, refreshed_data_dir):
    folder = tmp_path_factory.mktemp("city_surveys")
    data = refreshed_copy(refreshed_data_dir, folder / "data")
    env = sps_env(data, snapshot_dir)
    torun = _token(data, "PL013C", env)
    upload = run_sps(
        [
            "survey",
            "upload",
            str(EXAMPLE / "torun_2026_kobo_export.csv"),
            "--city",
            "PL013C",
            "--token",
            torun,
            "--design",
            str(EXAMPLE / "design.yml"),
        ],
        env,
    )
    assert upload.returncode == 0, upload.stdout + upload.stderr
    torun_id = re.search(r"accepted as submission (\S+):", upload.stdout).group(1)
    mechelen = _token(data, "BE012C", env)
    sample = draw_sample(make_population(seed=12, strata=4, psus_per_stratum=20), np.random.default_rng(3), 4, 15)
    (folder / "mechelen.csv").write_bytes(
        to_csv_bytes(sample.with_columns(("MECH-" + pl.col("resp_id")).alias("resp_id")))
    )
    upload = run_sps(
        ["survey", "upload", str(folder / "mechelen.csv"), "--city", "BE012C", "--token", mechelen, "--period", "2026"],
        env,
    )
    assert upload.returncode == 0, upload.stdout + upload.stderr
    mechelen_id = re.search(r"accepted as submission (\S+):", upload.stdout).group(1)
    withdrawn = run_sps(["survey", "withdraw", mechelen_id, "--city", "BE012C", "--token", mechelen], env)
    assert withdrawn.returncode == 0, withdrawn.stderr
    refresh = run_sps(["refresh"], env)
    assert refresh.returncode == 0, refresh.stdout[-3000:] + refresh.stderr[-3000:]
    assert re.search(r"city_surveys\s+loaded\s+loaded 2 survey\(s\), \d+ estimate rows; 1 withdrawal", refresh.stdout)
    return {"folder": folder, "data": data, "env": env, "torun": torun_id, "mechelen": mechelen_id}


def _published(data: Path) -> duckdb.DuckDBPyConnection:
    return connect_version(str(data / "published" / (data / "published" / "CURRENT").read_text().strip()))


def test_the_survey_estimates_are_published_as_city_survey_observations(surveyed):
    data, torun = surveyed["data"], surveyed["torun"]
    estimates = pl.read_csv(submissions_dir(data) / torun / "estimates.csv", infer_schema_length=0)
    published = estimates.filter(pl.col("value").is_not_null())
    with _published(data) as conn:
        rows = conn.sql(
            """select indicator_code, geo_code, sex, age_group, breakdown, value, ci_low, ci_high, standard_error,
                      sample_size, flags, source_type, uncertainty_method, comparability_group, is_official,
                      submission_id, survey_id, lineage_id
               from fct_observations where source_type = 'city_survey'"""
        ).pl()
        mechelen = conn.execute(
            "select count(*) from fct_observations where geo_code like 'BE012C%' and source_type = 'city_survey'"
        ).fetchall()[0][0]
        registry = conn.sql("select * from dim_survey_registry where survey_id like 'sps_core_v1/%'").pl()
        districts = conn.execute(
            "select geo_code, geo_level, parent_geo_code from dim_geographies where geo_code like 'PL013C:%'"
        ).fetchall()
    assert rows.height == published.height and mechelen == 0
    assert set(rows["uncertainty_method"]) == {"taylor_linearisation"} and set(rows["comparability_group"]) == {
        "sps_core_v1"
    }
    assert not rows["is_official"].any() and set(rows["submission_id"]) == {torun}
    assert rows["lineage_id"].str.starts_with(f"city_survey/{torun}/row-").all()
    key = ["indicator_code", "geo_code", "sex", "age_group", "breakdown"]
    joined = rows.join(
        published.select(
            *key,
            *(pl.col(c).cast(pl.Float64).alias(f"{c}_upload") for c in ("value", "ci_low", "ci_high", "se")),
            pl.col("sample_size").cast(pl.Int64).alias("n_upload"),
        ),
        on=key,
        how="inner",
        nulls_equal=True,
    )
    assert joined.height == rows.height
    for ours, theirs in (
        ("value", "value_upload"),
        ("ci_low", "ci_low_upload"),
        ("ci_high", "ci_high_upload"),
        ("standard_error", "se_upload"),
    ):
        assert (joined[ours] - joined[theirs]).abs().max() < 1e-9, ours
    assert (joined["sample_size"] == joined["n_upload"]).all()
    safe = rows.filter(
        (pl.col("indicator_code") == "feel_safe_after_dark")
        & (pl.col("geo_code") == "PL013C")
        & pl.col("sex").is_null()
        & pl.col("age_group").is_null()
        & pl.col("breakdown").is_null()
    )
    assert safe.height == 1 and safe["ci_low"][0] < safe["value"][0] < safe["ci_high"][0]
    assert sorted(districts) == [(f"PL013C:d0{i}", "district", "PL013C") for i in range(1, 9)]
    # One registry row per indicator of the survey in force, none for the withdrawn survey.
    assert set(registry["survey_id"]) == {f"sps_core_v1/{torun}"} and registry.height == 12
    feel = registry.filter(pl.col("indicator_code") == "feel_safe_after_dark").row(0, named=True)
    assert feel["sample_size"] == int(safe["sample_size"][0]) and feel["wave"] == "2026"
    assert feel["mode"].startswith("face-to-face") and "SYNTHETIC" in feel["survey_name"]


def test_coverage_counts_the_periods_with_a_value_not_the_rows(surveyed):
    """city_indicator_coverage said 9 (15) "periods with a value" for Toruń's survey, published for one period: it
    counted rows (by sex and age, and each source) instead of periods."""
    with _published(surveyed["data"]) as conn:
        rows = conn.execute(
            """select c.indicator_code, c.periods_with_value, c.first_period, c.last_period,
                      (select count(distinct o.period) from fct_observations o where o.geo_code = c.geo_code
                       and o.indicator_code = c.indicator_code and o.value is not null) as periods,
                      (select count(*) from fct_observations o where o.geo_code = c.geo_code
                       and o.indicator_code = c.indicator_code and o.value is not null) as values_
               from city_indicator_coverage c where c.geo_code = 'PL013C'"""
        ).fetchall()
    surveyed_rows = [r for r in rows if r[5] > 1 and r[2] == r[3] == "2026"]
    assert surveyed_rows, rows  # Toruń's survey: several values (sex, age) in one period
    assert all(r[1] == r[4] for r in rows) and all(r[1] == 1 for r in surveyed_rows)


def test_the_example_survey_is_labelled_synthetic_and_the_city_profile_shows_it_as_the_city_s_own(
    surveyed, monkeypatch
):
    """The example survey (design.yml: SYNTHETIC) was published with empty notes, and Toruń's profile said both
    "No survey results for Toruń" and "Toruń has not reported values of its own" under its survey's estimates."""
    from streamlit.testing.v1 import AppTest

    with _published(surveyed["data"]) as conn:
        notes = conn.execute(
            "select quality_note, has_quality_warning from fct_observations where source_type = 'city_survey'"
        ).fetchall()
    assert notes and all(n.startswith("SYNTHETIC example data, not the city's") and warn for n, warn in notes)
    monkeypatch.setenv("SPS_DATA_DIR", str(surveyed["data"]))
    at = AppTest.from_file(str(PROJECT_ROOT / "dashboards" / "views" / "city_profile.py"), default_timeout=90)
    at.query_params["city"] = "PL013C"
    at.run()
    assert not at.exception
    shown = " ".join(x.value for x in [*at.info, *at.caption])
    assert "No survey results for" not in shown and "has not reported values of its own" not in shown
    survey = next(d.value for d in at.dataframe if "source_type" in d.value.columns and "quality" in d.value.columns)
    assert "city_survey" in set(survey["source_type"]) and len(survey) == len(notes)


def test_the_city_report_does_not_give_another_survey_s_caveats_under_the_city_s_own_values(surveyed):
    """Toruń's report listed the England and Wales survey's caveats ("No interval: the SDG file gives no sample
    size", "Next to London and Cardiff") under feel_safe_after_dark, which Toruń measured itself with intervals."""
    from pipelines.outputs.report.build import build_city_report, methodology_caveats

    assert any("London and Cardiff" in c for c in methodology_caveats("feel_safe_after_dark"))
    with _published(surveyed["data"]) as conn:
        html = build_city_report(conn, "PL013C").html
    assert "Feel safe walking alone after dark" in html or "feel_safe_after_dark" in html
    assert "London and Cardiff" not in html and "the SDG file gives no sample size" not in html


def test_the_withdrawal_is_in_the_audit_trail_and_the_microdata_are_gone(surveyed):
    data, mechelen, torun = surveyed["data"], surveyed["mechelen"], surveyed["torun"]
    events = [(e["event"], e["submission_id"]) for e in read_audit(data)]
    assert ("withdrawn", mechelen) in events and ("upload_accepted", torun) in events
    assert {p.name for p in (submissions_dir(data) / mechelen).iterdir()} == {"metadata.json", "withdrawn.json"}
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.execute("select submission_id from raw.city_survey_withdrawals").fetchall() == [(mechelen,)]
        assert (
            conn.execute(
                "select count(*) from raw.city_survey_estimates where submission_id = ?", [mechelen]
            ).fetchall()[0][0]
            == 0
        )
    # The store stays owner-only.
    for path in [store_dir(data), *store_dir(data).rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def _respondent_ids() -> set[str]:
    with open(EXAMPLE / "torun_2026_kobo_export.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {r["resp_id"] for r in rows} | {r["_uuid"] for r in rows}


def test_no_exported_file_report_or_published_table_holds_a_respondent_id(surveyed):
    folder, data, env = surveyed["folder"], surveyed["data"], surveyed["env"]
    out = folder / "exports"
    out.mkdir()
    commands = [
        ["export", "observations", "--out", str(out / "obs.csv"), "--city", "PL013C"],
        ["export", "observations", "--out", str(out / "obs.parquet"), "--city", "PL013C"],
        ["export", "observations", "--out", str(out / "obs.xlsx"), "--city", "PL013C"],
        ["export", "observations", "--out", str(out / "obs_sdmx.csv"), "--format", "sdmx-csv", "--city", "PL013C"],
        ["export", "observations", "--out", str(out / "open_sdg"), "--format", "open-sdg", "--city", "PL013C"],
        ["export", "indicators", "--out", str(out / "indicators.csv")],
        ["export", "geographies", "--out", str(out / "geographies.csv")],
        ["report", "--city", "PL013C", "--out", str(out / "torun.html")],
    ]
    for command in commands:
        done = run_sps(command, env)
        assert done.returncode == 0, (command, done.stderr)
    ids = _respondent_ids()
    assert len(ids) > 1600
    pattern = re.compile("|".join(re.escape(i) for i in ids))
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        text = path.read_bytes().decode("latin-1")  # xlsx and parquet: ids would appear as plain bytes too
        assert "resp_id" not in text and not pattern.search(text), path
    assert "sps_core_v1" in (out / "obs.csv").read_text(encoding="utf-8")
    report = (out / "torun.html").read_text(encoding="utf-8")
    assert "SPS core module" in report and "Toruń" in report
    # Every text cell of every table of the published version.
    with _published(data) as conn:
        tables = [t for (t,) in conn.execute(TABLES_SQL).fetchall()]
        for table in tables:
            columns = [
                c
                for c, kind in conn.execute(f'select column_name, column_type from (describe "{table}")').fetchall()
                if kind == "VARCHAR"
            ]
            assert "resp_id" not in columns, table
            for column in columns:
                values = {v for (v,) in conn.execute(f'select distinct "{column}" from "{table}"').fetchall() if v}
                assert not values & ids, (table, column)
