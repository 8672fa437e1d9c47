"""The comparability contract `sps_core_v1`: variable names, answer codes and indicator definitions of the SPS
core survey module. These never change within `sps_core_v1` (a change is a new version of the module); the
docs (docs/methodology/city_survey.md) carry the same tables, and tests/unit/surveys/test_core_docs.py checks that
code and docs agree."""

from __future__ import annotations

from dataclasses import dataclass

MODULE = "sps_core_v1"
COMPARABILITY_GROUP = MODULE

# The partnership's languages, in the order of the form's label columns: code -> the English name pyxform and
# KoboToolbox show in the language menu ("label::English (en)").
LANGUAGES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "lv": "Latvian",
    "fi": "Finnish",
}

DONT_KNOW, REFUSED = 8, 9

# Choice lists: list name -> the codes, in the order shown. The labels are in labels.csv (key choice.<list>.<code>).
CHOICES: dict[str, tuple[int, ...]] = {
    "sex": (1, 2, 3),
    "yes_no": (1, 2, DONT_KNOW, REFUSED),
    "safe_area": (1, 2, 3, 4, 5, DONT_KNOW, REFUSED),
    "safe_place": (1, 2, 3, 4, DONT_KNOW, REFUSED),
    "safe_transport": (1, 2, 3, 4, 6, DONT_KNOW, REFUSED),
    "place": (1, 2, 3, 4, 5, 6),
    "trust": (1, 2, 3, 4, DONT_KNOW, REFUSED),
}

AGE_MIN, AGE_MAX = 15, 120


@dataclass(frozen=True)
class Variable:
    name: str
    kind: str  # "id" | "select_one" | "integer" | "text" | "design_text" | "weight"
    group: str | None  # the form group (Kobo exports prefix it: grp_safety/safe_night_area); None: not in the form
    choices: str | None = None  # choice list of a select_one
    relevant: str | None = None  # XLSForm relevance (skip logic)


VARIABLES: tuple[Variable, ...] = (
    Variable("resp_id", "id", None),
    Variable("stratum", "design_text", "grp_interview"),
    Variable("psu", "design_text", "grp_interview"),
    Variable("sex", "select_one", "grp_profile", "sex"),
    Variable("age", "integer", "grp_profile"),
    Variable("district", "text", "grp_profile"),
    Variable("disability", "select_one", "grp_profile", "yes_no"),
    Variable("safe_night_area", "select_one", "grp_safety", "safe_area"),
    Variable("safe_night_centre", "select_one", "grp_safety", "safe_place"),
    Variable("safe_day_centre", "select_one", "grp_safety", "safe_place"),
    Variable("safe_transport_night", "select_one", "grp_safety", "safe_transport"),
    Variable("avoid_places", "select_one", "grp_safety", "yes_no"),
    Variable("trust_police", "select_one", "grp_safety", "trust"),
    Variable("harassment_12m", "select_one", "grp_victimisation", "yes_no"),
    Variable("harassment_place", "select_one", "grp_victimisation", "place", relevant="${harassment_12m} = '1'"),
    Variable("physical_violence_12m", "select_one", "grp_victimisation", "yes_no"),
    Variable("psychological_violence_12m", "select_one", "grp_victimisation", "yes_no"),
    Variable("sexual_violence_12m", "select_one", "grp_victimisation", "yes_no"),
    Variable(
        "reported_police",
        "select_one",
        "grp_victimisation",
        "yes_no",
        relevant="${physical_violence_12m} = '1' or ${psychological_violence_12m} = '1' "
        "or ${sexual_violence_12m} = '1'",
    ),
    Variable("weight", "weight", None),
)
BY_NAME = {v.name: v for v in VARIABLES}
DESIGN_COLUMNS = ("stratum", "psu", "weight")
REQUIRED = ("resp_id", "sex", "age")
QUESTIONS = tuple(v.name for v in VARIABLES if v.kind == "select_one" and v.name not in ("sex", "disability"))
VIOLENCE = ("physical_violence_12m", "psychological_violence_12m", "sexual_violence_12m")
# Meta columns of KoboToolbox and ODK Central exports: read past without a warning.
EXPORT_META_PREFIXES = ("_", "meta/", "meta-", "formhub/", "formhub-", "__")
EXPORT_META_COLUMNS = {
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "phonenumber",
    "simserial",
    "subscriberid",
    "audit",
    "instanceid",
    "key",
    "submissiondate",
    "submitterid",
    "submittername",
    "attachmentspresent",
    "attachmentsexpected",
    "status",
    "reviewstate",
    "devicedate",
    "edits",
    "formversion",
    "city",  # the form's hidden city code: checked, then dropped
}


@dataclass(frozen=True)
class Indicator:
    """A proportion: respondents whose `variable` is in `numerator`, among respondents whose `variable` is in
    `denominator` (every other answer, including 8 don't know and 9 refused, leaves the denominator).
    `among_victims`: only respondents with at least one of the three violence items = 1 count.
    `place_in`: the numerator also needs `harassment_place` in these codes."""

    code: str
    variable: str
    numerator: tuple[int, ...]
    denominator: tuple[int, ...]
    sdg: str
    among_victims: bool = False
    place_in: tuple[int, ...] | None = None
    by_place: bool = False  # also broken down by the place of the last occurrence (SDG 11.7.2)


INDICATORS: tuple[Indicator, ...] = (
    Indicator("feel_safe_after_dark", "safe_night_area", (1, 2), (1, 2, 3, 4, 5), "16.1.4"),
    Indicator("feel_safe_city_centre_after_dark", "safe_night_centre", (1, 2), (1, 2, 3, 4), "16.1.4 (context); 11.7"),
    Indicator("feel_safe_city_centre_daytime", "safe_day_centre", (1, 2), (1, 2, 3, 4), "11.7 (context)"),
    Indicator("feel_safe_public_transport_after_dark", "safe_transport_night", (1, 2), (1, 2, 3, 4), "11.2; 11.7"),
    Indicator("avoided_places_for_safety", "avoid_places", (1,), (1, 2), "11.7 (context)"),
    Indicator("harassment_prevalence", "harassment_12m", (1,), (1, 2), "11.7.2", by_place=True),
    Indicator("harassment_public_space_prevalence", "harassment_12m", (1,), (1, 2), "11.7.2", place_in=(1, 2)),
    Indicator("physical_violence_prevalence", "physical_violence_12m", (1,), (1, 2), "16.1.3"),
    Indicator("psychological_violence_prevalence", "psychological_violence_12m", (1,), (1, 2), "16.1.3"),
    Indicator("sexual_violence_prevalence", "sexual_violence_12m", (1,), (1, 2), "16.1.3"),
    Indicator("reporting_rate_violence", "reported_police", (1,), (1, 2), "16.3.1", among_victims=True),
    Indicator("trust_local_police", "trust_police", (1, 2), (1, 2, 3, 4), "16.6 (context)"),
)
INDICATOR_BY_CODE = {i.code: i for i in INDICATORS}

# Disaggregations: what goes in fct_observations' sex / age_group / breakdown columns, or in geo_code for districts.
AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("15-24", 15, 24),
    ("25-44", 25, 44),
    ("45-64", 45, 64),
    ("65+", 65, AGE_MAX),
)
SEX_PUBLISHED = {1: "male", 2: "female"}  # 3 (other / prefer not to say) counts in every total, not shown alone
DISABILITY_PUBLISHED = {1: "Disability status=disabled", 2: "Disability status=not disabled"}
PLACE_PUBLISHED = {
    1: "Place of occurrence=street, square or park",
    2: "Place of occurrence=public transport",
    3: "Place of occurrence=workplace or school",
    4: "Place of occurrence=home",
    5: "Place of occurrence=online",
    6: "Place of occurrence=other",
}
DISAGGREGATIONS = ("total", "sex", "age_group", "disability", "district", "harassment_place")


def age_group(age: int | None) -> str | None:
    if age is None:
        return None
    for label, low, high in AGE_GROUPS:
        if low <= age <= high:
            return label
    return None
