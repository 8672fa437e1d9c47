"""Concurrency: uploads arriving while a refresh runs, readers while a version is published, two uploads for
one city at the same moment. The uploads are SYNTHETIC values (made up, labelled as such in their `source`)
written only into temporary data folders."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipelines.versions.connection import connect_version
from tests.conftest import run_sps, sps_env
from tests.fixtures.private import opened
from tests.integration.refresh_control import copy_baseline, finish, marts_connection, start_refresh, wait_until

pytestmark = pytest.mark.integration

HEADER = "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note"
SYNTHETIC = "SYNTHETIC test value"


def upload_csv(period: str, value: str) -> bytes:
    return f"{HEADER}\nhomicide_rate,ES003C,{period},,,,{value},per 100000,,,,{SYNTHETIC},\n".encode()


def _published(data: Path) -> duckdb.DuckDBPyConnection:
    return connect_version(str(data / "published" / (data / "published" / "CURRENT").read_text().strip()))


def _history(data: Path) -> dict[str, tuple]:
    """submission_id -> (rows in submission_history, period, value, report_version, is_latest)."""
    with _published(data) as conn:
        rows = conn.execute(
            "select submission_id, count(*) over (partition by submission_id), period, value, report_version, "
            "is_latest from submission_history where city_code = 'ES003C'"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


@pytest.mark.slow
def test_uploads_during_a_refresh_are_loaded_by_this_run_or_the_next_exactly_once(
    tmp_path, refreshed_data_dir, snapshot_dir
):
    from pipelines.settings import load_settings
    from pipelines.uploads.submit import submit_upload
    from pipelines.uploads.tokens import issue_upload_token

    data, snap = copy_baseline(refreshed_data_dir, snapshot_dir, tmp_path)
    settings = replace(load_settings(), data_dir=data)
    _, token = issue_upload_token(data, "ES003C")

    before = submit_upload(upload_csv("2019", "0.87"), "before.csv", "ES003C", token, None, settings)
    out = tmp_path / "refresh.out"
    process = start_refresh(data, snap, out, SPS_TEST_PAUSE_AT="inbox")
    # The refresh has listed the inbox and is about to load it: these arrive too late for this run.
    wait_until(lambda: (data / ".sps-paused-inbox").exists(), process, out, "the inbox load")
    barrier = threading.Barrier(2)
    same_moment: list = [None, None]

    def send(slot: int, value: str) -> None:
        barrier.wait()
        same_moment[slot] = submit_upload(upload_csv("2020", value), f"{slot}.csv", "ES003C", token, None, settings)

    threads = [threading.Thread(target=send, args=(slot, value)) for slot, value in ((0, "1.1"), (1, "1.2"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    during = [result.submission_id for result in same_moment]
    assert all(result.accepted for result in [before, *same_moment])
    assert len(set(during)) == 2  # two uploads at one moment are two versions, never one overwriting the other
    (data / ".sps-paused-inbox").unlink()  # resume
    finish(process, out)

    first = _history(data)
    assert set(first) == {before.submission_id}  # this run took what was there when it listed the inbox
    assert first[before.submission_id][0] == 1

    second = run_sps(["refresh"], sps_env(data, snap))
    assert second.returncode == 0, second.stderr[-3000:]
    history = _history(data)
    assert set(history) == {before.submission_id, *during}
    assert all(rows == 1 for rows, *_ in history.values())  # each accepted row exactly once, none half-loaded
    earlier, later = sorted(during)  # versions follow the submission ids, which follow arrival
    assert (history[earlier][3], history[earlier][4]) == (1, False)
    assert (history[later][3], history[later][4]) == (2, True)
    with _published(data) as conn:
        reported = conn.execute(
            "select period, value, submission_id from fct_observations where geo_code = 'ES003C' "
            "and source_type = 'city_report' and indicator_code = 'homicide_rate' order by period"
        ).fetchall()
    assert reported == [("2019", 0.87, before.submission_id), ("2020", history[later][2], later)]
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        loaded = conn.execute(
            "select submission_id, count(*) from raw.city_submission_files group by all order by all"
        ).fetchall()
    assert loaded == sorted((submission_id, 1) for submission_id in history)


def test_two_uploads_in_the_same_microsecond_get_distinct_ordered_ids(tmp_path, monkeypatch):
    """The clock is frozen so both threads ask for an id at exactly the same instant."""
    from datetime import UTC, datetime

    from pipelines.settings import load_settings
    from pipelines.uploads import submit
    from pipelines.uploads.inbox_loader import load_inbox
    from pipelines.uploads.tokens import issue_upload_token

    frozen = datetime(2026, 1, 1, 9, 0, 0, tzinfo=UTC)

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    monkeypatch.setattr(submit, "datetime", FrozenClock)
    settings = replace(load_settings(), data_dir=tmp_path / "data")
    _, token = issue_upload_token(settings.data_dir, "ES003C")
    payload = upload_csv("2020", "1.1")  # the same bytes twice: even the checksum part of the id is equal
    barrier = threading.Barrier(4)
    results: list = [None] * 4
    errors: list = []

    def send(slot: int) -> None:
        try:
            barrier.wait()
            results[slot] = submit.submit_upload(payload, "same.csv", "ES003C", token, None, settings)
        except Exception as exc:  # recorded, then asserted empty
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = sorted(result.submission_id for result in results)
    assert len(set(ids)) == 4
    assert [submission_id[:22] for submission_id in ids] == [
        "20260101T090000000000Z",
        "20260101T090000000001Z",
        "20260101T090000000002Z",
        "20260101T090000000003Z",
    ]
    with duckdb.connect() as conn:
        outcome = load_inbox(conn, settings.inbox_dir, settings.data_dir)
        assert list(outcome.loaded) == ids and outcome.rows == 4
        assert conn.execute("select count(distinct submission_id) from raw.city_submissions").fetchall() == [(4,)]


def test_two_upload_processes_at_once_are_both_kept(tmp_path):
    """Two real `sps upload` processes started together for the same city."""
    import subprocess

    from tests.conftest import PROJECT_ROOT, SPS

    env = sps_env(tmp_path / "data")
    token = run_sps(["token", "issue", "--city", "ES003C"], env).stdout.strip().splitlines()[-1]
    files = []
    for slot, value in enumerate(("1.1", "1.2")):
        path = tmp_path / f"upload{slot}.csv"
        path.write_bytes(upload_csv("2020", value))
        files.append(path)
    processes = [
        subprocess.Popen(
            [SPS, "upload", str(path), "--city", "ES003C", "--token", token],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in files
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    folders = sorted(p.name for p in (tmp_path / "data" / "inbox").iterdir())
    assert len(folders) == 2 and folders[0] < folders[1]
    assert sorted(opened(tmp_path / "data" / "inbox" / name / "original.csv") for name in folders) == sorted(
        path.read_bytes() for path in files
    )


def test_readers_see_one_whole_version_while_new_versions_are_published(tmp_path, refreshed_data_dir, monkeypatch):
    """Dashboard queries (dashboards/queries.py) in reader threads while publish_marts runs: no lock errors,
    and every query of one page view answers from the version the page started with."""
    from dashboards import queries
    from pipelines.publishing.publish import publish_marts
    from pipelines.settings import load_settings

    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    settings = replace(load_settings(), published_keep=5)
    publisher = marts_connection(refreshed_data_dir)
    published = [publish_marts(publisher, settings).version]
    done = threading.Event()
    page_views: list[tuple[str, set[str], int]] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while True:
                finished = done.is_set()
                page = queries.current_published()  # what a page does once, at its top
                seen = {queries._query(page, "select version from _publication")["version"][0]}
                rows = len(queries.city_values(page, "feel_safe_city", "2015"))
                seen.add(queries._query(page, "select version from _publication")["version"][0])
                page_views.append((page.version, seen, rows))
                if finished:
                    return
        except BaseException as exc:  # recorded, then asserted empty
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(3):  # fewer than SPS_PUBLISHED_KEEP: a page's version is never pruned under it
            published.append(publish_marts(publisher, settings).version)
    finally:
        done.set()
        for thread in threads:
            thread.join()
        publisher.close()
    assert errors == []
    assert len(page_views) >= 3
    assert all(seen == {version} for version, seen, _ in page_views)  # never two versions in one page view
    assert {version for version, _, _ in page_views} <= set(published)
    assert published[-1] in {version for version, _, _ in page_views}  # readers ran after the last publish
    assert len({rows for _, _, rows in page_views}) == 1 and page_views[0][2] > 0
