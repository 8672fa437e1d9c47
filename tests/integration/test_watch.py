"""`sps watch` publishes a city's upload as it arrives, with only what depends on it rebuilt (issue 21, ADR 0024).
Real snapshot; the city submission is SYNTHETIC (tests/fixtures/city_inbox.py)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import PROJECT_ROOT, SPS, sps_env
from tests.fixtures.city_inbox import write_submission

pytestmark = pytest.mark.integration


def test_watch_publishes_an_upload_as_it_arrives(refreshed_data_dir, snapshot_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(refreshed_data_dir, data, symlinks=True)
    before = (data / "published" / "CURRENT").read_text().strip()
    rows = [{"indicator_code": "feel_safe_after_dark", "geo_code": "LV001C", "period": "2023", "value": "57.5",
             "unit": "% of population", "sample_size": "700"}]  # fmt: skip
    submission = write_submission(data / "inbox", "20260105T090000000000", "LV001C", rows)

    done = subprocess.run(
        [SPS, "watch", "--interval", "0.1", "--max-runs", "1"],
        env=sps_env(data, snapshot_dir),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "sps watch: ready in" in done.stdout
    assert "rebuilding what depends on raw/city_submissions (1 new inbox submission(s)" in done.stdout
    current = (data / "published" / "CURRENT").read_text().strip()
    assert current != before
    from pipelines.versions.store import open_version

    with open_version(data / "published" / current) as conn:
        published = conn.execute(
            "select value from fct_observations where submission_id = ? and geo_code = 'LV001C'", [submission]
        ).fetchall()
    assert published == [(57.5,)]
    with open_version(data / "published" / before) as old:
        query = "select count(*) from fct_observations where submission_id = ?"
        assert old.execute(query, [submission]).fetchall() == [(0,)]
