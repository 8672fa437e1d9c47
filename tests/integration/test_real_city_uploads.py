"""The cities' real Open SDG files (../shared/data/city_reported) go through the upload path with the
mappings committed in examples/mappings, a refresh loads the inbox, and every published value equals the
file's cell. A resubmission of one value supersedes it; both versions stay in the history."""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.settings import load_settings
from pipelines.uploads.formats import Mapping
from pipelines.uploads.submit import submit_upload
from pipelines.versions.connection import connect_version
from tests.conftest import refreshed_copy, run_sps, sps_env
from tests.fixtures.private import opened

pytestmark = pytest.mark.integration
MAPPINGS = Path(__file__).resolve().parents[2] / "examples" / "mappings"
FILES = [
    ("valencia/indicator_16-1-4.csv", "ES003C", "valencia_16-1-4_homicide_rate.yml"),
    ("valencia/indicator_16-1-1.csv", "ES003C", "valencia_16-1-1_crime_rate.yml"),
    ("valencia/indicator_16-1-2.csv", "ES003C", "valencia_16-1-2_neighbourhood_safety.yml"),
    ("barcelona/indicator_16-1-4.csv", "ES002C", "barcelona_16-1-4_safety_score.yml"),
    ("barcelona/indicator_16-1-1.csv", "ES002C", "barcelona_16-1-1_violent_deaths.yml"),
    ("bristol/indicator_16-1-4.csv", "UK011C", "bristol_16-1-4_feel_safe_after_dark.yml"),
    ("liverpool/indicator_16-1-1.csv", "UK006C", "liverpool_16-1-1_homicides.yml"),
]


def test_real_city_files_are_published_cell_for_cell_and_resubmissions_supersede(
    tmp_path, snapshot_dir, monkeypatch, refreshed_data_dir
):
    data_dir = refreshed_copy(refreshed_data_dir, tmp_path / "data")  # the real snapshot, published
    settings = replace(load_settings(), data_dir=data_dir)
    env = sps_env(data_dir, snapshot_dir)
    tokens = {}
    for city in sorted({c for _, c, _ in FILES}):  # the token is the last line of stdout, for scripts
        tokens[city] = run_sps(["token", "issue", "--city", city], env).stdout.strip().splitlines()[-1]
    expected = {}  # lineage suffix -> value from the file
    for relative, city, mapping_file in FILES:
        path = tmp_path / relative.replace("/", "_")  # a copy: the CLI writes reports beside the file
        shutil.copy(snapshot_dir / "city_reported" / relative, path)
        done = run_sps(
            ["upload", str(path), "--city", city, "--token", tokens[city], "--mapping", str(MAPPINGS / mapping_file)],
            env,
        )
        assert done.returncode == 0, (relative, done.stdout[-1500:], done.stderr[-1500:])
        submission_id = done.stdout.split("accepted as submission ")[1].split(":")[0]
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                if row["Value"].strip():
                    expected[f"{submission_id}/row-{line}"] = float(row["Value"])
        if relative == "valencia/indicator_16-1-4.csv":
            first_submission = submission_id
            original = path.read_text(encoding="utf-8").splitlines()

    # Valencia resubmits its 2022 homicide rate (line 2 of the file) with a corrected value.
    corrected = tmp_path / "indicator_16-1-4.csv"
    corrected.write_text("\n".join([original[0], "2022,0.91", *original[2:]]) + "\n", encoding="utf-8")
    second = submit_upload(
        corrected.read_bytes(),
        corrected.name,
        "ES003C",
        tokens["ES003C"],
        Mapping.from_yaml(MAPPINGS / "valencia_16-1-4_homicide_rate.yml"),
        settings,
    )
    assert second.accepted and second.submission_id > first_submission
    with open(corrected, newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            expected[f"{second.submission_id}/row-{line}"] = float(row["Value"])

    refresh = run_sps(["refresh"], sps_env(data_dir, snapshot_dir))
    assert refresh.returncode == 0, refresh.stdout[-2000:] + refresh.stderr[-2000:]
    published = data_dir / "published" / (data_dir / "published" / "CURRENT").read_text().strip()
    with connect_version(str(published)) as db:
        got = dict(
            db.execute(
                "select lineage_id, value from fct_observations where source_type = 'city_report' "
                "union all select lineage_id, value from city_local_indicator_values"
            ).fetchall()
        )
        got_by_suffix = {lineage.split("/", 1)[1]: value for lineage, value in got.items()}
        for suffix, value in expected.items():
            if suffix.startswith(first_submission):
                assert suffix not in got_by_suffix  # every cell of it was resubmitted: superseded, not shown
            else:
                assert got_by_suffix[suffix] == value, suffix
        latest = db.execute(
            "select value, report_version, submission_id from fct_observations where source_type = 'city_report' "
            "and indicator_code = 'homicide_rate' and geo_code = 'ES003C' and period = '2022'"
        ).fetchall()
        assert latest == [(0.91, 2, second.submission_id)]
        history = db.execute(
            "select value from submission_history where indicator_code = 'homicide_rate' and geo_code = 'ES003C' "
            "and period = '2022' order by report_version"
        ).fetchall()
        assert history == [(0.87,), (0.91,)]
        bristol_wards = db.execute("select count(*) from dim_geographies where parent_geo_code = 'UK011C'").fetchall()[
            0
        ][0]
        assert bristol_wards > 30
        # the city report titles València's own homicide rate by its source, as the dashboard does (its key
        # figures called it 'Intentional homicide (police-recorded)')
        from pipelines.outputs.report.build import build_city_report

        html = build_city_report(db, "ES003C").html
        key_figures = html[: html.index("<nav>")]
        assert "(reported by the city)</a>" in key_figures and "(police-recorded)</a>" not in key_figures
    assert (
        opened(data_dir / "inbox" / first_submission / "original.csv")
        == (snapshot_dir / "city_reported" / "valencia" / "indicator_16-1-4.csv").read_bytes()
    )

    # The city profile shows the city's reported values with their version and date, and its local indicators.
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SPS_DATA_DIR", str(data_dir))
    page = str(Path(__file__).resolve().parents[2] / "dashboards" / "views" / "city_profile.py")
    at = AppTest.from_file(page, default_timeout=90)
    at.query_params["city"] = "ES003C"
    at.run()
    assert not at.exception
    tables = [d.value for d in at.dataframe]
    reported = next(t for t in tables if "reported" in t.columns and "homicide_rate" in set(t["indicator_code"]))
    row = reported[(reported["indicator_code"] == "homicide_rate") & (reported["period"] == "2022")].iloc[0]
    assert row["value"] == 0.91 and row["reported"].startswith("reported by the city, version 2, ")
    local = next(t for t in tables if "description" in t.columns)
    assert {"Neighbourhood safety rating", "Crime rate (all offences)"} <= set(local["indicator_name"])
    shutil.rmtree(tmp_path / "data" / "dagster_home", ignore_errors=True)
