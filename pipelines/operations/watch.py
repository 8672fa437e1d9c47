"""What `sps watch` watches: the inputs cities send (the upload inbox and drop folder, the survey store, the
public-space inbox), and the refresh plan restricted to them (docs/adr/0024-...: an upload on the dashboard
within seconds).

`sps watch` is a long-running process beside `sps serve`: Dagster, dbt and the parsed dbt project stay loaded, so a
city's upload is published by a Dagster run of the same `refresh` job the sensors launch, with the same selection
(the upload's assets and everything downstream of them), but without starting a new process, importing Dagster
and dbt and parsing the project for each upload. A tick costs a few directory listings; the refresh plan (which
hashes the snapshot) is made only when one of them changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.publishing.fingerprint import CITY_SUBMISSIONS, CITY_SURVEYS, PUBLIC_SPACE
from pipelines.publishing.plan import RefreshPlan, plan_refresh
from pipelines.settings import Settings
from pipelines.spaces.store import inbox_dir as public_space_inbox
from pipelines.surveys.store import store_dir
from pipelines.uploads.dropbox import dropbox_dir

UPLOAD_INPUTS = (CITY_SUBMISSIONS, CITY_SURVEYS, PUBLIC_SPACE)


def _listing(folder: Path, depth: int = 1) -> tuple:
    """The names (and, for files, sizes and modification times) under `folder`, `depth` levels down."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return ()
    listing = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            listing.append((entry.name, _listing(Path(entry.path), depth - 1) if depth > 1 else ()))
        else:
            info = entry.stat(follow_symlinks=False)
            listing.append((entry.name, info.st_size, info.st_mtime_ns))
    return tuple(listing)


def upload_signature(settings: Settings) -> tuple:
    """Changes whenever a city's input arrives or is withdrawn: a new inbox folder (written whole, then renamed in),
    a file in the drop folder, a survey accepted into or withdrawn from the store, a public-space submission."""
    return (
        _listing(settings.inbox_dir),
        _listing(dropbox_dir(settings), depth=2),
        _listing(store_dir(settings.data_dir), depth=3),
        _listing(public_space_inbox(settings)),
    )


@dataclass(frozen=True)
class UploadPlan:
    plan: RefreshPlan | None  # the plan restricted to the upload inputs; None when there is nothing to publish
    note: str = ""  # why nothing is run although something changed (a full rebuild is due: `sps refresh` does it)


def upload_plan(settings: Settings) -> UploadPlan:
    """The refresh plan, restricted to what cities send. A plan that needs a full rebuild (the code changed, nothing
    is published yet, the current version is damaged) is left to `sps refresh` and the schedules."""
    plan = plan_refresh(settings)
    if plan.full:
        return UploadPlan(None, f"a full rebuild is due ({plan.reason}): run `sps refresh`")
    changed = {key: why for key, why in plan.changed.items() if key in UPLOAD_INPUTS}
    if not changed:
        return UploadPlan(None)
    return UploadPlan(RefreshPlan(full=False, changed=changed, published_version=plan.published_version))
