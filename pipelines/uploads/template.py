"""The SPS upload template, generated from the seeds (the single source of truth): CSV with the header and
one example row, or XLSX with a data-dictionary sheet and the indicator catalogue."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.settings import SEEDS_DIR
from pipelines.uploads.formats import template_columns


def write_template(out: Path) -> None:
    columns = template_columns()
    if out.suffix.lower() == ".csv":
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.name for c in columns])
            writer.writerow([c.example for c in columns])
        return
    from openpyxl import Workbook

    workbook = Workbook()
    data = workbook.active
    data.title = "data"
    data.append([c.name for c in columns])
    data.append([c.example for c in columns])
    dictionary = workbook.create_sheet("data dictionary")
    dictionary.append(["column", "required", "type", "description", "example"])
    for c in columns:
        dictionary.append([c.name, "yes" if c.is_required else "no", c.data_type, c.description, c.example])
    catalogue = workbook.create_sheet("indicators")
    with open(SEEDS_DIR / "indicators.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        catalogue.append(["indicator_code", "name", "unit", "sdg_targets", "definition"])
        for row in reader:
            catalogue.append([row["indicator_code"], row["name"], row["unit"], row["sdg_targets"], row["definition"]])
    workbook.save(out)
