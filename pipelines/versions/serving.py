"""Which version readers serve: the one CURRENT names when it is intact, otherwise the newest intact kept version,
with the reason, so every reader (dashboard, `sps export`, `sps report`) can say so in a banner and alert.

Nothing here moves CURRENT: readers never write. `sps publish --verify` reports, `sps publish --rollback`
repairs, and the next refresh publishes over a damaged version (it plans a full rebuild).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import DamagedVersion, NothingPublished
from pipelines.settings import Settings
from pipelines.versions.store import POINTER, current_version_path, list_versions, open_version
from pipelines.versions.verify import DAMAGED, INTACT, Verification, verified


@dataclass(frozen=True)
class Serving:
    path: Path
    version: str
    named: str | None  # the version CURRENT names (None: a pointer naming no version)
    problem: str | None = None  # why the named version is not the one served
    check: Verification | None = None  # of the served version

    @property
    def fallback(self) -> bool:
        return self.problem is not None

    def banner(self) -> str:
        """One line for a reader to show when it is not serving what CURRENT names."""
        if not self.problem:
            return ""
        problem = self.problem[:1].upper() + self.problem[1:]
        return (
            f"{problem}. Showing the newest intact version, {self.version}, instead. The secretariat has "
            "been alerted (`sps publish --verify`, then `sps publish --rollback` or `sps refresh --full`)."
        )


def serving_version(published_dir: Path) -> Serving:
    """The version readers should open. Raises NothingPublished, or DamagedVersion when no intact version is kept."""
    if not (published_dir / POINTER).exists():
        raise NothingPublished(str(published_dir))
    try:
        current = current_version_path(published_dir)
    except DamagedVersion as exc:
        current, problem = None, str(exc).removesuffix(".")
    else:
        check = verified(current)
        if check.state != DAMAGED:
            return Serving(current, current.stem, current.stem, None, check)
        problem = f"published version {current.stem} is damaged: {check.reason}"
    candidates = [path for path in reversed(list_versions(published_dir)) if path != current]
    checks = [(path, verified(path)) for path in candidates]
    # intact first (newest first), then versions from before manifests (unverified): never a damaged one
    for wanted in (INTACT, "unverified"):
        for path, check in checks:
            if check.state == wanted:
                return Serving(path, path.stem, current.stem if current else None, problem, check)
    raise DamagedVersion(f"{problem}, and no intact version is kept to fall back to")


def open_serving(settings: Settings) -> tuple[duckdb.DuckDBPyConnection, Serving]:
    """A read-only connection to the version to serve, and what was served (with the banner, if a fallback)."""
    serving = serving_version(settings.published_dir)
    return open_version(serving.path), serving
