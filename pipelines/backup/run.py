"""`sps backup` and `sps restore`: what the data folder keeps that cannot be rebuilt (pipelines/vault/kept.py),
copied incrementally by content, each backup with a manifest and a verification, restorable into an empty data
folder; the warehouse and the published versions are then rebuilt by `sps refresh --full`
(tests/integration/test_restore_drill.py proves they come back identical).

- **Incremental by content**: an object is named by the sha256 of the file's bytes in the data folder; a file
  whose content is already at the destination is not copied again (a second backup of 1 000 uploads with one new
  upload copies that upload's files only: benchmarks/backup.py).
- **Useless without the key**: files the vault sealed are copied as they are; every other kept file (tokens,
  audit trail, survey estimates, dropped files) is sealed on the way out. The manifest holds paths, sizes and
  hashes, never content. Restoring needs the vault key (or the older key kept after a rotation).
- **Verified**: after writing, every object the manifest names is checked to exist with its size and every new
  object is read back and hashed; `sps backup --verify` re-reads and opens every object of a backup.
- **Restore changes nothing unless it succeeds**: the manifest's keys are checked first, every object is fetched,
  hashed and opened into a hidden staging folder, and only then moved into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.backup.store import BackupError, Destination, open_destination
from pipelines.vault import VaultError, audit, is_sealed, kept_files, keyring_for, seal, unseal
from pipelines.vault.sealed import sealed_key_id

FORMAT = "sps-backup/1"
HISTORY = "backups.jsonl"  # in the data folder: the local record of backups made from it (not itself kept)
STALE_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class BackupResult:
    backup_id: str
    destination: str
    files: int
    total_bytes: int
    new_objects: int
    copied_bytes: int
    seconds: float
    verified: str


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _new_backup_id(destination: Destination) -> str:
    existing = set(destination.manifests())
    while True:
        backup_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        if backup_id not in existing:
            return backup_id
        time.sleep(0.001)


# ------------------------------------------------------------------------------------------------ backup
def backup(data_dir: Path, url: str) -> BackupResult:
    """Copy every kept file not yet at `url`, write the manifest, verify, and record it in data/backups.jsonl."""
    started = time.perf_counter()
    destination = open_destination(url)
    try:
        ring = keyring_for(data_dir, create=True)
        existing = destination.existing_objects()
        backup_id = _new_backup_id(destination)
        entries, new_names, copied, total = [], [], 0, 0
        for relative, path in kept_files(data_dir):
            try:
                payload = path.read_bytes()
            except FileNotFoundError:  # moved away since it was listed (a dropped file taken in): not kept now
                continue
            name = _sha256(payload)
            sealed_in_store = is_sealed(payload)
            obj = payload if sealed_in_store else seal(payload, ring)
            entry = {
                "path": relative,
                "object": name,
                "bytes": len(payload),
                "mode": f"{path.stat().st_mode & 0o777:o}",
                "sealed": "store" if sealed_in_store else "backup",
                "key_id": sealed_key_id(obj),
            }
            total += len(payload)
            if name not in existing:
                destination.put_atomically(destination.object_path(name), obj)
                existing[name] = len(obj)
                new_names.append(name)
                copied += len(obj)
                entry["object_sha256"], entry["object_bytes"] = _sha256(obj), len(obj)
            else:
                entry["object_bytes"] = existing[name]
                entry["object_sha256"] = None  # recorded by the backup that copied it; checked by size here
            entries.append(entry)
        _fill_known_hashes(destination, entries)
        manifest = {
            "format": FORMAT,
            "backup_id": backup_id,
            "created_at": datetime.now(UTC).isoformat(),
            "source": str(data_dir),
            "host": socket.gethostname(),
            "key_ids": sorted({e["key_id"] for e in entries if e["key_id"]}),
            "files": entries,
            "total_bytes": total,
            "new_objects": len(new_names),
            "copied_bytes": copied,
        }
        verified = _verify_written(destination, manifest, set(new_names))
        manifest["verified"] = verified
        destination.put_atomically(destination.manifest_path(backup_id), json.dumps(manifest, indent=1).encode("utf-8"))
        if json.loads(destination.read(destination.manifest_path(backup_id))) != manifest:
            raise BackupError(f"the manifest of backup {backup_id} at {url} does not read back as written")
    except VaultError:
        raise
    except OSError as exc:
        raise BackupError(
            f"backup to {url} failed: {exc.strerror or exc} (no manifest written: it does not count)"
        ) from None
    result = BackupResult(
        backup_id,
        url,
        len(entries),
        total,
        len(new_names),
        copied,
        round(time.perf_counter() - started, 3),
        verified,
    )
    _record(data_dir, result)
    audit.record(
        data_dir, "backup.done", backup_id=backup_id, destination=url, files=len(entries), new_objects=len(new_names)
    )
    return result


def _fill_known_hashes(destination: Destination, entries: list[dict]) -> None:
    """Objects copied by earlier backups: take their object_sha256 from the newest manifest that has it."""
    missing = {e["object"] for e in entries if e["object_sha256"] is None}
    for backup_id in reversed(destination.manifests()):
        if not missing:
            break
        try:
            earlier = json.loads(destination.read(destination.manifest_path(backup_id)))
        except (OSError, ValueError):
            continue
        known = {f["object"]: f.get("object_sha256") for f in earlier.get("files", []) if f.get("object_sha256")}
        for entry in entries:
            if entry["object_sha256"] is None and entry["object"] in known:
                entry["object_sha256"] = known[entry["object"]]
                missing.discard(entry["object"])


def _verify_written(destination: Destination, manifest: dict, new_names: set[str]) -> str:
    """Every object named exists with its size; every new one reads back with its hash."""
    listed = destination.existing_objects()
    for entry in manifest["files"]:
        size = listed.get(entry["object"])
        if size is None:
            raise BackupError(f"verification failed: object {entry['object'][:12]}… of {entry['path']} is missing")
        if size != entry["object_bytes"]:
            raise BackupError(
                f"verification failed: object of {entry['path']} has {size} bytes, not {entry['object_bytes']}"
            )
    by_name = {e["object"]: e for e in manifest["files"]}
    for name in new_names:
        if _sha256(destination.read(destination.object_path(name))) != by_name[name]["object_sha256"]:
            raise BackupError(f"verification failed: object of {by_name[name]['path']} does not read back as written")
    return f"{len(manifest['files'])} objects present with their sizes; {len(new_names)} new ones read back and hashed"


# ------------------------------------------------------------------------------------------------ reading
def load_manifest(destination: Destination, backup_id: str | None = None) -> dict:
    ids = destination.manifests()
    if not ids:
        raise BackupError(f"no backup at {destination.url}")
    if backup_id is None:
        backup_id = ids[-1]
    elif backup_id not in ids:
        raise BackupError(f"no backup {backup_id!r} at {destination.url}; backups: {', '.join(ids[-10:])}")
    try:
        manifest = json.loads(destination.read(destination.manifest_path(backup_id)))
    except (OSError, ValueError) as exc:
        raise BackupError(f"the manifest of backup {backup_id} at {destination.url} cannot be read ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup {backup_id} at {destination.url} is not an SPS Monitor backup ({FORMAT})")
    return manifest


def list_backups(url: str) -> list[dict]:
    destination = open_destination(url)
    out = []
    for backup_id in destination.manifests():
        try:
            manifest = load_manifest(destination, backup_id)
        except BackupError:
            out.append({"backup_id": backup_id, "created_at": None, "files": None, "readable": False})
            continue
        out.append(
            {
                "backup_id": backup_id,
                "created_at": manifest["created_at"],
                "files": len(manifest["files"]),
                "total_bytes": manifest["total_bytes"],
                "new_objects": manifest["new_objects"],
                "copied_bytes": manifest["copied_bytes"],
                "readable": True,
            }
        )
    return out


def _check_keys(manifest: dict, ring, url: str) -> None:
    missing = [key for key in manifest.get("key_ids", []) if key not in ring.ids]
    if missing:
        raise BackupError(
            f"backup {manifest['backup_id']} at {url} was sealed with vault key(s) {', '.join(missing)}, which "
            f"{ring.source} does not hold (it holds {', '.join(ring.ids)}). Set SPS_VAULT_KEY_FILE (or SPS_VAULT_KEY) "
            "to the key file in use when the backup was made; nothing was restored"
        )


def _fetch(destination: Destination, entry: dict, ring, backup_id: str) -> bytes:
    """The bytes to put back in the data folder for one manifest entry, checked."""
    where = f"{entry['path']} (backup {backup_id})"
    try:
        obj = destination.read(destination.object_path(entry["object"]))
    except (OSError, FileNotFoundError) as exc:
        raise BackupError(f"{where}: its object cannot be read ({exc}); nothing was restored") from None
    if entry.get("object_sha256") and _sha256(obj) != entry["object_sha256"]:
        raise BackupError(f"{where}: its object is damaged (sha256 differs); nothing was restored")
    try:
        plain = unseal(obj, ring, where)
    except VaultError as exc:
        raise BackupError(f"{exc}; nothing was restored") from None
    restored = plain if entry["sealed"] == "backup" else obj
    if _sha256(restored) != entry["object"]:
        raise BackupError(f"{where}: it does not match its manifest; nothing was restored")
    return restored


def verify_backup(data_dir: Path, url: str, backup_id: str | None = None) -> tuple[str, int]:
    """`sps backup --verify`: read, hash and open (with this machine's keys) every object of a backup."""
    destination = open_destination(url)
    manifest = load_manifest(destination, backup_id)
    ring = keyring_for(data_dir)
    _check_keys(manifest, ring, url)
    for entry in manifest["files"]:
        _fetch(destination, entry, ring, manifest["backup_id"])
    return manifest["backup_id"], len(manifest["files"])


# ------------------------------------------------------------------------------------------------ restore
@dataclass(frozen=True)
class RestoreResult:
    backup_id: str
    created_at: str
    files: int
    total_bytes: int


def restore(data_dir: Path, url: str, backup_id: str | None = None) -> RestoreResult:
    """Restore a backup (default: the newest) into a data folder that keeps nothing yet."""
    already = kept_files(data_dir) if data_dir.exists() else []
    if already:
        raise BackupError(
            f"the data folder {data_dir} already keeps {len(already)} file(s) (e.g. {already[0][0]}); restore into "
            "an empty data folder (SPS_DATA_DIR=/new/folder sps restore SRC) so nothing is overwritten"
        )
    destination = open_destination(url)
    manifest = load_manifest(destination, backup_id)
    ring = keyring_for(data_dir)
    _check_keys(manifest, ring, url)
    created = not data_dir.exists()
    staging = data_dir / f".restore-{manifest['backup_id']}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(mode=0o700)
        for entry in manifest["files"]:
            target = staging / entry["path"]
            if ".." in Path(entry["path"]).parts or Path(entry["path"]).is_absolute():
                raise BackupError(f"backup {manifest['backup_id']} names the path {entry['path']!r}; refused")
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            payload = _fetch(destination, entry, ring, manifest["backup_id"])
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, int(entry.get("mode") or "600", 8) & 0o700)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
        for top in sorted({entry["path"].split("/", 1)[0] for entry in manifest["files"]}):
            final = data_dir / top
            if final.is_dir() and not any(final.iterdir()):
                final.rmdir()  # an empty folder left by an earlier run: nothing kept in it
            os.replace(staging / top, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    audit.record(data_dir, "restore.done", backup_id=manifest["backup_id"], source=url, files=len(manifest["files"]))
    return RestoreResult(manifest["backup_id"], manifest["created_at"], len(manifest["files"]), manifest["total_bytes"])


# --------------------------------------------------------------------------------------------- retention
def prune_backups(url: str, keep_days: int = 14, keep_months: int = 12, now: datetime | None = None) -> list[str]:
    """Keep every backup of the last `keep_days` days and the last backup of each of the last `keep_months`
    months (and always the newest); delete the other manifests, then the objects no kept manifest names."""
    destination = open_destination(url)
    now = now or datetime.now(UTC)
    ids = destination.manifests()
    if not ids:
        return []
    kept = {ids[-1]}
    per_month: dict[str, str] = {}
    for backup_id in ids:
        when = datetime.strptime(backup_id[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        if now - when <= timedelta(days=keep_days):
            kept.add(backup_id)
        per_month[backup_id[:6]] = backup_id  # the last of each month (ids sort by time)
    for month in sorted(per_month)[-keep_months:]:
        kept.add(per_month[month])
    removed = [backup_id for backup_id in ids if backup_id not in kept]
    for backup_id in removed:
        destination.fs.rm_file(destination.manifest_path(backup_id))
    needed: set[str] = set()
    for backup_id in kept:
        needed |= {entry["object"] for entry in load_manifest(destination, backup_id)["files"]}
    for name in set(destination.existing_objects()) - needed:
        destination.fs.rm_file(destination.object_path(name))
    return removed


# ------------------------------------------------------------------------------------------------ history
def _record(data_dir: Path, result: BackupResult) -> None:
    line = json.dumps({"at": datetime.now(UTC).isoformat(), "ok": True, **result.__dict__}, default=str, sort_keys=True)
    fd = os.open(data_dir / HISTORY, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def last_good_backup(data_dir: Path) -> dict | None:
    try:
        lines = (data_dir / HISTORY).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("ok"):
            return record
    return None


@dataclass(frozen=True)
class Freshness:
    ok: bool
    message: str
    last: dict | None


def backup_freshness(data_dir: Path, now: datetime | None = None) -> Freshness:
    """Is the last good backup younger than two days? (The nightly schedule makes one a day.)"""
    now = now or datetime.now(UTC)
    last = last_good_backup(data_dir)
    if last is None:
        if not kept_files(data_dir):
            return Freshness(True, "no backup yet, and nothing kept to back up", None)
        return Freshness(False, "no backup has ever been made of this data folder (sps backup DEST)", None)
    age = now - datetime.fromisoformat(last["at"])
    hours = age.total_seconds() / 3600
    when = f"{last['at'][:16].replace('T', ' ')} UTC to {last['destination']} ({hours:.0f} h ago)"
    if age > STALE_AFTER:
        return Freshness(False, f"the last good backup is older than two days: {when}", last)
    return Freshness(True, f"last good backup {last['backup_id']}: {when}", last)
