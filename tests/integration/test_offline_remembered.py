"""A data folder published offline from a snapshot folder stays offline on it: `sps refresh` in a new shell that
does not set SPS_SNAPSHOT_DIR (auto mode would go live) reads the same snapshot folder and says so; `--mode live`
or SPS_MODE=live still switch (found by a new user: the README's offline command sets the variable for one
command, and the next `sps refresh` tried to download every dataset from Eurostat)."""

from __future__ import annotations

import pytest

from tests.conftest import refreshed_copy, run_sps, sps_env

pytestmark = pytest.mark.integration


def test_a_refresh_without_a_snapshot_folder_stays_offline_as_the_published_version_was_built(
    refreshed_data_dir, snapshot_dir, tmp_path
):
    data = refreshed_copy(refreshed_data_dir, tmp_path / "data")
    env = sps_env(data)  # no SPS_SNAPSHOT_DIR, no SPS_MODE: auto
    assert "SPS_SNAPSHOT_DIR" not in env and "SPS_MODE" not in env
    done = run_sps(["refresh"], env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("sps refresh: offline, as the published version was built")
    assert lines[1] == f"sps refresh: offline mode, snapshot folder {snapshot_dir}, data folder {data}"
    assert "nothing rebuilt or republished" in done.stdout  # the same snapshot: nothing changed
    # `sps status` says what the next refresh will use, by the same rule
    status = run_sps(["status"], env).stdout
    assert f"snapshot folder:  {snapshot_dir} (offline mode, as the published version was built" in status
    live = run_sps(["status"], sps_env(data, SPS_MODE="live")).stdout
    assert f"snapshot folder:  {data / 'snapshot'} (live mode)" in live
