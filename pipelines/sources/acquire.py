"""Decide where a dataset's file comes from in this refresh: a live download into the snapshot folder, the
snapshot copy (offline mode, or a source without a download), nowhere ("not in snapshot", offline), or a failed
download.

A failed download is a failed source, loudly: its asset fails with `download failed: <the whole reason>`, its
raw table keeps the data of its last good load (raw is append-only) and the refresh exits non-zero. The copy a
previous download left in the snapshot folder is never read in its place: it is what was loaded then.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import DownloadFailed
from pipelines.settings import Settings
from pipelines.sources import live
from pipelines.sources.catalog import DatasetSpec

_TOC_CACHE: dict[str, tuple[float, dict[str, str] | None]] = {}
_TOC_TTL_S = 600.0
_TOC_FAILED_TTL_S = 120.0  # an unreachable table of contents is not asked again by every Eurostat source


@dataclass(frozen=True)
class Acquired:
    path: Path | None
    origin: str  # snapshot | live | missing | download_failed
    source_last_update: str | None
    warning: str | None = None  # for download_failed: the whole reason

    @property
    def download_failed(self) -> bool:
        return self.origin == "download_failed"

    def relative_name(self, snapshot_dir: Path) -> str | None:
        if self.path is None:
            return None
        try:
            return self.path.relative_to(snapshot_dir).as_posix()
        except ValueError:
            return self.path.name


def _last_updates(settings: Settings) -> dict[str, str] | None:
    cached = _TOC_CACHE.get(settings.eurostat_api)
    if cached:
        ttl = _TOC_TTL_S if cached[1] is not None else _TOC_FAILED_TTL_S
        if time.monotonic() - cached[0] < ttl:
            return cached[1]
    try:
        updates = live.fetch_last_updates(settings)
    except DownloadFailed:
        updates = None
    _TOC_CACHE[settings.eurostat_api] = (time.monotonic(), updates)
    return updates


def acquire(spec: DatasetSpec, settings: Settings) -> Acquired:
    if settings.mode == "live" and spec.live != "none":
        last_updates = _last_updates(settings) if spec.live == "eurostat_sdmx" else None
        try:
            fetched = live.fetch_dataset(spec, settings, last_updates)
        except DownloadFailed as exc:
            return Acquired(None, "download_failed", None, f"{exc.reason} ({exc.url})")
        return Acquired(fetched.path, "live", fetched.source_last_update)
    path = spec.find_in_snapshot(settings.snapshot_dir)
    if path is None:
        return Acquired(None, "missing", None)
    return Acquired(path, "snapshot", live.read_meta(path).get("source_last_update"))
