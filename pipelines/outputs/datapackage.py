"""A Frictionless data package descriptor (`datapackage.json`) beside every CSV export, so that tools no one here
wrote (frictionless, CKAN, Open Data Editor, pandas readers of Table Schema) read the CSV with the right types:
`period` is text (2017/18), `period_year` an integer, booleans are booleans, and the primary key is checked.

One descriptor per folder: each `sps export ... --out folder/name.csv` adds (or replaces) the resource of that
file and keeps those of earlier exports whose file is still there, so a folder holding observations.csv and
indicators.csv is one package. A `datapackage.json` that `sps export` did not write is never touched: the export
is refused before anything is written.

Data Package v1 (https://specs.frictionlessdata.io/data-package/): field types from the published table's
column types, field descriptions from the dbt docs of the marts, units as a `unit` property of the fields that
have one (a custom property; Table Schema has none), licences and sources from the export's metadata sidecar.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from pipelines.errors import SpsError
from pipelines.settings import DBT_PROJECT_DIR

NAME = "datapackage.json"
GENERATOR = "sps export"  # the descriptor's `sps_generator`: the mark of a descriptor this module may rewrite

FIELD_TYPES = {
    "VARCHAR": "string",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "HUGEINT": "integer",
    "SMALLINT": "integer",
    "DOUBLE": "number",
    "FLOAT": "number",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime",
}
PRIMARY_KEYS = {
    "fct_observations": ["observation_id"],
    "dim_indicators": ["indicator_code"],
    "dim_geographies": ["geo_code"],
    "fct_police_recorded_offences": ["source_dataset", "iccs_code", "geo_code", "period"],
}
# The unit of a column that has one. Observation values carry theirs row by row, in the `unit` column.
IN_UNIT_COLUMN = "as given in the column unit of the same row"
UNITS = {
    ("fct_observations", "value"): IN_UNIT_COLUMN,
    ("fct_observations", "ci_low"): IN_UNIT_COLUMN,
    ("fct_observations", "ci_high"): IN_UNIT_COLUMN,
    ("fct_observations", "sample_size"): "respondents",
    ("fct_police_recorded_offences", "offences_count"): "offences",
    ("fct_police_recorded_offences", "offences_per_100k"): "offences per 100 000 inhabitants",
    ("dim_geographies", "lat"): "degrees north (WGS 84)",
    ("dim_geographies", "lon"): "degrees east (WGS 84)",
    ("dim_geographies", "population"): "inhabitants",
}
# Licence texts of the source catalogue -> Open Definition licence ids (Data Package `licenses` need a name or a
# path). A text no entry starts with is kept as the title of a `notspecified` licence: never a guessed one.
LICENCES = (
    ("CC BY 4.0", "CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"),
    (
        "Open Government Licence v3.0",
        "OGL-UK-3.0",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    ),
    ("© EuroGeographics", "other-at", "https://ec.europa.eu/eurostat/web/gisco/geodata/administrative-units"),
)


class DataPackageError(SpsError):
    """The descriptor beside an export cannot be written as asked; nothing was written."""


def descriptor_path(out: Path) -> Path:
    return out.with_name(NAME)


def check_folder(out: Path) -> None:
    """Refuse, before anything is written, a folder whose datapackage.json this module did not write."""
    path = descriptor_path(out)
    if not path.exists():
        return
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        existing = None
    if not isinstance(existing, dict) or existing.get("sps_generator") != GENERATOR:
        raise DataPackageError(
            f"--out {out}: the folder already has a {NAME} that sps export did not write (or cannot read); "
            "nothing was written. Export to another folder, or move that file away"
        )


def licence(text: str) -> dict:
    for prefix, name, url in LICENCES:
        if text.startswith(prefix):
            return {"name": name, "path": url, "title": text}
    return {"name": "notspecified", "title": text}


def column_docs(table: str) -> dict[str, str]:
    """column -> description, from the dbt docs of the marts (empty when the project files are not there)."""
    docs: dict[str, str] = {}
    for path in sorted((DBT_PROJECT_DIR / "models" / "marts").glob("**/_*.yml")):
        models = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []
        for model in models:
            if model.get("name") == table:
                docs |= {c["name"]: c["description"] for c in model.get("columns") or [] if c.get("description")}
    return docs


def resource_name(file_name: str) -> str:
    """A Data Package resource name (lower case letters, digits, '-', '_', '.') from a file name."""
    return re.sub(r"[^a-z0-9._-]+", "-", Path(file_name).stem.lower()).strip("-.") or "export"


def table_schema(conn, table: str, where: str = "", params: list | None = None) -> dict:
    """Table Schema of a published table as the CSV export writes it."""
    docs = column_docs(table)
    fields = []
    for name, dtype in conn.execute(f"select column_name, column_type from (describe {table})").fetchall():
        field = {"name": name, "type": FIELD_TYPES.get(str(dtype).upper(), "string")}
        if name in docs:
            field["description"] = docs[name]
        if (table, name) in UNITS:
            field["unit"] = UNITS[(table, name)]
        if name == "unit":  # the units the rows carry, checked by the validator
            units = conn.execute(
                f"select distinct unit from (select unit from {table}{where}) where unit is not null order by 1",
                params or [],
            ).fetchall()
            field["constraints"] = {"enum": [u for (u,) in units]}
        fields.append(field)
    schema = {"fields": fields, "missingValues": [""]}
    key = PRIMARY_KEYS.get(table)
    if key:
        schema["primaryKey"] = key
        for field in fields:
            if field["name"] in key:
                field.setdefault("constraints", {})["required"] = True
    return schema


def resource_descriptor(csv_path: Path, schema: dict, metadata: dict) -> dict:
    """The resource of one CSV export, with the licences and sources of its metadata sidecar."""
    licences = [licence(text) for text in dict.fromkeys(metadata["licence"].split("; ")) if text]
    sources = [
        {"title": f"{s['provider']}: {s['title']} ({s['dataset']})", "licence": s["licence"], "rows": s["rows"]}
        for s in metadata.get("sources", [])
    ]
    return {
        "name": resource_name(csv_path.name),
        "path": csv_path.name,
        "profile": "tabular-data-resource",
        "title": metadata["title"],
        "description": (
            f"{metadata['table']} of SPS Monitor published version {metadata['published_version']} "
            f"({metadata['rows']} rows). {metadata['citation']}"
        ),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
        "licenses": licences,
        "sources": sources,
        "schema": schema,
        "sps_published_version": metadata["published_version"],
        "sps_filters": metadata["filters"],
        "sps_generated_at": metadata["generated_at"],
        "sps_metadata": f"{csv_path.name}.metadata.json",
    }


def package_with(out: Path, resource: dict) -> dict:
    """The folder's descriptor with `resource` added or replaced; resources whose file is gone are dropped."""
    path = descriptor_path(out)
    resources = []
    if path.exists():
        check_folder(out)
        existing = json.loads(path.read_text(encoding="utf-8"))
        resources = [
            r
            for r in existing.get("resources", [])
            if r.get("path") != resource["path"] and (out.parent / str(r.get("path"))).is_file()
        ]
    names = {r["name"] for r in resources}
    name, counter = resource["name"], 2
    while name in names:
        name, counter = f"{resource['name']}-{counter}", counter + 1
    resources.append(resource | {"name": name})
    resources.sort(key=lambda r: r["path"])
    licences = {json.dumps(item, sort_keys=True): item for r in resources for item in r["licenses"]}
    sources = {item["title"]: {"title": item["title"]} for r in resources for item in r["sources"]}
    return {
        "name": "sps-monitor-export",
        "title": "SPS Monitor exports (security in public spaces indicators)",
        "description": (
            "Tables of SPS Monitor published versions written by `sps export`, one resource per CSV file. "
            "Each file's metadata sidecar (<file>.metadata.json) lists its sources, licences and filters."
        ),
        "profile": "tabular-data-package",
        "sps_generator": GENERATOR,
        "licenses": list(licences.values()),
        "sources": list(sources.values()),
        "resources": resources,
    }
