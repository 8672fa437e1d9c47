"""The audit trail: one JSON line per event that changes who may send data or what is kept
(`data/audit.jsonl`, owner-only, append-only, backed up). Tokens issued and revoked, uploads accepted and
rejected, backups, restores, key rotations, rollbacks. It never holds a token, a key or a value a city sent."""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path

AUDIT_FILE = "audit.jsonl"


def record(data_dir: Path, event: str, **fields: object) -> None:
    """Append one event. Never raises: the trail must not stop the action it records (a read-only data folder
    already stops that action with its own message)."""
    line = json.dumps({"at": datetime.now(UTC).isoformat(), "event": event, **fields}, default=str, sort_keys=True)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / AUDIT_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(line + "\n")
    except OSError:
        pass


def events(data_dir: Path, event: str | None = None) -> list[dict]:
    try:
        lines = (data_dir / AUDIT_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:  # a line cut by a crash (or copied while being written): skipped, never fatal
            continue
    return [entry for entry in parsed if event is None or entry.get("event") == event]
