"""Decide where a dataset's file comes from in this refresh: a live download into the snapshot folder,
the snapshot copy (offline, or live with a failed download), or nowhere ("not in snapshot")."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import DownloadFailed
from pipelines.settings import Settings
from pipelines.sources import live
from pipelines.sources.catalog import DatasetSpec

_TOC_CACHE: dict[str, tuple[float, dict[str, str]]] = {}
_TOC_TTL_S = 600.0


@dataclass(frozen=True)
class Acquired:
    path: Path | None
    origin: str  # snapshot | live | live_fallback | missing
    source_last_update: str | None
    warning: str | None = None

    def relative_name(self, snapshot_dir: Path) -> str | None:
        if self.path is None:
            return None
        try:
            return self.path.relative_to(snapshot_dir).as_posix()
        except ValueError:
            return self.path.name


def _last_updates(settings: Settings) -> dict[str, str] | None:
    cached = _TOC_CACHE.get(settings.eurostat_api)
    if cached and time.monotonic() - cached[0] < _TOC_TTL_S:
        return cached[1]
    try:
        updates = live.fetch_last_updates(settings)
    except DownloadFailed:
        return None
    _TOC_CACHE[settings.eurostat_api] = (time.monotonic(), updates)
    return updates


def acquire(spec: DatasetSpec, settings: Settings) -> Acquired:
    warning = None
    if settings.mode == "live" and spec.live != "none":
        last_updates = _last_updates(settings) if spec.live == "eurostat_sdmx" else None
        try:
            fetched = live.fetch_dataset(spec, settings, last_updates)
            return Acquired(fetched.path, "live", fetched.source_last_update)
        except DownloadFailed as exc:
            warning = str(exc)
    path = spec.find_in_snapshot(settings.snapshot_dir)
    if path is None:
        return Acquired(None, "missing", None, warning)
    meta = live.read_meta(path)
    origin = "live_fallback" if warning else "snapshot"
    if warning:
        fetched_at = meta.get("fetched_at", "an unknown date")
        warning = f"{warning} Using the snapshot copy fetched at {fetched_at}; it may be stale."
    return Acquired(path, origin, meta.get("source_last_update"), warning)
