"""City targets (issue 19): a city states, per indicator, the value it aims for, by which year and from which
baseline year. They come through the same door as the city's values (`sps upload`, the Upload page, the drop
folder; same token, same report, same inbox and quarantine) as a small sheet of their own, recognised by its
`target_value` column (docs/adr/0020-city-targets-as-their-own-sheet.md):

    indicator_code, geo_code, target_value, target_year, baseline_year, unit, source, note

seeds/upload_target_columns.csv is the single source of truth of those columns. An accepted sheet is stored in
the inbox like any submission; its rows carry `row_type = target` and `baseline_year`, so the warehouse keeps
them out of the observations (stg_city__targets reads them, city_progress uses them).

A target sheet has a few dozen rows at most, so its rules run row by row in plain Python rather than as the
Great Expectations suite and SQL of the values path (built for million-row files): every rule here needs
several columns of the same row, and the messages stay next to the rules they explain.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from pipelines.settings import SEEDS_DIR
from pipelines.shared.i18n import N_
from pipelines.uploads.formats import TemplateColumn
from pipelines.uploads.parse import Table
from pipelines.uploads.problems import Problem, error, warning
from pipelines.uploads.validate import NUMBER, Catalogue

FORMAT = "sps_targets"
ROW_TYPE = "target"
YEAR = re.compile(r"^[0-9]{4}$")
LAST_TARGET_YEAR = 2100


def target_columns() -> list[TemplateColumn]:
    with open(SEEDS_DIR / "upload_target_columns.csv", newline="", encoding="utf-8") as fh:
        return [
            TemplateColumn(r["column_name"], r["is_required"] == "true", r["data_type"], r["description"], r["example"])
            for r in csv.DictReader(fh)
        ]


def is_target_sheet(header: list[str]) -> bool:
    return "target_value" in header


def write_target_template(out: Path) -> None:
    """The target sheet: CSV with the header and one example row, or XLSX with a data dictionary."""
    columns = target_columns()
    if out.suffix.lower() == ".csv":
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.name for c in columns])
            writer.writerow([c.example for c in columns])
        return
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "targets"
    sheet.append([c.name for c in columns])
    sheet.append([c.example for c in columns])
    dictionary = workbook.create_sheet("data dictionary")
    dictionary.append(["column", "required", "type", "description", "example"])
    for c in columns:
        dictionary.append([c.name, "yes" if c.is_required else "no", c.data_type, c.description, c.example])
    workbook.save(out)


def _number(text: str, comma_decimal: bool) -> float | None:
    cleaned = text.replace("\u00a0", "").replace(" ", "")
    if not NUMBER.match(cleaned) or ("," in cleaned and not comma_decimal):
        return None
    try:
        value = float(cleaned.replace(",", "."))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def check_targets(
    table: Table, city: str, catalogue: Catalogue, comma_decimal: bool, today: dt.date | None = None
) -> tuple[list[dict], list[Problem]]:
    """Every problem of a target sheet at once, and its rows ready for the inbox (in the catalogue's unit)."""
    this_year = (today or dt.date.today()).year
    columns = target_columns()
    known = {c.name for c in columns}
    problems = [
        error(
            "unknown_column",
            N_("Column '{name}' is not in the target sheet; remove or rename it (target sheet columns: {columns})."),
            row=1,
            column=name,
            value=name,
            name=name,
            columns=", ".join(c.name for c in columns),
        )
        for name in table.header
        if name not in known
    ]
    missing = [c for c in columns if c.is_required and c.name not in table.header]
    problems += [
        error(
            "missing_column",
            N_("The required column '{name}' is missing; add it ({description})."),
            1,
            c.name,
            name=c.name,
            description=c.description,
        )
        for c in missing
    ]
    if missing or table.body is None:
        return [], problems
    cells = {
        name: table.body[f"c{table.header.index(name)}"].to_pylist() if name in table.header else None for name in known
    }
    rows: list[dict] = []
    seen: dict[tuple[str, str], int] = {}
    for index, line in enumerate(table.body["source_row"].to_pylist()):
        raw = {name: (values[index] or "").strip() if values is not None else "" for name, values in cells.items()}
        row_problems: list[Problem] = []
        indicator, geo = raw["indicator_code"], raw["geo_code"] or city
        if not indicator:
            row_problems.append(
                error(
                    "required",
                    N_("'indicator_code' is empty. Give the indicator of every target."),
                    line,
                    "indicator_code",
                )
            )
        elif indicator.startswith("local:"):
            row_problems.append(
                error(
                    "target_local",
                    N_("Local indicators have no targets here; set targets for catalogue indicators."),
                    line,
                    "indicator_code",
                    indicator,
                )
            )
        elif indicator not in catalogue.units:
            row_problems.append(
                error(
                    "unknown_indicator",
                    N_(
                        "This indicator code is not in the catalogue; use a code from the template's 'indicators' "
                        "sheet."
                    ),
                    line,
                    "indicator_code",
                    indicator,
                )
            )
        if geo != city and not geo.startswith(f"{city}:"):
            row_problems.append(
                error(
                    "wrong_city",
                    N_(
                        "This target is for {area}, but you upload for {city}: a city sets targets only for its own "
                        "area ({city}, or {city}:district)."
                    ),
                    line,
                    "geo_code",
                    geo,
                    area=geo,
                    city=city,
                )
            )
        years = {}
        for name in ("baseline_year", "target_year"):
            text = raw[name]
            if not text and name == "baseline_year":
                row_problems.append(
                    error(
                        "required",
                        N_("'baseline_year' is empty. Give the baseline year as four digits, e.g. 2019."),
                        line,
                        name,
                    )
                )
            elif not text:
                row_problems.append(
                    error(
                        "required",
                        N_("'target_year' is empty. Give the target year as four digits, e.g. 2019."),
                        line,
                        name,
                    )
                )
            elif not YEAR.match(text) and name == "baseline_year":
                row_problems.append(
                    error("year", N_("The baseline year must be a year of four digits, e.g. 2030."), line, name, text)
                )
            elif not YEAR.match(text):
                row_problems.append(
                    error("year", N_("The target year must be a year of four digits, e.g. 2030."), line, name, text)
                )
            else:
                years[name] = int(text)
        if "baseline_year" in years and years["baseline_year"] > this_year:
            row_problems.append(
                error(
                    "future_baseline",
                    N_("The baseline year {year} is in the future; progress is measured from a year with data."),
                    line,
                    "baseline_year",
                    raw["baseline_year"],
                    year=years["baseline_year"],
                )
            )
        if len(years) == 2 and years["target_year"] <= years["baseline_year"]:
            row_problems.append(
                error(
                    "target_year",
                    N_("The target year must come after the baseline year."),
                    line,
                    "target_year",
                    raw["target_year"],
                )
            )
        if "target_year" in years and years["target_year"] > LAST_TARGET_YEAR:
            row_problems.append(
                error(
                    "target_year",
                    N_("A target year after {year} cannot be assessed."),
                    line,
                    "target_year",
                    raw["target_year"],
                    year=LAST_TARGET_YEAR,
                )
            )
        value = _number(raw["target_value"], comma_decimal)
        if not raw["target_value"]:
            row_problems.append(
                error(
                    "required", N_("'target_value' is empty. Give the value the city aims for."), line, "target_value"
                )
            )
        elif value is None:
            row_problems.append(
                error(
                    "not_a_number",
                    N_(
                        "'{name}' must be a plain number (no %, no text, no thousands separator). Use a point as "
                        "decimal separator."
                    )
                    if "," in raw["target_value"] and not comma_decimal
                    else N_("'{name}' must be a plain number (no %, no text, no thousands separator)."),
                    line,
                    "target_value",
                    raw["target_value"],
                    name="target_value",
                )
            )
        factor, unit = 1.0, catalogue.units.get(indicator)
        if unit and raw["unit"] and raw["unit"] != unit:
            alias = catalogue.aliases.get(raw["unit"].lower())
            if alias is None or alias[0] != catalogue.kind(indicator):
                row_problems.append(
                    error(
                        "unit",
                        N_("The unit '{unit}' does not match {indicator}, whose unit is '{catalogue_unit}'."),
                        line,
                        "unit",
                        raw["unit"],
                        unit=raw["unit"],
                        indicator=indicator,
                        catalogue_unit=unit,
                    )
                )
            elif alias[1] != 1:
                factor = alias[1]
                row_problems.append(
                    warning(
                        "unit_converted",
                        N_("Converted from '{unit}' to '{catalogue_unit}' (multiplied by {factor})."),
                        line,
                        "unit",
                        raw["unit"],
                        unit=raw["unit"],
                        catalogue_unit=unit,
                        factor=f"{factor:g}",
                    )
                )
        if value is not None and unit:
            converted = value * factor
            kind = catalogue.kind(indicator)
            if kind == "percent" and not 0 <= converted <= 100:
                row_problems.append(
                    error(
                        "range",
                        N_("A percentage target must be between 0 and 100."),
                        line,
                        "target_value",
                        raw["target_value"],
                    )
                )
            if kind == "per_100k" and converted < 0:
                row_problems.append(
                    error("range", N_("A rate target cannot be negative."), line, "target_value", raw["target_value"])
                )
        key = (indicator, geo)
        if indicator and key in seen:
            row_problems.append(
                error(
                    "duplicate_key",
                    N_(
                        "{indicator} for {area} already has a target on line {line}; keep one target per indicator and "
                        "area."
                    ),
                    line,
                    "indicator_code",
                    indicator,
                    indicator=indicator,
                    area=geo,
                    line=seen[key],
                )
            )
        seen.setdefault(key, line)
        problems += row_problems
        if any(p.severity == "error" for p in row_problems):
            continue
        rows.append(
            {
                "source_row": line,
                "indicator_code": indicator,
                "geo_code": geo,
                "parent_geo_code": city if geo != city else "",
                "period": str(years["target_year"]),
                "value": repr(value * factor),
                "unit": unit,
                "source": raw["source"],
                "note": raw["note"],
                "row_type": ROW_TYPE,
                "baseline_year": str(years["baseline_year"]),
            }
        )
    if not rows and not problems:
        problems.append(error("empty", N_("The target sheet has no rows; add one row per indicator with a target."), 1))
    problems.sort(key=lambda p: (p.severity != "error", p.row or 0, p.column or ""))
    return rows, problems
