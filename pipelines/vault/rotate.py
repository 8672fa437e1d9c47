"""`sps key rotate`: a new sealing key, every sealed file of the private store sealed again with it (and any
file written before the vault sealed for the first time); the old keys stay in the key file as opening-only
keys, because backups made before the rotation are sealed with them. `sps key forget ID` removes an old key
once no kept backup needs it (docs/operations.md: retention)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.vault import audit
from pipelines.vault.kept import is_sealed_path, kept_files
from pipelines.vault.keys import Keyring, VaultError, key_file_path, key_id, load_keyring, new_key, write_key_file
from pipelines.vault.sealed import is_sealed, seal, sealed_key_id, unseal


@dataclass(frozen=True)
class Rotation:
    new_key_id: str
    old_key_ids: tuple[str, ...]
    resealed: int  # sealed files sealed again with the new key
    sealed_first_time: int  # plain files of a sealed path, written before the vault
    key_file: Path


def _file_ring(data_dir: Path) -> tuple[Path, Keyring]:
    if os.environ.get("SPS_VAULT_KEY", "").strip():
        raise VaultError(
            "the vault key comes from SPS_VAULT_KEY: rotate it where it is kept (put the new key first, keep the "
            "old one after it), or use a key file (SPS_VAULT_KEY_FILE) and run `sps key rotate` again"
        )
    return key_file_path(), load_keyring(data_dir)


def _replace(path: Path, blob: bytes) -> None:
    tmp = path.with_name(f".{path.name}.reseal.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def seal_store(data_dir: Path, ring: Keyring) -> tuple[int, int]:
    """Seal with the ring's current key every file of a sealed kept path that is not sealed with it yet.
    Passes until none is left, so files written by an upload during the pass are taken too."""
    resealed = first_time = 0
    for _ in range(5):
        changed = 0
        for relative, path in kept_files(data_dir):
            if not is_sealed_path(relative):
                continue
            blob = path.read_bytes()
            if sealed_key_id(blob) == ring.current_id:
                continue
            sealed_before = is_sealed(blob)
            _replace(path, seal(unseal(blob, ring, relative), ring))
            resealed += sealed_before
            first_time += not sealed_before
            changed += 1
        if not changed:
            break
    return resealed, first_time


def rotate_keys(data_dir: Path) -> Rotation:
    path, ring = _file_ring(data_dir)
    fresh = new_key()
    # The new key first; the old ones stay to open what is not sealed again yet, and older backups.
    write_key_file(path, [fresh, *ring.keys], "rotated: the first key seals; the others open older files and backups")
    rotated = load_keyring(data_dir)
    resealed, first_time = seal_store(data_dir, rotated)
    result = Rotation(key_id(fresh), tuple(ring.ids), resealed, first_time, path)
    audit.record(
        data_dir, "key.rotated", new_key=result.new_key_id, old_keys=list(result.old_key_ids), resealed=resealed
    )
    return result


def forget_key(data_dir: Path, key_id_to_forget: str) -> Path:
    """Remove an old key from the key file; refused for the sealing key and for a key a kept file still needs."""
    path, ring = _file_ring(data_dir)
    if key_id_to_forget not in ring.ids:
        raise VaultError(f"no vault key {key_id_to_forget} in {path} (keys: {', '.join(ring.ids)})")
    if key_id_to_forget == ring.current_id:
        raise VaultError(f"{key_id_to_forget} is the sealing key; run `sps key rotate` first")
    still = [rel for rel, file in kept_files(data_dir) if sealed_key_id(file.read_bytes()) == key_id_to_forget]
    if still:
        raise VaultError(
            f"{len(still)} kept file(s) are still sealed with {key_id_to_forget} (e.g. {still[0]}); "
            "run `sps key rotate` first"
        )
    write_key_file(path, [key for key in ring.keys if key_id(key) != key_id_to_forget], "a key was forgotten")
    audit.record(data_dir, "key.forgotten", key=key_id_to_forget)
    return path
