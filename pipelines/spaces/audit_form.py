"""The SPS site safety audit as an XLSForm (KoboToolbox, ODK Collect): where and when, who audited, the nine
Safetipin parameters and four CPTED items on a 0-3 scale (seeds/safety_audit_items.csv). No groups, so the
export's columns are the question names `sps audit upload` reads back. `form_version` is a calculated constant
in every submission: the sign that the standard form was used (audits comparable across cities)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from pipelines.spaces.vocabulary import (
    AUDITOR_GROUPS,
    STANDARD_FORM_ID,
    STANDARD_FORM_VERSION,
    TIMES_OF_DAY,
    audit_items,
)

SURVEY_COLUMNS = ("type", "name", "label", "hint", "required", "constraint", "constraint_message", "calculation")
TIME_LABELS = {"day": "Day (daylight)", "after_dark": "After dark"}
GROUP_LABELS = {
    "womens_walk": "Women's safety walk",
    "youth": "Young people",
    "elderly": "Older people",
    "disability": "People with disabilities",
    "mixed": "Mixed group",
    "other": "Other",
}


def form_rows() -> tuple[list[dict], list[dict]]:
    """(survey rows, choices rows) of the form."""
    survey = [
        {
            "type": "text",
            "name": "site_id",
            "label": "Site",
            "hint": "The space_id of the place in the city's open-space inventory, or a short name you use on every "
            "visit (e.g. 'stop Av. del Port 12').",
            "required": "yes",
        },
        {"type": "text", "name": "site_name", "label": "Site name (optional)"},
        {
            "type": "geopoint",
            "name": "location",
            "label": "Location",
            "hint": "Stand at the audited place and record the point.",
            "required": "yes",
        },
        {
            "type": "date",
            "name": "audit_date",
            "label": "Date of the audit",
            "required": "yes",
            "constraint": ". <= today()",
            "constraint_message": "The date cannot be in the future.",
        },
        {"type": "select_one time_of_day", "name": "time_of_day", "label": "Time of day", "required": "yes"},
        {"type": "select_one auditor_group", "name": "auditor_group", "label": "Auditor group", "required": "yes"},
        {
            "type": "note",
            "name": "scale_note",
            "label": "Score each item from 0 (poor) to 3 (good), as you find the place now.",
        },
    ]
    choices = [{"list_name": "time_of_day", "name": t, "label": TIME_LABELS[t]} for t in TIMES_OF_DAY]
    choices += [{"list_name": "auditor_group", "name": g, "label": GROUP_LABELS[g]} for g in AUDITOR_GROUPS]
    for item in audit_items():
        prefix = "CPTED: " if item.group == "cpted" else ""
        survey.append(
            {
                "type": f"select_one score_{item.item}",
                "name": item.item,
                "label": f"{prefix}{item.label}",
                "hint": item.question,
                "required": "yes",
            }
        )
        choices += [
            {"list_name": f"score_{item.item}", "name": str(score), "label": f"{score}: {text}"}
            for score, text in enumerate(item.score_labels)
        ]
    survey += [
        {"type": "text", "name": "comments", "label": "What would make this place safer? (optional)"},
        {"type": "calculate", "name": "form_version", "calculation": f"'{STANDARD_FORM_VERSION}'"},
    ]
    return survey, choices


def write_audit_form(out: Path) -> Path:
    """Write the XLSForm to `out` (.xlsx)."""
    survey, choices = form_rows()
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(list(SURVEY_COLUMNS))
    for row in survey:
        sheet.append([row.get(column, "") for column in SURVEY_COLUMNS])
    sheet = book.create_sheet("choices")
    sheet.append(["list_name", "name", "label"])
    for row in choices:
        sheet.append([row["list_name"], row["name"], row["label"]])
    sheet = book.create_sheet("settings")
    sheet.append(["form_title", "form_id", "version"])
    sheet.append(["SPS site safety audit", STANDARD_FORM_ID, STANDARD_FORM_VERSION])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out
