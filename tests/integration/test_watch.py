"""`sps watch` publishes a city's upload as it arrives, with only what depends on it rebuilt (issue 21, ADR 0024), and
stops on SIGTERM, after the run in progress if there is one. Real snapshot; the city submissions are SYNTHETIC
(tests/fixtures/city_inbox.py)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, SPS, sps_env
from tests.fixtures.city_inbox import write_submission

pytestmark = pytest.mark.integration


ROWS = [{"indicator_code": "feel_safe_after_dark", "geo_code": "LV001C", "period": "2023", "value": "57.5",
         "unit": "% of population", "sample_size": "700"}]  # fmt: skip


def _start_watch(data: Path, snapshot_dir: Path, log: Path, **extra: str) -> subprocess.Popen:
    """`sps watch` as a shell starts it in the background (`sps watch &`): SIGINT ignored."""
    with open(log, "w") as out:  # a file, not a pipe: nobody reads it while the watch runs
        process = subprocess.Popen(
            [SPS, "watch", "--interval", "0.1"],
            env=sps_env(data, snapshot_dir, PYTHONUNBUFFERED="1", **extra),
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    _wait_for(log, "sps watch: ready in", process)
    return process


def _wait_for(log: Path, text: str, process: subprocess.Popen, after: int = 0) -> None:
    deadline = time.monotonic() + 300
    while text not in log.read_text()[after:]:
        assert process.poll() is None, f"sps watch ended (rc {process.returncode}): {log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, f"no {text!r} after 300 s: {log.read_text()[-2000:]}"
        time.sleep(0.05)


def _paused_in_publish(data: Path, process: subprocess.Popen, log: Path) -> Path:
    """The marker of a run held at its publish step (SPS_TEST_PAUSE_AT=publish, pipelines/settings.py): a signal sent
    now arrives during the run however fast the run is; removing the marker lets it go on."""
    marker = data / ".sps-paused-publish"
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert process.poll() is None, f"sps watch ended (rc {process.returncode}): {log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, f"no run reached publish after 300 s: {log.read_text()[-2000:]}"
        time.sleep(0.05)
    return marker


def _stopped(process: subprocess.Popen, log: Path, within: float) -> str:
    try:
        process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"sps watch still ran {within} s after SIGTERM: {log.read_text()[-2000:]}") from None
    text = log.read_text()
    assert process.returncode == 0, text[-2000:]
    assert "sps watch: stopped (SIGTERM)" in text and "Traceback" not in text
    return text


def _published_values(data: Path, version: str, submission: str) -> list[tuple]:
    from pipelines.versions.store import open_version

    with open_version(data / "published" / version) as conn:
        query = "select value from fct_observations where submission_id = ? and geo_code = 'LV001C'"
        return conn.execute(query, [submission]).fetchall()


def test_watch_publishes_an_upload_as_it_arrives_and_stops_on_sigterm(refreshed_data_dir, snapshot_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(refreshed_data_dir, data, symlinks=True)
    before = (data / "published" / "CURRENT").read_text().strip()
    log = tmp_path / "watch.log"
    watch = _start_watch(data, snapshot_dir, log)
    submission = write_submission(data / "inbox", "20260105T090000000000", "LV001C", ROWS)
    _wait_for(log, "sps refresh: done in", watch)

    text = log.read_text()
    assert "rebuilding what depends on raw/city_submissions (1 new inbox submission(s)" in text
    current = (data / "published" / "CURRENT").read_text().strip()
    assert current != before
    assert _published_values(data, current, submission) == [(57.5,)]
    assert _published_values(data, before, submission) == []

    # Idle after a run: a Dagster run in the main thread used to leave SIGTERM doing what SIGINT does, and SIGINT is
    # ignored in a background job, so the watch ignored SIGTERM for good (a service manager's stop hung)
    watch.send_signal(signal.SIGTERM)
    _stopped(watch, log, within=20)


def test_sigterm_during_a_run_lets_it_publish_then_stops_the_watch(refreshed_data_dir, snapshot_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(refreshed_data_dir, data, symlinks=True)
    log = tmp_path / "watch.log"
    watch = _start_watch(data, snapshot_dir, log, SPS_TEST_PAUSE_AT="publish")
    submission = write_submission(data / "inbox", "20260106T090000000000", "LV001C", ROWS)
    marker = _paused_in_publish(data, watch, log)
    watch.send_signal(signal.SIGTERM)
    _wait_for(log, "SIGTERM: stopping after the current run", watch)
    marker.unlink()

    text = _stopped(watch, log, within=120)
    stopping = text.index("SIGTERM: stopping after the current run")
    assert text.index("sps refresh: done in") > stopping  # the run went on after the signal and finished
    assert "refresh failed" not in text and "Interrupted" not in text
    current = (data / "published" / "CURRENT").read_text().strip()
    assert _published_values(data, current, submission) == [(57.5,)]


def test_a_second_sigterm_stops_the_watch_at_once_and_the_served_version_stays_whole(
    refreshed_data_dir, snapshot_dir, tmp_path
):
    data = tmp_path / "data"
    shutil.copytree(refreshed_data_dir, data, symlinks=True)
    log = tmp_path / "watch.log"
    watch = _start_watch(data, snapshot_dir, log, SPS_TEST_PAUSE_AT="publish")
    write_submission(data / "inbox", "20260107T090000000000", "LV001C", ROWS)
    _paused_in_publish(data, watch, log)
    watch.send_signal(signal.SIGTERM)
    _wait_for(log, "SIGTERM: stopping after the current run", watch)
    watch.send_signal(signal.SIGTERM)
    try:
        watch.wait(timeout=60)
    except subprocess.TimeoutExpired:
        watch.kill()
        watch.wait()
        raise AssertionError(f"sps watch still ran 60 s after a second SIGTERM: {log.read_text()[-2000:]}") from None
    text = log.read_text()
    assert watch.returncode == 130 and "sps watch: interrupted" in text, text[-2000:]
    assert "Traceback" not in text
    # whichever version CURRENT names (the one before, or the run's if it had swapped the pointer) opens whole
    current = (data / "published" / "CURRENT").read_text().strip()
    assert len(_published_values(data, current, "no-such-submission")) == 0
