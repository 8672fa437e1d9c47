"""The SPS core XLSForm: pyxform (the converter KoboToolbox and ODK use) turns it into an XForm with every core
variable, code and language; a form pyxform refuses fails. The translations are complete and never make one label
mean two codes."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook
from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from pipelines.surveys.core import CHOICES, LANGUAGES, VARIABLES
from pipelines.surveys.form import FormError, write_core_form
from pipelines.surveys.labels import LABELS_FILE, catalogue, choice_key, choice_lookup, normalise

XF = "{http://www.w3.org/2002/xforms}"


def _xform(path) -> ET.Element:
    warnings: list[str] = []
    result = convert(xlsform=str(path), warnings=warnings)
    assert warnings == []
    return ET.fromstring(result.xform)


def test_the_core_form_converts_with_pyxform_in_all_eight_languages(tmp_path):
    path = write_core_form(tmp_path / "sps_core_v1.xlsx", None, city="PL013C", districts={"d1": "Stare Miasto"})
    root = _xform(path)
    translations = root.findall(f".//{XF}itext/{XF}translation")
    assert [t.get("lang") for t in translations] == [f"{name} ({code})" for code, name in LANGUAGES.items()]
    instance = root.find(f".//{XF}instance")[0]
    names = {el.tag.removeprefix(XF) for el in instance.iter()}
    for variable in VARIABLES:
        if variable.group is not None or variable.name == "resp_id":
            assert variable.name in names, variable.name
    assert "weight" not in names  # weights are computed after fieldwork, never asked
    assert {"grp_interview", "grp_profile", "grp_safety", "grp_victimisation", "city"} <= names
    # Every choice of every list is in the form, with its code as the value a submission stores.
    lists = {el.get("id"): el for el in root.iter(f"{XF}instance") if el.get("id")}
    for list_name, codes in CHOICES.items():
        assert [el.text for el in lists[list_name].iter(f"{XF}name")] == [str(c) for c in codes], list_name
    assert [el.text for el in lists["district"].iter(f"{XF}name")] == ["d1"]
    # The Polish text of the SDG 16.1.4 question is there, as in labels.csv.
    polish = next(t for t in translations if t.get("lang") == "Polish (pl)")
    texts = {el.text for el in polish.iter(f"{XF}value")}
    assert catalogue()["question.safe_night_area"]["pl"] in texts
    # Skip logic: harassment_place only after a yes; the city is a fixed calculation.
    binds = {b.get("nodeset").rsplit("/", 1)[-1]: b for b in root.iter(f"{XF}bind")}
    assert binds["harassment_place"].get("relevant") == " /data/grp_victimisation/harassment_12m  = '1'"
    assert binds["city"].get("calculate") == "'PL013C'"
    assert binds["age"].get("constraint") == ". >= 15 and . <= 120"


def test_a_subset_of_languages_and_the_sheets(tmp_path):
    path = write_core_form(tmp_path / "f.xlsx", "fr,en")
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    header = next(workbook["survey"].iter_rows(values_only=True))
    assert "label::French (fr)" in header and "label::English (en)" in header
    assert "label::Polish (pl)" not in header
    settings = list(workbook["settings"].iter_rows(values_only=True))
    assert dict(zip(settings[0], settings[1], strict=True))["form_id"] == "sps_core_v1"
    root = _xform(path)
    assert len(root.findall(f".//{XF}itext/{XF}translation")) == 2


def test_pyxform_refusing_a_broken_form_fails(tmp_path):
    """The conversion is a real check: the same workbook with a select_one pointing at a missing list is refused."""
    path = write_core_form(tmp_path / "f.xlsx", "en")
    workbook = load_workbook(path)
    survey = workbook["survey"]
    for row in survey.iter_rows(min_row=2):
        if row[0].value == "select_one safe_area":
            row[0].value = "select_one no_such_list"
    broken = tmp_path / "broken.xlsx"
    workbook.save(broken)
    with pytest.raises(PyXFormError):
        convert(xlsform=str(broken))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"langs": "en,de"}, "unknown language(s) de"),
        ({"city": "Torun"}, "not an Urban Audit city code"),
        ({"districts": {"Stare Miasto": "x"}}, "district code 'Stare Miasto'"),
    ],
)
def test_bad_form_options_say_what_to_do(tmp_path, kwargs, message):
    with pytest.raises(FormError, match=message.replace("(", r"\(").replace(")", r"\)")):
        write_core_form(tmp_path / "f.xlsx", **kwargs)
    assert not (tmp_path / "f.xlsx").exists()


def test_an_xlsform_must_be_xlsx(tmp_path):
    with pytest.raises(FormError, match=r"\.xlsx"):
        write_core_form(tmp_path / "f.csv")


def test_every_text_is_translated_in_every_language():
    with open(LABELS_FILE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0]) == ["key", *LANGUAGES]
    empty = [(row["key"], lang) for row in rows for lang in LANGUAGES if not row[lang].strip()]
    assert empty == []
    keys = {row["key"] for row in rows}
    needed = {choice_key(list_name, code) for list_name, codes in CHOICES.items() for code in codes}
    needed |= {f"question.{v.name}" for v in VARIABLES if v.group}
    assert needed <= keys, needed - keys


def test_no_label_means_two_codes_in_one_list():
    """Exports with labels are read back through these texts: within a list, a text in any language must point to
    one code only (English 'No' and Spanish 'No' are both code 2)."""
    for list_name, codes in CHOICES.items():
        seen: dict[str, int] = {}
        for code in codes:
            for lang in LANGUAGES:
                label = normalise(catalogue()[choice_key(list_name, code)][lang])
                assert seen.setdefault(label, code) == code, (list_name, label, seen[label], code)
        assert choice_lookup(list_name)["très en sécurité" if list_name.startswith("safe_") else str(codes[0])] == 1
