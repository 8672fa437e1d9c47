"""The inbox sensor asks for a refresh when SYNTHETIC submissions (tests/fixtures/city_inbox.py) wait in the
inbox, never twice for the same set, and steps aside while a refresh holds the warehouse."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import dagster as dg
import duckdb
import pytest

from pipelines.operations.sensors import inbox_sensor
from pipelines.uploads.inbox_loader import load_inbox
from tests.fixtures.city_inbox import write_submission

ROW = {"indicator_code": "feel_safe_after_dark", "geo_code": "ZZ001C", "period": "2023", "value": "61.5", "unit": "%"}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def evaluate(instance, code_location):
    return lambda: inbox_sensor(dg.build_sensor_context(definitions=code_location, instance=instance))


def test_an_empty_inbox_skips(data_dir, evaluate):
    result = evaluate()
    assert isinstance(result, dg.SkipReason) and "no submission" in result.skip_message


def test_pending_submissions_request_one_refresh_keyed_by_their_ids(data_dir, evaluate):
    inbox = data_dir / "inbox"
    second = write_submission(inbox, "20260102T090000000000", "ZZ001C", [ROW])
    first = write_submission(inbox, "20260101T090000000000", "ZZ001C", [ROW])
    (inbox / ".20260103T090000000000Z-ZZ001C-00000000.tmp").mkdir()  # still being written: not pending
    result = evaluate()
    assert isinstance(result, dg.RunRequest)
    assert result.run_key == f"{first},{second}"
    assert result.tags["sps/trigger"] == "inbox"
    assert inbox_sensor.job_name == "refresh"
    assert inbox_sensor.minimum_interval_seconds == 30
    # the same pending set gives the same run key, which Dagster runs only once
    assert evaluate().run_key == result.run_key


def test_loaded_submissions_skip_and_a_new_one_gets_a_new_key(data_dir, evaluate):
    inbox = data_dir / "inbox"
    loaded = write_submission(inbox, "20260101T090000000000", "ZZ001C", [ROW])
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as conn:
        load_inbox(conn, inbox, data_dir)
    result = evaluate()
    assert isinstance(result, dg.SkipReason) and "all 1 inbox submission(s) are loaded" in result.skip_message
    new = write_submission(inbox, "20260102T090000000000", "ZZ001C", [ROW])
    result = evaluate()
    assert isinstance(result, dg.RunRequest) and result.run_key == new and loaded not in result.run_key


def test_a_locked_warehouse_means_a_refresh_is_running(data_dir, evaluate):
    write_submission(data_dir / "inbox", "20260101T090000000000", "ZZ001C", [ROW])
    duckdb.connect(str(data_dir / "warehouse.duckdb")).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, duckdb
                conn = duckdb.connect({str(data_dir / "warehouse.duckdb")!r})
                print("locked", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = evaluate()
    finally:
        holder.communicate("\n", timeout=30)
    assert isinstance(result, dg.SkipReason) and "a refresh is running" in result.skip_message
    assert isinstance(evaluate(), dg.RunRequest)  # lock released: the submission is pending again


def test_the_code_location_runs_the_sensor_and_feeds_the_city_models(code_location):
    defs = code_location

    assert defs.resolve_sensor_def("inbox_sensor").job_name == "refresh"
    graph = defs.resolve_asset_graph()
    for key in (["raw", "city_submissions"], ["raw", "city_submission_files"]):
        node = graph.get(dg.AssetKey(key))
        assert node.group_name == "sources"
        assert any("stg_city__" in child.to_user_string() for child in node.child_keys)
