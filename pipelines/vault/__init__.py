"""The vault: what the data folder keeps that cannot be rebuilt, sealed at rest (AES-256-GCM, ADR 0021).

    kept.py     the declared list of kept paths (inbox, quarantine, drop folder, tokens, audit trail, data/kept/)
    keys.py     the keyring: SPS_VAULT_KEY or a key file outside the data folder, owner-only
    sealed.py   seal / open bytes; read_private / write_private for files of the private store
    rotate.py   `sps key rotate` and `sps key forget`
    audit.py    the audit trail (data/audit.jsonl)

A low package (beside versions/ and shared/): uploads, the backup and every round-two input family use it.
"""

from pipelines.vault.kept import KEPT, KEPT_FOLDER, KeptPath, is_sealed_path, kept_dir, kept_files
from pipelines.vault.keys import Keyring, VaultError, key_file_path, load_keyring
from pipelines.vault.sealed import is_sealed, keyring_for, read_private, seal, sealed_bytes, unseal, write_private

__all__ = [
    "KEPT",
    "KEPT_FOLDER",
    "KeptPath",
    "Keyring",
    "VaultError",
    "is_sealed",
    "is_sealed_path",
    "keyring_for",
    "kept_dir",
    "kept_files",
    "key_file_path",
    "load_keyring",
    "read_private",
    "seal",
    "sealed_bytes",
    "unseal",
    "write_private",
]
