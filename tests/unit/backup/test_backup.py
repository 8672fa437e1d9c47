"""Backup and restore (pipelines/backup): incremental by content, sealed, manifested and verified; restored into an
empty data folder byte for byte; with the wrong key or a damaged object nothing changes; an older backup gives
that day's state; retention; the freshness check, the nightly schedule and the alert. SYNTHETIC uploads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipelines.backup import BackupError, backup, backup_freshness, list_backups, prune_backups, restore, verify_backup
from pipelines.settings import load_settings
from pipelines.uploads.api import issue_upload_token, revoke_upload_token, submit_upload
from pipelines.vault import kept_dir, kept_files, write_private
from pipelines.vault.keys import new_key, write_key_file

HEADER = "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note"
NOTE = "SYNTHETIC note naming Ana Example of 7 Test Road"
RESPONDENT = "RESP-SYNTHETIC-40417"


def upload(settings, token: str, value: float, note: str = NOTE) -> str:
    text = f"{HEADER}\nfeel_safe_after_dark,ES003C,2019,,,,{value},%,,,700,Synthetic survey,{note}\n"
    result = submit_upload(text.encode(), "safety.csv", "ES003C", token, None, settings)
    assert result.accepted, [str(p) for p in result.problems]
    return result.submission_id


def snapshot_of(data: Path) -> dict[str, bytes]:
    """Every kept file, as bytes (what a restore must give back)."""
    return {relative: path.read_bytes() for relative, path in kept_files(data) if relative != "audit.jsonl"}


@pytest.fixture
def world(tmp_path, monkeypatch):
    key_file = tmp_path / "keys" / "vault.key"
    monkeypatch.setenv("SPS_VAULT_KEY_FILE", str(key_file))
    monkeypatch.delenv("SPS_VAULT_KEY", raising=False)
    data = tmp_path / "data"
    settings = replace(load_settings(), data_dir=data)
    _, token = issue_upload_token(data, "ES003C")
    upload(settings, token, 61.5)
    # a stand-in for another package's private data (survey microdata would live in data/surveys)
    write_private(kept_dir(data, "standin") / "microdata.csv", f"resp_id,answer\n{RESPONDENT},3\n".encode(), data)
    return settings, token, tmp_path, key_file


def test_a_backup_is_sealed_manifested_verified_and_incremental(world):
    settings, token, tmp_path, _ = world
    dest = tmp_path / "backups"
    first = backup(settings.data_dir, str(dest))
    kept = kept_files(settings.data_dir)
    assert first.files == len(kept) and first.new_objects == len(kept)
    assert "read back and hashed" in first.verified
    manifest = json.loads((dest / "backups" / f"{first.backup_id}.json").read_text())
    assert {entry["path"] for entry in manifest["files"]} == {relative for relative, _ in kept}
    assert {entry["sealed"] for entry in manifest["files"]} == {"store", "backup"}  # uploads sealed; tokens sealed now
    # Useless without the key: no byte of the backup holds what a city sent or a respondent id, or a token's hash.
    token_hash = next(iter(json.loads((settings.data_dir / "tokens.json").read_text()).values()))["hash"]
    for path in dest.rglob("*"):
        if path.is_file():
            payload = path.read_bytes()
            for secret in (NOTE.encode(), RESPONDENT.encode(), token_hash.encode(), b"feel_safe_after_dark"):
                assert secret not in payload, (path, secret)

    upload(settings, token, 62.0, note="SYNTHETIC second note")
    second = backup(settings.data_dir, str(dest))
    # one new submission: its three files, plus the audit trail and the backup's own line in it; nothing else
    new_paths = {
        e["path"]
        for e in json.loads((dest / "backups" / f"{second.backup_id}.json").read_text())["files"]
        if e.get("object_sha256") and e["path"] not in {f["path"] for f in manifest["files"]}
    }
    assert len([p for p in new_paths if p.startswith("inbox/")]) == 3
    assert second.new_objects == 4  # 3 files of the new submission + the audit trail (it grew)
    assert [b["backup_id"] for b in list_backups(str(dest))] == [first.backup_id, second.backup_id]
    assert verify_backup(settings.data_dir, str(dest)) == (second.backup_id, second.files)


def test_restore_into_an_empty_folder_gives_back_every_kept_file_and_an_older_backup_that_days_state(world):
    settings, token, tmp_path, _ = world
    dest = str(tmp_path / "backups")
    day_one = snapshot_of(settings.data_dir)
    first = backup(settings.data_dir, dest)
    revoke_upload_token(settings.data_dir, json.loads((settings.data_dir / "tokens.json").read_text()).popitem()[0])
    upload_after = upload(settings, issue_upload_token(settings.data_dir, "ES003C")[1], 70.0)
    day_two = snapshot_of(settings.data_dir)
    backup(settings.data_dir, dest)

    latest = restore(tmp_path / "restored", dest)
    assert snapshot_of(tmp_path / "restored") == day_two and latest.files == len(day_two) + 1
    older = restore(tmp_path / "day-one", dest, first.backup_id)
    assert snapshot_of(tmp_path / "day-one") == day_one and older.backup_id == first.backup_id
    assert not (tmp_path / "day-one" / "inbox" / upload_after).exists()
    tokens = json.loads((tmp_path / "day-one" / "tokens.json").read_text())
    assert [record["revoked_at"] for record in tokens.values()] == [None]  # not yet revoked on day one
    # the restored folder reads as the original: the sealed files open with the same key
    from pipelines.uploads.inbox_loader import read_submission

    submission = next((tmp_path / "restored" / "inbox").iterdir())
    assert read_submission(submission).city_code == "ES003C"
    # a restore never overwrites: a folder that keeps anything is refused
    with pytest.raises(BackupError, match="already keeps"):
        restore(tmp_path / "restored", dest)


def test_restore_with_the_wrong_key_fails_clearly_and_changes_nothing(world, monkeypatch):
    settings, _, tmp_path, key_file = world
    dest = str(tmp_path / "backups")
    done = backup(settings.data_dir, dest)
    stranger = tmp_path / "other-machine" / "vault.key"
    write_key_file(stranger, [new_key()])
    monkeypatch.setenv("SPS_VAULT_KEY_FILE", str(stranger))
    target = tmp_path / "target"
    target.mkdir()
    (target / "warehouse.duckdb").write_bytes(b"left alone")
    before = sorted((p.relative_to(target).as_posix(), p.read_bytes()) for p in target.rglob("*") if p.is_file())
    with pytest.raises(BackupError) as failure:
        restore(target, dest)
    message = str(failure.value)
    assert f"backup {done.backup_id}" in message and "was sealed with vault key(s)" in message
    assert "does not hold" in message and "nothing was restored" in message and "SPS_VAULT_KEY_FILE" in message
    after = sorted((p.relative_to(target).as_posix(), p.read_bytes()) for p in target.rglob("*") if p.is_file())
    assert after == before and sorted(p.name for p in target.iterdir()) == ["warehouse.duckdb"]
    # into a folder that did not exist: it still does not
    with pytest.raises(BackupError):
        restore(tmp_path / "new", dest)
    assert not (tmp_path / "new").exists()
    # the right key restores
    monkeypatch.setenv("SPS_VAULT_KEY_FILE", str(key_file))
    assert restore(target, dest).backup_id == done.backup_id


def test_a_damaged_backup_is_caught_by_verify_and_restores_nothing(world):
    settings, _, tmp_path, _ = world
    dest = tmp_path / "backups"
    done = backup(settings.data_dir, str(dest))
    manifest = json.loads((dest / "backups" / f"{done.backup_id}.json").read_text())
    victim = next(e for e in manifest["files"] if e["path"].endswith("rows.csv"))
    obj = dest / "objects" / victim["object"][:2] / victim["object"]
    obj.chmod(0o644)
    damaged = bytearray(obj.read_bytes())
    damaged[40] ^= 0xFF
    obj.write_bytes(bytes(damaged))
    with pytest.raises(BackupError, match=r"rows.csv \(backup .*\): its object is damaged"):
        verify_backup(settings.data_dir, str(dest))
    with pytest.raises(BackupError, match="nothing was restored"):
        restore(tmp_path / "target", str(dest))
    assert not (tmp_path / "target").exists()


def test_an_object_store_through_fsspec(world):
    settings, token, _, _ = world
    dest = "memory://sps-backup-test"
    first = backup(settings.data_dir, dest)
    upload(settings, token, 63.0)
    second = backup(settings.data_dir, dest)
    assert second.new_objects == 4 and first.new_objects == first.files
    import fsspec

    memory = fsspec.filesystem("memory")
    assert memory.exists("/sps-backup-test/backups/" + second.backup_id + ".json")
    memory.rm("/sps-backup-test", recursive=True)


def test_retention_keeps_two_weeks_then_a_backup_a_month_and_collects_unused_objects(world):
    settings, token, tmp_path, _ = world
    dest = tmp_path / "backups"
    ids = []
    for _ in range(3):
        ids.append(backup(settings.data_dir, str(dest)).backup_id)
        upload(settings, token, 60.0 + len(ids))
    # pretend the first two were made long ago, in two different months
    for old, new in zip(ids[:2], ["20250115T020000000000Z", "20250120T020000000000Z"], strict=True):
        (dest / "backups" / f"{old}.json").rename(dest / "backups" / f"{new}.json")
    removed = prune_backups(str(dest), keep_days=14, keep_months=12)
    assert removed == ["20250115T020000000000Z"]  # the last of January 2025 stays, and the recent one
    names = {e["object"] for p in (dest / "backups").glob("*.json") for e in json.loads(p.read_text())["files"]}
    assert {p.name for p in (dest / "objects").rglob("*") if p.is_file()} == names


def test_freshness_the_check_the_schedule_and_the_alert(world, monkeypatch, code_location):
    import dagster as dg

    from pipelines.backup.assets import last_good_backup_within_two_days
    from pipelines.operations.schedules import nightly_backup
    from pipelines.operations.sensors import backup_freshness_sensor

    settings, _, tmp_path, _ = world
    monkeypatch.setenv("SPS_DATA_DIR", str(settings.data_dir))
    assert not backup_freshness(settings.data_dir).ok  # kept data, never backed up
    backup(settings.data_dir, str(tmp_path / "backups"))
    assert backup_freshness(settings.data_dir).ok
    assert last_good_backup_within_two_days().passed
    history = settings.data_dir / "backups.jsonl"
    record = json.loads(history.read_text().splitlines()[-1])
    record["at"] = (datetime.now(UTC) - timedelta(days=2, hours=1)).isoformat()
    history.write_text(json.dumps(record) + "\n")
    stale = backup_freshness(settings.data_dir)
    assert not stale.ok and "older than two days" in stale.message
    assert not last_good_backup_within_two_days().passed

    sent = []
    import importlib

    sensors_module = importlib.import_module("pipelines.operations.sensors")  # the package exports a list by that name
    monkeypatch.setattr(sensors_module, "send_alert", lambda *a, **k: sent.append(a) or [])
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, definitions=code_location)
        assert "ALERT: the last good backup is older than two days" in backup_freshness_sensor(context).skip_message
        assert sent and sent[0][0] == "backup overdue"
        assert "already alerted today" in backup_freshness_sensor(context).skip_message
        assert len(sent) == 1

    monkeypatch.delenv("SPS_BACKUP_DEST", raising=False)
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 12, 4, 2, 30, tzinfo=UTC))
    assert "SPS_BACKUP_DEST is not set" in nightly_backup(context).skip_message
    monkeypatch.setenv("SPS_BACKUP_DEST", str(tmp_path / "backups"))
    request = nightly_backup(context)
    assert request.run_key == "backup-2026-12-04" and request.job_name in (None, "backup")
    backup_nodes = set(code_location.resolve_job_def("backup").graph.node_dict)
    refresh_nodes = set(code_location.resolve_job_def("refresh").graph.node_dict)
    assert "backup__kept_data" in backup_nodes and "backup__kept_data" not in refresh_nodes  # never in a refresh


def test_the_backup_asset_runs_the_backup(world, monkeypatch):
    import dagster as dg

    from pipelines.backup.assets import kept_data

    settings, _, tmp_path, _ = world
    monkeypatch.setenv("SPS_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("SPS_BACKUP_DEST", raising=False)
    with pytest.raises(dg.Failure, match="SPS_BACKUP_DEST is not set"):
        kept_data(dg.build_asset_context())
    monkeypatch.setenv("SPS_BACKUP_DEST", str(tmp_path / "backups"))
    result = kept_data(dg.build_asset_context())
    assert result.metadata["files"] == len(kept_files(settings.data_dir))  # backups.jsonl is not kept itself
