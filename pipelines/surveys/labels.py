"""The form's texts in the partnership's languages, from one data file (`labels.csv`: a key column and one column per
language code). The file is shaped like a translation catalogue (message id + one text per locale), so it can join
the project's Babel glossary as is. The same texts read Kobo / ODK exports written with labels instead of codes."""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from pathlib import Path

from pipelines.surveys.core import CHOICES, DONT_KNOW, LANGUAGES, REFUSED, VARIABLES

LABELS_FILE = Path(__file__).with_name("labels.csv")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """key -> {language code -> text}."""
    with open(LABELS_FILE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {row["key"]: {lang: row[lang] for lang in LANGUAGES} for row in rows}


def text(key: str, lang: str) -> str:
    return catalogue()[key][lang]


def choice_key(list_name: str, code: int) -> str:
    """The catalogue key of one answer: shared answers (yes, no, don't know, refused, the four safety levels) have
    one key, so a translation is written once."""
    if code == DONT_KNOW:
        return "choice.dont_know"
    if code == REFUSED:
        return "choice.refused"
    if list_name == "yes_no":
        return {1: "choice.yes", 2: "choice.no"}[code]
    if list_name in ("safe_area", "safe_place", "safe_transport") and code <= 4:
        return f"choice.safety.{code}"
    return f"choice.{list_name}.{code}"


def language_column(prefix: str, lang: str) -> str:
    """The XLSForm column of one language: label::English (en)."""
    return f"{prefix}::{LANGUAGES[lang]} ({lang})"


_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def normalise(value: str) -> str:
    """How answer and header texts are compared: Unicode NFC, lower-cased, quotes unified, spaces collapsed."""
    value = unicodedata.normalize("NFC", value).translate(_QUOTES)
    return _SPACE.sub(" ", value).strip().lower()


@cache
def choice_lookup(list_name: str) -> dict[str, int]:
    """Every way an export may write an answer of this list -> its code: the code itself and its label in each
    language (tests/unit/test_survey_form.py checks that no text means two codes)."""
    lookup: dict[str, int] = {}
    for code in CHOICES[list_name]:
        lookup[str(code)] = code
        for lang in LANGUAGES:
            lookup[normalise(text(choice_key(list_name, code), lang))] = code
    return lookup


@cache
def question_lookup() -> dict[str, str]:
    """A question's label in any language -> its variable name (exports 'with labels' as column headers)."""
    lookup: dict[str, str] = {}
    keys = catalogue()
    for variable in VARIABLES:
        key = f"question.{variable.name}"
        if key in keys:
            for lang in LANGUAGES:
                lookup[normalise(keys[key][lang])] = variable.name
    return lookup
