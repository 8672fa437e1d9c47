"""`sps refresh` in live mode with the network down (every request to 127.0.0.1 on a port that refuses): over a
published version, every download fails loudly (`download failed: <whole reason>`, never "not in snapshot"), the
refresh exits 4, no version is published, the previous data are served and `sps status` says ERROR; on an empty
data folder nothing is published and the message says how to run from a snapshot folder."""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import run_sps, sps_env
from tests.integration.refresh_control import copy_baseline, published_state, temporary_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _refusing_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there, connections are refused


def _down(port: int) -> dict[str, str]:
    return {
        "SPS_MODE": "live",
        "SPS_EUROSTAT_API": f"http://127.0.0.1:{port}",
        "SPS_GISCO_API": f"http://127.0.0.1:{port}/gisco",
        "NO_PROXY": "127.0.0.1",
    }


def test_an_outage_over_a_published_version_fails_loudly_and_keeps_serving_it(
    tmp_path, refreshed_data_dir, snapshot_dir
):
    data, snap = copy_baseline(refreshed_data_dir, snapshot_dir, tmp_path)
    before = published_state(data)
    port = _refusing_port()
    result = run_sps(["refresh"], sps_env(data, snap, **_down(port)))
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr[-3000:]
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    eurostat = ["urb_percep", "crim_gen_reg", "crim_off_cat", "urb_cpop1", "urb_clivcon"]
    for code in eurostat:
        assert "failed" in lines[code] and "download failed: cannot connect to" in lines[code], lines[code]
        assert "Connection refused" in lines[code] and lines[code].rstrip().endswith("compressed=true)")
    assert "not in snapshot" not in result.stdout and "done" not in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("sps refresh: error: nothing could be refreshed")
    assert f"the published version {before.version} is still served" in last and "no new version" in last
    assert "Traceback" not in result.stderr
    assert published_state(data) == before and temporary_files(data) == []

    outcome = json.loads((data / "published" / "LAST_REFRESH.json").read_text())
    assert outcome["status"] == "error" and outcome["exit_code"] == 4 and outcome["version"] == before.version
    assert all("download failed" in outcome["failed"][f"raw/{code}"] for code in eurostat)
    status = run_sps(["status"], sps_env(data, snap)).stdout
    assert "last refresh:     ERROR" in status and "(exit 4)" in status and "raw/urb_percep: download failed" in status
    assert "verified:         INTACT" in status
    export = run_sps(["export", "observations", "--out", str(tmp_path / "o.csv")], sps_env(data, snap))
    assert export.returncode == 0 and f"published version {before.version}" in export.stdout

    import os

    from streamlit.testing.v1 import AppTest

    from tests.integration.test_damaged_version import APP

    os.environ["SPS_DATA_DIR"] = str(data)
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
    finally:
        os.environ.pop("SPS_DATA_DIR")
    assert not at.exception
    assert any("could not update" in info.value and "urb_percep" in info.value for info in at.info)


def test_a_first_run_with_every_download_failing_publishes_nothing(tmp_path):
    data = tmp_path / "data"
    result = run_sps(["refresh"], sps_env(data, None, **_down(_refusing_port())))
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr[-3000:]
    assert not (data / "published" / "CURRENT").exists() and not list((data / "published").glob("*.duckdb"))
    last = result.stderr.strip().splitlines()[-1]
    assert "nothing could be refreshed" in last and "nothing is published yet" in last
    assert "sps refresh --snapshot-dir DIR" in last and "Traceback" not in result.stderr
    assert result.stdout.count("download failed") >= 10
    status = run_sps(["status"], sps_env(data, None, SPS_MODE="live")).stdout
    assert "nothing yet (run sps refresh)" in status and "last refresh:     ERROR" in status
