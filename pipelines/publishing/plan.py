"""What changed since the published version: the plan behind an incremental refresh.

Every published file records, in `_publication.inputs_json`, the fingerprint of what it was built from:

    code                     sha256 of the dbt models, macros, seeds and the source catalogue
    raw/<dataset>            the sha256 (and Eurostat last-update date) of the file the warehouse last loaded
    raw/city_submissions     the sorted ids of the inbox submissions loaded
    raw/city_surveys         the sorted ids of the city surveys and withdrawals loaded
    raw/public_space         the sorted ids of the public-space and audit submissions loaded

A refresh first computes the same fingerprint from what is on disk now (the snapshot folder's files, the
inbox and drop folder, the survey store; in live mode Eurostat's table of contents) and compares:

- nothing differs            -> nothing is ingested, rebuilt or republished ("nothing changed");
- the code differs, or there is no usable published version or warehouse -> a full rebuild;
- some sources differ        -> only those raw assets and everything downstream of them (dbt selects the
                                models that depend on them; publish copies the untouched marts as they are).

The comparison is always against the *published* version, so a refresh that failed half-way is simply
planned again next time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipelines.publishing.fingerprint import (
    CITY_SUBMISSIONS,
    CITY_SURVEYS,
    CODE,
    MISSING,
    PUBLIC_SPACE,
    code_fingerprint,
    published_fingerprint,
)
from pipelines.settings import Settings
from pipelines.sources.catalog import DatasetSpec, load_catalog
from pipelines.sources.files import sha256_of
from pipelines.spaces.load import inbox_public_space_ids
from pipelines.surveys.loader import pending_surveys
from pipelines.uploads.dropbox import pending_drops
from pipelines.uploads.inbox_loader import inbox_submission_ids
from pipelines.versions.store import POINTER, current_version_path
from pipelines.versions.verify import DAMAGED, verified


# ------------------------------------------------------------------------------------ what is on disk now
def _source_now(spec: DatasetSpec, settings: Settings, last_updates: dict[str, str] | None) -> dict:
    if settings.mode == "live" and spec.live == "eurostat_sdmx":
        # live: Eurostat's table of contents says whether the dataset changed; no TOC means "unknown"
        update = (last_updates or {}).get(spec.code)
        return {"sha256": None, "last_update": update or "unknown"}
    path = spec.find_in_snapshot(settings.snapshot_dir)
    return {"sha256": sha256_of(path) if path else MISSING, "last_update": None}


def _same(spec_live: bool, now: dict, published: dict | None) -> bool:
    if published is None:
        return False
    if spec_live:
        return now["last_update"] != "unknown" and now["last_update"] == published.get("last_update")
    return now["sha256"] == published.get("sha256")


@dataclass
class RefreshPlan:
    full: bool
    changed: dict[str, str] = field(default_factory=dict)  # input key -> why it is rebuilt
    broken: dict[str, str] = field(default_factory=dict)  # input key -> why it is left out (failed, unchanged since)
    reason: str = ""
    published_version: str | None = None

    @property
    def nothing_to_do(self) -> bool:
        return not self.full and not self.changed

    def describe(self) -> str:
        if self.full:
            text = f"full rebuild: {self.reason}"
        elif not self.changed:
            text = f"nothing changed since published version {self.published_version}"
        else:
            text = "rebuilding what depends on " + "; ".join(f"{key} ({why})" for key, why in self.changed.items())
        if self.broken:
            text += ". Left out, still broken: " + "; ".join(f"{key} ({why})" for key, why in self.broken.items())
        return text


def _failed_files(settings: Settings) -> dict[str, tuple[str, datetime, str]]:
    """Sources whose last attempt failed: input key -> (sha256 of the failing file, when, message)."""
    if not settings.warehouse_path.exists():
        return {}
    try:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
            rows = conn.execute(
                "select dataset, status, source_sha256, checked_at, message from raw._source_status "
                "qualify row_number() over (partition by dataset order by checked_at desc) = 1"
            ).fetchall()
    except duckdb.Error:  # locked by a running refresh, or no status table yet: nothing known
        return {}
    return {
        f"raw/{dataset}": (sha, checked_at, message or "")
        for dataset, status, sha, checked_at, message in rows
        if status == "failed" and sha
    }


def plan_refresh(
    settings: Settings, full: bool = False, last_updates: dict[str, str] | None = None, sources: bool = True
) -> RefreshPlan:
    """Compare what is on disk (and, live, in Eurostat's TOC) with the fingerprint of the published version.
    `sources=False` leaves out the catalogued sources (hashing the snapshot's files and reading the warehouse's
    status register, ~0.1 s): for `sps watch`, which only publishes what cities send; the reasons for a full
    rebuild are checked either way."""
    if full:
        return RefreshPlan(full=True, reason="asked for (--full)")
    current = current_version_path(settings.published_dir, required=False)
    if current is None and (settings.published_dir / POINTER).exists():
        return RefreshPlan(full=True, reason="the CURRENT pointer names no published version")
    if current is None:
        return RefreshPlan(full=True, reason="nothing is published yet")
    check = verified(current)
    if check.state == DAMAGED:
        return RefreshPlan(full=True, reason=f"published version {current.stem} is damaged ({check.reason})")
    if not settings.warehouse_path.exists():
        return RefreshPlan(full=True, reason=f"no warehouse at {settings.warehouse_path}")
    try:
        version, published = published_fingerprint(current)
    except duckdb.Error as exc:
        return RefreshPlan(full=True, reason=f"the published file cannot be read ({type(exc).__name__})")
    if not published:
        return RefreshPlan(full=True, reason=f"published version {version} records no input fingerprint")
    if published.get(CODE, {}).get("sha256") != code_fingerprint():
        return RefreshPlan(
            full=True, reason="the dbt models, seeds or source catalogue changed", published_version=version
        )
    plan = RefreshPlan(full=False, published_version=version)
    failed = _failed_files(settings) if sources else {}
    for spec in load_catalog() if sources else ():
        key = f"raw/{spec.code}"
        live = settings.mode == "live" and spec.live == "eurostat_sdmx"
        now = _source_now(spec, settings, last_updates)
        if not _same(live, now, published.get(key)):
            if live:
                plan.changed[key] = f"Eurostat last update {now['last_update']}"
            elif key in failed and failed[key][0] == now["sha256"]:
                # the same bytes failed before: retrying cannot help until the file is fixed or replaced
                plan.broken[key] = f"failed {failed[key][1]:%Y-%m-%d %H:%M} UTC: {failed[key][2]}"
            elif now["sha256"] == MISSING:
                plan.changed[key] = "no longer in the snapshot"
            else:
                plan.changed[key] = "file changed" if published.get(key, {}).get("sha256") != MISSING else "new file"
        elif key in failed and not live:
            # back to the published bytes after a failed attempt: re-read it so its status (and the health
            # report) says it is fine again
            plan.changed[key] = "repaired since it failed"
    # uploads: a submission in the inbox that the published version did not include, or a dropped file
    inbox_ids = inbox_submission_ids(settings.inbox_dir)
    drops = pending_drops(settings)
    published_ids = set(published.get(CITY_SUBMISSIONS, {}).get("ids", []))
    waiting = [submission_id for submission_id in inbox_ids if submission_id not in published_ids]
    if drops or waiting:
        plan.changed[CITY_SUBMISSIONS] = f"{len(waiting)} new inbox submission(s), {len(drops)} dropped file(s)"
    # city surveys: accepted into the survey store, or withdrawn, since the published version
    new_surveys, withdrawals = pending_surveys(settings.data_dir, published.get(CITY_SURVEYS, {}))
    if new_surveys or withdrawals:
        plan.changed[CITY_SURVEYS] = f"{len(new_surveys)} new survey(s), {len(withdrawals)} withdrawal(s)"
    spaces_now = set(inbox_public_space_ids(settings))
    spaces_published = set(published.get(PUBLIC_SPACE, {}).get("ids", []))
    if spaces_now != spaces_published:
        plan.changed[PUBLIC_SPACE] = f"{len(spaces_now - spaces_published)} new public-space submission(s)"
    return plan
