"""Audit indicators per site, district and city, day and after dark apart (docs/methodology/safety_audits.md).

- audit_safety_score: per audit, 100 x (mean of the answered environment parameters, 0-3) / 3; the figure is the
  mean over audits. `feeling` is kept out of the score: it is what the auditor reports, the score describes the
  place, and a city learns most where the two disagree.
- audit_parameter_score: mean score of each item (breakdown parameter=...).
- audit_poor_lighting_after_dark_share: % of after-dark audits rating lighting 0 or 1.
- audit_count, audit_site_count.

Spread: a 95 % percentile bootstrap interval over sites (whole sites resampled with their audits, 1 000
resamples, fixed seed per group so a refresh reproduces it): audits of one site are not independent, and sites
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

BOOTSTRAP_RESAMPLES = 1000
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


def site_bootstrap(values: np.ndarray, sites: np.ndarray, key: str) -> list[tuple | None]:
    """For each column of `values` (audits x figures, NaN = not answered): (mean over audits, 2.5 and 97.5
    percentiles and SD of the bootstrap over sites, audits used, sites used), None when nothing was answered;
    no interval under two sites.

    One resampling of whole sites serves every figure of a group: a weights matrix (resamples x sites, how often
    each site is drawn) times the per-site sums and counts gives every resampled mean in one product."""
    _, compact = np.unique(sites, return_inverse=True)
    m = int(compact.max()) + 1
    answered = np.isfinite(values)
    sums = np.zeros((m, values.shape[1]))
    counts = np.zeros((m, values.shape[1]))
    np.add.at(sums, compact, np.where(answered, values, 0.0))
    np.add.at(counts, compact, answered)
    resampled = None
    if m >= 2:
        rng = np.random.default_rng(zlib.crc32(key.encode()))
        draws = rng.integers(0, m, size=(BOOTSTRAP_RESAMPLES, m))
        rows = np.repeat(np.arange(BOOTSTRAP_RESAMPLES), m)
        weights = np.bincount(rows * m + draws.ravel(), minlength=BOOTSTRAP_RESAMPLES * m)
        weights = weights.reshape(BOOTSTRAP_RESAMPLES, m).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            resampled = (weights @ sums) / (weights @ counts)
    results: list[tuple | None] = []
    for k in range(values.shape[1]):
        used = int(counts[:, k].sum())
        if used == 0:
            results.append(None)
            continue
        n_sites = int((counts[:, k] > 0).sum())
        mean = float(sums[:, k].sum() / used)
        if resampled is None or n_sites < 2:
            results.append((mean, None, None, None, used, n_sites))
            continue
        column = resampled[:, k]
        column = column[np.isfinite(column)]  # a resample drawing only sites that did not answer has no mean
        low, high = np.percentile(column, [2.5, 97.5])
        results.append((mean, float(low), float(high), float(column.std(ddof=1)), used, n_sites))
    return results


def compute_audit_indicators(
    city: str,
    audits: AuditSet,
    *,
    districts: list[District] | None = None,
    space_ids: set[str] | None = None,
    submission_id: str | None = None,
    lineage: str | None = None,
) -> AuditResults:
    """`lineage`: how rows name their uploads (default `safety_audit/<submission_id>`)."""
    zones = districts or []
    lineage = lineage or f"safety_audit/{submission_id}"
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
                f"{lineage}/{geo}/{year}/{code}/{label or 'total'}",  # unique: the row's own key
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
                has_caveat=code not in COUNTS and low is None,
            )
        )

    # Every figure of a group (one geography, year and time of day) in one matrix: score, items, poor lighting.
    figures = [("audit_safety_score", None)] + [("audit_parameter_score", item) for item in item_names]
    figures.append(("audit_poor_lighting_after_dark_share", None))
    matrix = np.column_stack([safety] + [item_values[item] for item in item_names] + [poor])

    def estimate_group(geo, year, time, mask):
        results = site_bootstrap(matrix[mask], sites[mask], f"{geo}/{year}/{time}")
        for (code, item), result in zip(figures, results, strict=True):
            lighting_by_day = code == "audit_poor_lighting_after_dark_share" and time != "after_dark"
            if result is None or lighting_by_day:
                continue
            mean, low, high, se, used, n_sites = result
            label = (
                None if code == "audit_poor_lighting_after_dark_share" else breakdown(time_of_day=time, parameter=item)
            )
            note = (
                f"{used} audits at {n_sites} sites; 95 % bootstrap interval over sites."
                if low is not None
                else f"{used} audits at one site: no interval."
            )
            add(code, geo, year, mean, f"{code}/{item or ''}/{time}", label, (low, high, se), used, note)

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
                estimate_group(geo, year, time, mask)
    return AuditResults(
        observations,
        _site_rows(city, audits, sites, site_names, owners, safety, item_values, poor, years, space_ids, submission_id),
    )


def _site_rows(city, audits, sites, site_names, owners, safety, item_values, poor, years, space_ids, submission_id):
    """One row per site and year: audits and mean figures by day and after dark, where it is (for the map)."""
    rows = []
    times = np.array([a.time_of_day for a in audits.audits])
    lons = np.array([a.lon for a in audits.audits])
    lats = np.array([a.lat for a in audits.audits])
    order = np.lexsort((years, sites))  # audits grouped by site, then year: one pass over them
    keys = np.column_stack([sites[order], years[order].astype(object)])
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)])
    for members in np.split(order, starts[1:]):
        site, year = site_names[sites[members[0]]], years[members[0]]
        districts = [owners[i] for i in members if owners[i]]
        owner = max(set(districts), key=districts.count) if districts else None
        named = [audits.audits[i].site_name for i in members if audits.audits[i].site_name]
        by_time = {t: members[times[members] == t] for t in TIMES_OF_DAY}

        def mean(values, time, by_time=by_time):
            chosen = values[by_time[time]]
            chosen = chosen[np.isfinite(chosen)]
            return round(float(chosen.mean()), 6) if len(chosen) else None

        rows.append(
            {
                "city_code": city,
                "site_id": site,
                "site_name": named[0] if named else None,
                "space_id": site if site in space_ids else None,
                "geo_code": district_geo_code(city, owner) if owner else city,
                "period": year,
                "lon": round(float(lons[members].mean()), 6),
                "lat": round(float(lats[members].mean()), 6),
                "audits_day": len(by_time["day"]),
                "audits_after_dark": len(by_time["after_dark"]),
                "safety_score_day": mean(safety, "day"),
                "safety_score_after_dark": mean(safety, "after_dark"),
                "feeling_day": mean(item_values["feeling"], "day"),
                "feeling_after_dark": mean(item_values["feeling"], "after_dark"),
                "poor_lighting_after_dark_share": mean(poor, "after_dark"),
                "submission_id": submission_id,
            }
        )
    return rows
