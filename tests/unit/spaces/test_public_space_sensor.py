"""The public-space sensor asks for a refresh of raw/public_space (and what depends on it) when the public-space
inbox holds submissions the warehouse has not loaded, keyed by their ids; it skips when all are loaded. SYNTHETIC
districts (shapes.py)."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from pipelines.operations.sensors import public_space_sensor
from pipelines.settings import load_settings
from pipelines.spaces import api
from pipelines.spaces.load import load_public_space
from pipelines.uploads.tokens import issue_upload_token
from tests.unit.spaces.shapes import geojson, rect


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path))
    return load_settings()


@pytest.fixture
def evaluate(code_location):
    with dg.DagsterInstance.ephemeral() as instance:
        yield lambda: public_space_sensor(dg.build_sensor_context(definitions=code_location, instance=instance))


def test_new_public_space_uploads_request_their_refresh_once(settings, evaluate):
    skipped = evaluate()
    assert isinstance(skipped, dg.SkipReason) and "holds no submission" in skipped.skip_message
    token = issue_upload_token(settings.data_dir, "ES003C")[1]
    districts = geojson((rect(0, 0, 100, 100), {"district_code": "d1"}))
    accepted = api.submit_space_upload(districts, "d.geojson", "ES003C", token, "districts", settings)
    assert accepted.accepted
    request = evaluate()
    assert isinstance(request, dg.RunRequest) and request.run_key == f"public_space:{accepted.submission_id}"
    selected = {"/".join(key.path) for key in request.asset_selection}
    assert {"raw/public_space_observations", "raw/public_space_features"} <= selected
    assert any(key.endswith("fct_observations") for key in selected)
    assert not any(key.endswith("city_submissions") for key in selected)  # city uploads are not reloaded
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        load_public_space(conn, settings)
    skipped = evaluate()
    assert isinstance(skipped, dg.SkipReason) and "all 1 public-space submission(s) are loaded" in skipped.skip_message
