"""The sample design of an upload: the optional design.yml (column renames, finite population correction, the city's
districts, survey facts for the registry) and the optional margins file (population totals by sex x age group, and
optionally district) that weights are raked to. Problems come back as pipelines.uploads.problems.Problem, never as
exceptions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field

import polars as pl
import yaml

from pipelines.surveys.core import AGE_GROUPS, BY_NAME, SEX_PUBLISHED
from pipelines.surveys.labels import choice_lookup, normalise
from pipelines.uploads.problems import Problem, error, warning

DESIGN_FILE = "design.yml"
MARGINS_FILE = "margins.csv"
DISTRICT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
SURVEY_FIELDS = {
    "name": str,
    "producer": str,
    "period": str,
    "fieldwork_start": dt.date,
    "fieldwork_end": dt.date,
    "mode": str,
    "universe": str,
    "response_rate": float,
    "city": str,
}


@dataclass
class DesignSpec:
    renames: dict[str, str] = field(default_factory=dict)  # core variable -> the file's column
    fpc_column: str | None = None  # a column giving the population number of PSUs of the respondent's stratum
    fpc_by_stratum: dict[str, float] | None = None  # or: stratum -> population number of PSUs
    districts: dict[str, str] | None = None  # the city's district codes -> names (names are accepted in the file)
    survey: dict = field(default_factory=dict)  # facts for the survey registry (SURVEY_FIELDS)


def _design_problem(message: str, value=None) -> Problem:
    return error("design_file", message, column=DESIGN_FILE, value=value)


def parse_design(data: bytes | None) -> tuple[DesignSpec, list[Problem]]:
    """design.yml -> (spec, problems). No file: the design comes from the stratum / psu / weight columns alone."""
    if not data:
        return DesignSpec(), []
    try:
        doc = yaml.safe_load(data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return DesignSpec(), [_design_problem(f"{DESIGN_FILE} is not valid UTF-8 YAML ({exc}); fix its syntax.")]
    if doc is None:
        return DesignSpec(), []
    if not isinstance(doc, dict):
        return DesignSpec(), [
            _design_problem(f"{DESIGN_FILE} must be a mapping (columns:, fpc:, districts:, survey:).")
        ]
    problems: list[Problem] = []
    spec = DesignSpec()
    unknown = sorted(set(doc) - {"columns", "fpc", "districts", "survey"})
    if unknown:
        problems.append(
            _design_problem(
                f"unknown section(s) {unknown}; use columns, fpc, districts and survey.", ", ".join(unknown)
            )
        )
    columns = doc.get("columns") or {}
    if not isinstance(columns, dict):
        problems.append(_design_problem("columns: must map core variable names to your column names."))
        columns = {}
    for core, column in columns.items():
        if core not in BY_NAME:
            problems.append(
                _design_problem(f"columns: '{core}' is not a core variable (e.g. stratum, psu, weight, resp_id).", core)
            )
        elif not isinstance(column, str | int) or not str(column).strip():
            problems.append(_design_problem(f"columns: give the name of your column for '{core}'.", core))
        else:
            spec.renames[core] = str(column).strip()
    fpc = doc.get("fpc")
    if isinstance(fpc, str):
        spec.fpc_column = fpc.strip()
    elif isinstance(fpc, dict):
        spec.fpc_by_stratum = {}
        for stratum, size in fpc.items():
            if isinstance(size, bool) or not isinstance(size, int | float) or not size > 0:
                problems.append(
                    _design_problem(
                        f"fpc: stratum '{stratum}' needs the number of PSUs in its population (a positive number).",
                        size,
                    )
                )
            else:
                spec.fpc_by_stratum[str(stratum)] = float(size)
    elif fpc is not None:
        problems.append(
            _design_problem("fpc: give a column name, or a mapping stratum: number of PSUs in the population.", fpc)
        )
    districts = doc.get("districts")
    if districts is not None:
        if not isinstance(districts, dict) or not districts:
            problems.append(_design_problem("districts: give your district codes and names (code: name)."))
        else:
            spec.districts = {}
            for code, name in districts.items():
                if not DISTRICT_CODE.match(str(code)):
                    problems.append(
                        _design_problem(
                            f"districts: code '{code}' may use letters, digits, '-' and '_' only (at most 40).", code
                        )
                    )
                else:
                    spec.districts[str(code)] = str(name if name is not None else code)
    survey = doc.get("survey") or {}
    if not isinstance(survey, dict):
        problems.append(_design_problem("survey: must be a mapping (name, producer, period, fieldwork_start, ...)."))
        survey = {}
    for key, value in survey.items():
        kind = SURVEY_FIELDS.get(key)
        if kind is None:
            problems.append(
                _design_problem(f"survey: unknown field '{key}'; known fields: {', '.join(SURVEY_FIELDS)}.", key)
            )
        elif kind is dt.date:
            try:
                spec.survey[key] = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            except ValueError:
                problems.append(_design_problem(f"survey: {key} must be a date like 2026-03-31.", value))
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
                problems.append(
                    _design_problem(f"survey: {key} must be a share between 0 and 1 (e.g. 0.42 for 42 %).", value)
                )
            else:
                spec.survey[key] = float(value)
        else:
            spec.survey[key] = str(value)
    start, end = spec.survey.get("fieldwork_start"), spec.survey.get("fieldwork_end")
    if start and end and end < start:
        problems.append(_design_problem("survey: fieldwork_end is before fieldwork_start.", f"{start} / {end}"))
    return spec, problems


# ----------------------------------------------------------------------------------------------------- margins
@dataclass
class Margins:
    sex_age: dict[tuple[int, str], float]  # (sex code 1|2, age group) -> population
    district: dict[str, float] | None  # district -> population (summed over sex x age), when given


def _margin_problem(line: int | None, column: str | None, value, message: str) -> Problem:
    return error(
        "margins_file", message, row=line, column=f"{MARGINS_FILE}: {column}" if column else MARGINS_FILE, value=value
    )


def parse_margins(data: bytes | None) -> tuple[Margins | None, list[Problem]]:
    """margins.csv: columns sex, age_group, population and optionally district; one row per cell."""
    if not data:
        return None, []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [_margin_problem(None, None, None, f"{MARGINS_FILE} must be UTF-8 text (CSV); save it as UTF-8.")]
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("sex", "age_group", "population") if c not in header]
    if missing:
        return None, [
            _margin_problem(
                1, None, None, f"{MARGINS_FILE} needs the columns {missing} (and optionally district); add them."
            )
        ]
    with_district = "district" in header
    sexes = choice_lookup("sex")
    sex_names = {name: code for code, name in SEX_PUBLISHED.items()}
    groups = {label for label, _, _ in AGE_GROUPS}
    cells: dict[tuple, float] = {}
    problems: list[Problem] = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        sex = sex_names.get(row["sex"].lower()) or sexes.get(normalise(row["sex"]))
        if sex not in (1, 2):
            problems.append(_margin_problem(line, "sex", row["sex"], "sex must be male or female (or 1 / 2)."))
        age = row["age_group"].replace(" ", "")
        if age not in groups:
            problems.append(
                _margin_problem(line, "age_group", row["age_group"], f"age_group must be one of {sorted(groups)}.")
            )
        try:
            population = float(row["population"].replace(" ", ""))
            if not population > 0 or math.isinf(population):
                raise ValueError
        except ValueError:
            problems.append(
                _margin_problem(line, "population", row["population"], "population must be a positive number.")
            )
            population = None
        district = row.get("district", "") if with_district else ""
        if with_district and not DISTRICT_CODE.match(district):
            problems.append(_margin_problem(line, "district", district, "district must be one of your district codes."))
        key = (sex, age, district)
        if key in cells:
            problems.append(_margin_problem(line, None, None, f"the cell {key} appears twice; keep one row per cell."))
        if population is not None:
            cells[key] = population
    if problems:
        return None, problems
    if not cells:
        return None, [_margin_problem(None, None, None, f"{MARGINS_FILE} has no rows.")]
    sex_age: dict[tuple[int, str], float] = {}
    by_district: dict[str, float] = {}
    for (sex, age, district), population in cells.items():
        sex_age[(sex, age)] = sex_age.get((sex, age), 0.0) + population
        if with_district:
            by_district[district] = by_district.get(district, 0.0) + population
    absent = [f"{SEX_PUBLISHED[s]} {a}" for s in (1, 2) for a in sorted(groups) if (s, a) not in sex_age]
    if absent:
        return None, [
            _margin_problem(None, None, None, f"{MARGINS_FILE} has no population for {absent}; give every cell.")
        ]
    return Margins(sex_age, by_district or None), []


def rake_weights(frame: pl.DataFrame, margins: Margins, base: str | None) -> tuple[pl.Series, list[Problem]]:
    """Weights raked (iterative proportional fitting, svy's `rake`) to the sex x age group totals and, when the margins
    give them, the district totals. Respondents who fall in no cell (sex 3, no age, no district) cannot be raked:
    they keep their base weight times the average adjustment factor, and a warning says how many."""
    import svy

    frame = frame.with_columns(
        pl.when(pl.col("sex").is_in([1, 2]) & pl.col("age_group").is_not_null())
        .then(pl.col("sex").cast(pl.Utf8) + pl.lit("|") + pl.col("age_group"))
        .otherwise(None)
        .alias("_sexage"),
        (pl.col(base) if base else pl.lit(1.0)).cast(pl.Float64).alias("_base"),
    )
    controls: dict[str, dict] = {"_sexage": {f"{s}|{a}": v for (s, a), v in margins.sex_age.items()}}
    rakeable = pl.col("_sexage").is_not_null()
    problems: list[Problem] = []
    if margins.district is not None:
        if "district" not in frame.columns:
            return pl.Series("weight", []), [
                _margin_problem(None, "district", None, "the margins are by district but the file has no district.")
            ]
        controls["district"] = dict(margins.district)
        rakeable = rakeable & pl.col("district").is_not_null()
        unknown = sorted(set(frame["district"].drop_nulls().unique()) - set(margins.district))
        if unknown:
            return pl.Series("weight", []), [
                _margin_problem(None, "district", ", ".join(unknown), "these districts have no population total.")
            ]
    frame = frame.with_columns(rakeable.alias("_rakeable"))
    inside = frame.filter(pl.col("_rakeable"))
    present = set(inside["_sexage"].unique())
    empty = sorted(set(controls["_sexage"]) - present)
    if empty:
        shown = [f"{SEX_PUBLISHED[int(k.split('|')[0])]} {k.split('|')[1]}" for k in empty]
        return pl.Series("weight", []), [
            _margin_problem(
                None, None, None, f"no respondent in {shown}: raking needs at least one; merge age groups or drop them."
            )
        ]
    if margins.district is not None:
        controls["district"] = {d: v for d, v in controls["district"].items() if d in set(inside["district"])}
    sample = svy.Sample(
        inside.select("_row", "_base", "_sexage", *(["district"] if margins.district else [])), svy.Design(wgt="_base")
    )
    raked = sample.weighting.rake(controls=controls, wgt_name="_raked", max_iter=200, tol=1e-8)
    weights = raked.data.select("_row", "_raked")
    factor = float(weights["_raked"].sum() / inside["_base"].sum())
    outside = frame.height - inside.height
    if outside:
        problems.append(
            warning(
                "not_raked",
                f"{outside} respondent(s) have sex 3 (other / prefer not to say), no age or no district: they keep "
                f"their base weight times the average raking factor ({factor:.3f}).",
            )
        )
    result = (
        frame.select("_row", "_base")
        .join(weights, on="_row", how="left")
        .select(pl.coalesce("_raked", pl.col("_base") * factor).alias("weight"))
    )
    return result["weight"], problems
