"""Every word and number format people read on the dashboard that is not specific to one page: column labels,
geography levels, comparability groups, sources, countries, indicator names and units, and how values and
intervals are rounded and written in the reader's language.

`_()` (imported as `_` by pages) is gettext over the `sps` catalogues (pipelines/shared/i18n.py, locales/);
`N_()` marks a message in a table here, translated where it is used. Numbers go through Babel: a decimal comma in
French, Spanish, Italian, Dutch, Polish, Latvian and Finnish. Downloads keep the codes and dot decimals (`geo_code`,
`ci_low`, ...): only what is shown on screen is labelled, translated and formatted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from dashboards.frames import records
from pipelines.shared import i18n
from pipelines.shared.i18n import N_

MISSING = "—"  # what an empty cell reads, on screen only (downloads keep empty cells)


def text(message: str, **values) -> str:
    """`message` in the reader's language (gettext), its {placeholders} filled in with `values`."""
    return i18n.translate(message, **values)


_ = text  # the extraction keyword (babel.cfg): messages of this module are written _("...")


def data_text(value):
    """A word of the published data or a seed (a survey's name, a flag's meaning, a domain) in the reader's language
    when the catalogues have it (the seeds' words are extracted by babel.cfg); as published otherwise."""
    return i18n.data_text(value)


def language() -> str:
    return i18n.language()


# --- columns ---------------------------------------------------------------------------------------------------
COLUMN_LABELS: dict[str, str] = {
    "city": N_("City"),
    "region": N_("Area"),
    "area": N_("Area"),
    "area_name": N_("Area"),
    "area_code": N_("Area code"),
    "area_level": N_("Level"),
    "name": N_("Name"),
    "geo_code": N_("Code"),
    "geo_name": N_("Name"),
    "display_name": N_("Name"),
    "geo_level": N_("Level"),
    "country": N_("Country"),
    "country_code": N_("Country"),
    "country_name": N_("Country"),
    "indicator": N_("Indicator"),
    "indicator_name": N_("Indicator"),
    "indicator_code": N_("Indicator code"),
    "indicator_family": N_("Kind of indicator"),
    "period": N_("Period"),
    "period_year": N_("Year"),
    "value": N_("Value"),
    "unit": N_("Unit"),
    "ci_low": N_("95 % low"),
    "ci_high": N_("95 % high"),
    "sample_size": N_("Sample (n)"),
    "standard_error": N_("Standard error"),
    "uncertainty_method": N_("Uncertainty"),
    "is_ci_approximate": N_("Approximate interval"),
    "flags": N_("Flags"),
    "observation_status": N_("Status at source"),
    "has_quality_warning": N_("Quality warning"),
    "quality_note": N_("Quality note"),
    "quality": N_("Quality"),
    "source_dataset": N_("Source"),
    "source_type": N_("Kind of source"),
    "source": N_("Source"),
    "comparability_group": N_("Survey or series"),
    "lineage_id": N_("Lineage"),
    "from_lineage_id": N_("Lineage of the first value"),
    "to_lineage_id": N_("Lineage of the last value"),
    "is_partnership_city": N_("Partnership city"),
    "size_class": N_("Size class"),
    "comparison": N_("Compared with the highlighted city"),
    "break_in_series": N_("Break in series"),
    "submission_id": N_("Submission"),
    "report_version": N_("Version"),
    "reported_at": N_("Reported"),
    "reported": N_("Reported"),
    "sex": N_("Sex"),
    "age_group": N_("Age group"),
    "breakdown": N_("Breakdown"),
    "survey_id": N_("Survey"),
    "is_official": N_("Official statistics"),
    "previous_period": N_("Previous period"),
    "previous_value": N_("Previous value"),
    "change": N_("Change"),
    "change_test": N_("Change larger than sampling error?"),
    "sdg_targets": N_("SDG targets"),
    "why_no_value": N_("Why there is no value"),
    "context": N_("Context"),
    "city_value": N_("City value"),
    "reference_scope": N_("Reference"),
    "reference_area": N_("Reference area"),
    "reference_period": N_("Reference period"),
    "reference_value": N_("Reference value"),
    "reference_indicator": N_("Reference indicator"),
    "reference_indicator_code": N_("Reference indicator code"),
    "reference_geo_code": N_("Reference area code"),
    "reference_comparability_group": N_("Reference survey or series"),
    "note": N_("Note"),
    "description": N_("Description"),
    "periods_with_value": N_("Periods with a value"),
    "first_period": N_("First period"),
    "last_period": N_("Last period"),
    "question_code": N_("Question"),
    "block_sum": N_("Sum of answers (%)"),
    "answers": N_("Answers (%)"),
    "city_label": N_("Label in the export"),
    "match_method": N_("Matched how"),
    "repaired_as": N_("Repaired as"),
    "unmatched_reason": N_("Why not matched"),
    "is_matched": N_("Matched"),
    "has_geometry": N_("On the map"),
    "name_confidence": N_("Name confidence"),
    "register_note": N_("Register note"),
    "register_source": N_("Register source"),
    "last_attempt_status": N_("Last attempt"),
    "last_attempt_message": N_("Message"),
    "last_checked_at": N_("Checked"),
    "load_id": N_("Load"),
    "source_file": N_("File"),
    "source_sha256": N_("File hash (SHA-256)"),
    "source_last_update": N_("Last update at source"),
    "origin": N_("Read from"),
    "row_count": N_("Rows"),
    "loaded_at": N_("Loaded"),
    "to_version": N_("Version"),
    "from_version": N_("Previous version"),
    "old_value": N_("Old value"),
    "new_value": N_("New value"),
    "old_submission_id": N_("Old submission"),
    "new_submission_id": N_("New submission"),
    "section": N_("Section"),
    "severity": N_("Severity"),
    "line": N_("Line"),
    "column": N_("Column"),
    "rule": N_("Rule"),
    "what to do": N_("What to do"),
    "problems": N_("Problems"),
    "rows affected": N_("Lines affected"),
    "first line": N_("First line"),
    "lines": N_("Lines"),
    "required": N_("Required"),
    "type": N_("Type"),
    "example": N_("Example"),
    "observations": N_("Values"),
    "definition": N_("Definition"),
    "higher_is_better": N_("Higher is better"),
    "partnership_domain": N_("Partnership domain"),
    "source_notes": N_("Sources"),
    "comparability_caveat": N_("Caveats"),
    "survey_name": N_("Survey"),
    "wave": N_("Wave"),
    "producer": N_("Producer"),
    "population_universe": N_("Population"),
    "mode": N_("Mode"),
    "question_wording": N_("Question"),
    "response_scale": N_("Answers offered"),
    "numerator_answers": N_("Answers counted"),
    "deviation_from_sdg": N_("How it differs from the SDG wording"),
    "sample_size_kind": N_("Sample size is"),
    "is_sample_size_approximate": N_("Approximate sample size"),
    "design_effect": N_("Design effect"),
    "source_citation": N_("Citation"),
}


def column_label(code: str) -> str:
    """A column's label for people; a column no one labelled yet reads as words, not as snake_case."""
    if code in COLUMN_LABELS:
        return _(COLUMN_LABELS[code])
    if code.startswith("rank: "):
        return _("Rank") + ": " + code.removeprefix("rank: ")
    words = code.replace("_", " ").strip()
    return _(words[:1].upper() + words[1:])


# --- geography ---------------------------------------------------------------------------------------------------
GEO_LEVELS: dict[str, str] = {
    "country": N_("Countries"),
    "nuts1": N_("Large regions (NUTS 1)"),
    "nuts2": N_("Regions (NUTS 2)"),
    "nuts3": N_("Small regions (NUTS 3)"),
    "city": N_("Cities"),
    "district": N_("Districts"),
    "eu": N_("European Union"),
}
GEO_LEVEL_SINGULAR: dict[str, str] = {
    "country": N_("country"),
    "nuts1": N_("NUTS 1 region"),
    "nuts2": N_("NUTS 2 region"),
    "nuts3": N_("NUTS 3 region"),
    "city": N_("city"),
    "district": N_("district"),
    "eu": N_("EU aggregate"),
}


def geo_level_label(level: str, plural: bool = True, in_sentence: bool = False) -> str:
    """'Small regions (NUTS 3)'; in a sentence 'small regions (NUTS 3)'."""
    label = _((GEO_LEVELS if plural else GEO_LEVEL_SINGULAR).get(level, level))
    return label[:1].lower() + label[1:] if in_sentence else label


# Eurostat's country codes that are not ISO 3166 (Babel speaks ISO) and aggregates Babel does not know.
_ISO = {"EL": "GR", "UK": "GB"}
_AGGREGATES = {"UKC-L": N_("England and Wales"), "UKM": N_("Scotland"), "UKN": N_("Northern Ireland")}


def country_name(code: str | None) -> str:
    """'Latvia' for LV, from Babel (CLDR) in the dashboard's language; the code itself when unknown."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return MISSING
    if code in _AGGREGATES:
        return _(_AGGREGATES[code])
    from babel import Locale

    return Locale.parse(i18n.language()).territories.get(_ISO.get(code, code), code)


# --- sources and comparability groups ---------------------------------------------------------------------------
SOURCE_LABELS: dict[str, str] = {
    "urb_percep": N_("Eurostat perception survey"),
    "crim_gen_reg": N_("Eurostat police-recorded offences by region"),
    "crim_off_cat": N_("Eurostat police-recorded offences by country"),
    "ons_sdg_11_7_2": N_("ONS (Crime Survey for England and Wales)"),
    "ons_sdg_16_1_1": N_("ONS (Homicide Index, England and Wales)"),
    "ons_sdg_16_1_3": N_("ONS (Crime Survey for England and Wales)"),
    "ons_sdg_16_1_4": N_("ONS (Crime Survey for England and Wales)"),
    "survey_results": N_("Survey results sent in the SPS template"),
    "city_submissions": N_("Reported by the city"),
}


def source_label(source_dataset: str | None, source_type: str | None = None) -> str:
    if source_type == "city_report" or source_dataset == "city_submissions":
        return _("Reported by the city")
    if source_dataset is None:
        return MISSING
    return _(SOURCE_LABELS.get(source_dataset, source_dataset))


def peer_group_label(peer_group: str, fallback: str | None = None) -> str:
    """'Same country (Latvia)' for country:LV; the published label for groups this does not know."""
    kind, _sep, key = peer_group.partition(":")
    if kind == "all":
        return _("All cities")
    if kind == "country":
        return _("Same country ({country})", country=country_name(key))
    if kind == "size":
        return _("Same size class ({size_class})", size_class=key)
    if kind == "partnership":
        return _("Partnership cities (Security in Public Spaces)")
    return fallback or peer_group


def indicator_title(name: str, source_type: str | None) -> str:
    """The title a value is shown under follows the row's own source, never the catalogue's default source: a
    city's own homicide rate is 'Intentional homicide (reported by the city)', not '(police-recorded)'."""
    if source_type == "city_report":
        base = name.rsplit(" (", 1)[0] if name.endswith(")") else name
        return _("{indicator} (reported by the city)", indicator=base)
    return name


def sdg_text(targets: str | None) -> str:
    """'11.7;16.1.4 (proxy)' for people: 'SDG 11.7; 16.1.4 (proxy)' in the reader's language (ODD in French)."""
    if not isinstance(targets, str) or not targets:
        return MISSING
    roles = {"(proxy)": f"({_('proxy')})", "(context)": f"({_('context')})"}
    parts = []
    for part in targets.split(";"):
        part = part.strip()
        for english, translated in roles.items():
            part = part.replace(english, translated)
        parts.append(part)
    return f"{_('SDG')} " + "; ".join(parts)


def ngettext(one: str, many: str, n: int, **values) -> str:
    """'1 city', '36 cities' in the reader's language: `one` and `many` hold {n} (written per locale)."""
    return i18n.ngettext(one, many, n).format(n=format_integer(n), **values)


def group_label(group: str, period: str | None = None, places: int | None = None, names: Mapping | None = None) -> str:
    """A comparability group for people: 'Eurostat perception survey, 2019 wave — 83 cities', 'Nice — own report'.
    `names` maps geo codes to names (for a city's own report); `places` is how many cities the group has here."""
    kind, _sep, rest = group.partition(":")
    places_text = "" if places is None else " — " + ngettext("{n} city", "{n} cities", places)
    if kind == "urb_percep":
        label = (
            _("Eurostat perception survey, {period} wave", period=period) if period else _("Eurostat perception survey")
        )
        return label + places_text
    if kind == "city_report":
        code = rest.rsplit(":", 1)[-1]
        name = (names or {}).get(code) or code
        return _("{city} — own report", city=name)
    if kind == "survey_results":
        survey = rest.split(":", 1)[-1] if ":" in rest else rest
        return _("Survey {survey}", survey=repr(survey)) + places_text
    if kind in ("crim_gen_reg", "crim_off_cat"):
        return source_label(kind) + f", {country_name(rest)}"
    return source_label(kind) + (f" ({rest.split(':', 1)[-1]})" if ":" in rest else "") + places_text


# --- the indicator catalogue in the reader's language (seeds/indicator_translations.csv, published as
# dim_indicator_translations; docs/adr/0023). Pages load it once per version and language with use_catalogue().
_CATALOGUE: dict[str, dict] = {}
_TRANSLATED_COLUMNS = {
    "indicator_name": "name",
    "name": "name",
    "definition": "definition",
    "comparability_caveat": "comparability_caveat",
    "police_indicator_name": "name",
    "reference_indicator": "name",
}
_CODE_COLUMNS = {"indicator_name": "indicator_code", "definition": "indicator_code", "name": "indicator_code",
                 "comparability_caveat": "indicator_code", "police_indicator_name": "police_indicator_code",
                 "reference_indicator": "reference_indicator_code"}  # fmt: skip


def use_catalogue(lang: str, translations: pd.DataFrame | None) -> None:
    """Install the indicator translations of `lang` (rows of dim_indicator_translations) for this session's
    language; an older published version without them, or English, leaves the catalogue's own English."""
    entry: dict = {"names": {}, "units": {}, "rows": {}}
    if translations is not None and len(translations) and lang != i18n.DEFAULT_LANGUAGE:
        mine = translations[translations["language"] == lang]
        for row in records(mine):
            entry["rows"][row["indicator_code"]] = row
            if row.get("english_unit") and row.get("unit"):
                entry["units"][row["english_unit"]] = row["unit"]
    _CATALOGUE[lang] = entry


def _catalogue() -> dict:
    return _CATALOGUE.get(i18n.language()) or {"names": {}, "units": {}, "rows": {}}


def indicator_text(code: str | None, field: str, english: str | None) -> str | None:
    """The catalogue's `field` (name, unit, definition, comparability_caveat) of indicator `code` in the reader's
    language; the English when it has no translation."""
    row = _catalogue()["rows"].get(code)
    value = row.get(field) if row else None
    return value if isinstance(value, str) and value else english


def unit_label(unit: str | None) -> str:
    """A catalogue unit in the reader's language ('% des répondants'); units cities wrote themselves stay as is."""
    if unit is None or (isinstance(unit, float) and math.isnan(unit)):
        return ""
    translated = _catalogue()["units"].get(unit)
    if translated:
        return translated
    return _(unit) if unit in _UNIT_WORDS else unit


def change_unit_label(unit: str | None) -> str:
    """The unit of a change between two values in `unit`: a change of a percentage is in percentage points."""
    if isinstance(unit, str) and unit.startswith("%"):
        return _("percentage points")
    return unit_label(unit)


# Units of published rows that are not a catalogue unit (context series, audits): translated by gettext.
_UNIT_WORDS = {
    N_("offences per 100 000 inhabitants"),
    N_("score (0-100)"),
    N_("% of audits"),
    N_("audits"),
    N_("sites"),
}


def translate_frame(frame):
    """A copy of a query result with the catalogue's words (indicator names, definitions, caveats) in the
    reader's language, matched on the indicator code in the same row; the codes and values are untouched.
    Dicts and tuples of frames (one query returning several) are translated member by member."""
    if isinstance(frame, dict):
        return {k: translate_frame(v) for k, v in frame.items()}
    if isinstance(frame, tuple):
        return tuple(translate_frame(v) for v in frame)
    if not isinstance(frame, pd.DataFrame) or i18n.language() == i18n.DEFAULT_LANGUAGE:
        return frame
    rows = _catalogue()["rows"]
    if not rows:
        return frame
    changes = {}
    for column, field in _TRANSLATED_COLUMNS.items():
        code_column = _CODE_COLUMNS[column]
        if column in frame.columns and code_column in frame.columns:
            codes = frame[code_column].tolist()
            english = frame[column].tolist()
            changes[column] = [
                (rows[c].get(field) or e) if isinstance(c, str) and c in rows else e
                for c, e in zip(codes, english, strict=True)
            ]
    return frame.assign(**changes) if changes else frame


# --- numbers -----------------------------------------------------------------------------------------------------
def unit_decimals(unit: str | None) -> int:
    """Decimals a value of this unit is shown with (its interval too): one for percentages and scores, two for
    rates per 100 000 (homicide rates are often below 1), none for counts."""
    unit = (unit or "").lower()
    if unit.startswith("%") or "percent" in unit or "scale" in unit or "score" in unit:
        return 1
    if "per 100" in unit or "per 1 000" in unit or "rate" in unit:
        return 2
    if unit in ("number", "count", "persons", "people", "offences", "total number"):
        return 0
    return 2


def decimals_for(units: Iterable) -> int:
    """One precision for a column holding several units: the finest any of them needs."""
    found = [unit_decimals(u) for u in units if isinstance(u, str) and u]
    return max(found) if found else 1


def fmt_number(value, decimals: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return MISSING
    try:
        if pd.isna(value):
            return MISSING
    except (TypeError, ValueError):
        pass
    return i18n.format_number(value, decimals, missing=MISSING)


def format_integer(value) -> str:
    """A count for people: '1,234' (en), '1 234' (fr), '1.234' (nl)."""
    return i18n.format_number(value, 0, missing=MISSING)


def fmt_signed(value, decimals: int) -> str:
    """A change with its sign, '+1.5' / '−0,3'."""
    return i18n.format_signed(value, decimals, missing=MISSING)


def fmt_date(value) -> str:
    """A date for people in the reader's language ('4 déc. 2026')."""
    try:
        if value is None or pd.isna(value):
            return MISSING
    except (TypeError, ValueError):
        pass
    return i18n.format_date(value, missing=MISSING)


def fmt_value(value, unit: str | None) -> str:
    """A value rounded the way its unit is shown everywhere: 79.0 (%), 0.85 (per 100 000)."""
    return fmt_number(value, unit_decimals(unit))


def fmt_interval(low, high, unit: str | None) -> str:
    """'75.2–82.3': the bounds with the precision of the value they surround."""
    if fmt_value(low, unit) == MISSING or fmt_value(high, unit) == MISSING:
        return MISSING
    return f"{fmt_value(low, unit)}–{fmt_value(high, unit)}"


VALUE_COLUMNS = (
    "value",
    "ci_low",
    "ci_high",
    "previous_value",
    "change",
    "city_value",
    "reference_value",
    "old_value",
    "new_value",
    "difference",
)
