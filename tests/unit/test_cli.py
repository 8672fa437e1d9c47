"""`sps`: help on every command; failures are one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import PROJECT_ROOT, SPS, run_sps, sps_env


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
    (tmp_path / "data").mkdir()
    result = run_sps(["status"], sps_env(tmp_path / "data", tmp_path))
    assert result.returncode == 0
    assert "nothing yet (run sps refresh)" in result.stdout


def test_status_on_a_data_folder_that_does_not_exist_says_so_in_one_line(tmp_path):
    """A mistyped --data-dir must not look like a new install ("nothing yet")."""
    result = run_sps(["--data-dir", str(tmp_path / "dta"), "status"], sps_env(tmp_path / "data", tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert f"data folder {tmp_path / 'dta'} does not exist" in result.stderr and result.stdout == ""
    assert not (tmp_path / "dta").exists()


def test_output_to_a_reader_that_went_away_ends_quietly(tmp_path):
    """`sps status | head -0`: the pipe is closed before sps writes; no traceback, no 'unexpected error'."""
    import os
    import subprocess

    (tmp_path / "data").mkdir()
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


def test_refresh_loading_goes_on_when_dbts_project_cannot_be_loaded_and_collection_comes_back():
    """`sps refresh` loads Dagster and dbt's parsed project with collection off, then freezes (shared/collector.py).
    A project that cannot be loaded there must not stop the refresh before its run (the dbt step reports it), nor
    leave collection off."""
    script = textwrap.dedent(
        """
        import gc, json
        import pipelines.warehouse.dbt_inprocess as dbt_inprocess
        from pipelines import cli

        def broken():
            raise RuntimeError("the parsed project cannot be read")

        dbt_inprocess.load_manifest = broken
        defs = cli._load_for_refresh()
        print(json.dumps({"job": defs.resolve_job_def("refresh").name, "collecting": gc.isenabled(),
                          "frozen": gc.get_freeze_count()}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["job"] == "refresh" and facts["collecting"] is True and facts["frozen"] > 100_000
