"""Every word and number format people read on the dashboard that is not specific to one page: column labels,
geography levels, comparability groups, sources, countries, and how values and intervals are rounded.

One place on purpose: the coming translation work wraps `text()` (gettext) and swaps Babel's locale; pages never
spell a column label or a number format themselves. Downloads keep the codes (`geo_code`, `ci_low`, ...): only
what is shown on screen is labelled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

MISSING = "—"  # what an empty cell reads, on screen only (downloads keep empty cells)
LOCALE = "en"


def text(message: str) -> str:
    """The hook translation will wrap (gettext); today it returns English as is."""
    return message


def count(n: int, one: str, many: str) -> str:
    """'1 country', '36 countries' (translation swaps this for ngettext)."""
    return f"{n} {text(one) if n == 1 else text(many)}"


# --- columns ---------------------------------------------------------------------------------------------------
COLUMN_LABELS: dict[str, str] = {
    "city": "City",
    "region": "Area",
    "area": "Area",
    "area_name": "Area",
    "area_code": "Area code",
    "area_level": "Level",
    "name": "Name",
    "geo_code": "Code",
    "geo_name": "Name",
    "display_name": "Name",
    "geo_level": "Level",
    "country": "Country",
    "country_code": "Country",
    "country_name": "Country",
    "indicator": "Indicator",
    "indicator_name": "Indicator",
    "indicator_code": "Indicator code",
    "indicator_family": "Kind of indicator",
    "period": "Period",
    "period_year": "Year",
    "value": "Value",
    "unit": "Unit",
    "ci_low": "95 % low",
    "ci_high": "95 % high",
    "sample_size": "Sample (n)",
    "standard_error": "Standard error",
    "uncertainty_method": "Uncertainty",
    "is_ci_approximate": "Approximate interval",
    "flags": "Flags",
    "observation_status": "Status at source",
    "has_quality_warning": "Quality warning",
    "quality_note": "Quality note",
    "quality": "Quality",
    "source_dataset": "Source",
    "source_type": "Kind of source",
    "source": "Source",
    "comparability_group": "Survey or series",
    "lineage_id": "Lineage",
    "is_partnership_city": "Partnership city",
    "size_class": "Size class",
    "comparison": "Compared with the highlighted city",
    "break_in_series": "Break in series",
    "submission_id": "Submission",
    "report_version": "Version",
    "reported_at": "Reported",
    "reported": "Reported",
    "sex": "Sex",
    "age_group": "Age group",
    "breakdown": "Breakdown",
    "survey_id": "Survey",
    "is_official": "Official statistics",
    "previous_period": "Previous period",
    "previous_value": "Previous value",
    "change": "Change",
    "change_test": "Change larger than sampling error?",
    "sdg_targets": "SDG targets",
    "why_no_value": "Why there is no value",
    "context": "Context",
    "city_value": "City value",
    "reference_scope": "Reference",
    "reference_area": "Reference area",
    "reference_period": "Reference period",
    "reference_value": "Reference value",
    "reference_indicator": "Reference indicator",
    "reference_indicator_code": "Reference indicator code",
    "reference_geo_code": "Reference area code",
    "reference_comparability_group": "Reference survey or series",
    "note": "Note",
    "description": "Description",
    "periods_with_value": "Periods with a value",
    "first_period": "First period",
    "last_period": "Last period",
    "question_code": "Question",
    "block_sum": "Sum of answers (%)",
    "answers": "Answers (%)",
    "city_label": "Label in the export",
    "match_method": "Matched how",
    "repaired_as": "Repaired as",
    "unmatched_reason": "Why not matched",
    "is_matched": "Matched",
    "has_geometry": "On the map",
    "name_confidence": "Name confidence",
    "register_note": "Register note",
    "register_source": "Register source",
    "last_attempt_status": "Last attempt",
    "last_attempt_message": "Message",
    "last_checked_at": "Checked",
    "load_id": "Load",
    "source_file": "File",
    "source_sha256": "File hash (SHA-256)",
    "source_last_update": "Last update at source",
    "origin": "Read from",
    "row_count": "Rows",
    "loaded_at": "Loaded",
    "to_version": "Version",
    "from_version": "Previous version",
    "old_value": "Old value",
    "new_value": "New value",
    "old_submission_id": "Old submission",
    "new_submission_id": "New submission",
    "section": "Section",
    "severity": "Severity",
    "line": "Line",
    "column": "Column",
    "rule": "Rule",
    "what to do": "What to do",
    "problems": "Problems",
    "rows affected": "Lines affected",
    "first line": "First line",
    "lines": "Lines",
    "required": "Required",
    "type": "Type",
    "example": "Example",
    "observations": "Values",
    "definition": "Definition",
    "higher_is_better": "Higher is better",
    "partnership_domain": "Partnership domain",
    "source_notes": "Sources",
    "comparability_caveat": "Caveats",
    "survey_name": "Survey",
    "wave": "Wave",
    "producer": "Producer",
    "population_universe": "Population",
    "mode": "Mode",
    "question_wording": "Question",
    "response_scale": "Answers offered",
    "numerator_answers": "Answers counted",
    "deviation_from_sdg": "How it differs from the SDG wording",
    "sample_size_kind": "Sample size is",
    "is_sample_size_approximate": "Approximate sample size",
    "design_effect": "Design effect",
    "source_citation": "Citation",
}


def column_label(code: str) -> str:
    """A column's label for people; a column no one labelled yet reads as words, not as snake_case."""
    if code in COLUMN_LABELS:
        return text(COLUMN_LABELS[code])
    if code.startswith("rank: "):
        return text("Rank") + ": " + code.removeprefix("rank: ")
    words = code.replace("_", " ").strip()
    return text(words[:1].upper() + words[1:])


# --- geography ---------------------------------------------------------------------------------------------------
GEO_LEVELS: dict[str, str] = {
    "country": "Countries",
    "nuts1": "Large regions (NUTS 1)",
    "nuts2": "Regions (NUTS 2)",
    "nuts3": "Small regions (NUTS 3)",
    "city": "Cities",
    "district": "Districts",
    "eu": "European Union",
}
GEO_LEVEL_SINGULAR: dict[str, str] = {
    "country": "country",
    "nuts1": "NUTS 1 region",
    "nuts2": "NUTS 2 region",
    "nuts3": "NUTS 3 region",
    "city": "city",
    "district": "district",
    "eu": "EU aggregate",
}


def geo_level_label(level: str, plural: bool = True, in_sentence: bool = False) -> str:
    """'Small regions (NUTS 3)'; in a sentence 'small regions (NUTS 3)'."""
    label = text((GEO_LEVELS if plural else GEO_LEVEL_SINGULAR).get(level, level))
    return label[:1].lower() + label[1:] if in_sentence else label


# Eurostat's country codes that are not ISO 3166 (Babel speaks ISO) and aggregates Babel does not know.
_ISO = {"EL": "GR", "UK": "GB"}
_AGGREGATES = {"UKC-L": "England and Wales", "UKM": "Scotland", "UKN": "Northern Ireland"}


def country_name(code: str | None) -> str:
    """'Latvia' for LV, from Babel (CLDR) in the dashboard's language; the code itself when unknown."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return MISSING
    if code in _AGGREGATES:
        return text(_AGGREGATES[code])
    from babel import Locale

    return Locale.parse(LOCALE).territories.get(_ISO.get(code, code), code)


# --- sources and comparability groups ---------------------------------------------------------------------------
SOURCE_LABELS: dict[str, str] = {
    "urb_percep": "Eurostat perception survey",
    "crim_gen_reg": "Eurostat police-recorded offences by region",
    "crim_off_cat": "Eurostat police-recorded offences by country",
    "ons_sdg_11_7_2": "ONS (Crime Survey for England and Wales)",
    "ons_sdg_16_1_1": "ONS (Homicide Index, England and Wales)",
    "ons_sdg_16_1_3": "ONS (Crime Survey for England and Wales)",
    "ons_sdg_16_1_4": "ONS (Crime Survey for England and Wales)",
    "survey_results": "Survey results sent in the SPS template",
    "city_submissions": "Reported by the city",
}


def source_label(source_dataset: str | None, source_type: str | None = None) -> str:
    if source_type == "city_report" or source_dataset == "city_submissions":
        return text("Reported by the city")
    if source_dataset is None:
        return MISSING
    return text(SOURCE_LABELS.get(source_dataset, source_dataset))


def peer_group_label(peer_group: str, fallback: str | None = None) -> str:
    """'Same country (Latvia)' for country:LV; the published label for groups this does not know."""
    kind, _, key = peer_group.partition(":")
    if kind == "all":
        return text("All cities")
    if kind == "country":
        return f"{text('Same country')} ({country_name(key)})"
    if kind == "size":
        return f"{text('Same size class')} ({key})"
    if kind == "partnership":
        return text("Partnership cities (Security in Public Spaces)")
    return fallback or peer_group


def indicator_title(name: str, source_type: str | None) -> str:
    """The title a value is shown under follows the row's own source, never the catalogue's default source: a
    city's own homicide rate is 'Intentional homicide (reported by the city)', not '(police-recorded)'."""
    if source_type == "city_report":
        base = name.rsplit(" (", 1)[0] if name.endswith(")") else name
        return f"{base} ({text('reported by the city')})"
    return name


def group_label(group: str, period: str | None = None, places: int | None = None, names: Mapping | None = None) -> str:
    """A comparability group for people: 'Eurostat perception survey, 2019 wave — 83 cities', 'Nice — own report'.
    `names` maps geo codes to names (for a city's own report); `places` is how many cities the group has here."""
    kind, _, rest = group.partition(":")
    places_text = "" if places is None else " — " + count(places, "city", "cities")
    if kind == "urb_percep":
        wave = f", {period} {text('wave')}" if period else ""
        return text("Eurostat perception survey") + wave + places_text
    if kind == "city_report":
        code = rest.rsplit(":", 1)[-1]
        name = (names or {}).get(code) or code
        return f"{name} — " + text("own report")
    if kind == "survey_results":
        survey = rest.split(":", 1)[-1] if ":" in rest else rest
        return text("Survey") + f" {survey!r}" + places_text
    if kind in ("crim_gen_reg", "crim_off_cat"):
        return source_label(kind) + f", {country_name(rest)}"
    return source_label(kind) + (f" ({rest.split(':', 1)[-1]})" if ":" in rest else "") + places_text


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
    return f"{float(value):,.{decimals}f}"


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
