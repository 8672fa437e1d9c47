"""The source-dataset catalogue (catalog.yaml) as typed records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
MONTH_DAY = re.compile(r"--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")  # xs:gMonthDay, as SDMX writes it
FORMATS = {
    "sdmx_tsv",
    "eurostat_label_csv",
    "geojson_points",
    "geojson_polygons",
    "open_sdg_csv",
    "sps_survey_template",
    "eurostat_codelist_tsv",
}


@dataclass(frozen=True)
class DatasetSpec:
    code: str
    title: str
    provider: str
    licence: str
    format: str
    snapshot_files: tuple[str, ...]
    live: str
    cadence_days: int
    dimensions: tuple[str, ...] = field(default_factory=tuple)
    live_path: str | None = None
    columns: tuple[str, ...] = field(default_factory=tuple)
    # First day of the source's reporting year as SDMX writes it (--MM-DD) when its periods are not calendar
    # years (ONS: financial years April to March); None for calendar years or when the source does not say.
    reporting_year_start: str | None = None

    @property
    def source_columns(self) -> tuple[str, ...]:
        """The dataset's own columns in raw (before value, flag and lineage)."""
        if self.format == "sdmx_tsv":
            return (*self.dimensions, "time_period")
        if self.format == "eurostat_label_csv":
            return ("time_period", "cities", "indic_ur")
        if self.format in ("open_sdg_csv", "sps_survey_template", "eurostat_codelist_tsv"):
            return self.columns
        if self.format == "geojson_polygons":
            return (*self.columns, "geometry_json")
        return (*self.columns, "lon", "lat")

    def find_in_snapshot(self, snapshot_dir: Path) -> Path | None:
        for relative in self.snapshot_files:
            candidate = snapshot_dir / relative
            if candidate.is_file() or (self.format == "sps_survey_template" and candidate.is_dir()):
                return candidate
        return None

    @property
    def live_file(self) -> str:
        """Where live mode stores the download inside the snapshot folder (the first snapshot path)."""
        return self.snapshot_files[0]


@cache
def load_catalog() -> tuple[DatasetSpec, ...]:
    raw = yaml.safe_load(CATALOG_PATH.read_text())
    specs = []
    for entry in raw["datasets"]:
        spec = DatasetSpec(
            code=entry["code"],
            title=entry["title"],
            provider=entry["provider"],
            licence=entry["licence"],
            format=entry["format"],
            snapshot_files=tuple(entry["snapshot_files"]),
            live=entry.get("live", "none"),
            cadence_days=int(entry["cadence_days"]),
            dimensions=tuple(entry.get("dimensions", ())),
            live_path=entry.get("live_path"),
            columns=tuple(entry.get("columns", ())),
            reporting_year_start=entry.get("reporting_year_start"),
        )
        if spec.format not in FORMATS:
            raise ValueError(f"{CATALOG_PATH}: dataset {spec.code} has unknown format {spec.format!r}")
        if spec.reporting_year_start is not None and not MONTH_DAY.fullmatch(spec.reporting_year_start):
            raise ValueError(
                f"{CATALOG_PATH}: dataset {spec.code} has reporting_year_start {spec.reporting_year_start!r}; "
                "write the first day of the reporting year as --MM-DD (e.g. --04-01)"
            )
        specs.append(spec)
    return tuple(specs)


def dataset(code: str) -> DatasetSpec:
    for spec in load_catalog():
        if spec.code == code:
            return spec
    raise KeyError(code)
