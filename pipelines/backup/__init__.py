"""Backup and restore of what the data folder keeps (pipelines/vault/kept.py): `sps backup`, `sps restore`, the
nightly schedule and the freshness sensor (pipelines/operations/), the Dagster asset and its check (assets.py)."""

from pipelines.backup.run import (
    BackupResult,
    Freshness,
    RestoreResult,
    backup,
    backup_freshness,
    last_good_backup,
    list_backups,
    prune_backups,
    restore,
    verify_backup,
)
from pipelines.backup.store import BackupError, open_destination

__all__ = [
    "BackupError",
    "BackupResult",
    "Freshness",
    "RestoreResult",
    "backup",
    "backup_freshness",
    "last_good_backup",
    "list_backups",
    "open_destination",
    "prune_backups",
    "restore",
    "verify_backup",
]
