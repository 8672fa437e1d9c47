"""Which assets a trigger runs: the changed sources (the refresh plan, pipelines/publishing/plan.py) and
everything downstream of them. Schedules, sensors and `sps refresh` all ask this module; the asset graph is
passed in (a trigger's `context.repository_def`, or the CLI's `defs`), so nothing here imports the code
location."""

import hashlib
from collections.abc import Iterable

import dagster as dg

from pipelines.publishing.fingerprint import CITY_SUBMISSIONS, CITY_SURVEYS, PUBLIC_SPACE
from pipelines.publishing.plan import RefreshPlan
from pipelines.settings import Settings
from pipelines.sources.catalog import load_catalog
from pipelines.sources.live import fetch_last_updates
from pipelines.spaces.assets import KEYS as PUBLIC_SPACE_KEYS
from pipelines.surveys.assets import STEP_KEY as SURVEY_STEP_KEY
from pipelines.surveys.assets import SURVEY_KEYS
from pipelines.warehouse.partial import UPLOADS_ONLY_TAG

REFRESH_JOB = "refresh"
# What cities send: a plan that changes nothing else lets dbt rebuild the largest marts in part (uploads_only_tags)
UPLOAD_INPUTS = (CITY_SUBMISSIONS, CITY_SURVEYS, PUBLIC_SPACE)
TIMEZONE = "Europe/Brussels"
REGISTER_KEYS = (dg.AssetKey(["raw", "_source_status"]),)
SOURCE_KEYS = tuple(f"raw/{spec.code}" for spec in load_catalog())


def asset_keys_for(input_keys: Iterable[str]) -> list[dg.AssetKey]:
    """Plan input keys ("raw/urb_percep", "raw/city_submissions") to the asset keys that load them."""
    keys = []
    for key in input_keys:
        if key == CITY_SUBMISSIONS:
            keys += [dg.AssetKey(["raw", "city_submissions"]), dg.AssetKey(["raw", "city_submission_files"])]
        elif key == CITY_SURVEYS:
            keys += list(SURVEY_KEYS)
        elif key == PUBLIC_SPACE:
            keys += list(PUBLIC_SPACE_KEYS.values())
        else:
            keys.append(dg.AssetKey(key.split("/")))
    return keys


def source_input_key(step_key: str) -> str | None:
    """The plan input key of a source asset's step ("raw__crim_off_cat" -> "raw/crim_off_cat"); None otherwise."""
    if step_key == "raw_city_submissions":
        return CITY_SUBMISSIONS
    if step_key == SURVEY_STEP_KEY:
        return CITY_SURVEYS
    if step_key == "raw_public_space":
        return PUBLIC_SPACE
    key = "raw/" + step_key.removeprefix("raw__")
    return key if step_key.startswith("raw__") and key in SOURCE_KEYS else None


def uploads_only_tags(changed: Iterable[str]) -> dict[str, str]:
    """The run tag that lets dbt rebuild only the cities' rows of the largest marts (dbt_project/macros/
    partial_rebuild.sql) when the plan's changed inputs are all city inputs; none otherwise (a full rebuild, a
    Eurostat or snapshot source, a run started by hand: the marts are rebuilt whole)."""
    keys = set(changed)
    return {UPLOADS_ONLY_TAG: "true"} if keys and keys <= set(UPLOAD_INPUTS) else {}


def selection_for(input_keys: Iterable[str], asset_graph) -> list[dg.AssetKey]:
    """The changed source assets and everything downstream of them (dbt models, publish, health report), in the
    asset graph of the code location (`context.repository_def.asset_graph` in a schedule or sensor,
    `defs.resolve_asset_graph()` in the CLI)."""
    roots = asset_keys_for(input_keys)
    # The status register (raw/_source_status) changes with every run whatever its sources, so the source
    # freshness report reading it is always rebuilt.
    registers = dg.AssetSelection.assets(*REGISTER_KEYS).downstream(include_self=False)
    selection = dg.AssetSelection.assets(*roots).downstream() | registers
    return sorted(selection.resolve(asset_graph, allow_missing=True))


def run_request_for(
    plan: RefreshPlan, only: Iterable[str] | None, trigger: str, asset_graph
) -> dg.RunRequest | dg.SkipReason:
    """A run of the changed part of the plan (restricted to the `only` input keys), or the reason to skip."""
    if plan.full:
        return dg.RunRequest(tags={"sps/trigger": trigger, "sps/plan": "full"})
    wanted = set(only) if only is not None else None
    changed = {key: why for key, why in plan.changed.items() if wanted is None or key in wanted}
    if not changed:
        scope = "these sources" if wanted else "any source"
        return dg.SkipReason(f"nothing changed in {scope} since published version {plan.published_version}")
    run_key = hashlib.sha256(repr(sorted(changed.items())).encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=f"{trigger}-{plan.published_version}-{run_key}",
        asset_selection=selection_for(changed, asset_graph),
        tags={
            "sps/trigger": trigger,
            "sps/plan": "; ".join(f"{k} ({v})" for k, v in changed.items())[:200],
            **uploads_only_tags(changed),
        },
    )


def asset_graph_of(context: dg.ScheduleEvaluationContext | dg.SensorEvaluationContext):
    """The asset graph of the code location a schedule or sensor belongs to."""
    return context.repository_def.asset_graph


def eurostat_last_updates(settings: Settings) -> dict[str, str] | None:
    """Live mode: each dataset's 'last update of data' from Eurostat's table of contents; offline: None."""
    if settings.mode != "live":
        return None
    return fetch_last_updates(settings)
