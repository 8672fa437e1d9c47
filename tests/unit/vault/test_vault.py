"""The vault (pipelines/vault): sealing at rest with AES-256-GCM, the keyring's rules (outside the data folder,
owner-only, made on first use by writers only), key rotation, the declared kept paths, and uploads stored
sealed: a note or a respondent id sent by a city is nowhere in the private store in plain text."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.settings import load_settings
from pipelines.vault import (
    KEPT,
    VaultError,
    kept_dir,
    kept_files,
    load_keyring,
    read_private,
    seal,
    unseal,
    write_private,
)
from pipelines.vault.keys import encode_key, new_key, write_key_file
from pipelines.vault.rotate import forget_key, rotate_keys
from pipelines.vault.sealed import is_sealed, sealed_key_id

NOTE = "SYNTHETIC note: seen near the kiosk by Maria Example, 4 Test Street"


@pytest.fixture
def vault(tmp_path, monkeypatch):
    """A data folder and a key file of its own (outside it)."""
    key_file = tmp_path / "keys" / "vault.key"
    monkeypatch.setenv("SPS_VAULT_KEY_FILE", str(key_file))
    monkeypatch.delenv("SPS_VAULT_KEY", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    return data, key_file


def test_sealed_bytes_open_only_with_their_key_and_any_change_is_caught(vault):
    data, key_file = vault
    ring = load_keyring(data, create=True)
    blob = seal(NOTE.encode(), ring)
    assert is_sealed(blob) and NOTE.encode() not in blob and sealed_key_id(blob) == ring.current_id
    assert unseal(blob, ring) == NOTE.encode()
    assert seal(NOTE.encode(), ring) != blob  # a fresh nonce each time
    damaged = blob[:30] + bytes([blob[30] ^ 1]) + blob[31:]
    with pytest.raises(VaultError, match="is damaged: it does not open with vault key"):
        unseal(damaged, ring, "inbox/x/rows.csv")
    other = replace(ring, keys=(new_key(),), source="another key file")
    with pytest.raises(VaultError) as wrong:
        unseal(blob, other, "inbox/x/rows.csv")
    assert f"inbox/x/rows.csv was sealed with vault key {ring.current_id}" in str(wrong.value)
    assert "not among the keys of another key file" in str(wrong.value)
    assert unseal(b"plain, from before the vault", ring) == b"plain, from before the vault"


def test_a_key_file_is_made_owner_only_on_first_write_and_never_by_a_reader(vault):
    data, key_file = vault
    with pytest.raises(VaultError, match="no vault key: .* does not exist"):
        load_keyring(data)
    assert not key_file.exists()
    ring = load_keyring(data, create=True)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert load_keyring(data).keys == ring.keys
    key_file.chmod(0o640)
    with pytest.raises(VaultError, match=r"can be read by others \(mode 640\); run `chmod 600"):
        load_keyring(data)


def test_a_key_file_inside_the_data_folder_is_refused(vault, monkeypatch):
    data, _ = vault
    monkeypatch.setenv("SPS_VAULT_KEY_FILE", str(data / "vault.key"))
    with pytest.raises(VaultError, match="is inside the data folder"):
        load_keyring(data, create=True)
    assert not (data / "vault.key").exists()


def test_the_key_can_come_from_the_environment(vault, monkeypatch):
    data, key_file = vault
    key = new_key()
    monkeypatch.setenv("SPS_VAULT_KEY", encode_key(key))
    ring = load_keyring(data, create=True)
    assert ring.keys == (key,) and ring.source == "SPS_VAULT_KEY" and not key_file.exists()
    monkeypatch.setenv("SPS_VAULT_KEY", "not base64!")
    with pytest.raises(VaultError, match="SPS_VAULT_KEY: a key is not base64 text"):
        load_keyring(data)


def test_rotation_seals_everything_again_keeps_the_old_key_for_old_backups_and_seals_legacy_files(vault):
    data, key_file = vault
    inbox = data / "inbox" / "s1"
    inbox.mkdir(parents=True)
    write_private(inbox / "rows.csv", NOTE.encode(), data)
    (inbox / "original.csv").write_bytes(NOTE.encode())  # written before the vault: plain
    (data / "tokens.json").write_text("{}")  # kept, but not a sealed path
    old = load_keyring(data)
    old_blob = (inbox / "rows.csv").read_bytes()

    rotation = rotate_keys(data)
    ring = load_keyring(data)
    assert ring.current_id == rotation.new_key_id != old.current_id and old.current_id in ring.ids
    assert (rotation.resealed, rotation.sealed_first_time) == (1, 1)
    for name in ("rows.csv", "original.csv"):
        blob = (inbox / name).read_bytes()
        assert sealed_key_id(blob) == ring.current_id and read_private(inbox / name, data) == NOTE.encode()
    assert (data / "tokens.json").read_text() == "{}"
    assert unseal(old_blob, ring) == NOTE.encode()  # what was sealed before (an older backup) still opens

    with pytest.raises(VaultError, match="is the sealing key"):
        forget_key(data, ring.current_id)
    write_private(inbox / "late.csv", b"x", data)
    (inbox / "late.csv").write_bytes(old_blob)  # a file still sealed with the old key
    with pytest.raises(VaultError, match="still sealed with"):
        forget_key(data, old.current_id)
    (inbox / "late.csv").unlink()
    forget_key(data, old.current_id)
    assert load_keyring(data).ids == [rotation.new_key_id]
    with pytest.raises(VaultError, match=f"sealed with vault key {old.current_id}"):
        unseal(old_blob, load_keyring(data))


def test_rotation_refuses_a_key_given_in_the_environment(vault, monkeypatch):
    data, _ = vault
    monkeypatch.setenv("SPS_VAULT_KEY", encode_key(new_key()))
    with pytest.raises(VaultError, match="rotate it where it is kept"):
        rotate_keys(data)


def test_kept_files_are_the_declared_paths_without_work_files_or_links(vault, tmp_path):
    data, _ = vault
    for relative in ("inbox/s1/rows.csv", "quarantine/s2/report.csv", "dropbox/ES002C/f.csv", "kept/surveys/m.bin"):
        (data / relative).parent.mkdir(parents=True, exist_ok=True)
        (data / relative).write_bytes(b"x")
    (data / "tokens.json").write_text("{}")
    (data / "audit.jsonl").write_text("")
    (data / "inbox" / ".s3.tmp").mkdir()
    (data / "inbox" / ".s3.tmp" / "rows.csv").write_bytes(b"half")
    (data / "published").mkdir()
    (data / "published" / "v.duckdb").write_bytes(b"rebuilt")
    (data / "warehouse.duckdb").write_bytes(b"rebuilt")
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    (data / "kept" / "surveys" / "link").symlink_to(outside)
    assert [relative for relative, _ in kept_files(data)] == [
        "audit.jsonl",
        "dropbox/ES002C/f.csv",
        "inbox/s1/rows.csv",
        "kept/surveys/m.bin",
        "quarantine/s2/report.csv",
        "tokens.json",
    ]
    folder = kept_dir(data, "spaces")
    assert folder == data / "kept" / "spaces" and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {kept.relative for kept in KEPT} >= {"inbox", "quarantine", "tokens.json", "audit.jsonl", "kept"}


def test_an_upload_is_stored_sealed_and_its_note_is_nowhere_in_plain_text(vault):
    from pipelines.uploads.api import issue_upload_token, submit_upload
    from pipelines.uploads.inbox_loader import read_submission

    data, key_file = vault
    settings = replace(load_settings(), data_dir=data)
    _, token = issue_upload_token(data, "ES003C")
    header = "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note"
    good = f"{header}\nfeel_safe_after_dark,ES003C,2019,,,,61.5,%,58.2,64.8,700,Synthetic survey,{NOTE}\n"
    bad = f"{header}\nfeel_safe_after_dark,ES003C,2019,,,,abc,%,,,,Synthetic survey,{NOTE}\n"
    accepted = submit_upload(good.encode(), "good.csv", "ES003C", token, None, settings)
    rejected = submit_upload(bad.encode(), "bad.csv", "ES003C", token, None, settings)
    assert accepted.accepted and not rejected.accepted
    files = [path for path in data.rglob("*") if path.is_file()]
    assert {path.parent.name for path in files} >= {accepted.submission_id, rejected.submission_id}
    for path in files:
        assert b"Maria Example" not in path.read_bytes(), path
    for folder in (data / "inbox" / accepted.submission_id, data / "quarantine" / rejected.submission_id):
        assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
        for path in folder.iterdir():
            assert is_sealed(path.read_bytes()) and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_private(data / "inbox" / accepted.submission_id / "original.csv", data) == good.encode()
    assert read_submission(data / "inbox" / accepted.submission_id).row_count == 1
    assert os.environ["SPS_VAULT_KEY_FILE"] == str(key_file) and key_file.exists()


def test_an_inbox_folder_sealed_with_another_key_fails_its_load_by_name(vault, monkeypatch):
    import duckdb

    from pipelines.uploads.inbox_loader import InboxFolderError, load_inbox

    data, key_file = vault
    folder = data / "inbox" / "20260101T000000000000Z-ES003C-00000000"
    folder.mkdir(parents=True)
    write_private(folder / "metadata.json", b"{}", data)
    write_private(folder / "rows.csv", b"", data)
    write_key_file(key_file, [new_key()])  # the key was lost and replaced
    with duckdb.connect() as conn, pytest.raises(InboxFolderError) as failure:
        load_inbox(conn, data / "inbox", data)
    assert "metadata.json cannot be opened" in str(failure.value) and "sealed with vault key" in str(failure.value)


def test_write_private_never_leaves_plain_text_when_sealing_fails(vault, monkeypatch):
    data, key_file = vault
    key_file.parent.mkdir(parents=True)
    key_file.write_text("garbage\n")
    key_file.chmod(0o600)
    with pytest.raises(VaultError):
        write_private(data / "x.bin", NOTE.encode(), data)
    assert not (data / "x.bin").exists()
    assert Path(os.environ["SPS_VAULT_KEY_FILE"]) == key_file
