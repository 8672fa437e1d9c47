"""The translations are complete and current (docs/adr/0023): the `sps` gettext catalogues of the eight languages
hold every message the code and seeds ask for, none fuzzy or empty, each with the placeholders of its English; the
template (locales/sps.pot) is what Babel extracts from the code today; the indicator catalogue has every indicator
in every language; and the catalogues, the indicator seed and the survey kit's form labels use one glossary."""

from __future__ import annotations

import csv
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pipelines.shared import i18n

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
LANGUAGES = list(i18n.LANGUAGES)
OTHER_LANGUAGES = [lang for lang in LANGUAGES if lang != i18n.DEFAULT_LANGUAGE]
PYBABEL = str(Path(sys.executable).with_name("pybabel"))


def _catalogue(path: Path, lang: str | None = None):
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=i18n.DOMAIN)


def _key(message) -> tuple:
    return (message.context, message.id)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _keywords() -> list[str]:
    """The extraction keywords `make messages` uses (the Makefile's BABEL_KEYWORDS), so both stay one list."""
    line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("BABEL_KEYWORDS"))
    return line.split(":=", 1)[1].split()


@pytest.fixture(scope="module")
def template():
    return _catalogue(LOCALES / "sps.pot")


@pytest.fixture(scope="module")
def catalogues():
    return {lang: _catalogue(LOCALES / lang / "LC_MESSAGES" / "sps.po", lang) for lang in LANGUAGES}


def test_the_template_is_what_babel_extracts_from_the_code_today(tmp_path, template):
    extracted = tmp_path / "sps.pot"
    result = subprocess.run(
        [PYBABEL, "-q", "extract", "-F", "babel.cfg", *_keywords(), "--no-wrap", "-o", str(extracted), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    fresh = {_key(m) for m in _catalogue(extracted) if m.id}
    committed = {_key(m) for m in template if m.id}
    assert fresh - committed == set(), "messages in the code but not in locales/sps.pot: run `make messages`"
    assert committed - fresh == set(), "messages in locales/sps.pot no longer in the code: run `make messages`"
    assert len(committed) > 800  # the dashboard, the report, the upload problems and the shown seeds


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang, template, catalogues):
    catalogue = catalogues[lang]
    translated = {_key(m): m for m in catalogue if m.id}
    missing, fuzzy, empty, placeholders = [], [], [], []
    for wanted in (m for m in template if m.id):
        message = translated.get(_key(wanted))
        if message is None:
            missing.append(wanted.id)
            continue
        if message.fuzzy:
            fuzzy.append(wanted.id)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if wanted.pluralizable and len(strings) != catalogue.num_plurals:
            empty.append(f"{wanted.id} ({len(strings)} of {catalogue.num_plurals} plural forms)")
        if not all(s and s.strip() for s in strings):
            empty.append(wanted.id)
        ids = wanted.id if isinstance(wanted.id, tuple | list) else (wanted.id,)
        expected = set().union(*(_placeholders(i) for i in ids))
        for text in strings:
            if text and _placeholders(text) != expected:
                placeholders.append(f"{ids[0]!r}: {sorted(_placeholders(text))} instead of {sorted(expected)}")
    assert not missing, f"{lang}: {len(missing)} messages missing, e.g. {missing[:5]}"
    assert not fuzzy, f"{lang}: {len(fuzzy)} fuzzy messages, e.g. {fuzzy[:5]}"
    assert not empty, f"{lang}: {len(empty)} untranslated messages, e.g. {empty[:5]}"
    assert not placeholders, f"{lang}: placeholders differ from the English: {placeholders[:5]}"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_a_translation_is_used_at_runtime_and_numbers_take_the_language_s_decimal_sign(lang, catalogues):
    message = next(m for m in catalogues[lang] if m.id == "City profile")
    with i18n.using(lang):
        assert i18n.gettext("City profile") == message.string != "City profile"
        assert i18n.format_number(1234.5, 1) != "1,234.5"
        assert i18n.decimal_symbol() == ","  # all seven use a decimal comma
    assert i18n.format_number(1234.5, 1, "en") == "1,234.5"


def test_an_unknown_or_missing_language_falls_back_to_english():
    assert i18n.normalise_language("FR") == "fr" and i18n.normalise_language("fr-BE") == "fr"
    assert i18n.normalise_language("xx") is None and i18n.normalise_language("") is None
    with i18n.using("xx"):
        assert i18n.language() == "en" and i18n.gettext("City profile") == "City profile"


def _seed_rows(name: str) -> list[dict]:
    with (ROOT / "seeds" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_indicator_has_its_name_unit_definition_and_caveat_in_every_language():
    indicators = {r["indicator_code"]: r for r in _seed_rows("indicators.csv")}
    rows = _seed_rows("indicator_translations.csv")
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["indicator_code"], row["language"])
        seen[key] = seen.get(key, 0) + 1
        assert row["indicator_code"] in indicators, f"{key}: not an indicator of seeds/indicators.csv"
        assert row["language"] in OTHER_LANGUAGES, f"{key}: not one of {OTHER_LANGUAGES}"
        for field in ("name", "unit", "definition", "comparability_caveat"):
            assert row[field].strip(), f"{key}: {field} is empty"
        english = indicators[row["indicator_code"]]
        # readers round a unit starting with '%' to one decimal: a translated percentage keeps its sign first
        assert english["unit"].startswith("%") == row["unit"].startswith("%"), key
        for code in re.findall(r"\b(?:ICCS \d+|\d+\.\d+\.\d+|sps_core_v1)\b", english["definition"]):
            assert code in row["definition"], f"{key}: the definition lost {code!r}"  # codes and SDG targets
    assert {k for k, n in seen.items() if n > 1} == set(), "an indicator has two rows in one language"
    assert set(seen) == {(code, lang) for code in indicators for lang in OTHER_LANGUAGES}


def _glossary() -> list[dict]:
    return _seed_rows_from(LOCALES / "glossary.csv")


def _seed_rows_from(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _pairs(catalogues) -> list[tuple[str, str, str, str]]:
    """(where, language, English, translation) of every text the glossary governs."""
    pairs = []
    for lang in OTHER_LANGUAGES:
        for message in catalogues[lang]:
            if message.id and isinstance(message.id, str) and message.string:
                pairs.append(("locales", lang, message.id, message.string))
    indicators = {r["indicator_code"]: r for r in _seed_rows("indicators.csv")}
    for row in _seed_rows("indicator_translations.csv"):
        english = indicators.get(row["indicator_code"], {})
        for field, source in (("name", "name"), ("definition", "definition")):
            pairs.append(("seeds/indicator_translations.csv", row["language"], english.get(source, ""), row[field]))
    for row in _seed_rows_from(ROOT / "pipelines" / "surveys" / "labels.csv"):
        for lang in OTHER_LANGUAGES:
            pairs.append(("pipelines/surveys/labels.csv", lang, row["en"], row[lang]))
    return pairs


def test_the_catalogues_the_indicator_seed_and_the_survey_form_share_one_glossary(catalogues):
    """Where the English says 'after dark', 'harassment', 'public transport' ..., every translation says it with the
    glossary's word (a stem, so that Polish, Latvian and Finnish can inflect it)."""
    glossary = _glossary()
    assert {g["term"] for g in glossary} >= {"feel_safe", "after_dark", "harassment", "police"}
    pairs = _pairs(catalogues)
    assert len({p[0] for p in pairs}) == 3
    departures = []
    for term in glossary:
        pattern = re.compile(r"\b" + re.escape(term["en"]) + r"\b", re.IGNORECASE)
        for where, lang, english, translation in pairs:
            if not pattern.search(english):
                continue
            stems = [s.strip().lower() for s in term[lang].split("|")]
            if not any(stem in translation.lower() for stem in stems):
                departures.append(f"{where} [{lang}] {term['term']}: {english[:60]!r} -> {translation[:60]!r}")
    assert not departures, f"{len(departures)} translations leave the glossary: " + "; ".join(departures[:8])


def test_make_install_compiles_every_catalogue_to_a_mo_gettext_reads(tmp_path, catalogues):
    """`make install` compiles with `python -m pipelines.shared.i18n`: it must succeed on catalogues that hold
    '95 % confidence' (which `pybabel compile` rejects as a bad %-format) and write .mo files gettext reads."""
    import gettext
    import shutil

    shutil.copytree(LOCALES, tmp_path / "locales", ignore=shutil.ignore_patterns("*.mo"))
    assert "python -m pipelines.shared.i18n" in (ROOT / "Makefile").read_text()
    compiled = i18n.compile_catalogues(tmp_path / "locales")
    assert set(compiled) == set(LANGUAGES)
    wanted = "Upper bound of the 95 % confidence interval"
    for lang in OTHER_LANGUAGES:
        assert compiled[lang] == sum(1 for m in catalogues[lang] if m.id)
        with (tmp_path / "locales" / lang / "LC_MESSAGES" / "sps.mo").open("rb") as fh:
            mo = gettext.GNUTranslations(fh)
        expected = next(m.string for m in catalogues[lang] if m.id == wanted)
        assert mo.gettext(wanted) == expected != wanted
