"""Sealing bytes at rest with AES-256-GCM (docs/adr/0021-private-data-sealed-at-rest-and-backups.md).

A sealed file is

    b"SPSV1"  key id (4 bytes)  nonce (12 random bytes)  ciphertext + 16-byte tag

The magic and the key id are authenticated (associated data), so a changed byte anywhere fails to open, and a
file sealed with another key is reported as "sealed with key X, which this machine does not have", not as damage.
Files without the magic are read as they are: data folders written before the vault keep working until
`sps key rotate` seals them.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pipelines.vault.keys import ID_BYTES, Keyring, VaultError, key_file_path, key_id_bytes, load_keyring

MAGIC = b"SPSV1"
NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + ID_BYTES + NONCE_BYTES


def is_sealed(blob: bytes) -> bool:
    return blob[: len(MAGIC)] == MAGIC and len(blob) >= HEADER_BYTES + 16


def sealed_key_id(blob: bytes) -> str | None:
    return blob[len(MAGIC) : len(MAGIC) + ID_BYTES].hex() if is_sealed(blob) else None


def seal(plain: bytes, ring: Keyring) -> bytes:
    key = ring.current
    nonce = os.urandom(NONCE_BYTES)
    header = MAGIC + key_id_bytes(key)
    return header + nonce + AESGCM(key).encrypt(nonce, plain, header)


def unseal(blob: bytes, ring: Keyring, what: str = "a sealed file") -> bytes:
    """The plain bytes of a sealed blob (a blob without the magic is returned as it is)."""
    if not is_sealed(blob):
        return blob
    raw_id = blob[len(MAGIC) : len(MAGIC) + ID_BYTES]
    key = ring.by_id(raw_id)
    if key is None:
        raise VaultError(
            f"{what} was sealed with vault key {raw_id.hex()}, which is not among the keys of {ring.source} "
            f"({', '.join(ring.ids)}). Set SPS_VAULT_KEY_FILE (or SPS_VAULT_KEY) to the key that sealed it"
        )
    header, nonce = blob[: len(MAGIC) + ID_BYTES], blob[len(MAGIC) + ID_BYTES : HEADER_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, blob[HEADER_BYTES:], header)
    except InvalidTag:
        raise VaultError(f"{what} is damaged: it does not open with vault key {raw_id.hex()}") from None


_RING_CACHE: dict[tuple, Keyring] = {}


def keyring_for(data_dir: Path, create: bool = False) -> Keyring:
    """The keyring, re-read only when the key file or SPS_VAULT_KEY changes (readers open many small files)."""
    env = os.environ.get("SPS_VAULT_KEY", "")
    path = key_file_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    cache_key = (env, str(path), stamp, str(data_dir))
    ring = _RING_CACHE.get(cache_key)
    if ring is None:
        ring = load_keyring(data_dir, create=create)
        if stamp is None and not env:  # just created: cache under its new stamp
            cache_key = (env, str(path), path.stat().st_mtime_ns, str(data_dir))
        _RING_CACHE.clear()
        _RING_CACHE[cache_key] = ring
    return ring


def read_private(path: Path, data_dir: Path) -> bytes:
    """The plain bytes of a file of the private store (sealed, or plain from before the vault)."""
    blob = Path(path).read_bytes()
    if not is_sealed(blob):
        return blob
    return unseal(blob, keyring_for(data_dir), _display(path, data_dir))


def sealed_bytes(plain: bytes, data_dir: Path) -> bytes:
    """`plain` sealed with the current key (made on first use when none is configured)."""
    return seal(plain, keyring_for(data_dir, create=True))


def write_private(path: Path, plain: bytes, data_dir: Path) -> None:
    """Write `plain` sealed, owner-only, flushed to disk. Callers make it appear atomically (a folder renamed
    into place, or their own temporary name)."""
    blob = sealed_bytes(plain, data_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())


def _display(path: Path, data_dir: Path) -> str:
    try:
        return Path(path).resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return str(path)
