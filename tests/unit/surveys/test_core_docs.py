"""Definitions are the same in code and docs: the indicator table of docs/methodology/city_survey.md is
core.INDICATORS, the variable table lists core's codes, the reliability table is the seed, and every core
indicator has a catalogue row (with unit, polarity, SDG link, caveat) and a methodology page."""

from __future__ import annotations

import csv
import re

from pipelines.settings import PROJECT_ROOT, SEEDS_DIR
from pipelines.surveys.core import BY_NAME, CHOICES, INDICATORS, VARIABLES
from pipelines.surveys.estimate import load_rules

DOC = PROJECT_ROOT / "docs" / "methodology" / "city_survey.md"


def _table(after_heading: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(after_heading) :]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    block = []
    for line in section.splitlines()[1:]:
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip("|").split("|")])
        elif block:
            break
    assert lines, after_heading
    return block[2:]  # header and separator


def _codes(cell: str) -> tuple[int, ...]:
    return tuple(int(c) for c in re.findall(r"\d+", cell))


def test_the_indicator_table_in_the_docs_is_the_code():
    rows = _table("## Indicators: definitions")
    documented = {}
    for code, variable, numerator, denominator, needs in rows:
        documented[code.strip("`")] = (variable.strip("`"), _codes(numerator), _codes(denominator), needs)
    assert list(documented) == [i.code for i in INDICATORS]
    for indicator in INDICATORS:
        variable, numerator, denominator, needs = documented[indicator.code]
        assert (variable, numerator, denominator) == (indicator.variable, indicator.numerator, indicator.denominator)
        assert ("victim" in needs) == indicator.among_victims
        assert (_codes(needs) if "harassment_place" in needs else None) == indicator.place_in


def test_the_variable_table_in_the_docs_lists_the_codes():
    rows = {row[0].split(",")[0].strip("` "): row for row in _table("## The questionnaire")}
    for variable in VARIABLES:
        if variable.name in ("stratum", "psu", "weight"):
            assert "`stratum`, `psu`, `weight`" in {row[0] for row in rows.values()}
            continue
        row = rows.get(variable.name)
        assert row is not None, variable.name
        if variable.kind == "select_one":
            listed = set(_codes(row[2].replace("1-4", "1, 2, 3, 4")))
            assert set(CHOICES[variable.choices]) <= listed | {8, 9}, variable.name
    assert BY_NAME["safe_night_area"].choices == "safe_area" and 5 in CHOICES["safe_area"]


def test_the_reliability_table_in_the_docs_is_the_seed():
    rules = load_rules()
    text = DOC.read_text(encoding="utf-8")
    assert f"below {rules.suppress_below_n}" in text and rules.suppress_note in text
    assert f"{rules.suppress_below_n} to {rules.flag_below_n - 1}" in text
    assert f"above {rules.flag_above_cv:.0%}".replace("%", " %") in text
    assert rules.low_n_note in text and rules.low_cv_note in text and rules.unweighted_note in text


def test_every_core_indicator_is_catalogued_and_documented():
    with open(SEEDS_DIR / "indicators.csv", encoding="utf-8", newline="") as fh:
        catalogue = {row["indicator_code"]: row for row in csv.DictReader(fh)}
    for indicator in INDICATORS:
        row = catalogue[indicator.code]
        assert row["unit"].startswith("%") and row["higher_is_better"] in ("true", "false")
        assert row["sdg_targets"] and row["comparability_caveat"] and row["indicator_family"] == "survey"
        page = PROJECT_ROOT / "docs" / "methodology" / f"{indicator.code}.md"
        text = page.read_text(encoding="utf-8")
        assert "sps_core_v1" in text and "## Caveats" in text, page
