"""The vault's keys: where they come from, who may read them, and rotating them.

A keyring is a list of 256-bit AES keys; the first seals, every one of them opens (older keys open what was
sealed before a rotation, e.g. an older backup). It comes from, in order:

    SPS_VAULT_KEY        base64 key(s), comma-separated, the sealing key first (e.g. from a secret manager)
    SPS_VAULT_KEY_FILE   a key file: one base64 key a line, the sealing key first; `#` starts a comment
                         (default: $XDG_CONFIG_HOME/sps-monitor/vault.key, i.e. ~/.config/sps-monitor/vault.key)

The key file must be outside the data folder (a copy of the data folder, or a backup of it, must never carry its
own key) and readable by its owner only (mode 600); both are checked on every load. When nothing is configured
and something has to be sealed, a key file is created at the default place (mode 600, folder 700): the first
upload works on a new machine, and `sps status` names the file to keep safe. Readers never create a key.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import secrets
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import SpsError

KEY_BYTES = 32  # AES-256
ID_BYTES = 4
_ID_CONTEXT = b"sps-monitor vault key id\x00"


class VaultError(SpsError):
    """The vault cannot seal or open: no key, a key file in the wrong place or readable by others, a file sealed
    with a key this machine does not have, or a damaged sealed file."""


def key_id_bytes(key: bytes) -> bytes:
    """A short public name for a key (a hash of it, not the key): sealed files carry it so that a wrong key is
    named as such, not reported as damage."""
    return hashlib.sha256(_ID_CONTEXT + key).digest()[:ID_BYTES]


def key_id(key: bytes) -> str:
    return key_id_bytes(key).hex()


@dataclass(frozen=True)
class Keyring:
    keys: tuple[bytes, ...]
    source: str  # "SPS_VAULT_KEY" or the key file's path, for messages

    @property
    def current(self) -> bytes:
        return self.keys[0]

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    @property
    def ids(self) -> list[str]:
        return [key_id(key) for key in self.keys]

    def by_id(self, raw_id: bytes) -> bytes | None:
        return next((key for key in self.keys if key_id_bytes(key) == raw_id), None)


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base).expanduser() / "sps-monitor" / "vault.key"


def key_file_path() -> Path:
    value = os.environ.get("SPS_VAULT_KEY_FILE", "").strip()
    return Path(value).expanduser().resolve() if value else default_key_file().resolve()


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise VaultError(f"{where}: a key is not base64 text") from None
    if len(key) != KEY_BYTES:
        raise VaultError(f"{where}: a key must be {KEY_BYTES} bytes (base64 of 256 random bits), not {len(key)}")
    return key


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def _check_outside(path: Path, data_dir: Path) -> None:
    if path.resolve().is_relative_to(data_dir.resolve()):
        raise VaultError(
            f"the vault key file {path} is inside the data folder {data_dir}: a copy or backup of the data folder "
            "would carry its own key. Move it elsewhere (e.g. ~/.config/sps-monitor/vault.key) and set "
            "SPS_VAULT_KEY_FILE"
        )


def _check_private(path: Path) -> None:
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise VaultError(
            f"the vault key file {path} can be read by others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run `chmod 600 {path}`"
        )
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise VaultError(f"the vault key file {path} belongs to another user (uid {info.st_uid})")


def read_key_file(path: Path) -> tuple[bytes, ...]:
    _check_private(path)
    keys = tuple(
        _decode(line.split("#", 1)[0], str(path))
        for line in path.read_text(encoding="ascii").splitlines()
        if line.split("#", 1)[0].strip()
    )
    if not keys:
        raise VaultError(f"the vault key file {path} holds no key")
    return keys


def write_key_file(path: Path, keys: list[bytes] | tuple[bytes, ...], comment: str = "") -> None:
    """Replace the key file atomically, owner-only from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(
                "# SPS Monitor vault keys: the first line seals, every line opens. Keep a copy apart from the data\n"
                "# folder and its backups: without it, what the vault sealed cannot be read.\n"
            )
            if comment:
                fh.write(f"# {comment}\n")
            for key in keys:
                fh.write(f"{encode_key(key)}  # key id {key_id(key)}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _creation_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def load_keyring(data_dir: Path, create: bool = False) -> Keyring:
    """The keyring in force. With `create`, a missing default key file is made (writers only)."""
    env = os.environ.get("SPS_VAULT_KEY", "").strip()
    if env:
        keys = tuple(_decode(part, "SPS_VAULT_KEY") for part in env.split(",") if part.strip())
        if not keys:
            raise VaultError("SPS_VAULT_KEY is set but holds no key")
        return Keyring(keys, "SPS_VAULT_KEY")
    path = key_file_path()
    _check_outside(path, data_dir)
    if not path.exists():
        if not create:
            raise VaultError(
                f"no vault key: {path} does not exist and SPS_VAULT_KEY is not set. Set SPS_VAULT_KEY_FILE to the "
                "key file that was in use when the data was sealed"
            )
        with _creation_lock(path):
            if not path.exists():
                write_key_file(path, [secrets.token_bytes(KEY_BYTES)], "created on first use")
    return Keyring(read_key_file(path), str(path))


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)
