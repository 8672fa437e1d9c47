"""Audit indicators per site, district and city, day and after dark apart (docs/methodology/safety_audits.md).

- audit_safety_score: per audit, 100 x (mean of the answered environment parameters, 0-3) / 3; the figure is the
  mean over audits. `feeling` is kept out of the score: it is what the auditor reports, the score describes the
  place, and a city learns most where the two disagree.
- audit_parameter_score: mean score of each item (breakdown parameter=...).
- audit_poor_lighting_after_dark_share: % of after-dark audits rating lighting 0 or 1.
- audit_count, audit_site_count.

Spread: a 95 % percentile bootstrap interval over sites (whole sites resampled with their audits, 2 000
resamples, fixed seed per figure so a refresh reproduces it): audits of one site are not independent, and sites
are the units a city chose. Under two sites there is no interval. Site figures go to the site layer for the map.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import shapely

from pipelines.spaces.audits import AuditSet
from pipelines.spaces.compute import District
from pipelines.spaces.observations import Observation, breakdown, district_geo_code
from pipelines.spaces.vocabulary import STANDARD_FORM_ID, TIMES_OF_DAY, audit_items, score_items

BOOTSTRAP_RESAMPLES = 2000
POOR_LIGHTING = 1  # lighting scored 0 (none) or 1 (poor)
COUNTS = ("audit_count", "audit_site_count")
SITE_COLUMNS = (
    "city_code",
    "site_id",
    "site_name",
    "space_id",  # the inventory space the site is, when site_id is one of its space_ids
    "geo_code",
    "period",
    "lon",
    "lat",
    "audits_day",
    "audits_after_dark",
    "safety_score_day",
    "safety_score_after_dark",
    "feeling_day",
    "feeling_after_dark",
    "poor_lighting_after_dark_share",
    "submission_id",
)


@dataclass
class AuditResults:
    observations: list[Observation]
    sites: list[dict]  # rows in SITE_COLUMNS


def audit_safety_scores(audits: AuditSet) -> np.ndarray:
    items = score_items()
    scores = np.array([[np.nan if a.scores[i] is None else a.scores[i] for i in items] for a in audits.audits])
    return 100 * np.nanmean(scores.reshape(len(audits.audits), len(items)), axis=1) / 3


def _districts_of(audits: AuditSet, zones: list[District]) -> list[str | None]:
    found: list[str | None] = [None] * len(audits.audits)
    if not zones:
        return found
    tree = shapely.STRtree([z.geometry for z in zones])
    point_index, zone_index = tree.query(audits.projected_points(), predicate="intersects")
    for p, z in zip(point_index, zone_index, strict=True):
        if found[p] is None:  # a point on a shared border goes to the first district
            found[p] = zones[z].code
    return found


def _bootstrap(values: np.ndarray, sites: np.ndarray, key: str) -> tuple[float, float | None, float | None, float]:
    """(mean over audits, 2.5 and 97.5 percentiles and SD of the site bootstrap). `values` may hold NaN (item
    not answered); `sites` are integer codes."""
    keep = np.isfinite(values)
    values, sites = values[keep], sites[keep]
    _, compact = np.unique(sites, return_inverse=True)
    sums = np.bincount(compact, weights=values)
    counts = np.bincount(compact).astype(float)
    mean = float(sums.sum() / counts.sum())
    if len(sums) < 2:
        return mean, None, None, None
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    estimates = np.empty(BOOTSTRAP_RESAMPLES)
    for start in range(0, BOOTSTRAP_RESAMPLES, 250):  # bounded memory: 250 resamples x sites at a time
        chunk = rng.integers(0, len(sums), size=(min(250, BOOTSTRAP_RESAMPLES - start), len(sums)))
        estimates[start : start + len(chunk)] = sums[chunk].sum(axis=1) / counts[chunk].sum(axis=1)
    low, high = np.percentile(estimates, [2.5, 97.5])
    return mean, float(low), float(high), float(estimates.std(ddof=1))


def compute_audit_indicators(
    city: str,
    audits: AuditSet,
    *,
    districts: list[District] | None = None,
    space_ids: set[str] | None = None,
    submission_id: str | None = None,
) -> AuditResults:
    zones = districts or []
    space_ids = space_ids or set()
    n = len(audits.audits)
    if n == 0:
        return AuditResults([], [])
    group = (
        f"safety_audit:{STANDARD_FORM_ID}:{audits.form_version}"
        if audits.is_standard_form
        else f"safety_audit:local:{city}"
    )
    owners = _districts_of(audits, zones)
    site_names = sorted({a.site_id for a in audits.audits})
    site_code = {s: i for i, s in enumerate(site_names)}
    sites = np.array([site_code[a.site_id] for a in audits.audits])
    years = np.array([str(a.date.year) for a in audits.audits])
    times = np.array([a.time_of_day for a in audits.audits])
    geos = np.array([district_geo_code(city, o) if o else "" for o in owners], dtype=object)
    safety = audit_safety_scores(audits)
    item_names = [i.item for i in audit_items()]
    item_values = {
        item: np.array([np.nan if a.scores[item] is None else a.scores[item] for a in audits.audits], dtype=float)
        for item in item_names
    }
    lighting = item_values["lighting"]
    poor = np.where(np.isfinite(lighting), np.where(lighting <= POOR_LIGHTING, 100.0, 0.0), np.nan)
    observations: list[Observation] = []

    def add(code, geo, year, value, key, label=None, spread=None, sample=None, note=None):
        low, high, se = (None, None, None) if spread is None else spread
        observations.append(
            Observation(
                code,
                geo,
                year,
                round(value, 6),
                group,
                f"safety_audit/{submission_id}/{geo}/{year}/{key}",
                submission_id=submission_id,
                parent_geo_code=city if geo != city else None,
                breakdown=label,
                ci_low=None if low is None else round(low, 6),
                ci_high=None if high is None else round(high, 6),
                standard_error=None if se is None else round(se, 6),
                uncertainty_method=(
                    "not_applicable" if code in COUNTS else "none" if low is None else "bootstrap_sites"
                ),
                sample_size=sample,
                note=note,
            )
        )

    def estimate(code, geo, year, values, mask, key, label):
        if not np.isfinite(values[mask]).any():
            return
        mean, low, high, se = _bootstrap(values[mask], sites[mask], f"{geo}/{year}/{key}")
        used = int(np.isfinite(values[mask]).sum())
        n_sites = len(np.unique(sites[mask][np.isfinite(values[mask])]))
        note = (
            f"{used} audits at {n_sites} sites; 95 % bootstrap interval over sites."
            if low is not None
            else f"{used} audits at one site: no interval."
        )
        add(code, geo, year, mean, key, label, (low, high, se), used, note)

    for year in sorted(set(years)):
        for geo in [city, *sorted({g for g in geos if g})]:
            in_geo = (years == year) & ((geos == geo) if geo != city else np.ones(n, dtype=bool))
            if not in_geo.any():
                continue
            add("audit_count", geo, year, float(in_geo.sum()), "total", sample=int(in_geo.sum()))
            add("audit_site_count", geo, year, float(len(np.unique(sites[in_geo]))), "total")
            for time in TIMES_OF_DAY:
                mask = in_geo & (times == time)
                if not mask.any():
                    continue
                label = breakdown(time_of_day=time)
                add("audit_count", geo, year, float(mask.sum()), time, label, sample=int(mask.sum()))
                add("audit_site_count", geo, year, float(len(np.unique(sites[mask]))), time, label)
                estimate("audit_safety_score", geo, year, safety, mask, f"score/{time}", label)
                for item in item_names:
                    item_label = breakdown(time_of_day=time, parameter=item)
                    estimate("audit_parameter_score", geo, year, item_values[item], mask, f"{item}/{time}", item_label)
                if time == "after_dark":
                    estimate("audit_poor_lighting_after_dark_share", geo, year, poor, mask, "poor_lighting", None)
    return AuditResults(
        observations,
        _site_rows(city, audits, sites, site_names, owners, safety, item_values, poor, years, space_ids, submission_id),
    )


def _site_rows(city, audits, sites, site_names, owners, safety, item_values, poor, years, space_ids, submission_id):
    rows = []
    times = np.array([a.time_of_day for a in audits.audits])
    for code, site in enumerate(site_names):
        for year in sorted(set(years[sites == code])):
            mask = (sites == code) & (years == year)
            members = np.flatnonzero(mask)
            districts = [owners[i] for i in members if owners[i]]
            owner = max(set(districts), key=districts.count) if districts else None

            def mean(values, time, mask=mask):
                chosen = values[mask & (times == time)]
                chosen = chosen[np.isfinite(chosen)]
                return round(float(chosen.mean()), 6) if len(chosen) else None

            named = [audits.audits[i].site_name for i in members if audits.audits[i].site_name]

            rows.append(
                {
                    "city_code": city,
                    "site_id": site,
                    "site_name": named[0] if named else None,
                    "space_id": site if site in space_ids else None,
                    "geo_code": district_geo_code(city, owner) if owner else city,
                    "period": year,
                    "lon": round(float(np.mean([audits.audits[i].lon for i in members])), 6),
                    "lat": round(float(np.mean([audits.audits[i].lat for i in members])), 6),
                    "audits_day": int((mask & (times == "day")).sum()),
                    "audits_after_dark": int((mask & (times == "after_dark")).sum()),
                    "safety_score_day": mean(safety, "day"),
                    "safety_score_after_dark": mean(safety, "after_dark"),
                    "feeling_day": mean(item_values["feeling"], "day"),
                    "feeling_after_dark": mean(item_values["feeling"], "after_dark"),
                    "poor_lighting_after_dark_share": mean(poor, "after_dark"),
                    "submission_id": submission_id,
                }
            )
    return rows
