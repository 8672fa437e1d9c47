"""What `sps watch` plans (pipelines/operations/watch.upload_plan): only what cities send, without hashing the
snapshot's files, while the reasons for a full rebuild are still found; `sps refresh`'s plan still sees a changed
source file."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from pipelines.operations.watch import upload_plan
from pipelines.publishing import plan as plan_module
from pipelines.publishing.fingerprint import CITY_SUBMISSIONS
from pipelines.publishing.plan import plan_refresh
from pipelines.settings import load_settings
from tests.conftest import mirror_snapshot, refreshed_copy
from tests.fixtures.city_inbox import write_submission
from tests.integration.damage import damaged_current
from tests.integration.test_watch import ROWS

pytestmark = pytest.mark.integration


def _settings(data, snapshot, monkeypatch):
    monkeypatch.setenv("SPS_SNAPSHOT_DIR", str(snapshot))
    return replace(load_settings(), data_dir=data)


def test_the_watch_plans_an_upload_and_leaves_a_changed_source_file_to_refresh(
    refreshed_data_dir, snapshot_dir, tmp_path, monkeypatch
):
    data = refreshed_copy(refreshed_data_dir, tmp_path / "data")
    snapshot = tmp_path / "snapshot"
    mirror_snapshot(snapshot_dir, snapshot)
    changed = snapshot / "eurostat" / "crim_off_cat.tsv"
    changed.unlink()
    shutil.copyfile(snapshot_dir / "eurostat" / "crim_off_cat.tsv", changed)
    with open(changed, "a", encoding="utf-8") as fh:
        fh.write("\n")  # other bytes, same data
    settings = _settings(data, snapshot, monkeypatch)
    assert "raw/crim_off_cat" in plan_refresh(settings).changed  # `sps refresh` sees the file

    def not_read(*_args, **_kwargs):
        raise AssertionError("the watch hashed the snapshot or read the source register")

    with monkeypatch.context() as patched:
        patched.setattr(plan_module, "_source_now", not_read)
        patched.setattr(plan_module, "_failed_files", not_read)
        assert upload_plan(settings).plan is None  # nothing a city sent: the watch does nothing
        submission = write_submission(data / "inbox", "20260108T090000000000", "LV001C", ROWS)
        planned = upload_plan(settings).plan
    assert planned is not None and list(planned.changed) == [CITY_SUBMISSIONS]
    assert "1 new inbox submission(s)" in planned.changed[CITY_SUBMISSIONS] and submission


def test_the_watch_still_finds_a_damaged_version_and_leaves_the_rebuild_to_refresh(
    refreshed_data_dir, snapshot_dir, tmp_path, monkeypatch
):
    data, _intact, broken = damaged_current(refreshed_data_dir, tmp_path)
    planned = upload_plan(_settings(data, snapshot_dir, monkeypatch))
    assert planned.plan is None
    assert f"published version {broken} is damaged" in planned.note and "run `sps refresh`" in planned.note
