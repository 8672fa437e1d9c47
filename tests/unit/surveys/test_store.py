"""The private survey store: accepted microdata owner-only (0700 folders, 0600 files), a rejected file quarantined
with its report, every event in the audit trail, and a withdrawal that deletes the microdata and estimates but
keeps the record. Files are SYNTHETIC (tests/fixtures/survey_microdata.py)."""

from __future__ import annotations

import io
import json
import stat
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from pipelines.settings import load_settings
from pipelines.surveys import api
from pipelines.surveys.store import quarantine_dir, store_dir, submissions_dir
from pipelines.uploads.tokens import TokenRejected, issue_upload_token
from tests.fixtures.private import opened
from tests.fixtures.survey_microdata import draw_sample, make_population, to_csv_bytes

CITY = "BE012C"


@pytest.fixture
def env(tmp_path):
    settings = replace(load_settings(), data_dir=tmp_path / "data")
    _, token = issue_upload_token(settings.data_dir, CITY)
    _, other = issue_upload_token(settings.data_dir, "FR008C")
    return settings, token, other


@pytest.fixture(scope="module")
def survey() -> bytes:
    sample = draw_sample(make_population(seed=4, strata=4, psus_per_stratum=20), np.random.default_rng(8), 4, 15)
    return to_csv_bytes(sample.with_columns(("RID-" + pl.col("resp_id")).alias("resp_id")))


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_accepted_survey_is_kept_owner_only_with_its_estimates(env, survey):
    settings, token, _ = env
    result = api.submit_survey(survey, "mechelen.csv", CITY, token, settings, period="2026")
    assert result.accepted and result.respondents == 240 and result.estimates.height > 50
    folder = submissions_dir(settings.data_dir) / result.submission_id
    names = {p.name for p in folder.iterdir()}
    assert names == {"original.csv", "microdata.parquet", "estimates.csv", "metadata.json"}
    for path in (store_dir(settings.data_dir), submissions_dir(settings.data_dir), folder):
        assert _mode(path) == 0o700, path
    for path in folder.iterdir():
        assert _mode(path) == 0o600, path
    assert opened(folder / "original.csv") == survey
    assert pl.read_parquet(io.BytesIO(opened(folder / "microdata.parquet"))).height == 240
    # The microdata and the original are sealed at rest (ADR 0021): no respondent id in any byte of the store.
    for path in store_dir(settings.data_dir).rglob("*"):
        assert not path.is_file() or b"RID-" not in path.read_bytes(), path
    # What leaves the store (estimates, metadata) holds no respondent id.
    for name in ("estimates.csv", "metadata.json"):
        assert "RID-" not in (folder / name).read_text(encoding="utf-8"), name
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["city_code"] == CITY and metadata["period"] == "2026" and metadata["achieved_n"] == 240
    registry = {row["indicator_code"]: row for row in metadata["registry"]}
    assert registry["feel_safe_after_dark"]["numerator_answers"] == "Very safe + Fairly safe"
    assert registry["feel_safe_after_dark"]["survey_id"] == f"sps_core_v1/{result.submission_id}"
    [event] = api.read_audit(settings.data_dir)
    assert event["event"] == "upload_accepted" and event["submission_id"] == result.submission_id
    assert _mode(store_dir(settings.data_dir) / "audit.jsonl") == 0o600
    assert api.list_surveys(settings, CITY)[0]["respondents"] == 240 and api.list_surveys(settings, "FR008C") == []


def test_a_rejected_survey_is_quarantined_with_its_report(env):
    settings, token, _ = env
    bad = b"resp_id,sex,age,safe_night_area\nr1,1,34,1\nr1,2,12,7\n"
    result = api.submit_survey(bad, "bad.csv", CITY, token, settings, period="2026")
    assert not result.accepted and {p.rule for p in result.errors} == {"duplicate_resp_id", "age_range", "unknown_code"}
    folder = quarantine_dir(settings.data_dir) / result.submission_id
    assert {p.name for p in folder.iterdir()} == {"original.csv", "report.csv", "metadata.json"}
    assert all(_mode(p) == 0o600 for p in folder.iterdir()) and _mode(folder) == 0o700
    assert "duplicate_resp_id" in opened(folder / "report.csv").decode("utf-8")
    assert all(b"duplicate_resp_id" not in path.read_bytes() for path in folder.iterdir())  # sealed
    assert not submissions_dir(settings.data_dir).exists() or not any(submissions_dir(settings.data_dir).iterdir())
    assert [e["event"] for e in api.read_audit(settings.data_dir)] == ["upload_rejected"]


def test_a_token_of_another_city_stores_nothing(env, survey):
    settings, _, other = env
    with pytest.raises(TokenRejected):
        api.submit_survey(survey, "mechelen.csv", CITY, other, settings, period="2026")
    assert not store_dir(settings.data_dir).exists()


def test_a_survey_its_design_calls_synthetic_is_labelled_on_every_estimate_row_and_a_real_one_is_not(env, survey):
    """The examples' surveys (design.yml: "... (SYNTHETIC example)") were published with empty notes: never shown as
    if they were real, every estimate row now says it (the note becomes the published quality note)."""
    settings, token, _ = env
    design = b"survey: {name: Mechelen survey 2026 (SYNTHETIC example), producer: SYNTHETIC, period: '2026'}\n"
    labelled = api.submit_survey(survey, "mechelen.csv", CITY, token, settings, design_yml=design)
    assert labelled.accepted
    folder = submissions_dir(settings.data_dir) / labelled.submission_id
    labelled_notes = pl.read_csv(io.BytesIO(opened(folder / "estimates.csv")), infer_schema_length=0)["note"]
    assert labelled_notes.len() > 50
    assert all(note.startswith("SYNTHETIC example data, not the city's") for note in labelled_notes)
    assert not any(note.endswith(":") for note in labelled_notes)  # no dangling colon when the row had no note
    assert json.loads((folder / "metadata.json").read_text(encoding="utf-8"))["is_synthetic"] is True
    real = api.submit_survey(survey, "mechelen.csv", CITY, token, settings, period="2026")
    folder = submissions_dir(settings.data_dir) / real.submission_id
    notes = pl.read_csv(io.BytesIO(opened(folder / "estimates.csv")), infer_schema_length=0)["note"]
    assert not any(note and "SYNTHETIC" in note for note in notes)


def test_withdrawing_deletes_the_microdata_and_keeps_the_record(env, survey):
    settings, token, other = env
    design = b"survey: {name: SYNTHETIC test, period: '2026'}\n"
    result = api.submit_survey(survey, "mechelen.csv", CITY, token, settings, design_yml=design)
    folder = submissions_dir(settings.data_dir) / result.submission_id
    assert opened(folder / "design.yml") == design
    with pytest.raises(TokenRejected):
        api.withdraw_survey(result.submission_id, CITY, other, settings)
    with pytest.raises(api.SurveyStoreError, match="no survey submission"):
        api.withdraw_survey("../" + result.submission_id, CITY, token, settings)
    record = api.withdraw_survey(result.submission_id, CITY, token, settings)
    assert sorted(record["deleted"]) == ["design.yml", "estimates.csv", "microdata.parquet", "original.csv"]
    assert {p.name for p in folder.iterdir()} == {"metadata.json", "withdrawn.json"}
    assert _mode(folder / "withdrawn.json") == 0o600
    assert api.list_surveys(settings, CITY)[0]["withdrawn_at"] == record["withdrawn_at"]
    with pytest.raises(api.SurveyStoreError, match="already withdrawn"):
        api.withdraw_survey(result.submission_id, CITY, token, settings)
    events = [(e["event"], e["submission_id"]) for e in api.read_audit(settings.data_dir)]
    assert events == [("upload_accepted", result.submission_id), ("withdrawn", result.submission_id)]


def test_a_city_cannot_withdraw_another_citys_survey(env, survey):
    settings, token, other = env
    result = api.submit_survey(survey, "mechelen.csv", CITY, token, settings, period="2026")
    with pytest.raises(api.SurveyStoreError, match="not FR008C's"):
        api.withdraw_survey(result.submission_id, "FR008C", other, settings)
    assert (submissions_dir(settings.data_dir) / result.submission_id / "microdata.parquet").exists()
