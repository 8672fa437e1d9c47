"""The full rebuild stays the source of truth (issue 21): city uploads published incrementally (only their assets and
what depends on them rebuilt, every unchanged table linked from the previous version; fct_observations and
city_progress rebuilt only in the cities' rows: dbt_project/macros/partial_rebuild.sql) publish exactly the tables a
full rebuild of the same inputs publishes. The uploads cover every city input: value rows over two periods, a target
for a series Eurostat publishes, a resubmission, a city survey then its withdrawal, a public-space inventory and
audits. Real snapshot; the uploads are SYNTHETIC (tests/fixtures/city_inbox.py, examples/surveys, examples/spaces)."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from examples.spaces.generate import districts_file, generate, write
from pipelines.settings import PROJECT_ROOT
from pipelines.versions.connection import connect_version
from tests.conftest import run_sps, sps_env
from tests.fixtures.city_inbox import write_submission
from tests.integration.refresh_control import copy_baseline

pytestmark = pytest.mark.integration
PERCENT = "% of population"

# What a version says about itself (its name, when and how it was built, its health report): not a table of data.
ABOUT_THE_VERSION = {"_publication", "_health"}
# A full rebuild checks every source again (an incremental one only the changed ones), so the source freshness
# report's last attempt (when, what it found) is the rebuild's own; the loads in use must still be the same.
RUN_COLUMNS = {"rpt_source_freshness": ("last_attempt_status", "last_attempt_message", "last_checked_at")}


def _version(data: Path) -> Path:
    return data / "published" / (data / "published" / "CURRENT").read_text().strip()


def _rows(city: str, value: str, period: str = "2023") -> list[dict]:
    return [
        {"indicator_code": "feel_safe_after_dark", "geo_code": city, "period": period, "value": value,
         "unit": PERCENT, "sample_size": "700"},
        {"indicator_code": "feel_safe_after_dark", "geo_code": f"{city}:d1", "period": period, "value": "51",
         "unit": PERCENT, "sample_size": "300"},
    ]  # fmt: skip


def _target(city: str) -> dict:
    # Riga's own target for a series Eurostat publishes for Riga (urb_percep): it changes that series' progress rows
    return {"row_type": "target", "indicator_code": "feel_safe_after_dark", "geo_code": city, "period": "2030",
            "value": "80", "unit": PERCENT, "baseline_year": "2019"}  # fmt: skip


def _rebuilt_in_part(data: Path) -> set[str]:
    """The marts the last dbt build rebuilt only in the cities' rows (the SQL dbt ran for each)."""
    run = data / "dbt_target" / "run" / "sps_monitor" / "models" / "marts"
    return {
        name for name in ("fct_observations", "city_progress") if "delete from" in (run / f"{name}.sql").read_text()
    }


def _token(city: str, env) -> str:
    issued = run_sps(["token", "issue", "--city", city], env)
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip().splitlines()[-1]


def test_uploads_published_incrementally_equal_a_full_rebuild(tmp_path, snapshot_dir, refreshed_data_dir):
    data, snapshot = copy_baseline(refreshed_data_dir, snapshot_dir, tmp_path)  # the real snapshot, published
    env = sps_env(data, snapshot)

    # Three incremental refreshes. One: a city's values for two years and its target.
    write_submission(
        data / "inbox", "20260102T090000000000", "LV001C",
        [*_rows("LV001C", "60"), *_rows("LV001C", "55", "2021"), _target("LV001C")],
    )  # fmt: skip
    one = run_sps(["refresh"], env)
    assert one.returncode == 0, one.stderr[-2000:]
    assert "rebuilding what depends on raw/city_submissions" in one.stdout
    assert _rebuilt_in_part(data) == {"fct_observations", "city_progress"}
    # Two: its resubmission (superseding a value), another city's upload, a city survey (Toruń), a public-space
    # inventory and audits (València).
    write_submission(data / "inbox", "20260103T090000000000", "LV001C", _rows("LV001C", "62"))
    write_submission(data / "inbox", "20260103T100000000000", "EE001C", _rows("EE001C", "71", "2022"))
    surveys = PROJECT_ROOT / "examples" / "surveys"
    torun = _token("PL013C", env)
    survey = run_sps(
        ["survey", "upload", str(surveys / "torun_2026_kobo_export.csv"), "--city", "PL013C", "--token", torun,
         "--design", str(surveys / "design.yml")],
        env,
    )  # fmt: skip
    assert survey.returncode == 0, survey.stdout + survey.stderr
    survey_id = re.search(r"accepted as submission (\S+):", survey.stdout).group(1)
    files = write(generate(districts_file(snapshot), spaces=40, audits=40, seed=5), tmp_path / "spaces")
    valencia = _token("ES003C", env)
    for args in (
        ["space", "upload", str(files["boundary"]), "--kind", "boundary"],
        ["space", "upload", str(files["open-spaces"]), "--kind", "open-spaces", "--period", "2025"],
        ["audit", "upload", str(files["audits"])],
    ):
        uploaded = run_sps([*args, "--city", "ES003C", "--token", valencia], env)
        assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    two = run_sps(["refresh"], env)
    assert two.returncode == 0, two.stderr[-2000:]
    assert "rebuilding what depends on raw/city_submissions (2 new inbox submission(s)" in two.stdout
    assert "raw/city_surveys" in two.stdout and "raw/public_space" in two.stdout
    assert _rebuilt_in_part(data) == {"fct_observations", "city_progress"}
    with connect_version(str(_version(data))) as published:
        sources = dict(
            published.execute(
                "select source_type, count(*) from fct_observations where not is_official group by 1"
            ).fetchall()
        )
    assert {"city_report", "city_survey", "city_inventory", "city_audit"} <= set(sources), sources
    # Three: the survey withdrawn, its estimates leave the published version; beside it an inbox folder that cannot
    # be read fails the city submissions, and the refresh publishes the rest (its second pass, in part too).
    withdrawn = run_sps(["survey", "withdraw", survey_id, "--city", "PL013C", "--token", torun], env)
    assert withdrawn.returncode == 0, withdrawn.stderr
    broken = data / "inbox" / "20260104T090000000000Z-LV001C-00000000"
    broken.mkdir()
    three = run_sps(["refresh"], env)
    assert three.returncode != 0 and "without the failed source(s) raw/city_submissions" in three.stderr, three.stderr
    assert _rebuilt_in_part(data) == {"fct_observations", "city_progress"}
    broken.rmdir()  # (the full rebuild below would fail it too)
    incremental = _version(data)
    with connect_version(str(incremental)) as published:
        assert (
            published.execute("select count(*) from fct_observations where source_type = 'city_survey'").fetchall()[0][
                0
            ]
            == 0
        )
        riga = published.execute(
            "select count(*) from city_progress where geo_code = 'LV001C' and target_value = 80 "
            "and method = 'target_ci'"
        ).fetchall()[0][0]
    assert riga > 0  # the city's target reached the progress of Eurostat's series for Riga

    # The full rebuild of the same inputs: every model rebuilt from the same raw loads.
    full = run_sps(["refresh", "--full"], env)
    assert full.returncode == 0, full.stderr[-2000:]
    assert "full rebuild: asked for (--full)" in full.stdout
    assert _rebuilt_in_part(data) == set()
    # The refresh publishes nothing when its inputs equal the current version's; publish the rebuilt marts anyway
    # to compare what it would publish, table by table.
    from pipelines.publishing.publish import publish_marts
    from pipelines.settings import load_settings

    os.environ["SPS_DATA_DIR"] = str(data)  # load_settings below reads it; restored by the finally
    try:
        settings = replace(load_settings(), data_dir=data)
    finally:
        os.environ.pop("SPS_DATA_DIR", None)
    with duckdb.connect(str(data / "warehouse.duckdb")) as conn:
        rebuilt = publish_marts(conn, settings)

    with (
        connect_version(str(incremental)) as inc,
        connect_version(str(rebuilt.path)) as reb,
    ):
        names = {row[0] for row in reb.execute("select table_name from information_schema.tables").fetchall()}
        assert names == {row[0] for row in inc.execute("select table_name from information_schema.tables").fetchall()}
        compared = sorted(names - ABOUT_THE_VERSION)
        assert {"fct_observations", "city_observations", "submission_history", "dim_geographies"} <= set(compared)
        reb.execute(f"attach '{incremental}' as inc (read_only)")
        for table in compared:
            columns = "*" if table not in RUN_COLUMNS else f"* exclude ({', '.join(RUN_COLUMNS[table])})"
            only_incremental, only_full = reb.execute(
                f'select (select count(*) from (select {columns} from inc."{table}" '
                f'except all select {columns} from "{table}")), '
                f'(select count(*) from (select {columns} from "{table}" '
                f'except all select {columns} from inc."{table}"))'
            ).fetchall()[0]
            assert (table, only_incremental, only_full) == (table, 0, 0)
        city = reb.execute(
            "select value from fct_observations where geo_code = 'LV001C' and source_type = 'city_report' "
            "and indicator_code = 'feel_safe_after_dark' and period = '2023'"
        ).fetchall()
        assert city == [(62.0,)]  # the resubmission is in force in both
    # Equal content is linked, not copied: the rebuilt version's table files are the incremental version's files.
    linked = set(rebuilt.linked)
    assert set(compared) - {"_sources", *RUN_COLUMNS} <= linked
