"""Turning a survey file's text columns into the normalised microdata of `sps_core_v1`, finding every problem at
once (line, column, value, what to do): unknown codes, duplicate respondent ids, ages out of range, bad weights, a
PSU in two strata, single-PSU strata, a file for another city. Any error rejects the whole file.

The normalised frame has one row per respondent: `line` (where it is in the file), resp_id, sex, age, age_group,
district, disability, the questions as small integers (null = not asked / left empty), and the design columns
stratum, psu, weight (and fpc) when the file or design.yml gives them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from pipelines.surveys.core import (
    AGE_GROUPS,
    AGE_MAX,
    AGE_MIN,
    BY_NAME,
    CHOICES,
    INDICATORS,
    QUESTIONS,
    REQUIRED,
    VIOLENCE,
)
from pipelines.surveys.design import DesignSpec
from pipelines.surveys.labels import choice_lookup, normalise
from pipelines.surveys.read import RawSurvey, match_columns
from pipelines.uploads.problems import Problem, error, warning

DISTRICT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
INTEGER_TEXT = re.compile(r"^\s*[+]?(\d+)(?:\.0*)?\s*$")


@dataclass
class Microdata:
    frame: pl.DataFrame | None  # None when the file cannot be used at all
    problems: list[Problem] = field(default_factory=list)
    has_stratum: bool = False
    has_psu: bool = False
    has_weight: bool = False
    has_fpc: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _codes(series: pl.Series, list_name: str, labels: dict[str, str] | None) -> tuple[pl.Series, list[tuple[int, str]]]:
    """Text cells -> codes of `list_name` (a code, or a label in any language; for .sav/.dta the value label first,
    then the code). Returns the codes (null for empty cells) and the (index, text) of cells that match nothing."""
    lookup = choice_lookup(list_name)
    meaning: dict[str, int | None] = {}
    for value in series.unique().to_list():
        text = (value or "").strip()
        if not text:
            meaning[value] = None
            continue
        match = INTEGER_TEXT.match(text)
        code_text = (match.group(1).lstrip("0") or "0") if match else text
        label = (labels or {}).get(code_text)
        code = lookup.get(normalise(label)) if label else None
        if code is None:
            code = lookup.get(code_text) if match else lookup.get(normalise(text))
        meaning[value] = code if code is not None else -1
    codes = series.replace_strict(meaning, return_dtype=pl.Int16)
    unknown = codes == -1
    if not unknown.any():
        return codes, []
    bad = [(i, series[i]) for i in unknown.arg_true().to_list()]
    return codes.set(unknown, None), bad


def _allowed(list_name: str) -> str:
    return ", ".join(str(c) for c in CHOICES[list_name])


def normalise_survey(raw: RawSurvey, city: str, spec: DesignSpec) -> Microdata:
    problems: list[Problem] = []
    match = match_columns(raw.header, spec.renames)
    for core, column in spec.renames.items():
        if column not in raw.header:
            problems.append(
                error(
                    "design_file",
                    f"design.yml maps {core} to the column '{column}', which is not in the file; fix the name.",
                    column="design.yml",
                    value=column,
                )
            )
    for core, names in match.duplicates.items():
        problems.append(
            error(
                "duplicate_column",
                f"Columns {names} all stand for {core}; keep one (or name the right one in design.yml columns:).",
                row=1,
                column=names[1],
            )
        )
    for name in match.ignored:
        problems.append(
            warning(
                "ignored_column",
                "This column is not a core variable of sps_core_v1 and is not used (other modules stay private).",
                row=1,
                column=name,
            )
        )
    present = {core: name for name, core in match.mapping.items()}
    for core in REQUIRED:
        if core not in present:
            problems.append(
                error(
                    "missing_column",
                    f"The file has no '{core}' column; add it (or name your column in design.yml columns:).",
                    row=1,
                    column=core,
                )
            )
    absent_questions = [q for q in QUESTIONS if q not in present]
    if len(absent_questions) == len(QUESTIONS):
        problems.append(
            error(
                "no_questions",
                "The file has none of the core questions (safe_night_area, harassment_12m, ...); check the column "
                "names against the form (sps survey form).",
                row=1,
            )
        )
    for question in absent_questions if len(absent_questions) < len(QUESTIONS) else []:
        if question == "harassment_place" and "harassment_12m" not in present:
            continue
        codes = [
            i.code for i in INDICATORS if i.variable == question or (question == "harassment_place" and i.place_in)
        ]
        problems.append(
            warning(
                "missing_question",
                f"No '{question}' column: {', '.join(codes) or 'it'} cannot be estimated.",
                row=1,
                column=question,
            )
        )
    if spec.fpc_column and spec.fpc_column not in raw.header:
        problems.append(
            error(
                "design_file",
                f"design.yml fpc names the column '{spec.fpc_column}', which is not in the file.",
                column="design.yml",
                value=spec.fpc_column,
            )
        )
    # Only a file whose columns cannot be read as the core variables stops here; a design.yml naming a column the
    # file lacks (its own error above) still lets every row be checked, so the city sees every error at once.
    if any(p.severity == "error" and p.rule != "design_file" for p in problems):
        return Microdata(None, problems)

    lines = raw.lines
    line_of = lines.to_list()
    out: dict[str, pl.Series] = {"line": lines}

    def cell_error(rule: str, index: int, column: str, value, message: str) -> None:
        problems.append(error(rule, message, row=line_of[index], column=column, value=value))

    def text_of(core: str) -> pl.Series:
        return raw.columns[present[core]].fill_null("").str.strip_chars()

    # The form's hidden city code: a file collected for another city is refused.
    city_values = []
    if match.city_column:
        city_values.append((match.city_column, raw.columns[match.city_column].fill_null("").str.strip_chars()))
    if spec.survey.get("city"):
        if spec.survey["city"].strip().upper() != city:
            problems.append(
                error(
                    "wrong_city",
                    f"design.yml says this survey is for {spec.survey['city']}, but you upload for {city}.",
                    column="design.yml",
                    value=spec.survey["city"],
                )
            )
    for column, values in city_values:
        for index, value in enumerate(values.to_list()):
            if value and value.upper() != city:
                cell_error(
                    "wrong_city",
                    index,
                    column,
                    value,
                    f"This interview was collected for {value}, but you upload for {city}; upload it for its own city.",
                )

    # resp_id: present, unique.
    ids = text_of("resp_id")
    seen: dict[str, int] = {}
    for index, value in enumerate(ids.to_list()):
        if not value:
            cell_error("resp_id", index, present["resp_id"], value, "Every respondent needs a resp_id.")
        elif value in seen:
            cell_error(
                "duplicate_resp_id",
                index,
                present["resp_id"],
                value,
                f"This resp_id is already on line {seen[value]}; each respondent must appear once.",
            )
        else:
            seen[value] = line_of[index]
    out["resp_id"] = ids

    # Coded variables.
    for core, name in present.items():
        variable = BY_NAME[core]
        if variable.kind != "select_one":
            continue
        codes, bad = _codes(raw.columns[name].fill_null(""), variable.choices, raw.value_labels.get(name))
        for index, value in bad:
            cell_error(
                "unknown_code",
                index,
                name,
                value,
                f"'{value}' is not an answer of {core}: use a code ({_allowed(variable.choices)}) or its label as "
                "in the form.",
            )
        if core == "sex":
            for index in (codes.is_null() & (raw.columns[name].fill_null("").str.strip_chars() == "")).arg_true():
                cell_error("sex", index, name, "", "sex is empty: use 3 for other / prefer not to say.")
        out[core] = codes

    # Age: a whole number 15-120; an empty age is allowed (refused) and leaves the age groups.
    ages = text_of("age")
    age_values: list[int | None] = []
    missing_age = 0
    for index, value in enumerate(ages.to_list()):
        found = INTEGER_TEXT.match(value) if value else None
        if not value:
            missing_age += 1
            age_values.append(None)
        elif not found:
            cell_error("age", index, present["age"], value, "age must be a whole number of years (e.g. 34).")
            age_values.append(None)
        elif not AGE_MIN <= int(found.group(1)) <= AGE_MAX:
            cell_error(
                "age_range",
                index,
                present["age"],
                value,
                f"age must be between {AGE_MIN} and {AGE_MAX}: the core module covers residents aged {AGE_MIN}+.",
            )
            age_values.append(None)
        else:
            age_values.append(int(found.group(1)))
    if missing_age:
        problems.append(
            warning(
                "age_missing",
                f"{missing_age} respondent(s) have no age: they count in totals but in no age group.",
                column=present["age"],
            )
        )
    out["age"] = pl.Series("age", age_values, pl.Int16)

    # District: the city's own codes (or names, when design.yml lists them).
    if "district" in present:
        names = {normalise(n): c for c, n in (spec.districts or {}).items()}
        codes = []
        for index, value in enumerate(text_of("district").to_list()):
            if not value:
                codes.append(None)
            elif spec.districts is not None:
                code = value if value in spec.districts else names.get(normalise(value))
                if code is None:
                    cell_error(
                        "unknown_district",
                        index,
                        present["district"],
                        value,
                        f"This district is not in design.yml districts: ({', '.join(spec.districts)}); fix the code "
                        "or add the district.",
                    )
                codes.append(code)
            elif DISTRICT_CODE.match(value):
                codes.append(value)
            else:
                cell_error(
                    "district_code",
                    index,
                    present["district"],
                    value,
                    "A district code may use letters, digits, '-' and '_' only (at most 40); list names with their "
                    "codes in design.yml districts:.",
                )
                codes.append(None)
        out["district"] = pl.Series("district", codes, pl.Utf8)

    # Design columns.
    for core in ("stratum", "psu"):
        if core in present:
            values = text_of(core)
            for index in (values == "").arg_true().to_list():
                cell_error(core, index, present[core], "", f"{core} is empty; every respondent needs one.")
            out[core] = values
    if "weight" in present:
        weights: list[float | None] = []
        decimal_comma = raw.delimiter in (";", "\t")
        for index, value in enumerate(text_of("weight").to_list()):
            number = None
            try:
                number = float(value.replace(",", ".") if decimal_comma else value)
            except ValueError:
                pass
            if number is None or number != number or number in (float("inf"), float("-inf")):
                cell_error("weight", index, present["weight"], value, "weight must be a positive number.")
            elif number <= 0:
                cell_error(
                    "weight",
                    index,
                    present["weight"],
                    value,
                    "weight must be above 0: a respondent with no weight should not be in the file.",
                )
                number = None
            weights.append(number)
        out["weight"] = pl.Series("weight", weights, pl.Float64)
    if spec.fpc_column and spec.fpc_column in raw.header:  # a missing one is a design_file error above
        fpc = []
        for index, value in enumerate(raw.columns[spec.fpc_column].fill_null("").str.strip_chars().to_list()):
            try:
                fpc.append(float(value))
            except ValueError:
                cell_error("fpc", index, spec.fpc_column, value, "The fpc column needs the population number of PSUs.")
                fpc.append(None)
        out["fpc"] = pl.Series("fpc", fpc, pl.Float64)

    frame = pl.DataFrame(out).with_row_index("_row")
    frame = frame.with_columns(
        pl.when(pl.col("age").is_null())
        .then(None)
        .otherwise(
            pl.coalesce(
                *(pl.when(pl.col("age").is_between(low, high)).then(pl.lit(label)) for label, low, high in AGE_GROUPS)
            )
        )
        .alias("age_group")
    )
    problems += _skip_patterns(frame, present)
    frame = _apply_skips(frame)
    if spec.fpc_by_stratum is not None:
        if "stratum" not in frame.columns:
            problems.append(
                error(
                    "design_file",
                    "design.yml fpc is given by stratum but the file has no stratum column.",
                    column="design.yml",
                )
            )
        else:
            unknown = sorted(set(frame["stratum"].unique()) - set(spec.fpc_by_stratum) - {""})
            if unknown:
                problems.append(
                    error(
                        "design_file",
                        f"design.yml fpc has no population number of PSUs for stratum/strata {unknown}.",
                        column="design.yml",
                        value=", ".join(unknown),
                    )
                )
            else:
                frame = frame.with_columns(
                    pl.col("stratum")
                    .replace_strict(spec.fpc_by_stratum, default=None, return_dtype=pl.Float64)
                    .alias("fpc")
                )
    problems += _design_problems(frame, present)
    return Microdata(
        frame,
        problems,
        has_stratum="stratum" in frame.columns,
        has_psu="psu" in frame.columns,
        has_weight="weight" in frame.columns,
        has_fpc="fpc" in frame.columns,
    )


def _skip_patterns(frame: pl.DataFrame, present: dict[str, str]) -> list[Problem]:
    """Answers the form's skip logic would not have asked: warned about, then ignored (set to null)."""
    problems = []
    if "harassment_place" in frame.columns and "harassment_12m" in frame.columns:
        stray = frame.filter(pl.col("harassment_place").is_not_null() & (pl.col("harassment_12m") != 1).fill_null(True))
        for line, value in zip(stray["line"], stray["harassment_place"], strict=True):
            problems.append(
                warning(
                    "skip_pattern",
                    "harassment_place is answered although harassment_12m is not 1 (yes): the answer is ignored.",
                    row=line,
                    column=present["harassment_place"],
                    value=value,
                )
            )
    if "reported_police" in frame.columns:
        victims = [pl.col(v) == 1 for v in VIOLENCE if v in frame.columns]
        victim = pl.any_horizontal(victims).fill_null(False) if victims else pl.lit(False)
        stray = frame.filter(pl.col("reported_police").is_not_null() & ~victim)
        for line, value in zip(stray["line"], stray["reported_police"], strict=True):
            problems.append(
                warning(
                    "skip_pattern",
                    "reported_police is answered although no violence item is 1 (yes): the answer is ignored.",
                    row=line,
                    column=present["reported_police"],
                    value=value,
                )
            )
    return problems


def _apply_skips(frame: pl.DataFrame) -> pl.DataFrame:
    if "harassment_place" in frame.columns:
        asked = (pl.col("harassment_12m") == 1) if "harassment_12m" in frame.columns else pl.lit(False)
        frame = frame.with_columns(
            pl.when(asked).then(pl.col("harassment_place")).otherwise(None).alias("harassment_place")
        )
    if "reported_police" in frame.columns:
        victims = [pl.col(v) == 1 for v in VIOLENCE if v in frame.columns]
        victim = pl.any_horizontal(victims).fill_null(False) if victims else pl.lit(False)
        frame = frame.with_columns(
            pl.when(victim).then(pl.col("reported_police")).otherwise(None).alias("reported_police")
        )
    return frame


def _design_problems(frame: pl.DataFrame, present: dict[str, str]) -> list[Problem]:
    """A PSU in two strata, strata with one PSU, an fpc below the sampled PSUs: R's survey package and svy would refuse
    (or silently mis-estimate) these, so the city hears about them first."""
    problems: list[Problem] = []
    has_stratum, has_psu = "stratum" in frame.columns, "psu" in frame.columns
    design = frame.select(
        "line",
        (pl.col("stratum") if has_stratum else pl.lit("(one stratum)")).alias("stratum"),
        (pl.col("psu") if has_psu else pl.col("line").cast(pl.Utf8)).alias("psu"),
        *(["fpc"] if "fpc" in frame.columns else []),
    ).filter((pl.col("stratum") != "") & (pl.col("psu") != ""))
    if has_psu and has_stratum:
        firsts = design.group_by("psu", "stratum", maintain_order=True).agg(pl.col("line").min())
        for psu, group in firsts.group_by("psu", maintain_order=True):
            if group.height > 1:
                second = group.sort("line").row(1, named=True)
                strata = ", ".join(group.sort("line")["stratum"].to_list())
                problems.append(
                    error(
                        "psu_in_two_strata",
                        f"PSU {psu[0]} appears in strata {strata}: a PSU belongs to one stratum. Give PSUs codes that "
                        "are unique within the file (e.g. stratum + PSU) or fix the stratum.",
                        row=second["line"],
                        column=present["psu"],
                        value=psu[0],
                    )
                )
    if has_stratum or has_psu:
        per_stratum = design.group_by("stratum", maintain_order=True).agg(
            pl.col("psu").n_unique().alias("psus"), pl.col("line").min().alias("first")
        )
        for row in per_stratum.filter(pl.col("psus") < 2).iter_rows(named=True):
            what = "one PSU" if has_psu else "one respondent"
            where = f"stratum {row['stratum']}" if has_stratum else "the file"
            problems.append(
                error(
                    "single_psu_stratum",
                    f"{where.capitalize()} has {what}: its variance cannot be estimated. Merge it with a similar "
                    "stratum (collapse strata) and upload again.",
                    row=row["first"],
                    column=present.get("stratum") or present.get("psu"),
                    value=row["stratum"] if has_stratum else None,
                )
            )
    if "fpc" in design.columns:
        checks = design.group_by("stratum", maintain_order=True).agg(
            pl.col("psu").n_unique().alias("psus"),
            pl.col("fpc").n_unique().alias("values"),
            pl.col("fpc").first(),
            pl.col("line").min().alias("first"),
        )
        for row in checks.iter_rows(named=True):
            if row["values"] > 1:
                problems.append(
                    error(
                        "fpc",
                        "The fpc differs within one stratum; give one population number of PSUs per stratum.",
                        row=row["first"],
                        value=row["stratum"],
                    )
                )
            elif row["fpc"] is not None and row["fpc"] < row["psus"]:
                problems.append(
                    error(
                        "fpc",
                        f"The stratum's population number of PSUs ({row['fpc']:g}) is below the {row['psus']} PSUs "
                        "sampled in it.",
                        row=row["first"],
                        value=row["stratum"],
                    )
                )
    return problems
