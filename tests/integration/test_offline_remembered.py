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


@pytest.mark.parametrize("folder_exists", [True, False])
def test_the_rule_follows_the_published_version_s_snapshot_folder_only_while_it_exists(
    tmp_path, monkeypatch, folder_exists
):
    """A version built offline from a folder that is gone since: the refresh goes live, and says why (SPS_SNAPSHOT_DIR
    names another folder); a live-built version or an explicit SPS_MODE changes nothing. The published version is
    a one-table stand-in for `_publication`."""
    import duckdb

    from pipelines import cli
    from pipelines.settings import load_settings

    snapshot = tmp_path / "old-snapshot"
    if folder_exists:
        snapshot.mkdir()

    def serving(_settings, mode="offline"):
        conn = duckdb.connect()
        conn.execute("create table _publication as select ? as mode, ? as snapshot_dir", [mode, str(snapshot)])
        return conn, None

    monkeypatch.setattr(cli, "open_serving", serving)
    for name in ("SPS_SNAPSHOT_DIR", "SPS_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    settings, note = cli._offline_as_published(load_settings())
    if folder_exists:
        assert (settings.mode, settings.snapshot_dir) == ("offline", snapshot)
        assert note.startswith("as the published version was built")
    else:
        assert settings.mode == "live" and f"built offline from {snapshot}: that folder no longer exists" in note
    monkeypatch.setattr(cli, "open_serving", lambda s: serving(s, mode="live"))
    assert cli._offline_as_published(load_settings())[0].mode == "live"
    monkeypatch.setenv("SPS_MODE", "live")
    monkeypatch.setattr(cli, "open_serving", serving)
    assert cli._offline_as_published(load_settings()) == (load_settings(), "")
