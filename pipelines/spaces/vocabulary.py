"""The words a city's public-space files and audits are checked against: layer kinds, canonical property names,
allowed values (with the spellings accepted for them) and the audit items (seeds/safety_audit_items.csv, the
single source of the form, the reader and the methodology page)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

from pipelines.settings import SEEDS_DIR

KINDS = ("boundary", "districts", "open-spaces", "streets")

# Canonical property names per kind: what `--map ATTR=field` maps onto; a file that already uses them needs no
# mapping. The first names of each kind are required.
REQUIRED_PROPERTIES = {
    "boundary": (),
    "districts": ("district_code",),
    "open-spaces": ("space_id", "type", "access"),
    "streets": (),
}
OPTIONAL_PROPERTIES = {
    "boundary": ("name", "boundary_type", "population"),
    "districts": ("name", "population"),
    "open-spaces": ("ownership", "name"),
    "streets": ("street_id", "name"),
}

# The property that names a feature in messages and lineage.
ID_PROPERTY = {"boundary": "name", "districts": "district_code", "open-spaces": "space_id", "streets": "street_id"}

SPACE_TYPES = ("park", "garden", "square", "playground", "beach", "sports_ground", "street_plaza", "other")
ACCESS_VALUES = ("free", "restricted_hours", "fee")
# UN-Habitat: open space for public use is open to all, free of charge (opening hours allowed).
COUNTED_ACCESS = ("free", "restricted_hours")
OWNERSHIP_VALUES = ("public", "private", "mixed", "unknown")
BOUNDARY_TYPES = ("built_up", "administrative")

TIMES_OF_DAY = ("day", "after_dark")
AUDITOR_GROUPS = ("womens_walk", "youth", "elderly", "disability", "mixed", "other")
SCORE_RANGE = (0, 3)
STANDARD_FORM_ID = "sps_site_safety_audit"
STANDARD_FORM_VERSION = "2026.1"

# Spellings accepted for a canonical value (after lower-casing and turning spaces and hyphens into _).
VALUE_ALIASES = {
    "type": {"sports": "sports_ground", "sport": "sports_ground", "plaza": "street_plaza", "street": "street_plaza"},
    "access": {"restricted": "restricted_hours", "opening_hours": "restricted_hours", "paid": "fee"},
    "boundary_type": {"built_up_area": "built_up", "builtup": "built_up", "admin": "administrative"},
    "time_of_day": {"night": "after_dark", "dark": "after_dark", "evening": "after_dark", "daytime": "day"},
    "auditor_group": {"women": "womens_walk", "womens": "womens_walk", "women_s_walk": "womens_walk"},
}
ALLOWED_VALUES = {
    "type": SPACE_TYPES,
    "access": ACCESS_VALUES,
    "ownership": OWNERSHIP_VALUES,
    "boundary_type": BOUNDARY_TYPES,
    "time_of_day": TIMES_OF_DAY,
    "auditor_group": AUDITOR_GROUPS,
}


def canonical_value(attribute: str, text: str) -> str:
    """'Restricted hours' -> 'restricted_hours'; unknown spellings come back normalised (and fail the check)."""
    key = re.sub(r"[\s\-/']+", "_", text.strip().lower()).strip("_")
    return VALUE_ALIASES.get(attribute, {}).get(key, key)


@dataclass(frozen=True)
class AuditItem:
    item: str
    group: str  # safetipin | cpted
    label: str
    question: str
    score_labels: tuple[str, str, str, str]
    in_safety_score: bool


@cache
def audit_items() -> tuple[AuditItem, ...]:
    with open(SEEDS_DIR / "safety_audit_items.csv", newline="", encoding="utf-8") as fh:
        return tuple(
            AuditItem(
                r["item"],
                r["item_group"],
                r["label"],
                r["question"],
                (r["score_0"], r["score_1"], r["score_2"], r["score_3"]),
                r["in_safety_score"] == "true",
            )
            for r in csv.DictReader(fh)
        )


def safetipin_parameters() -> tuple[str, ...]:
    return tuple(i.item for i in audit_items() if i.group == "safetipin")


def score_items() -> tuple[str, ...]:
    """The parameters averaged into audit_safety_score."""
    return tuple(i.item for i in audit_items() if i.in_safety_score)
