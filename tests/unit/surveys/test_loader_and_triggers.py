"""The survey store reaches the warehouse only through its estimates: the loader is idempotent by submission id,
loads a withdrawal as a new row (append-only), never reads microdata, and refuses a broken folder without loading
anything. The survey store sensor and the refresh plan see new surveys and withdrawals. SYNTHETIC surveys."""

from __future__ import annotations

import json
from dataclasses import replace

import dagster as dg
import duckdb
import numpy as np
import pytest

from pipelines.operations.selection import asset_keys_for, source_input_key
from pipelines.operations.sensors import survey_store_sensor
from pipelines.publishing.fingerprint import CITY_SURVEYS, loaded_fingerprint
from pipelines.settings import load_settings
from pipelines.surveys import api
from pipelines.surveys.loader import SurveyFolderError, load_surveys, loaded_survey_ids, pending_surveys
from pipelines.surveys.store import submissions_dir
from pipelines.uploads.tokens import issue_upload_token
from tests.fixtures.survey_microdata import draw_sample, make_population, to_csv_bytes


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path))
    settings = replace(load_settings(), data_dir=tmp_path)
    _, token = issue_upload_token(tmp_path, "BE012C")
    sample = draw_sample(make_population(seed=9, strata=4, psus_per_stratum=20), np.random.default_rng(2), 4, 12)
    return settings, token, to_csv_bytes(sample)


def _submit(env) -> str:
    settings, token, data = env
    result = api.submit_survey(data, "s.csv", "BE012C", token, settings, period="2026")
    assert result.accepted
    return result.submission_id


def test_the_loader_loads_estimates_once_and_withdrawals_as_new_rows(env):
    settings, token, _ = env
    first = _submit(env)
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        outcome = load_surveys(conn, settings.data_dir)
        assert outcome.loaded == (first,) and outcome.rows > 50
        rows = conn.execute("select count(*) from raw.city_survey_estimates").fetchall()[0][0]
        columns = {
            c for (c,) in conn.execute("select column_name from (describe raw.city_survey_estimates)").fetchall()
        }
        assert "resp_id" not in columns and "weight" not in columns
        again = load_surveys(conn, settings.data_dir)
        assert (
            again.loaded == ()
            and conn.execute("select count(*) from raw.city_survey_estimates").fetchall()[0][0] == rows
        )
        api.withdraw_survey(first, "BE012C", token, settings)
        withdrawn = load_surveys(conn, settings.data_dir)
        assert withdrawn.withdrawn == (first,) and withdrawn.loaded == ()
        assert loaded_survey_ids(conn) == {"submissions": [first], "withdrawn": [first]}
        # Append-only: the estimates loaded before stay in raw (dbt leaves withdrawn surveys out of every mart).
        assert conn.execute("select count(*) from raw.city_survey_estimates").fetchall()[0][0] == rows
        statuses = [
            s
            for (s,) in conn.execute(
                "select status from raw._source_status where dataset = 'city_surveys' order by checked_at"
            ).fetchall()
        ]
        assert statuses == ["loaded", "unchanged", "loaded"]
        fingerprint = loaded_fingerprint(conn)[CITY_SURVEYS]
        assert fingerprint["submissions"] == [first] and fingerprint["withdrawn"] == [first]


def test_a_survey_withdrawn_before_any_refresh_loads_its_record_without_estimates(env):
    settings, token, _ = env
    first = _submit(env)
    api.withdraw_survey(first, "BE012C", token, settings)
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        outcome = load_surveys(conn, settings.data_dir)
        assert outcome.loaded == (first,) and outcome.withdrawn == (first,) and outcome.rows == 0
        assert conn.execute("select estimate_rows from raw.city_survey_files").fetchall() == [(0,)]


def test_a_broken_folder_loads_nothing_and_names_itself(env):
    settings, _, _ = env
    good, bad = _submit(env), _submit(env)
    metadata = submissions_dir(settings.data_dir) / bad / "metadata.json"
    content = json.loads(metadata.read_text())
    content["estimate_rows"] += 1
    metadata.write_text(json.dumps(content))
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        with pytest.raises(SurveyFolderError, match=f"survey folder {bad}: estimates.csv has"):
            load_surveys(conn, settings.data_dir)
        assert conn.execute("select count(*) from raw.city_survey_files").fetchall()[0][0] == 0
        assert good < bad


def test_the_sensor_and_the_selection_see_new_surveys_and_withdrawals(env, code_location):
    settings, token, _ = env
    with dg.DagsterInstance.ephemeral() as instance:

        def evaluate():
            return survey_store_sensor(dg.build_sensor_context(definitions=code_location, instance=instance))

        assert isinstance(evaluate(), dg.SkipReason)
        first = _submit(env)
        request = evaluate()
        assert isinstance(request, dg.RunRequest) and request.run_key == first
        selected = {k.to_user_string() for k in request.asset_selection}
        assert {"raw/city_survey_estimates", "raw/city_survey_files", "raw/city_survey_withdrawals"} <= selected
        assert "marts/fct_observations" in selected and "raw/urb_percep" not in selected
        with duckdb.connect(str(settings.warehouse_path)) as conn:
            load_surveys(conn, settings.data_dir)
        assert isinstance(evaluate(), dg.SkipReason)
        api.withdraw_survey(first, "BE012C", token, settings)
        assert evaluate().run_key == f"withdrawn:{first}"
    assert pending_surveys(settings.data_dir, {}) == ([first], [first])
    assert source_input_key("raw_city_surveys") == CITY_SURVEYS
    assert [k.to_user_string() for k in asset_keys_for([CITY_SURVEYS])] == [
        "raw/city_survey_estimates",
        "raw/city_survey_files",
        "raw/city_survey_withdrawals",
    ]
