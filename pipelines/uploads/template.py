"""The SPS upload template, generated from the seeds (the single source of truth): CSV with the header and
one example row, or XLSX with the data dictionary (every column; every indicator with the unit it takes, the other
spellings read, and the codes its breakdowns accept) and the indicator catalogue."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.settings import SEEDS_DIR
from pipelines.uploads.formats import template_columns
from pipelines.uploads.validate import PERIOD_EXAMPLES, Catalogue, unit_key

SEX_ACCEPTED = "female, male, or empty for both sexes"


def _indicator_rows() -> list[dict]:
    with open(SEEDS_DIR / "indicators.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def sex_synonyms_text(catalogue: Catalogue) -> str:
    """'F, M, _T, total, women, men, ... (read with a warning)' from seeds/upload_value_synonyms.csv."""
    return ", ".join(catalogue.synonyms.get("sex", {}))


def indicator_dictionary(catalogue: Catalogue | None = None) -> list[dict]:
    """One row per catalogue indicator: the unit a value must be in, the other spellings read as that unit (with a
    warning naming the conversion), the units converted to it, and the codes `sex` and `period` accept."""
    catalogue = catalogue or Catalogue.load()
    rows = []
    for row in _indicator_rows():
        code, unit = row["indicator_code"], row["unit"]
        kind = catalogue.kind(code)
        same = [t for t, (k, f) in catalogue.aliases.items() if k == kind and f == 1 and kind]
        silent = [unit] + [t for t in same if t in catalogue.standard and t != unit_key(unit)]
        warned = [t for t in same if t not in catalogue.standard and t != unit_key(unit)]
        converted = [f"{t} (x{f:g})" for t, (k, f) in catalogue.aliases.items() if k == kind and f != 1 and kind]
        rows.append(
            {
                "indicator_code": code,
                "name": row["name"],
                "unit": unit,
                "unit also written as": "; ".join(silent[1:]),
                "unit read with a warning": "; ".join(warned),
                "unit converted with a warning": "; ".join(converted),
                "sex": SEX_ACCEPTED,
                "period": PERIOD_EXAMPLES,
                "sdg_targets": row["sdg_targets"],
            }
        )
    return rows


def column_dictionary(catalogue: Catalogue | None = None) -> list[dict]:
    """One row per template column: required or not, type, what it holds (with the values it accepts)."""
    catalogue = catalogue or Catalogue.load()
    rows = []
    for c in template_columns():
        description = c.description
        if c.name == "sex":
            description += f". Also read, with a warning naming the conversion: {sex_synonyms_text(catalogue)}"
        if c.name == "unit":
            description += ". The indicators sheet gives each indicator's unit and the other spellings read"
        rows.append(
            {
                "column": c.name,
                "required": "yes" if c.is_required else "no",
                "type": c.data_type,
                "description": description,
                "example": c.example,
            }
        )
    return rows


def write_template(out: Path) -> None:
    columns = template_columns()
    if out.suffix.lower() == ".csv":
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.name for c in columns])
            writer.writerow([c.example for c in columns])
        return
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    catalogue = Catalogue.load()
    workbook = Workbook()
    data = workbook.active
    data.title = "data"
    data.append([c.name for c in columns])
    data.append([c.example for c in columns])
    for title, rows in (
        ("data dictionary", column_dictionary(catalogue)),
        ("indicators", indicator_dictionary(catalogue)),
    ):
        sheet = workbook.create_sheet(title)
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append(list(row.values()))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            width = min(60, max(len(str(cell.value or "")) for cell in column) + 2)
            sheet.column_dimensions[column[0].column_letter].width = width
            for cell in column[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    definitions = workbook.create_sheet("definitions")
    definitions.append(["indicator_code", "name", "unit", "sdg_targets", "definition"])
    for row in _indicator_rows():
        definitions.append([row["indicator_code"], row["name"], row["unit"], row["sdg_targets"], row["definition"]])
    workbook.save(out)
