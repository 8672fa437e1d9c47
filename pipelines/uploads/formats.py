"""From a read table to normalised rows in the SPS template's columns, for the two accepted formats:

- the SPS template (seeds/upload_template_columns.csv, the single source of truth);
- an Open SDG indicator CSV as cities publish it (Year, disaggregations, optional Units / Series / GeoCode,
  Value) plus a small mapping: which indicator it holds (or a city-local indicator), how its columns map
  (Gender -> sex), how values map (Men -> male). Unmapped disaggregations are kept in `breakdown`.

The rows come out column-wise (an Arrow table: `row_fields()` as text, plus source_row). A template file is only
trimmed and renamed, column by column; an Open SDG file (one indicator's series, rarely more than a few
thousand rows) is mapped row by row, which keeps the mapping rules readable.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from pipelines.settings import SEEDS_DIR
from pipelines.shared.i18n import N_
from pipelines.uploads.parse import WHITESPACE, Table
from pipelines.uploads.problems import Problem, error

OPEN_SDG_RESERVED = {"Year", "Value", "Units", "Unit multiplier", "Unit measure", "GeoCode", "Observation status"}
TARGETS = {"indicator", "sex", "age_group", "breakdown", "unit", "note", "source"}
LOCAL_FIELDS = ["local_indicator_name", "local_indicator_unit", "local_indicator_description"]


@dataclass(frozen=True)
class TemplateColumn:
    name: str
    is_required: bool
    data_type: str
    description: str
    example: str


def template_columns() -> list[TemplateColumn]:
    with open(SEEDS_DIR / "upload_template_columns.csv", newline="", encoding="utf-8") as fh:
        return [
            TemplateColumn(r["column_name"], r["is_required"] == "true", r["data_type"], r["description"], r["example"])
            for r in csv.DictReader(fh)
        ]


def row_fields() -> list[str]:
    """The text columns of a normalised row (besides its integer `source_row`)."""
    return [c.name for c in template_columns()] + LOCAL_FIELDS


def rows_schema() -> pa.Schema:
    return pa.schema([(name, pa.large_utf8()) for name in row_fields()] + [("source_row", pa.int64())])


@dataclass
class Mapping:
    """How an Open SDG file maps to the template (a form in the UI, flags or a YAML file for the CLI)."""

    indicator: str | None = None
    local_name: str | None = None
    local_unit: str | None = None
    local_description: str | None = None
    unit: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str | None = None

    @classmethod
    def from_yaml(cls, path: Path) -> Mapping:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        local = data.get("local_indicator") or {}
        return cls(
            indicator=data.get("indicator"),
            local_name=local.get("name"),
            local_unit=local.get("unit"),
            local_description=local.get("description"),
            unit=data.get("unit"),
            columns={str(k): str(v) for k, v in (data.get("columns") or {}).items()},
            values={
                str(k): {str(a): str(b) for a, b in (v or {}).items()} for k, v in (data.get("values") or {}).items()
            },
            source=data.get("source"),
        )

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, {}, [])}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "indicator"


def detect_format(header: list[str]) -> str | None:
    if "target_value" in header:  # a city's target sheet (pipelines/uploads/targets.py)
        return "sps_targets"
    if "indicator_code" in header and "value" in header:
        return "sps_template"
    if "Year" in header and "Value" in header:
        return "open_sdg"
    return None


def normalise(table: Table, city: str, mapping: Mapping | None) -> tuple[str | None, pa.Table | None, list[Problem]]:
    fmt = detect_format(table.header)
    if fmt == "sps_template":
        rows, problems = _from_template(table)
    elif fmt == "open_sdg":
        rows, problems = _from_open_sdg(table, city, mapping or Mapping())
    else:
        names = ", ".join(c.name for c in template_columns())
        return (
            None,
            None,
            [
                error(
                    "format",
                    N_(
                        "The header is neither the SPS template ({columns}) nor an Open SDG file (Year, ..., Value). "
                        "Download the template and fill it in."
                    ),
                    row=1,
                    columns=names,
                )
            ],
        )
    return fmt, rows, problems


def _from_template(table: Table) -> tuple[pa.Table, list[Problem]]:
    columns = template_columns()
    known = {c.name for c in columns}
    problems = [
        error(
            "unknown_column",
            N_("Column '{name}' is not in the template; remove or rename it (template columns: {columns})."),
            row=1,
            column=name,
            value=name,
            name=name,
            columns=", ".join(sorted(known)),
        )
        for name in table.header
        if name not in known
    ]
    problems += [
        error(
            "missing_column",
            N_("The required column '{name}' is missing; add it ({description})."),
            row=1,
            column=c.name,
            name=c.name,
            description=c.description,
        )
        for c in columns
        if c.is_required and c.name not in table.header
    ]
    body = table.body
    empty = pa.repeat(pa.scalar("", pa.large_utf8()), body.num_rows)
    columns = {
        name: pc.utf8_trim(body[f"c{table.header.index(name)}"].cast(pa.large_utf8()), WHITESPACE)
        if name in table.header
        else empty
        for name in row_fields()
    }
    return pa.table(columns | {"source_row": body["source_row"]}, schema=rows_schema()), problems


def _from_open_sdg(table: Table, city: str, mapping: Mapping) -> tuple[pa.Table, list[Problem]]:
    problems: list[Problem] = []
    # A file of several indicators (an Open SDG file's Series) names each row's indicator in one column, its
    # labels mapped to catalogue codes under `values` (as `sps export --format open-sdg` writes the mapping).
    indicator_columns = [name for name, target in mapping.columns.items() if target == "indicator"]
    if not mapping.indicator and not mapping.local_name and not indicator_columns:
        problems.append(
            error(
                "mapping",
                N_(
                    "An Open SDG file needs to say which indicator it holds: give a "
                    "catalogue indicator (--indicator CODE) or a local indicator name in the mapping, or map the "
                    "column that names each row's indicator (e.g. Series) to 'indicator'."
                ),
            )
        )
    if len(indicator_columns) > 1:
        problems.append(
            error(
                "mapping",
                N_("Columns {columns} are all mapped to 'indicator'; map one column to it."),
                row=1,
                column=indicator_columns[1],
                columns=", ".join(repr(c) for c in indicator_columns),
            )
        )
    indicator_column = indicator_columns[0] if indicator_columns else None
    for source, target in mapping.columns.items():
        if source not in table.header:
            problems.append(
                error(
                    "mapping",
                    N_("The mapping names column '{name}', which the file does not have."),
                    row=1,
                    column=source,
                    name=source,
                )
            )
        renamed_breakdown = target.startswith("breakdown:") and target.removeprefix("breakdown:").strip()
        if target not in TARGETS and not renamed_breakdown:
            problems.append(
                error(
                    "mapping",
                    N_(
                        "Column '{name}' is mapped to '{target}'; map columns to one of {targets}, or to "
                        "'breakdown:Name' to keep it as a breakdown under another name."
                    ),
                    row=1,
                    column=source,
                    name=source,
                    target=target,
                    targets=sorted(TARGETS),
                )
            )
    indicator = mapping.indicator or f"local:{city}:{slug(mapping.local_name or 'indicator')}"
    rows = []
    fields = row_fields()
    columns = [table.body[f"c{i}"].to_pylist() for i in range(len(table.header))]
    for index, *cells in zip(table.body["source_row"].to_pylist(), *columns, strict=True):
        raw = {name: cell.strip() for name, cell in zip(table.header, cells, strict=True)}
        row = dict.fromkeys(fields, "")
        row.update(
            indicator_code=indicator,
            period=raw.get("Year", ""),
            value=raw.get("Value", ""),
            unit=raw.get("Units") or raw.get("Unit measure") or mapping.unit or mapping.local_unit or "",
            source=mapping.source or "",
            source_row=index,
        )
        if indicator_column is not None:
            label = raw.get(indicator_column, "")
            row["indicator_code"] = mapping.values.get(indicator_column, {}).get(label, label) or (
                mapping.indicator or ""
            )
        geo = raw.get("GeoCode", "")
        row["geo_code"] = f"{city}:{geo}" if geo else city
        breakdown = []
        for name, value in raw.items():
            if name in OPEN_SDG_RESERVED or not value:
                continue
            value = mapping.values.get(name, {}).get(value, value)
            target = mapping.columns.get(name)
            if target == "indicator":
                continue
            if target in ("sex", "age_group", "unit", "note", "source"):
                row[target] = value.lower() if target == "sex" else value
            elif target and target.startswith("breakdown:"):  # kept as a breakdown under the name the mapping gives
                breakdown.append(f"{target.removeprefix('breakdown:').strip()}={value}")
            else:
                breakdown.append(f"{name}={value}")
        if raw.get("Observation status"):
            row["note"] = "; ".join(filter(None, [row["note"], f"Observation status={raw['Observation status']}"]))
        row["breakdown"] = "; ".join(sorted(breakdown))
        row["local_indicator_name"] = mapping.local_name or ""
        row["local_indicator_unit"] = mapping.local_unit or ""
        row["local_indicator_description"] = mapping.local_description or ""
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=rows_schema()), problems
