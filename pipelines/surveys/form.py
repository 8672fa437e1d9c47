"""The SPS core module as an XLSForm (survey / choices / settings sheets) that KoboToolbox and ODK Collect load as
is. Texts come from labels.csv, codes and names from core.py; tests convert the file with pyxform, the converter
both tools use."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.errors import SpsError
from pipelines.surveys.core import AGE_MAX, AGE_MIN, CHOICES, LANGUAGES, MODULE, VARIABLES
from pipelines.surveys.labels import choice_key, language_column, text

FORM_VERSION = "1.0"
DISTRICT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
CITY_CODE = re.compile(r"^[A-Z]{2}[0-9]{3}[A-Z0-9]$")


class FormError(SpsError):
    pass


def parse_languages(value: str | list[str] | None) -> list[str]:
    """`en,fr` or a list -> known language codes, in the order given; all eight when empty."""
    if not value:
        return list(LANGUAGES)
    codes = [c.strip().lower() for c in (value.split(",") if isinstance(value, str) else value) if c.strip()]
    unknown = [c for c in codes if c not in LANGUAGES]
    if unknown or not codes:
        raise FormError(
            f"unknown language(s) {', '.join(unknown) or '(none)'}; "
            f"use any of {', '.join(LANGUAGES)} (e.g. --lang en,fr)."
        )
    return list(dict.fromkeys(codes))


def form_sheets(
    langs: list[str], city: str | None = None, districts: dict[str, str] | None = None
) -> dict[str, list[list]]:
    """The three sheets as rows (the first row is the header)."""
    if city is not None and not CITY_CODE.match(city):
        raise FormError(f"'{city}' is not an Urban Audit city code like PL013C.")
    for code in districts or {}:
        if not DISTRICT_CODE.match(str(code)):
            raise FormError(f"district code '{code}': use letters, digits, '-' or '_' only (at most 40).")
    label_cols = [language_column("label", lang) for lang in langs]
    hint_cols = [language_column("hint", lang) for lang in langs]
    message_cols = [language_column("constraint_message", lang) for lang in langs]
    header = ["type", "name", *label_cols, *hint_cols, "required", "relevant", "constraint", *message_cols]
    header += ["calculation", "appearance"]

    def row(kind, name, key=None, hint=None, required="", relevant="", constraint="", message=None, calc=""):
        labels = [text(key, lang) if key else "" for lang in langs]
        hints = [text(hint, lang) if hint else "" for lang in langs]
        messages = [text(message, lang) if message else "" for lang in langs]
        return [kind, name, *labels, *hints, required, relevant, constraint, *messages, calc, ""]

    survey = [header, row("start", "start"), row("end", "end"), row("calculate", "resp_id", calc="once(uuid())")]
    if city:
        survey.append(row("calculate", "city", calc=f"'{city}'"))
    survey.append(row("note", "intro", "note.intro"))
    group = None
    for variable in VARIABLES:
        if variable.group is None:
            continue
        if variable.group != group:
            if group is not None:
                survey.append(row("end_group", ""))
            group = variable.group
            survey.append(row("begin_group", group, f"group.{group}"))
            if group == "grp_victimisation":
                survey.append(row("note", "sensitive", "note.sensitive"))
        key = f"question.{variable.name}"
        if variable.kind == "design_text":
            survey.append(row("text", variable.name, key, hint=f"hint.{variable.name}"))
        elif variable.name == "age":
            survey.append(
                row(
                    "integer",
                    "age",
                    key,
                    required="yes",
                    constraint=f". >= {AGE_MIN} and . <= {AGE_MAX}",
                    message="constraint.age",
                )
            )
        elif variable.name == "district":
            if districts:
                survey.append(row("select_one district", "district", key, required="yes"))
            else:
                survey.append(row("text", "district", key))
        else:
            survey.append(
                row(f"select_one {variable.choices}", variable.name, key, required="yes", relevant=variable.relevant)
            )
    survey.append(row("end_group", ""))

    choices = [["list_name", "name", *label_cols]]
    for list_name, codes in CHOICES.items():
        for code in codes:
            choices.append([list_name, str(code), *(text(choice_key(list_name, code), lang) for lang in langs)])
    for code, name in (districts or {}).items():
        choices.append(["district", str(code), *([str(name)] * len(langs))])

    default = language_column("label", "en" if "en" in langs else langs[0]).split("::", 1)[1]
    settings = [
        ["form_title", "form_id", "version", "default_language"],
        [text("form.title", "en" if "en" in langs else langs[0]), MODULE, FORM_VERSION, default],
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


def write_core_form(
    out: str | Path,
    langs: str | list[str] | None = None,
    city: str | None = None,
    districts: dict[str, str] | None = None,
) -> Path:
    """Write the XLSForm to `out` (.xlsx). `langs`: language codes (all eight by default); `city`: the Urban Audit
    code stored in every interview (an upload for another city is refused); `districts`: code -> name, asked as a
    list (otherwise district is free text)."""
    from openpyxl import Workbook

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise FormError(f"{out}: an XLSForm is an .xlsx workbook; give a file name ending in .xlsx.")
    sheets = form_sheets(parse_languages(langs), city, districts)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for values in rows:
            sheet.append(values)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    workbook.save(tmp)
    tmp.replace(out)
    return out
