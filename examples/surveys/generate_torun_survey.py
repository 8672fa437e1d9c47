"""Generate a realistic SYNTHETIC city safety survey for Toruń (PL013C), a partnership city with no Eurostat
perception data, as a KoboToolbox export of the SPS core form (sps_core_v1).

    python examples/surveys/generate_torun_survey.py          # rewrites the files next to this script

Everything here is invented: population figures, district sizes and every answer. The shares are set to look like
a mid-sized Polish city (most people feel safe in their area after dark, about one in eight report harassment in a
year, few report violence), but they are NOT Toruń's. Use the files to try the survey kit, never as data.

The design is two-stage, as a contractor would run it face to face:
  stage 1: in each of the 8 districts (the strata), 6 sampling points (PSUs: address blocks) out of the district's
           blocks, with probability proportional to size;
  stage 2: 18 residents aged 15+ per point; about 6 % of the planned interviews are not achieved.
The weight of a respondent is the district's population aged 15+ over the interviews achieved in the district (the
design is self-weighting within a district), so the weighted sample matches the district populations.

Files written (all SYNTHETIC):
  torun_2026_kobo_export.csv   the export, as KoboToolbox writes it with "labels" in Polish and group names in the
                               headers (grp_safety/safe_night_area), with Kobo's meta columns and a `weight` column
                               the contractor added after fieldwork
  design.yml                   the district names and the survey facts for the registry
  margins.csv                  population aged 15+ by sex x age group x district, to rake instead of weighting
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CITY = "PL013C"
SEED = 2026
# SYNTHETIC district populations aged 15+ (they add up to about Toruń's order of magnitude, nothing more).
DISTRICTS = {
    "d01": ("Stare Miasto", 14_000),
    "d02": ("Bydgoskie Przedmieście", 20_000),
    "d03": ("Chełmińskie Przedmieście", 24_000),
    "d04": ("Jakubskie Przedmieście i Mokre", 19_000),
    "d05": ("Rubinkowo", 26_000),
    "d06": ("Na Skarpie", 25_000),
    "d07": ("Bielany i Wrzosy", 22_000),
    "d08": ("Podgórz", 18_000),
}
AGE_SHARES = {"15-24": 0.12, "25-44": 0.35, "45-64": 0.31, "65+": 0.22}
AGE_RANGES = {"15-24": (15, 24), "25-44": (25, 44), "45-64": (45, 64), "65+": (65, 92)}
FEMALE_SHARE = {"15-24": 0.49, "25-44": 0.50, "45-64": 0.52, "65+": 0.60}
POINTS_PER_DISTRICT, INTERVIEWS_PER_POINT, NONRESPONSE = 6, 18, 0.06
RESPONSE_RATE = 0.48  # SYNTHETIC: interviews over eligible addresses contacted (not simulated further)


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def respondents(rng: np.random.Generator) -> list[dict]:
    """One dict per achieved interview, in core codes."""
    from pipelines.surveys.core import AGE_GROUPS

    people = []
    district_effect = dict(zip(DISTRICTS, rng.normal(0, 0.35, len(DISTRICTS)), strict=True))
    district_effect["d01"] += 0.3  # the lively, well-lit old town
    for district in DISTRICTS:
        for point in range(1, POINTS_PER_DISTRICT + 1):
            point_effect = rng.normal(0, 0.4)
            for _ in range(INTERVIEWS_PER_POINT):
                if rng.random() < NONRESPONSE:
                    continue
                group = rng.choice(list(AGE_SHARES), p=list(AGE_SHARES.values()))
                low, high = AGE_RANGES[group]
                age = int(rng.integers(low, high + 1))
                sex = 3 if rng.random() < 0.01 else (2 if rng.random() < FEMALE_SHARE[group] else 1)
                female, old, young = sex == 2, age >= 65, age < 25
                safe = district_effect[district] + point_effect
                people.append(
                    {
                        "district": district,
                        "stratum": district,
                        "psu": f"{district}-p{point}",
                        "sex": sex,
                        "age": age,
                        "disability": _answer(rng, -1.6 + 0.04 * (age - 50), (1,), (2,), 0.01),
                        "safe_night_area": _answer(
                            rng, 1.1 + safe - 0.7 * female - 0.3 * old, (1, 2), (3, 4), 0.02, (5, 0.03 + 0.12 * old)
                        ),
                        "safe_night_centre": _answer(rng, 0.7 + safe - 0.7 * female, (1, 2), (3, 4), 0.04),
                        "safe_day_centre": _answer(rng, 3.0 + 0.5 * safe, (1, 2), (3, 4), 0.01),
                        "safe_transport_night": _answer(
                            rng, 0.6 + safe - 0.6 * female, (1, 2), (3, 4), 0.03, (6, 0.25)
                        ),
                        "avoid_places": _answer(rng, -1.2 - safe + 0.7 * female, (1,), (2,), 0.02),
                        "trust_police": _answer(rng, 0.6 + 0.3 * old - 0.3 * young, (1, 2), (3, 4), 0.06),
                        "harassment_12m": _answer(rng, -2.3 + 0.9 * female + 0.9 * young - 0.8 * old, (1,), (2,), 0.03),
                        "physical_violence_12m": _answer(rng, -3.5 + 0.7 * young, (1,), (2,), 0.02),
                        "psychological_violence_12m": _answer(rng, -2.6 + 0.3 * female, (1,), (2,), 0.03),
                        "sexual_violence_12m": _answer(rng, -4.6 + 1.1 * female + 0.5 * young, (1,), (2,), 0.05),
                    }
                )
    for person in people:
        person["harassment_place"] = (
            int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.36, 0.24, 0.14, 0.06, 0.15, 0.05]))
            if person["harassment_12m"] == 1
            else None
        )
        victim = any(
            person[v] == 1 for v in ("physical_violence_12m", "psychological_violence_12m", "sexual_violence_12m")
        )
        person["reported_police"] = _answer(rng, -0.9, (1,), (2,), 0.05) if victim else None
    achieved = {d: sum(p["district"] == d for p in people) for d in DISTRICTS}
    for person in people:
        person["weight"] = round(DISTRICTS[person["district"]][1] / achieved[person["district"]], 4)
    assert [g for g, _, _ in AGE_GROUPS] == list(AGE_SHARES)
    return people


def _answer(rng, logit, yes, no, nonresponse, extra=None) -> int:
    if rng.random() < nonresponse:
        return int(rng.choice([8, 9], p=[0.6, 0.4]))
    if extra is not None and rng.random() < extra[1]:
        return extra[0]
    return int(rng.choice(yes) if rng.random() < _logistic(logit) else rng.choice(no))


def kobo_export(people: list[dict], rng: np.random.Generator) -> str:
    """The interviews as KoboToolbox's CSV export with Polish labels ('XML values and headers' would give codes)."""
    from pipelines.surveys.core import BY_NAME, VARIABLES
    from pipelines.surveys.labels import choice_key, text

    header = ["start", "end", "today", "city"]
    header += [f"{v.group}/{v.name}" for v in VARIABLES if v.group]
    header += ["resp_id", "_id", "_uuid", "_submission_time", "_validation_status", "_index", "__version__", "weight"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    day = datetime(2026, 3, 2, 9, 0)
    for index, person in enumerate(people, start=1):
        start = day + timedelta(days=int(index * 40 / len(people)), minutes=int(rng.integers(0, 600)))
        end = start + timedelta(minutes=int(rng.integers(7, 19)))
        row = [start.isoformat(timespec="milliseconds") + "+01:00", end.isoformat(timespec="milliseconds") + "+01:00"]
        row += [start.date().isoformat(), CITY]
        for variable in VARIABLES:
            if not variable.group:
                continue
            value = person.get(variable.name)
            if value is None:
                row.append("")
            elif variable.kind == "select_one":
                row.append(text(choice_key(BY_NAME[variable.name].choices, value), "pl"))
            else:
                row.append(str(value))
        row += [str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | index)), str(412_000 + index)]
        row += [
            str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | index + 7)),
            (end + timedelta(hours=2)).isoformat(),
        ]
        row += ["", str(index), "vH3kT9sPqZ2", repr(person["weight"])]
        writer.writerow(row)
    return out.getvalue()


def design_yml() -> str:
    lines = [
        "# SYNTHETIC example: district names of Toruń, invented survey facts.",
        "districts:",
        *(f"  {code}: {name}" for code, (name, _) in DISTRICTS.items()),
        "survey:",
        "  name: Toruń safety in public spaces survey 2026 (SYNTHETIC example)",
        "  producer: SYNTHETIC example (no real fieldwork)",
        "  period: '2026'",
        "  fieldwork_start: 2026-03-02",
        "  fieldwork_end: 2026-04-11",
        "  mode: face-to-face (CAPI, violence items self-completed on the tablet)",
        "  universe: residents of Toruń aged 15 and over",
        f"  response_rate: {RESPONSE_RATE}",
        f"  city: {CITY}",
    ]
    return "\n".join(lines) + "\n"


def margins_csv() -> str:
    lines = ["sex,age_group,district,population"]
    for district, (_, population) in DISTRICTS.items():
        for group, share in AGE_SHARES.items():
            cell = population * share
            female = round(cell * FEMALE_SHARE[group])
            lines += [f"male,{group},{district},{round(cell) - female}", f"female,{group},{district},{female}"]
    return "\n".join(lines) + "\n"


def generate(folder: Path = HERE) -> dict[str, Path]:
    rng = np.random.default_rng(SEED)
    people = respondents(rng)
    files = {
        "export": folder / "torun_2026_kobo_export.csv",
        "design": folder / "design.yml",
        "margins": folder / "margins.csv",
    }
    files["export"].write_text(kobo_export(people, rng), encoding="utf-8")
    files["design"].write_text(design_yml(), encoding="utf-8")
    files["margins"].write_text(margins_csv(), encoding="utf-8")
    return files


if __name__ == "__main__":
    for path in generate().values():
        print(path)
