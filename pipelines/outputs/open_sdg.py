"""Observations as an Open SDG data folder, laid out as cities keep their Open SDG data repositories (Barcelona,
València, Bristol: `data/indicator_16-1-4.csv`), so a city can copy the folders into its own repository:

    data/indicator_<SDG id>.csv          Year, [Series], [Source], [Sex], [Age], [Comparability group],
                                         breakdown columns, Units, GeoCode, Value (empty disaggregation = total)
    data/indicator_<SDG id>.mapping.yml  how `sps upload` reads the file back into SPS Monitor
    indicator-config/<SDG id>.yml        Open SDG page settings (number, name, units, sources, footnote)
    meta/<SDG id>.yml                    SDG metadata (concepts of the SDG metadata structure)

Files are keyed by SDG indicator id, from the catalogue's `sdg_targets`: the first full indicator listed
(`11.7;16.1.4 (proxy)` -> 16-1-4). Our indicators that share an id share its file and are told apart by the
`Series` column (Open SDG's own series selector), labelled with their names. An indicator the catalogue links to
a target only (`16.1 (context)`) goes to `<goal>-<target>-x` (16-1-x), an id of the national-indicator kind, said
to be no global SDG indicator in its metadata; one with no SDG link at all is left out and listed.

Pure functions: they return the folder's files as {relative path: text}; exports.py reads the published version
and writes them atomically.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import yaml

from pipelines.shared.cells import neutralise_cell

TARGET_LEVEL_SUFFIX = "x"  # 16.1 (context) -> 16-1-x: never the number of a global SDG indicator
# Columns with a meaning of their own in an Open SDG file (or written by this module): a breakdown key with one
# of these names gets " (breakdown)" appended so it never takes that meaning.
RENAMED_SUFFIX = " (breakdown)"
RESERVED = {
    "Year",
    "Value",
    "Units",
    "Unit multiplier",
    "Unit measure",
    "GeoCode",
    "Observation status",
    "Series",
    "Sex",
    "Age",
    "Source",
    "Comparability group",
}
SDG_LINK = re.compile(r"(\d{1,2})\.([0-9a-z]{1,2})(?:\.(\d{1,2}))?")


@dataclass(frozen=True)
class Observation:
    indicator_code: str
    geo_code: str
    period: str
    sex: str | None
    age_group: str | None
    breakdown: str | None
    value: float
    unit: str
    source_dataset: str
    comparability_group: str


@dataclass(frozen=True)
class IndicatorInfo:
    code: str
    name: str
    unit: str
    definition: str
    sdg_targets: str
    caveat: str | None = None


@dataclass
class OpenSdgFolder:
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text
    data_files: list[str] = field(default_factory=list)  # data/indicator_<id>.csv, in order
    left_out: dict[str, str] = field(default_factory=dict)  # indicator code -> why


def open_sdg_id(sdg_targets: str | None) -> str | None:
    """The Open SDG indicator id of a catalogue entry: its first full SDG indicator ('16.1.4 (proxy)' ->
    '16-1-4'), else its first target with the suffix x ('16.1 (context)' -> '16-1-x'), else None."""
    links = [SDG_LINK.fullmatch(item.strip().split(" ")[0]) for item in (sdg_targets or "").split(";")]
    links = [m for m in links if m]
    full = [m for m in links if m.group(3)]
    if full:
        return "-".join(full[0].groups())
    if links:
        return f"{links[0].group(1)}-{links[0].group(2)}-{TARGET_LEVEL_SUFFIX}"
    return None


def split_breakdown(text: str | None) -> dict[str, str]:
    """'Ethnicity=White; Region=London' -> {'Ethnicity': 'White', 'Region': 'London'}; a key that is an Open SDG
    column name gets ' (breakdown)' appended."""
    parts: dict[str, str] = {}
    for item in (text or "").split("; "):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key if sep else "Breakdown"
        value = value if sep else item
        if key in RESERVED:
            key = f"{key}{RENAMED_SUFFIX}"
        parts[key] = value
    return parts


def geo_code_cell(geo_code: str, city: str | None) -> str:
    """GeoCode of a row: empty for the city the export is for (its headline), the district part for its
    areas (UK011C:E05010887 -> E05010887), else the geography code."""
    if city is None:
        return geo_code
    if geo_code == city:
        return ""
    if geo_code.startswith(f"{city}:"):
        return geo_code.split(":", 1)[1]
    return geo_code


def plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def series_labels(codes: list[str], indicators: dict[str, IndicatorInfo]) -> dict[str, str]:
    """indicator code -> Series label (its name; the code is added should two names be equal)."""
    names = [indicators[c].name for c in codes]
    return {c: (n if names.count(n) == 1 else f"{n} ({c})") for c, n in zip(codes, names, strict=True)}


def build_folder(
    rows: list[Observation],
    indicators: dict[str, IndicatorInfo],
    sources: dict[str, dict],
    city: str | None,
    version: str,
    published_at: str,
) -> OpenSdgFolder:
    """The Open SDG folder of `rows` (one published version's observations, in export order)."""
    folder = OpenSdgFolder()
    by_id: dict[str, list[Observation]] = {}
    for row in rows:
        sdg_id = open_sdg_id(indicators[row.indicator_code].sdg_targets)
        if sdg_id is None:
            folder.left_out[row.indicator_code] = "no SDG indicator or target in the catalogue (sdg_targets)"
            continue
        by_id.setdefault(sdg_id, []).append(row)
    for sdg_id in sorted(by_id, key=sort_key):
        items = by_id[sdg_id]
        codes = list(dict.fromkeys(r.indicator_code for r in items))
        labels = series_labels(codes, indicators)
        stem = f"indicator_{sdg_id}"
        header, text = data_csv(items, labels, city)
        folder.files[f"data/{stem}.csv"] = text
        folder.files[f"data/{stem}.mapping.yml"] = mapping_yaml(stem, header, items, labels, version)
        folder.files[f"indicator-config/{sdg_id}.yml"] = config_yaml(sdg_id, codes, items, indicators, sources)
        folder.files[f"meta/{sdg_id}.yml"] = meta_yaml(sdg_id, codes, items, indicators, sources, published_at)
        folder.data_files.append(f"data/{stem}.csv")
    return folder


def sort_key(sdg_id: str) -> tuple:
    """16-1-4 before 16-1-x before 16-10-1: numbers as numbers, letters after them."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in sdg_id.split("-"))


def data_csv(items: list[Observation], labels: dict[str, str], city: str | None) -> tuple[list[str], str]:
    sources = sorted({r.source_dataset for r in items})
    breakdowns = [split_breakdown(r.breakdown) for r in items]
    keys = sorted({k for b in breakdowns for k in b})
    header = ["Year"]
    header += ["Series"] if len(labels) > 1 else []
    header += ["Source"] if len(sources) > 1 else []
    header += ["Sex"] if any(r.sex for r in items) else []
    header += ["Age"] if any(r.age_group for r in items) else []
    cells = {(r.indicator_code, r.geo_code, r.period, r.sex, r.age_group, r.breakdown, r.source_dataset) for r in items}
    header += [] if len(cells) == len(items) else ["Comparability group"]
    header += keys + ["Units", "GeoCode", "Value"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for r, extra in zip(items, breakdowns, strict=True):
        values = {
            "Year": r.period,
            "Series": labels[r.indicator_code],
            "Source": r.source_dataset,
            "Sex": r.sex or "",
            "Age": r.age_group or "",
            "Comparability group": r.comparability_group,
            "Units": r.unit or "",
            "GeoCode": geo_code_cell(r.geo_code, city),
            "Value": plain_number(r.value),
            **extra,
        }
        writer.writerow([neutralise_cell(values.get(name, "")) for name in header])
    return header, buffer.getvalue()


def mapping_yaml(stem: str, header: list[str], items: list[Observation], labels: dict[str, str], version: str) -> str:
    """The `sps upload --mapping` file that reads the CSV back (pipelines/uploads/formats.py)."""
    mapping: dict = {}
    columns = {"Series": "indicator", "Sex": "sex", "Age": "age_group", "Source": "source"}
    if "Series" not in header:
        mapping["indicator"] = items[0].indicator_code
    if "Source" not in header:
        mapping["source"] = f"SPS Monitor published version {version} ({items[0].source_dataset})"
    mapping["columns"] = {name: target for name, target in columns.items() if name in header}
    for name in header:  # a breakdown renamed so it keeps no Open SDG meaning reads back under its own name
        if name.endswith(RENAMED_SUFFIX):
            mapping["columns"][name] = f"breakdown:{name.removesuffix(RENAMED_SUFFIX)}"
    if "Series" in header:
        mapping["values"] = {"Series": {label: code for code, label in labels.items()}}
    if not mapping["columns"]:
        del mapping["columns"]
    return (
        f"# Upload this file back with: sps upload {stem}.csv --city CITY --mapping {stem}.mapping.yml\n"
        + yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True)
    )


def _number(sdg_id: str) -> str:
    return sdg_id.replace("-", ".")


def _source_fields(datasets: list[str], sources: dict[str, dict]) -> dict:
    fields: dict = {}
    for n, dataset in enumerate(datasets, start=1):
        info = sources.get(dataset, {})
        fields |= {
            f"source_active_{n}": True,
            f"source_organisation_{n}": info.get("provider", "unknown"),
            f"source_url_text_{n}": f"{info.get('title', dataset)} ({dataset})",
            f"source_other_info_{n}": f"Licence: {info.get('licence', 'unknown')}",
        }
    return fields


def config_yaml(
    sdg_id: str,
    codes: list[str],
    items: list[Observation],
    indicators: dict[str, IndicatorInfo],
    sources: dict[str, dict],
) -> str:
    """Open SDG indicator configuration (indicator-config/<id>.yml)."""
    goal, target, number = sdg_id.split("-")
    is_global = number != TARGET_LEVEL_SUFFIX
    names = [indicators[c].name for c in codes]
    name = (
        f"global_indicators.{sdg_id}-title"  # the UN title, translated by the Open SDG site
        if is_global
        else f"Context for SDG target {goal}.{target} (not a global SDG indicator): {'; '.join(names)}"
    )
    caveats = [f"{indicators[c].name}: {indicators[c].caveat}" for c in codes if indicators[c].caveat]
    config = {
        "indicator_number": _number(sdg_id),
        "indicator_name": name,
        "graph_title": names[0]
        if len(names) == 1
        else name
        if is_global
        else f"Context for SDG target {goal}.{target}",
        "graph_type": "line",
        "sdg_goal": goal,
        "target_id": f"{goal}.{target}",
        "reporting_status": "complete",
        "data_non_statistical": False,
        "data_show_map": False,
        "computation_units": "; ".join(dict.fromkeys(r.unit for r in items)),
        "national_geographical_coverage": geography_coverage(items),
        "data_footnote": " ".join(caveats),
        **({} if is_global else {"indicator_sort_order": f"{int(goal):02d}-{target:0>2}-zz", "tags": ["SPS Monitor"]}),
        **_source_fields(sorted({r.source_dataset for r in items}), sources),
    }
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=120)


def geography_coverage(items: list[Observation]) -> str:
    codes = sorted({r.geo_code.split(":")[0] for r in items})
    return ", ".join(codes) if len(codes) <= 5 else f"{len(codes)} areas (cities, regions and countries)"


def meta_yaml(
    sdg_id: str,
    codes: list[str],
    items: list[Observation],
    indicators: dict[str, IndicatorInfo],
    sources: dict[str, dict],
    published_at: str,
) -> str:
    """SDG metadata (meta/<id>.yml), in the concepts of the SDG metadata structure Open SDG sites use."""
    goal, target, number = sdg_id.split("-")
    datasets = sorted({r.source_dataset for r in items})
    meta = {
        "SDG_GOAL": goal,
        "SDG_TARGET": f"{goal}.{target}",
        "SDG_INDICATOR": _number(sdg_id) if number != TARGET_LEVEL_SUFFIX else "",
        "SDG_SERIES_DESCR": "; ".join(f"{indicators[c].name} ({c})" for c in codes),
        "META_LAST_UPDATE": str(published_at)[:10],
        "STAT_CONC_DEF": " ".join(f"{indicators[c].name}: {indicators[c].definition}" for c in codes),
        "UNIT_MEASURE": "; ".join(dict.fromkeys(indicators[c].unit for c in codes)),
        "DATA_SOURCE": "; ".join(f"{sources.get(d, {}).get('provider', 'unknown')} ({d})" for d in datasets),
        "COMPILING_ORG": "SPS Monitor (EU Urban Agenda partnership on Security in Public Spaces)",
        "COMPARABILITY": " ".join(
            f"{indicators[c].name}: {indicators[c].caveat}" for c in codes if indicators[c].caveat
        ),
        "REC_USE_LIM": "; ".join(f"{d}: {sources.get(d, {}).get('licence', 'unknown')}" for d in datasets),
    }
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=120)
