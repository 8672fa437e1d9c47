"""The Upload page's public-space tab (through pipelines.spaces.api): a bad layer shows every problem and cannot be
submitted, a clean one is submitted to the public-space inbox. SYNTHETIC shapes (tests/unit/spaces/shapes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.settings import load_settings
from pipelines.spaces import store
from pipelines.uploads.tokens import issue_upload_token
from tests.unit.spaces.shapes import geojson, rect

PAGE = str(Path(__file__).resolve().parents[2] / "dashboards" / "views" / "upload.py")


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    _, token = issue_upload_token(tmp_path / "data", "ES003C")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input(key="space_city").set_value("ES003C")
    at.text_input(key="space_token").set_value(token)
    at.radio(key="space-kind").set_value("districts")
    return at


def test_a_bad_layer_shows_its_problems_and_a_mapped_one_is_submitted(page):
    at = page
    districts = geojson(
        (rect(0, 0, 500, 1000), {"codi": "w", "population": "12.5"}),
        (rect(500, 0, 500, 1000), {"codi": "e"}),
    )
    at.file_uploader(key="space-file").set_value(("d.geojson", districts, "application/geo+json")).run()
    assert not at.exception
    assert any("error(s)" in e.value for e in at.error)
    problems = next(d.value for d in at.dataframe if "rule" in d.value.columns)
    assert set(problems["rule"]) == {"missing_property", "population"}
    assert not [b for b in at.button if b.label == "Submit this file"]
    at.text_area(key="space-map").set_value("codi=district_code").run()
    problems = next(d.value for d in at.dataframe if "rule" in d.value.columns)
    assert list(problems["rule"]) == ["population"] and "'12.5' is not a whole number" in problems["what to do"][0]
    fixed = geojson((rect(0, 0, 500, 1000), {"codi": "w"}), (rect(500, 0, 500, 1000), {"codi": "e"}))
    at.file_uploader(key="space-file").set_value(("d.geojson", fixed, "application/geo+json")).run()
    assert any("2 feature(s), no problems" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Submit this file").click().run()
    assert any("Submitted as" in s.value for s in at.success)
    (submission,) = store.accepted_submissions(load_settings())
    assert submission.kind == "districts" and submission.city == "ES003C"
