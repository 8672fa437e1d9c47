"""`sps`: help on every command; failures are one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest

from tests.conftest import SPS, run_sps, sps_env


@pytest.mark.parametrize("command", [[], ["refresh"], ["export"], ["serve"], ["status"]])
def test_every_command_has_help(command):
    result = run_sps([*command, "--help"], sps_env_min())
    assert result.returncode == 0
    assert "usage: sps" in result.stdout


def sps_env_min():
    import tempfile
    from pathlib import Path

    return sps_env(Path(tempfile.mkdtemp()) / "data")


def test_export_before_any_refresh_says_what_to_do(tmp_path):
    result = run_sps(["export", "observations", "--out", str(tmp_path / "o.csv")], sps_env(tmp_path / "data"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Run `sps refresh` first" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o.csv").exists()


def test_export_rejects_unknown_format(tmp_path):
    result = run_sps(["export", "observations", "--out", str(tmp_path / "o.txt")], sps_env(tmp_path / "data"))
    assert result.returncode == 1 and "use a .csv, .parquet or .xlsx file name" in result.stderr


def test_refresh_with_missing_snapshot_folder(tmp_path):
    result = run_sps(["refresh"], sps_env(tmp_path / "data", tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "snapshot folder" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_before_any_refresh(tmp_path):
    result = run_sps(["serve"], sps_env(tmp_path / "data"))
    assert result.returncode == 1 and "Run `sps refresh` first" in result.stderr


def test_bad_mode_is_one_line(tmp_path):
    result = run_sps(["status"], sps_env(tmp_path / "data", SPS_MODE="sometimes"))
    assert result.returncode == 1 and "SPS_MODE must be" in result.stderr


def test_status_on_an_empty_data_folder(tmp_path):
    result = run_sps(["status"], sps_env(tmp_path / "data", tmp_path))
    assert result.returncode == 0
    assert "nothing yet (run sps refresh)" in result.stdout


def test_output_to_a_reader_that_went_away_ends_quietly(tmp_path):
    """`sps status | head -0`: the pipe is closed before sps writes; no traceback, no 'unexpected error'."""
    import os
    import subprocess

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [SPS, "status"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=sps_env(tmp_path / "data"),
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
