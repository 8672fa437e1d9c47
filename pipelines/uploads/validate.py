"""Validation of normalised upload rows: every problem at once, each with row, column, value, rule and a
plain sentence on how to fix it. Column rules run as a Great Expectations suite (not null, in the
catalogue, period pattern, unique keys); rules that need the city, the catalogue's units or the published
history (ownership, unit conversion, ranges, intervals, future periods, big changes) are SQL over the
whole upload in an in-memory DuckDB. Values are read as text and cast explicitly; nothing is sniffed or
rounded.

Nothing here runs per row in Python except for the rows that have a problem: GX gets a narrow frame (the
required columns and the key, as categories), the SQL returns only the flagged rows, and the clean rows
are a query over the normalised Arrow table, run when they are read or written to the inbox."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import pyarrow as pa

from pipelines.settings import SEEDS_DIR
from pipelines.shared.gx import run_suite
from pipelines.shared.gx import warm_up as warm_up_gx
from pipelines.shared.i18n import N_
from pipelines.uploads.formats import row_fields, rows_schema
from pipelines.uploads.parse import WHITESPACE_CLASS
from pipelines.uploads.problems import Problem, error, warning

if TYPE_CHECKING:
    import duckdb

KEY = ["indicator_code", "geo_code", "period", "sex", "age_group", "breakdown"]
PERIOD = r"^[0-9]{4}([-/][0-9]{2}([0-9]{2})?)?$"
PERIOD_EXAMPLES = "2019, 2019-20 or 2019/20 (not in the future)"
NUMBER = re.compile(r"^[-+]?([0-9]+([.,][0-9]+)?|[.,][0-9]+)([eE][-+]?[0-9]+)?$")
NUMBER_COLUMNS = ("value", "ci_low", "ci_high", "sample_size")
REQUIRED = (  # the column, and the problem's message when it is empty (a gettext message id: N_)
    ("indicator_code", N_("'indicator_code' is empty. Give the indicator code of every row.")),
    ("geo_code", N_("'geo_code' is empty. Give your city's code (or CITY:district) on every row.")),
    ("period", N_("'period' is empty. Give the year of every row, e.g. 2019 or 2019/20.")),
    ("value", N_("'value' is empty. Give a value, or leave the row out if there is none.")),
    ("unit", N_("'unit' is empty. Give the unit of every value.")),
)


def unit_key(unit: str) -> str:
    """How a unit is looked up among the aliases: lower case, any run of white space (no-break and narrow
    no-break spaces of '100 000' included) as one space. SQL: `_unit_key_sql`."""
    return " ".join(unit.lower().split())


@dataclass(frozen=True)
class Catalogue:
    units: dict[str, str]  # indicator_code -> unit
    aliases: dict[str, tuple[str, float]]  # unit_key(text) -> (kind, factor to the catalogue unit)
    # unit_key(text) of the spellings the template itself uses ('%', 'per 100 000'): read without a warning
    standard: frozenset[str] = frozenset()
    # column -> lower-case value -> what it reads as ('total' -> '' for sex): accepted with a warning
    synonyms: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Catalogue:
        with open(SEEDS_DIR / "indicators.csv", newline="", encoding="utf-8") as fh:
            units = {r["indicator_code"]: r["unit"] for r in csv.DictReader(fh)}
        with open(SEEDS_DIR / "unit_aliases.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        aliases = {unit_key(r["unit_text"]): (r["unit_kind"], float(r["factor"])) for r in rows}
        standard = frozenset(unit_key(r["unit_text"]) for r in rows if r.get("is_standard") == "true")
        synonyms: dict[str, dict[str, str]] = {}
        with open(SEEDS_DIR / "upload_value_synonyms.csv", newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                synonyms.setdefault(r["column_name"], {})[r["value"].lower()] = r["reads_as"]
        return cls(units, aliases, standard, synonyms)

    def units_of_kind(self, indicator: str) -> list[str]:
        """Every unit spelling read for `indicator` (its own unit first), for the template's data dictionary."""
        kind = self.kind(indicator)
        return [self.units.get(indicator, "")] + sorted(t for t, (k, f) in self.aliases.items() if k == kind)

    def kind(self, indicator: str) -> str | None:
        unit = self.units.get(indicator, "")
        return "percent" if unit.startswith("%") else "per_100k" if "per 100 000" in unit else None


@dataclass(frozen=True)
class RowChecks:
    """What the SQL rules need: the normalised rows and the facts they are checked against."""

    rows: pa.Table
    city: str
    comma_decimal: bool
    this_year: int
    catalogue: Catalogue
    previous_values: dict[tuple[str, str], tuple[str, float]]

    def register(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Make the views `checked` (every row with its rule flags) and `clean_rows` available in `conn`.
        Both are plain selects over the rows (the catalogue, unit aliases and published values are
        looked up in maps, not joined), so DuckDB keeps the rows' order without sorting them."""
        units, aliases, previous = self.catalogue.units, self.catalogue.aliases, self.previous_values
        sex_synonyms = self.catalogue.synonyms.get("sex", {})
        conn.register("upload_rows", self.rows)
        for name, value in (("city", self.city), ("this_year", self.this_year), ("comma_decimal", self.comma_decimal)):
            conn.execute(f"set variable {name} = ?", [value])
        for name, key_type, value_type, keys, values in (
            (
                "catalogue_units",
                "varchar",
                "struct(unit varchar, kind varchar)",
                list(units),
                [{"unit": unit, "kind": self.catalogue.kind(code)} for code, unit in units.items()],
            ),
            (
                "unit_aliases",
                "varchar",
                "struct(kind varchar, factor double, standard boolean)",
                list(aliases),
                [
                    {"kind": kind, "factor": factor, "standard": text in self.catalogue.standard}
                    for text, (kind, factor) in aliases.items()
                ],
            ),
            ("sex_synonyms", "varchar", "varchar", list(sex_synonyms), list(sex_synonyms.values())),
            (
                "previous_values",
                "struct(indicator_code varchar, geo_code varchar)",
                "struct(period varchar, value double)",
                [{"indicator_code": indicator, "geo_code": geo} for indicator, geo in previous],
                [{"period": period, "value": value} for period, value in previous.values()],
            ),
        ):
            conn.execute(f"set variable {name} = map(?::{key_type}[], ?::{value_type}[])", [keys, values])
        conn.execute(CHECKED)
        conn.execute(CLEAN)


class CleanRows(Sequence[dict]):
    """The validated rows (numbers converted to the catalogue unit, sex in lower case, parent_geo_code set),
    in `row_fields()`, `source_row` and `parent_geo_code`. They are computed when read: indexing and
    iterating give one dict per row in line order; the inbox writer copies them to rows.csv in SQL."""

    def __init__(self, checks: RowChecks) -> None:
        self.checks = checks

    def register(self, conn: duckdb.DuckDBPyConnection) -> str:
        """Make the rows queryable in `conn`, in line order; returns the view's name."""
        self.checks.register(conn)
        return "clean_rows"

    @cached_property
    def table(self) -> pa.Table:
        import duckdb

        with duckdb.connect() as conn:
            return conn.sql(f"select * from {self.register(conn)}").to_arrow_table()

    def __len__(self) -> int:
        return self.checks.rows.num_rows

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.table.slice(index, 1).to_pylist()[0]

    def __iter__(self) -> Iterator[dict]:
        for batch in self.table.to_batches(max_chunksize=10_000):
            yield from batch.to_pylist()

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return f"CleanRows({len(self)} rows)"


def _as_table(rows: pa.Table | Sequence[dict]) -> pa.Table:
    if isinstance(rows, pa.Table):
        return rows
    text = [{k: "" if row.get(k) is None else str(row[k]) for k in row_fields()} for row in rows]
    table = pa.Table.from_pylist(text, schema=pa.schema([f for f in rows_schema() if f.name != "source_row"]))
    return table.append_column("source_row", pa.array([int(row["source_row"]) for row in rows], pa.int64()))


def _stripped_sql(column: str) -> str:
    """str.strip() in SQL (DuckDB's trim with 29 characters is ten times slower than this regex)."""
    return f"regexp_replace({column}, '^{WHITESPACE_CLASS}+|{WHITESPACE_CLASS}+$', '', 'g')"


def _text_sql(number: str, text: str, factor: str) -> str:
    """The cleaned text of a number: Python's repr when converted, else the integer digits of a whole
    number (str(int(x))); beyond 1e38 (no SQL integer holds it) the repr, which reads back as the same."""
    return f"""case when {number} is null then {text}
                    when {factor} <> 1 then cast({number} * {factor} as varchar)
                    when {number} = trunc({number}) and abs({number}) < 1e38
                        then cast(try_cast({number} as hugeint) as varchar)
                    else cast({number} as varchar) end"""


NUMBER_PATTERN = NUMBER.pattern.removeprefix("^").removesuffix("$")
# Python's _number, a step per CTE so that each expression runs once: text.strip(), no (non-breaking)
# spaces (the same text when the spaces go first: strip only takes white space off the ends, and the
# costly strip only runs on a text that is not yet a number); then NUMBER, a decimal comma only in ; or
# tab files, float(); a number too large for a double is not a number.
NUMBER_STEPS = [
    ", ".join(f"replace(replace({c}, chr(160), ''), ' ', '') as {c}_spaceless" for c in NUMBER_COLUMNS),
    ", ".join(f"regexp_full_match({c}_spaceless, '{NUMBER_PATTERN}') as {c}_matches" for c in NUMBER_COLUMNS),
    ", ".join(
        f"case when {c}_matches then {c}_spaceless else {_stripped_sql(f'{c}_spaceless')} end as {c}_text"
        for c in NUMBER_COLUMNS
    ),
    ", ".join(
        f"""case when {c} <> '' and ({c}_matches or regexp_full_match({c}_text, '{NUMBER_PATTERN}'))
                      and (getvariable('comma_decimal') or not contains({c}_text, ','))
                 then try_cast(replace({c}_text, ',', '.') as double) end as {c}_cast"""
        for c in NUMBER_COLUMNS
    ),
    ", ".join(f"case when isfinite({c}_cast) then {c}_cast end as {c}_number" for c in NUMBER_COLUMNS),
]
# Every rule of the upload that is not a GX column rule, as flags per row (null counts as false). A
# number too large for a double is not a number.
CHECKED = f"""
create view checked as
with spaceless as (
    select *, {NUMBER_STEPS[0]} from upload_rows
), matches as (
    select *, {NUMBER_STEPS[1]} from spaceless
), texts as (
    select *, {NUMBER_STEPS[2]} from matches
), casts as (
    select *, {NUMBER_STEPS[3]} from texts
), numbers as (
    select *, {NUMBER_STEPS[4]} from casts
), lookups as (
    select *,
           starts_with(indicator_code, 'local:') as is_local,
           getvariable('catalogue_units')[indicator_code] as catalogue_entry,
           getvariable('unit_aliases')[lower(regexp_replace(unit, '{WHITESPACE_CLASS}+', ' ', 'g'))] as alias,
           case when sex <> '' and lower(sex) not in ('female', 'male')
                then getvariable('sex_synonyms')[lower(sex)] end as sex_synonym,
           getvariable('previous_values')[{{'indicator_code': indicator_code, 'geo_code': geo_code}}] as previous
    from numbers
), joined as (
    select *,
           catalogue_entry.unit as catalogue_unit,
           catalogue_entry.kind as kind,
           alias.kind as alias_kind,
           alias.factor as alias_factor,
           coalesce(alias.standard, false) as alias_standard,
           previous.period as previous_period,
           previous.value as previous_value
    from lookups
), units as (
    select *,
           not is_local and catalogue_unit is not null and unit <> '' as in_catalogue,
           unit <> catalogue_unit and (alias_kind is null or alias_kind is distinct from kind) as unit_mismatch
    from joined
), factors as (
    select *,
           in_catalogue and not unit_mismatch and coalesce(alias_factor <> 1, false) as is_converted,
           in_catalogue and not unit_mismatch and unit <> catalogue_unit and not coalesce(alias_factor <> 1, false)
               and not alias_standard as is_unit_synonym,
           case when in_catalogue and not unit_mismatch and coalesce(alias_factor <> 1, false)
                then alias_factor else 1 end as factor
    from units
)
select *,
       is_local and not starts_with(indicator_code, 'local:' || getvariable('city') || ':') as bad_local_city,
       geo_code <> '' and geo_code <> getvariable('city')
           and not starts_with(geo_code, getvariable('city') || ':') as bad_city,
       regexp_matches(period, '^[0-9]{{4}}')
           and try_cast(left(period, 4) as integer) > getvariable('this_year') as bad_future,
       sex <> '' and lower(sex) not in ('female', 'male') and sex_synonym is null as bad_sex,
       sex_synonym is not null as is_sex_synonym,
       {", ".join(f"{c} <> '' and {c}_number is null as not_a_number_{c}" for c in NUMBER_COLUMNS)},
       in_catalogue and unit_mismatch as bad_unit,
       in_catalogue and kind = 'percent' and not value_number between 0 and 100 as bad_percent,
       in_catalogue and kind = 'per_100k' and value_number < 0 as bad_rate,
       (ci_low_number is null) <> (ci_high_number is null) and (ci_low <> '' or ci_high <> '') as bad_interval_pair,
       not value_number between ci_low_number and ci_high_number as bad_interval,
       sample_size_number <= 0 or sample_size_number <> trunc(sample_size_number) as bad_sample_size,
       coalesce(previous_value <> 0, false)
           and abs(value_number * factor - previous_value) > 0.5 * abs(previous_value) as big_change
from factors
"""
FLAGS = [
    "bad_local_city",
    "bad_city",
    "bad_future",
    "bad_sex",
    "is_sex_synonym",
    *(f"not_a_number_{c}" for c in NUMBER_COLUMNS),
    "bad_unit",
    "is_converted",
    "is_unit_synonym",
    "bad_percent",
    "bad_rate",
    "bad_interval_pair",
    "bad_interval",
    "bad_sample_size",
    "big_change",
]
# What _row_problems reads of a flagged row besides its flags.
FLAGGED_COLUMNS = [
    "source_row",
    "indicator_code",
    "geo_code",
    "period",
    "sex",
    "sex_synonym",
    *NUMBER_COLUMNS,
    "unit",
    "catalogue_unit",
    "factor",
    "previous_value",
    "previous_period",
]
CLEAN = f"""
create view clean_rows as
select {", ".join(c for c in row_fields() if c not in ("sex", "unit", "value", "ci_low", "ci_high", "sample_size"))},
       source_row,
       coalesce(sex_synonym, lower(sex)) as sex,
       case when in_catalogue then catalogue_unit else unit end as unit,
       {_text_sql("value_number", "value", "factor")} as value,
       {_text_sql("ci_low_number", "ci_low", "factor")} as ci_low,
       {_text_sql("ci_high_number", "ci_high", "factor")} as ci_high,
       case when sample_size_number is null then sample_size
            when abs(sample_size_number) < 1e38
                then cast(try_cast(trunc(sample_size_number) as hugeint) as varchar)
            else cast(sample_size_number as varchar) end as sample_size,
       case when starts_with(geo_code, getvariable('city') || ':') then getvariable('city') else '' end
           as parent_geo_code
from checked
"""


def _gx_frame(rows: pa.Table):
    """The narrow pandas frame the suite reads: source_row, the required columns (empty text as null), as
    categories but for the value (few distinct codes, periods and units: GX's checks run about twice as
    fast), the catalogue code of every row that is not a local indicator, and `key_group`, one number per
    distinct key (indicator, area, period, sex, age group, breakdown; empty parts equal), so the key is
    unique exactly when key_group is. (GX's own compound-unique check takes 7 s to list 40 000 duplicates.)"""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    value, indicator = rows["value"], rows["indicator_code"]
    columns = {"source_row": rows["source_row"], "value": pc.if_else(pc.equal(value, ""), None, value)}
    for name in dict.fromkeys([c for c, _ in REQUIRED if c != "value"] + KEY):
        columns[name] = pc.dictionary_encode(rows[name])
    local = pc.starts_with(indicator, "local:")
    columns["catalogue_indicator_code"] = pc.dictionary_encode(pc.if_else(local, None, indicator))
    frame = pa.table(columns).to_pandas()
    for name in columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype) and "" in frame[name].cat.categories:
            frame[name] = frame[name].cat.remove_categories([""])
    # The key's parts' category codes (0 for empty) combined into one integer, renumbered whenever the
    # product of the category counts would outgrow an int64.
    key, span = np.zeros(len(frame), dtype=np.int64), 1
    for name in KEY:
        codes, size = frame[name].cat.codes.to_numpy().astype(np.int64) + 1, len(frame[name].cat.categories) + 1
        if span * size >= 2**62:
            renumbered, distinct = pd.factorize(key)
            key, span = renumbered.astype(np.int64), len(distinct)
        key, span = key * size + codes, span * size
    frame["key_group"] = key
    return frame.drop(columns=[c for c in KEY if c not in dict(REQUIRED)])


def _gx_problems(rows: pa.Table, catalogue: Catalogue) -> list[Problem]:
    """The column-level rules as a Great Expectations suite over a narrow frame (_gx_frame)."""
    frame = _gx_frame(rows)  # built first: GX may still be importing in the background

    def build(gxe):
        expectations = [
            (("required", column, why), gxe.ExpectColumnValuesToNotBeNull(column=column)) for column, why in REQUIRED
        ]
        expectations += [
            (
                ("period_format", "period", N_("The period must look like 2019, 2019-20 or 2019/20.")),
                gxe.ExpectColumnValuesToMatchRegex(column="period", regex=PERIOD),
            ),
            (
                (
                    "duplicate_key",
                    None,
                    N_("This indicator, area, period and breakdown appear more than once; keep one row per value."),
                ),
                gxe.ExpectColumnValuesToBeUnique(column="key_group"),
            ),
            (
                (
                    "unknown_indicator",
                    "indicator_code",
                    N_(
                        "This indicator code is not in the catalogue; use a code from the template's 'indicators' "
                        "sheet, or report it as a local indicator (local:CITY:name)."
                    ),
                ),
                gxe.ExpectColumnValuesToBeInSet(column="catalogue_indicator_code", value_set=sorted(catalogue.units)),
            ),
        ]
        return expectations

    problems = []
    for (rule, column, message), hits in run_suite(frame, "city_upload", build, ["source_row"]):
        source = "catalogue_indicator_code" if rule == "unknown_indicator" else column
        for hit in hits:
            value = hit.get(source) if rule in ("period_format", "unknown_indicator") else None
            problems.append(error(rule, message, row=int(hit["source_row"]), column=column, value=value))
    return problems


def _row_problems(row: dict, city: str, comma_decimal: bool) -> list[Problem]:
    """The problems of one row that the SQL flagged, in the order the rules are listed."""
    line, indicator, unit = row["source_row"], row["indicator_code"], row["unit"]
    problems = []
    if row["bad_local_city"]:
        problems.append(
            error(
                "local_indicator_city",
                N_("Local indicators of {city} must start with 'local:{city}:'."),
                line,
                "indicator_code",
                indicator,
                city=city,
            )
        )
    if row["bad_city"]:
        geo = row["geo_code"]
        problems.append(
            error(
                "wrong_city",
                N_(
                    "This row is about {area}, but you upload for {city}: a city can only report its own area ({city}, "
                    "or {city}:district)."
                ),
                line,
                "geo_code",
                geo,
                area=geo,
                city=city,
            )
        )
    if row["bad_future"]:
        problems.append(
            error(
                "future_period",
                N_("The period {period} is in the future."),
                line,
                "period",
                row["period"],
                period=row["period"],
            )
        )
    if row["bad_sex"]:
        problems.append(
            error(
                "sex",
                N_("Sex must be female, male or empty (both sexes); map other labels in the mapping (e.g. Men: male)."),
                line,
                "sex",
                row["sex"],
            )
        )
    elif row["is_sex_synonym"]:
        reads_as = row["sex_synonym"]
        problems.append(
            warning(
                "sex_synonym",
                N_("Read sex '{sex}' as '{reads_as}'; the template writes female, male or leaves it empty.")
                if reads_as
                else N_("Read sex '{sex}' as empty (both sexes); the template writes female, male or leaves it empty."),
                line,
                "sex",
                row["sex"],
                sex=row["sex"],
                **({"reads_as": reads_as} if reads_as else {}),
            )
        )
    for column in NUMBER_COLUMNS:
        if row[f"not_a_number_{column}"]:
            text = row[column]
            problems.append(
                error(
                    "not_a_number",
                    N_(
                        "'{name}' must be a plain number (no %, no text, no thousands separator). Use a point as "
                        "decimal separator."
                    )
                    if "," in text and not comma_decimal
                    else N_("'{name}' must be a plain number (no %, no text, no thousands separator)."),
                    line,
                    column,
                    text,
                    name=column,
                )
            )
    if row["bad_unit"]:
        problems.append(
            error(
                "unit",
                N_("The unit '{unit}' does not match {indicator}, whose unit is '{catalogue_unit}'."),
                line,
                "unit",
                unit,
                unit=unit,
                indicator=indicator,
                catalogue_unit=row["catalogue_unit"],
            )
        )
    elif row["is_converted"]:
        problems.append(
            warning(
                "unit_converted",
                N_("Converted from '{unit}' to '{catalogue_unit}' (multiplied by {factor})."),
                line,
                "unit",
                unit,
                unit=unit,
                catalogue_unit=row["catalogue_unit"],
                factor=f"{row['factor']:g}",
            )
        )
    elif row["is_unit_synonym"]:
        problems.append(
            warning(
                "unit_synonym",
                N_("Read the unit '{unit}' as '{catalogue_unit}', the catalogue's unit of {indicator}."),
                line,
                "unit",
                unit,
                unit=unit,
                catalogue_unit=row["catalogue_unit"],
                indicator=indicator,
            )
        )
    if row["bad_percent"]:
        problems.append(error("range", N_("A percentage must be between 0 and 100."), line, "value", row["value"]))
    if row["bad_rate"]:
        problems.append(error("range", N_("A rate cannot be negative."), line, "value", row["value"]))
    if row["bad_interval_pair"]:
        problems.append(
            error("interval", N_("Give both ci_low and ci_high, or neither."), line, "ci_low", row["ci_low"])
        )
    elif row["bad_interval"]:
        problems.append(
            error(
                "interval",
                N_("The interval must contain the value: ci_low <= value <= ci_high."),
                line,
                "ci_low",
                row["ci_low"],
            )
        )
    if row["bad_sample_size"]:
        problems.append(
            error(
                "sample_size",
                N_("The sample size must be a whole number above 0."),
                line,
                "sample_size",
                row["sample_size"],
            )
        )
    if row["big_change"]:
        problems.append(
            warning(
                "big_change",
                N_(
                    "The value changes by more than 50 % against the last published value ({previous} in {period}); "
                    "check it is right."
                ),
                line,
                "value",
                row["value"],
                previous=f"{row['previous_value']:g}",
                period=row["previous_period"],
            )
        )
    return problems


def validate_rows(
    rows: pa.Table | Sequence[dict],
    city: str,
    comma_decimal: bool,
    catalogue: Catalogue,
    previous_values: dict[tuple[str, str], tuple[str, float]] | None = None,
    today: dt.date | None = None,
) -> tuple[CleanRows, list[Problem]]:
    """Returns (clean rows with numbers converted to the catalogue unit, problems). `rows` is the
    normalised table (formats.normalise) or, for callers that have a few rows at hand, their dicts."""
    import duckdb

    table = _as_table(rows)
    checks = RowChecks(table, city, comma_decimal, (today or dt.date.today()).year, catalogue, previous_values or {})
    if not table.num_rows:
        return CleanRows(checks), []
    warm_up_gx()
    with duckdb.connect() as conn:
        checks.register(conn)
        flagged = conn.sql(
            f"select {', '.join(FLAGGED_COLUMNS + FLAGS)} from checked "
            f"where {' or '.join(f'coalesce({flag}, false)' for flag in FLAGS)}"
        )
        names = flagged.columns
        found = [dict(zip(names, values, strict=True)) for values in flagged.fetchall()]
    problems = _gx_problems(table, catalogue)
    for row in found:
        problems += _row_problems({k: bool(v) if k in FLAGS else v for k, v in row.items()}, city, comma_decimal)
    return CleanRows(checks), sorted(problems, key=lambda p: (p.severity != "error", p.row or 0, p.column or ""))
