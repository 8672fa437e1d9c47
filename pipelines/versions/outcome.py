"""The outcome of the last refresh, beside the versions (`data/published/LAST_REFRESH.json`): a refresh whose
sources failed may publish no new version, yet readers must say that the data they show is the last good data
and why. Written by `sps refresh` and by the Dagster run-failure sensor; read by `sps status` and the dashboard.

    {"at": ISO time, "status": "ok" | "error", "exit_code": 0 | 1 | 3 | 4, "message": one line,
     "failed": {"raw/<code>": reason, ...}, "version": the version readers serve after it}
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

OUTCOME_FILE = "LAST_REFRESH.json"


def write_refresh_outcome(
    published_dir: Path, status: str, exit_code: int, message: str, failed: dict[str, str], version: str | None
) -> None:
    published_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": status,
        "exit_code": exit_code,
        "message": message,
        "failed": dict(sorted(failed.items())),
        "version": version,
    }
    tmp = published_dir / f".{OUTCOME_FILE}.tmp"
    tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, published_dir / OUTCOME_FILE)


def read_refresh_outcome(published_dir: Path) -> dict | None:
    try:
        record = json.loads((published_dir / OUTCOME_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
