"""The tidy rows public-space and audit computations hand to the warehouse: one row per indicator x geography x
period x breakdown, in the columns of fct_observations (no geometry: that goes to the map layer,
dim_public_spaces). Units come from the catalogue (seeds/indicators.csv), never repeated here."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache

import pyarrow as pa

from pipelines.settings import SEEDS_DIR

OBSERVATION_COLUMNS = (
    "indicator_code",
    "geo_code",
    "parent_geo_code",
    "period",
    "breakdown",
    "value",
    "unit",
    "ci_low",
    "ci_high",
    "standard_error",
    "uncertainty_method",  # not_applicable (area measured from the whole inventory) | bootstrap_sites | none
    "sample_size",  # audits behind an audit figure; empty for inventory figures
    "comparability_group",
    "note",
    "has_caveat",  # the note holds a caveat on the figure itself (administrative boundary; an audit at one site)
    "submission_id",  # the upload the figure comes from (audits, or open spaces for inventory figures)
    "lineage_id",  # every upload and the feature id the row was computed from
)
GEOMETRY_COLUMNS = (
    "city_code",
    "layer",  # boundary | district | open_space | street
    "feature_id",
    "geo_code",  # the city, or the district (CITY:code) the feature lies in (most of its area)
    "name",
    "space_type",
    "access",
    "ownership",
    "is_counted",  # open space for public use (access free or restricted hours)
    "area_m2",  # as drawn, EPSG:3035
    "area_in_boundary_m2",
    "period",
    "submission_id",
    "feature_number",  # position in the uploaded file
    "geometry_json",  # GeoJSON text, WGS 84 longitude/latitude, 6 decimals
    "lon",  # a point inside the shape (labels, dim_geographies for districts)
    "lat",
)
_NUMBERS = (
    "value",
    "ci_low",
    "ci_high",
    "standard_error",
    "area_m2",
    "area_in_boundary_m2",
    "lon",
    "lat",
    "safety_score_day",
    "safety_score_after_dark",
    "feeling_day",
    "feeling_after_dark",
    "poor_lighting_after_dark_share",
)
_INTEGERS = ("sample_size", "feature_number", "audits_day", "audits_after_dark")


@cache
def catalogue_units() -> dict[str, str]:
    with open(SEEDS_DIR / "indicators.csv", newline="", encoding="utf-8") as fh:
        return {row["indicator_code"]: row["unit"] for row in csv.DictReader(fh)}


def district_geo_code(city: str, district_code: str) -> str:
    """A district is a sub-city geography `CITY:code` (the convention city uploads use)."""
    return f"{city}:{district_code}"


def breakdown(**parts: str | None) -> str | None:
    """'name=value; name=value' sorted by name (the Open SDG disaggregation convention of city uploads)."""
    items = sorted((k, v) for k, v in parts.items() if v is not None)
    return "; ".join(f"{k}={v}" for k, v in items) or None


@dataclass(frozen=True)
class Observation:
    indicator_code: str
    geo_code: str
    period: str
    value: float | None
    comparability_group: str
    lineage_id: str
    submission_id: str | None = None
    parent_geo_code: str | None = None
    breakdown: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    standard_error: float | None = None
    uncertainty_method: str = "not_applicable"
    sample_size: int | None = None
    note: str | None = None
    has_caveat: bool = False

    def as_row(self) -> dict:
        row = {name: getattr(self, name, None) for name in OBSERVATION_COLUMNS if name != "unit"}
        row["unit"] = catalogue_units()[self.indicator_code]
        for name in ("value", "ci_low", "ci_high", "standard_error"):
            if row[name] is not None and not math.isfinite(row[name]):
                row[name] = None
        return {name: row[name] for name in OBSERVATION_COLUMNS}


def observations_table(observations: list[Observation]) -> pa.Table:
    return rows_table([o.as_row() for o in observations], OBSERVATION_COLUMNS)


def rows_table(rows: list[dict], columns: tuple[str, ...]) -> pa.Table:
    def kind(name: str) -> pa.DataType:
        if name in _NUMBERS:
            return pa.float64()
        if name in _INTEGERS:
            return pa.int64()
        if name in ("is_counted", "has_caveat"):
            return pa.bool_()
        return pa.string()

    schema = pa.schema([(name, kind(name)) for name in columns])
    return pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows], schema=schema)
