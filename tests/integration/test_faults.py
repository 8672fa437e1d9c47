"""Faults: the real `sps refresh` killed (SIGKILL to its whole process group, like an OOM kill or a pulled plug)
during ingest, during the dbt build and during publish; broken source files; a full disk and a read-only data
folder. After each: the published version analysts read is byte-for-byte the one before and still opens
read-only, and the next refresh recovers with no manual cleanup.

The kill points are reached deterministically: `SPS_TEST_PAUSE_AT` (a test-only hook, pipelines/settings.py)
makes the refresh write a marker file and wait at ingest or publish; the dbt build is recognised by its own
progress lines. Nothing here is timed: every wait is "until this is observed" with a generous ceiling.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.versions.connection import connect_version
from tests.conftest import run_sps, sps_env
from tests.integration.refresh_control import (
    PublishedState,
    copy_baseline,
    kill_group,
    marts_connection,
    published_state,
    start_refresh,
    temporary_files,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HTML_PAGE = "<!DOCTYPE html>\n<html><body><h1>503 Service Unavailable</h1></body></html>\n"


@pytest.fixture
def baseline(tmp_path, refreshed_data_dir, snapshot_dir) -> tuple[Path, Path]:
    return copy_baseline(refreshed_data_dir, snapshot_dir, tmp_path)


def new_line_endings(snap: Path, relative: str) -> None:
    """Replace a symlink by a copy of the real file with the other line endings (LF <-> CRLF): the same data
    in new bytes, so the refresh really loads it again."""
    link = snap / relative
    original = link.read_bytes()
    changed = original.replace(b"\r\n", b"\n") if b"\r\n" in original else original.replace(b"\n", b"\r\n")
    assert changed != original
    link.unlink()
    link.write_bytes(changed)


def assert_recovers(data: Path, snap: Path, before: PublishedState) -> PublishedState:
    """The next plain refresh succeeds without any cleanup and publishes the same observations."""
    for marker in data.glob(".sps-paused-*"):
        marker.unlink()  # the test hook's own marker; not product state
    result = run_sps(["refresh"], sps_env(data, snap))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    after = published_state(data)
    assert after.pointer != before.pointer and after.observations == before.observations
    assert temporary_files(data) == []
    return after


@pytest.mark.parametrize("point", ["ingest", "dbt", "publish"])
def test_a_refresh_killed_mid_run_leaves_the_published_version_intact(baseline, tmp_path, point):
    data, snap = baseline
    before = published_state(data)
    new_line_endings(snap, "eurostat/crim_off_cat.tsv")  # new bytes: the ingest of crim_off_cat really writes
    out = tmp_path / "refresh.out"
    # Paused at publish in every case: the dbt kill can never race past the pointer swap.
    process = start_refresh(data, snap, out, SPS_TEST_PAUSE_AT="ingest" if point == "ingest" else "publish")
    if point == "ingest":
        wait_until(lambda: (data / ".sps-paused-ingest").exists(), process, out, "the pause inside the load")
    elif point == "dbt":
        logs = set((data / "logs").glob("refresh-*.log"))  # dbt's progress goes to this run's log file

        def dbt_builds_marts() -> bool:
            return any("START sql table model marts." in log.read_text() for log in set(data.glob("logs/*.log")) - logs)

        wait_until(dbt_builds_marts, process, out, "dbt building marts")
        assert not (data / ".sps-paused-publish").exists()
    else:
        wait_until(lambda: (data / ".sps-paused-publish").exists(), process, out, "the pause inside publish")
        assert len(temporary_files(data)) == 1  # a whole temporary copy exists, the pointer not yet swapped
    kill_group(process)

    assert published_state(data) == before  # pointer, bytes, versions, and it opens read-only
    assert assert_recovers(data, snap, before)

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        loads = conn.execute("select row_count from raw._loads where dataset = 'crim_off_cat' order by load_id")
        row_counts = [row[0] for row in loads.fetchall()]
        appended = conn.execute("select count(*) from raw.crim_off_cat").fetchall()[0][0]
    # Killed at ingest, the uncommitted load left nothing and the recovery loaded the new bytes; killed later,
    # the load had committed and is not repeated. Either way: the baseline load and one more, never a half.
    assert row_counts == [17474, 17474] and appended == 2 * 17474


def test_broken_source_files_fail_their_own_assets_and_keep_the_published_version(baseline):
    data, snap = baseline
    before = published_state(data)
    real = snap / "eurostat"
    # urb_percep: a gzip whose deflate stream is damaged (the .gz is found before the .tsv)
    packed = gzip.compress((real / "urb_percep.tsv").read_bytes(), mtime=0)
    (real / "urb_percep.tsv.gz").write_bytes(packed[:20] + bytes(b ^ 0x5A for b in packed[20:400]) + packed[400:])
    # crim_gen_reg: an HTML error page saved under the TSV's name
    (real / "crim_gen_reg.tsv").unlink()
    (real / "crim_gen_reg.tsv").write_text(HTML_PAGE)
    # crim_off_cat: a changed header (a dimension renamed)
    text = (real / "crim_off_cat.tsv").read_text()
    (real / "crim_off_cat.tsv").unlink()
    (real / "crim_off_cat.tsv").write_text(text.replace("freq,iccs,unit,geo\\", "freq,iccs,unit,area\\", 1))
    # urb_cpop1_labels: a download cut in half
    cpop = (real / "urb_cpop1_1_Data.csv.gz").read_bytes()
    (real / "urb_cpop1_1_Data.csv.gz").unlink()
    (real / "urb_cpop1_1_Data.csv.gz").write_bytes(cpop[: len(cpop) // 2])
    # ons_sdg_16_1_4: valid, in new bytes, so "the other sources still refresh" is a real load
    new_line_endings(snap, "national/uk_ons_sdg/indicator_16-1-4.csv")

    result = run_sps(["refresh"], sps_env(data, snap))
    assert result.returncode == 3  # some sources failed and keep their last good data; the others were published
    failed = [line for line in result.stderr.splitlines() if line.strip().startswith("FAILED")]
    by_asset = {line.split()[1].rstrip(":"): line for line in failed}
    assert "urb_percep.tsv.gz" in by_asset["raw__urb_percep"] and "gzip data is corrupt" in by_asset["raw__urb_percep"]
    assert "crim_gen_reg.tsv, line 1" in by_asset["raw__crim_gen_reg"] and "HTML" in by_asset["raw__crim_gen_reg"]
    assert "crim_off_cat.tsv, line 1" in by_asset["raw__crim_off_cat"]
    assert "header dimensions" in by_asset["raw__crim_off_cat"] and "'area'" in by_asset["raw__crim_off_cat"]
    assert "urb_cpop1_1_Data.csv.gz" in by_asset["raw__urb_cpop1_labels"]
    assert "Traceback" not in result.stderr
    # the valid change (ons_sdg_16_1_4) is published; the broken sources keep the data of their last good load
    last = result.stderr.splitlines()[-1]
    assert (
        "without the failed source(s) raw/crim_gen_reg, raw/crim_off_cat, raw/urb_cpop1_labels, raw/urb_percep" in last
    )
    assert "keep the data of their last good load" in last
    after = published_state(data)
    assert after.pointer != before.pointer and after.observations == before.observations
    assert temporary_files(data) == []
    with (
        connect_version(str(data / "published" / before.pointer.strip())) as old,
        connect_version(str(data / "published" / after.pointer.strip())) as new,
    ):
        for query in (
            "select count(*), sum(offences_count), sum(offences_per_100k) from fct_police_recorded_offences",
            "select count(*), sum(value) from fct_observations where source_dataset = 'urb_percep'",
        ):
            assert old.execute(query).fetchall() == new.execute(query).fetchall()
        health = new.execute("select status, markdown from _health").fetchall()[0]
    assert health[0] == "error" and "4 failed at the last attempt" in health[1]

    # the same broken files are not retried until they change: the next refresh says so and does nothing
    again = run_sps(["refresh"], sps_env(data, snap))
    assert again.returncode == 3 and "Left out, still broken: " in again.stdout  # still not all good
    broken_part = again.stdout.split("Left out, still broken: ")[1]
    for key in ("raw/urb_percep", "raw/crim_gen_reg", "raw/crim_off_cat", "raw/urb_cpop1_labels"):
        assert f"{key} (failed " in broken_part
    assert "nothing rebuilt or republished" in again.stdout and published_state(data) == after

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        latest = dict(
            conn.execute(
                "select dataset, status from raw._source_status "
                "qualify row_number() over (partition by dataset order by checked_at desc) = 1"
            ).fetchall()
        )
        ons_loads = conn.execute("select count(*) from raw._loads where dataset = 'ons_sdg_16_1_4'").fetchall()[0][0]
    assert {code: latest[code] for code in ("urb_percep", "crim_gen_reg", "crim_off_cat", "urb_cpop1_labels")} == {
        "urb_percep": "failed",
        "crim_gen_reg": "failed",
        "crim_off_cat": "failed",
        "urb_cpop1_labels": "failed",
    }
    assert latest["ons_sdg_16_1_4"] == "loaded" and ons_loads == 2  # the other sources still refreshed
    assert latest["gisco_cities"] in ("loaded", "unchanged") and latest["ons_sdg_16_1_1"] in ("loaded", "unchanged")


# ------------------------------------------------------------------------------------ disk full, read-only
def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


def _mount(args: list[str]) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def test_a_read_only_data_folder_fails_in_one_line_before_anything_runs(baseline):
    data, snap = baseline
    before = published_state(data)
    if os.geteuid() != 0:
        for folder in (data, data / "published", data / "dagster_home"):
            folder.chmod(0o555)
    elif not (_can_mount() and _mount(["--bind", str(data), str(data)])):
        pytest.skip("running as root without mount: a read-only folder cannot be made")
    elif not _mount(["-o", "remount,bind,ro", str(data)]):
        subprocess.run(["umount", str(data)])
        pytest.skip("running as root and a read-only bind mount is not permitted")
    try:
        result = run_sps(["refresh"], sps_env(data, snap))
    finally:
        if os.geteuid() != 0:
            for folder in (data, data / "published", data / "dagster_home"):
                folder.chmod(0o755)
        else:
            subprocess.run(["umount", str(data)], check=True)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"the data folder {data}" in result.stderr and "is not writable" in result.stderr
    assert published_state(data) == before


def test_a_full_disk_stops_the_refresh_with_a_clear_message_and_no_partial_publish(baseline, tmp_path):
    """A real full file system: a tmpfs just big enough for the existing state (root with mount; the
    in-process publish tests below cover the same failure without privileges)."""
    data, snap = baseline
    if not _can_mount():
        pytest.skip("a size-limited file system needs root and mount")
    used = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    small = tmp_path / "small"
    small.mkdir()
    if not _mount(["-t", "tmpfs", "-o", f"size={used + 2_000_000}", "tmpfs", str(small)]):
        pytest.skip("mounting a tmpfs is not permitted here")
    new_line_endings(snap, "eurostat/crim_off_cat.tsv")  # real work to do, so the refresh has to write
    try:
        shutil.copytree(data, small / "data", symlinks=True, dirs_exist_ok=True)
        before = published_state(small / "data")
        result = run_sps(["refresh"], sps_env(small / "data", snap))
        after = published_state(small / "data")
        leftovers = temporary_files(small / "data")
    finally:
        subprocess.run(["umount", str(small)], check=True)
    assert result.returncode == 1, result.stderr[-2000:]
    # The failing step names the cause (where it surfaced depends on which write hit the limit first).
    last = result.stderr.strip().splitlines()[-1]
    assert "still served" in last
    assert any(cause in result.stderr.lower() for cause in ("no space left", "disk is full", "out of space"))
    assert "Traceback" not in result.stderr
    assert after == before and leftovers == []


def _publish_settings(tmp_path: Path):
    from dataclasses import replace

    from pipelines.settings import load_settings

    return replace(load_settings(), data_dir=tmp_path / "data", published_keep=5)


def test_publish_on_a_full_disk_raises_publish_error_and_changes_nothing(tmp_path, refreshed_data_dir):
    """RLIMIT_FSIZE makes the kernel refuse to grow any file past 1 MB (EFBIG), as a full disk would."""
    import resource

    from pipelines.errors import PublishError
    from pipelines.publishing.publish import publish_marts

    settings = _publish_settings(tmp_path)
    with marts_connection(refreshed_data_dir) as conn:
        first = publish_marts(conn, settings)
        pointer = (settings.published_dir / "CURRENT").read_text()
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, hard))
        try:
            with pytest.raises(PublishError) as info:
                publish_marts(conn, settings)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert str(info.value).startswith("publish failed: ") and "previous published version is still" in str(info.value)
    assert "\n" not in str(info.value)
    assert (settings.published_dir / "CURRENT").read_text() == pointer
    assert sorted(p.name for p in settings.published_dir.iterdir()) == sorted(
        [first.path.name, first.path.stem + ".manifest.json", first.path.stem + ".tables", "CURRENT"]
    )
    with connect_version(str(first.path)) as reader:
        assert (
            reader.execute("select count(*) from fct_observations").fetchall()[0][0] == first.tables["fct_observations"]
        )


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EROFS", "EACCES"])
def test_publish_when_the_pointer_cannot_be_swapped(tmp_path, refreshed_data_dir, monkeypatch, errno_name):
    import errno

    from pipelines.errors import PublishError
    from pipelines.publishing import publish

    settings = _publish_settings(tmp_path)
    with marts_connection(refreshed_data_dir) as conn:
        first = publish.publish_marts(conn, settings)
        pointer = (settings.published_dir / "CURRENT").read_text()
        real_replace = os.replace

        def failing_replace(src, dst):
            if Path(dst).name == "CURRENT":
                code = getattr(errno, errno_name)
                raise OSError(code, os.strerror(code))
            return real_replace(src, dst)

        monkeypatch.setattr(publish.os, "replace", failing_replace)
        with pytest.raises(PublishError, match=os.strerror(getattr(errno, errno_name))):
            publish.publish_marts(conn, settings)
    assert (settings.published_dir / "CURRENT").read_text() == pointer
    assert sorted(p.name for p in settings.published_dir.iterdir()) == sorted(
        [first.path.name, first.path.stem + ".manifest.json", first.path.stem + ".tables", "CURRENT"]
    )
    assert publish.current_version_path(settings.published_dir) == first.path
