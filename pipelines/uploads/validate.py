"""Validation of normalised upload rows: every problem at once, each with row, column, value, rule and a
plain sentence on how to fix it. Column rules run as a Great Expectations suite (not null, in the
catalogue, period pattern, unique keys); rules that need the city, the catalogue's units or the published
history (ownership, unit conversion, ranges, intervals, future periods, big changes) are plain Python.
Values are read as text and cast explicitly; nothing is sniffed or rounded."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from dataclasses import dataclass

from pipelines.settings import SEEDS_DIR
from pipelines.uploads.problems import Problem, error, warning

KEY = ["indicator_code", "geo_code", "period", "sex", "age_group", "breakdown"]
PERIOD = r"^[0-9]{4}([-/][0-9]{2}([0-9]{2})?)?$"
NUMBER = re.compile(r"^[-+]?([0-9]+([.,][0-9]+)?|[.,][0-9]+)([eE][-+]?[0-9]+)?$")


@dataclass(frozen=True)
class Catalogue:
    units: dict[str, str]  # indicator_code -> unit
    aliases: dict[str, tuple[str, float]]  # lower-case unit text -> (kind, factor to the catalogue unit)

    @classmethod
    def load(cls) -> Catalogue:
        with open(SEEDS_DIR / "indicators.csv", newline="", encoding="utf-8") as fh:
            units = {r["indicator_code"]: r["unit"] for r in csv.DictReader(fh)}
        with open(SEEDS_DIR / "unit_aliases.csv", newline="", encoding="utf-8") as fh:
            aliases = {r["unit_text"].lower(): (r["unit_kind"], float(r["factor"])) for r in csv.DictReader(fh)}
        return cls(units, aliases)

    def kind(self, indicator: str) -> str | None:
        unit = self.units.get(indicator, "")
        return "percent" if unit.startswith("%") else "per_100k" if "per 100 000" in unit else None


def _number(text: str, comma_decimal: bool) -> float | None:
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if not NUMBER.match(text) or ("," in text and not comma_decimal):
        return None
    return float(text.replace(",", "."))


def _gx_problems(rows: list[dict], catalogue: Catalogue) -> list[Problem]:
    """The column-level rules as a Great Expectations suite over the rows (all text)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    frame = pd.DataFrame(rows).astype({"source_row": "int64"})
    for column in KEY + ["value", "unit"]:
        frame[column] = frame[column].replace("", None)
    # Vectorised: a row-wise .agg("|".join, axis=1) cost 8.6 s per 100 000 rows (benchmarks/results).
    frame["key"] = frame[KEY[0]].fillna("").str.cat([frame[c].fillna("") for c in KEY[1:]], sep="|")
    catalogue_rows = frame[~frame["indicator_code"].fillna("").str.startswith("local:")]
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch_definition = (
        context.data_sources.add_pandas("upload")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("all")
    )
    suite = context.suites.add(gx.ExpectationSuite(name="city_upload"))
    messages = {}
    for column, sentence in (
        ("indicator_code", "Give the indicator code of every row."),
        ("geo_code", "Give your city's code (or CITY:district) on every row."),
        ("period", "Give the year of every row, e.g. 2019 or 2019/20."),
        ("value", "Give a value, or leave the row out if there is none."),
        ("unit", "Give the unit of every value."),
    ):
        expectation = suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=column))
        messages[expectation.id] = ("required", column, f"'{column}' is empty. {sentence}")
    expectation = suite.add_expectation(gxe.ExpectColumnValuesToMatchRegex(column="period", regex=PERIOD))
    messages[expectation.id] = ("period_format", "period", "The period must look like 2019, 2019-20 or 2019/20.")
    expectation = suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column="key"))
    messages[expectation.id] = (
        "duplicate_key",
        None,
        "This indicator, area, period and breakdown appear more than once; keep one row per value.",
    )
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["source_row"]}
    )
    problems = []
    for outcome in result.results:
        rule, column, message = messages[outcome.expectation_config.id]
        for hit in outcome.result.get("unexpected_index_list") or []:
            value = hit.get(column) if column else None
            value = None if value is None or pd.isna(value) else value
            problems.append(error(rule, message, row=int(hit["source_row"]), column=column, value=value))
    if catalogue_rows.empty:
        return problems
    in_set = gxe.ExpectColumnValuesToBeInSet(column="indicator_code", value_set=sorted(catalogue.units))
    result = batch_definition.get_batch(batch_parameters={"dataframe": catalogue_rows}).validate(
        in_set, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["source_row"]}
    )
    for hit in result.result.get("unexpected_index_list") or []:
        problems.append(
            error(
                "unknown_indicator",
                "This indicator code is not in the catalogue; use a code from the "
                "template's catalogue sheet, or report it as a local indicator (local:CITY:name).",
                row=int(hit["source_row"]),
                column="indicator_code",
                value=hit["indicator_code"],
            )
        )
    return problems


def validate_rows(
    rows: list[dict],
    city: str,
    comma_decimal: bool,
    catalogue: Catalogue,
    previous_values: dict[tuple[str, str], tuple[str, float]] | None = None,
    today: dt.date | None = None,
) -> tuple[list[dict], list[Problem]]:
    """Returns (clean rows with numbers converted to the catalogue unit, problems)."""
    if not rows:
        return [], []
    problems = _gx_problems(rows, catalogue)
    this_year = (today or dt.date.today()).year
    clean = []
    for row in rows:
        line, indicator = row["source_row"], row["indicator_code"]
        local = indicator.startswith("local:")
        if local and not indicator.startswith(f"local:{city}:"):
            problems.append(
                error(
                    "local_indicator_city",
                    f"Local indicators of {city} must start with 'local:{city}:'.",
                    line,
                    "indicator_code",
                    indicator,
                )
            )
        geo = row["geo_code"]
        if geo and geo != city and not geo.startswith(f"{city}:"):
            problems.append(
                error(
                    "wrong_city",
                    f"This row is about {geo}, but you upload for {city}: a city can "
                    f"only report its own area ({city}, or {city}:district).",
                    line,
                    "geo_code",
                    geo,
                )
            )
        if row["period"][:4].isdigit() and int(row["period"][:4]) > this_year:
            problems.append(
                error("future_period", f"The period {row['period']} is in the future.", line, "period", row["period"])
            )
        if row["sex"] and row["sex"].lower() not in ("female", "male"):
            problems.append(
                error(
                    "sex",
                    "Sex must be female, male or empty (both sexes); map other labels in the mapping (e.g. Men: male).",
                    line,
                    "sex",
                    row["sex"],
                )
            )
        numbers = {}
        for column in ("value", "ci_low", "ci_high", "sample_size"):
            text = row.get(column, "")
            if text:
                number = _number(text, comma_decimal)
                if number is None:
                    hint = " Use a point as decimal separator." if "," in text and not comma_decimal else ""
                    problems.append(
                        error(
                            "not_a_number",
                            f"'{column}' must be a plain number (no %, no text, no thousands separator).{hint}",
                            line,
                            column,
                            text,
                        )
                    )
                numbers[column] = number
        value = numbers.get("value")
        factor = 1.0
        unit = row["unit"]
        if not local and indicator in catalogue.units and unit:
            kind = catalogue.kind(indicator)
            alias = catalogue.aliases.get(unit.lower())
            if unit != catalogue.units[indicator] and (alias is None or alias[0] != kind):
                problems.append(
                    error(
                        "unit",
                        f"The unit '{unit}' does not match {indicator}, whose unit is '{catalogue.units[indicator]}'.",
                        line,
                        "unit",
                        unit,
                    )
                )
            elif alias and alias[1] != 1:
                factor = alias[1]
                problems.append(
                    warning(
                        "unit_converted",
                        f"Converted from '{unit}' to '{catalogue.units[indicator]}' (multiplied by {factor:g}).",
                        line,
                        "unit",
                        unit,
                    )
                )
            unit = catalogue.units[indicator]
            if value is not None:
                if kind == "percent" and not 0 <= value <= 100:
                    problems.append(
                        error("range", "A percentage must be between 0 and 100.", line, "value", row["value"])
                    )
                if kind == "per_100k" and value < 0:
                    problems.append(error("range", "A rate cannot be negative.", line, "value", row["value"]))
        low, high = numbers.get("ci_low"), numbers.get("ci_high")
        if (low is None) != (high is None) and (row["ci_low"] or row["ci_high"]):
            problems.append(
                error("interval", "Give both ci_low and ci_high, or neither.", line, "ci_low", row["ci_low"])
            )
        elif low is not None and high is not None and value is not None and not low <= value <= high:
            problems.append(
                error(
                    "interval",
                    "The interval must contain the value: ci_low <= value <= ci_high.",
                    line,
                    "ci_low",
                    row["ci_low"],
                )
            )
        size = numbers.get("sample_size")
        if size is not None and (size <= 0 or size != int(size)):
            problems.append(
                error(
                    "sample_size",
                    "The sample size must be a whole number above 0.",
                    line,
                    "sample_size",
                    row["sample_size"],
                )
            )
        previous = (previous_values or {}).get((indicator, geo))
        if (
            value is not None
            and previous
            and previous[1]
            and abs(value * factor - previous[1]) > 0.5 * abs(previous[1])
        ):
            problems.append(
                warning(
                    "big_change",
                    f"The value changes by more than 50 % against the last published "
                    f"value ({previous[1]:g} in {previous[0]}); check it is right.",
                    line,
                    "value",
                    row["value"],
                )
            )
        cleaned = dict(row)
        cleaned["sex"] = row["sex"].lower()
        cleaned["unit"] = unit
        for column in ("value", "ci_low", "ci_high"):
            if numbers.get(column) is not None:
                cleaned[column] = repr(numbers[column] * factor) if factor != 1 else _plain(numbers[column])
        if numbers.get("sample_size") is not None:
            cleaned["sample_size"] = str(int(numbers["sample_size"]))
        cleaned["parent_geo_code"] = city if geo.startswith(f"{city}:") else ""
        clean.append(cleaned)
    return clean, sorted(problems, key=lambda p: (p.severity != "error", p.row or 0, p.column or ""))


def _plain(number: float) -> str:
    return str(int(number)) if number == int(number) else repr(number)
