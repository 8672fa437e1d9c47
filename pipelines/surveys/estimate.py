"""Design-based estimates of the core indicators: weighted proportions with Taylor-linearised standard errors (PSUs
with replacement within strata, optional finite population correction), 95 % intervals on the logit scale with the
design's degrees of freedom, design effects and effective sample sizes, then the reliability rules of
seeds/survey_reliability_rules.csv. The statistics are svy's (docs/adr/0013-survey-estimates-with-svy.md); tests
compare every figure with R's survey package (svydesign + svyciprop(method = "logit")) to 1e-6.

The output is a tidy table, one row per indicator x area x breakdown, ready to become fct_observations rows; it
holds no microdata (no resp_id, no respondent-level value)."""

from __future__ import annotations

import csv
import math
import warnings
from dataclasses import dataclass
from functools import cache

import polars as pl

from pipelines.settings import SEEDS_DIR
from pipelines.surveys.core import (
    DISABILITY_PUBLISHED,
    DISAGGREGATIONS,
    INDICATORS,
    PLACE_PUBLISHED,
    SEX_PUBLISHED,
    VIOLENCE,
    Indicator,
)

RULES_FILE = SEEDS_DIR / "survey_reliability_rules.csv"
ALPHA = 0.05
OUTPUT_SCHEMA = {
    "indicator_code": pl.Utf8,
    "geo_code": pl.Utf8,
    "period": pl.Utf8,
    "sex": pl.Utf8,
    "age_group": pl.Utf8,
    "breakdown": pl.Utf8,
    "value": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "se": pl.Float64,
    "df": pl.Int64,
    "deff": pl.Float64,
    "n_eff": pl.Float64,
    "sample_size": pl.Int64,
    "flags": pl.Utf8,
    "note": pl.Utf8,
}


@dataclass(frozen=True)
class Design:
    """Which design columns the normalised microdata carry. `weighting`: design (the file's weights), raked (to
    population margins) or unweighted (equal weights: every row is flagged)."""

    stratum: bool = False
    psu: bool = False
    fpc: bool = False
    weighting: str = "design"

    def svy_design(self):
        import svy

        return svy.Design(
            stratum="stratum" if self.stratum else None,
            psu="psu" if self.psu else None,
            wgt="weight",
            pop_size="fpc" if self.fpc else None,
        )


@dataclass(frozen=True)
class Rules:
    suppress_below_n: int
    suppress_note: str
    flag_below_n: int
    flag_above_cv: float
    low_flag: str
    low_n_note: str
    low_cv_note: str
    unweighted_flag: str
    unweighted_note: str


@cache
def load_rules() -> Rules:
    with open(RULES_FILE, encoding="utf-8", newline="") as fh:
        rows = {row["rule"]: row for row in csv.DictReader(fh)}
    return Rules(
        suppress_below_n=int(float(rows["suppress_below_n"]["threshold"])),
        suppress_note=rows["suppress_below_n"]["note"],
        flag_below_n=int(float(rows["flag_below_n"]["threshold"])),
        flag_above_cv=float(rows["flag_above_cv"]["threshold"]),
        low_flag=rows["flag_below_n"]["flag"],
        low_n_note=rows["flag_below_n"]["note"],
        low_cv_note=rows["flag_above_cv"]["note"],
        unweighted_flag=rows["unweighted"]["flag"],
        unweighted_note=rows["unweighted"]["note"],
    )


def svy_sample(frame: pl.DataFrame, design: Design):
    import svy

    return svy.Sample(frame, design.svy_design())


def proportions(sample, y: str, where: pl.Expr | None = None, by: str | None = None) -> pl.DataFrame:
    """The weighted share of y = 1 among the rows where `where` holds, per level of `by` (one row when None): est,
    se, lci, uci (logit, design df), df, deff (with replacement: R's svymean(deff = "replace")), n (unweighted).
    The same as R: svyciprop(~y, subset(design, where & by == level), method = "logit")."""
    import svy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # svy warns about domains it cannot vary; those rows get no interval below
        result = sample.estimation.prop(
            y, by=by, where=svy.col(where) if isinstance(where, str) else where, deff="wr", alpha=ALPHA
        ).to_polars()
    keys = [by] if by else []
    if not result.height:
        return pl.DataFrame(schema={**({by: pl.Utf8} if by else {}), "est": pl.Float64})
    ones = result.filter(pl.col(y) == 1)
    # A domain where nobody has y = 1 only has the y = 0 row: its share of 1 is 0, with the same SE.
    zeros = result.filter(pl.col(y) == 0)
    if keys:
        zeros = zeros.join(ones.select(keys), on=keys, how="anti")
    elif ones.height:
        zeros = zeros.clear()
    zeros = zeros.with_columns(
        (1 - pl.col("est")).alias("est"), pl.lit(None, pl.Float64).alias("lci"), pl.lit(None, pl.Float64).alias("uci")
    )
    # With every answer alike (se 0) there is no logit interval and no design effect: R returns NaN or the values of
    # a glm that did not converge there, svy NaN or 0. Both become null.
    degenerate = (pl.col("se") == 0) | pl.col("se").is_nan()
    return (
        pl.concat([ones, zeros], how="vertical_relaxed")
        .with_columns(
            pl.when(degenerate | pl.col(c).is_nan()).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("lci", "uci", "deff")
        )
        .select(*keys, "est", "se", "lci", "uci", "df", "deff", "n")
    )


def _indicator_columns(frame: pl.DataFrame, indicator: Indicator) -> tuple[pl.Expr, pl.Expr] | None:
    """(y, in the denominator) of one indicator, or None when the file lacks its question."""
    if indicator.variable not in frame.columns:
        return None
    variable = pl.col(indicator.variable)
    valid = variable.is_in(indicator.denominator).fill_null(False)
    if indicator.among_victims:
        victims = [pl.col(v) == 1 for v in VIOLENCE if v in frame.columns]
        if not victims:
            return None
        valid = valid & pl.any_horizontal(victims).fill_null(False)
    numerator = variable.is_in(indicator.numerator)
    if indicator.place_in is not None:
        if "harassment_place" not in frame.columns:
            return None
        numerator = numerator & pl.col("harassment_place").is_in(indicator.place_in)
    return numerator.fill_null(False).cast(pl.Int8), valid


def _domains(frame: pl.DataFrame, disaggregations) -> list[tuple[str, str | None, pl.Expr]]:
    """(disaggregation, by column, which rows may be in a domain)."""
    out = []
    for name in disaggregations:
        if name == "total":
            out.append(("total", None, pl.lit(True)))
        elif name == "sex":
            out.append(("sex", "sex", pl.col("sex").is_in(list(SEX_PUBLISHED)).fill_null(False)))
        elif name == "age_group" and "age_group" in frame.columns:
            out.append(("age_group", "age_group", pl.col("age_group").is_not_null()))
        elif name == "disability" and "disability" in frame.columns:
            out.append(
                ("disability", "disability", pl.col("disability").is_in(list(DISABILITY_PUBLISHED)).fill_null(False))
            )
        elif name == "district" and "district" in frame.columns:
            out.append(("district", "district", pl.col("district").is_not_null()))
    return out


def estimate_indicators(
    frame: pl.DataFrame,
    design: Design,
    city: str,
    period: str,
    indicators: tuple[Indicator, ...] = INDICATORS,
    disaggregations: tuple[str, ...] = DISAGGREGATIONS,
) -> pl.DataFrame:
    """Every indicator x disaggregation the data allow, as the tidy table of OUTPUT_SCHEMA."""
    rules = load_rules()
    columns: dict[str, pl.Expr] = {}
    plans = []
    for indicator in indicators:
        built = _indicator_columns(frame, indicator)
        if built is None:
            continue
        y, valid = built
        columns[f"y__{indicator.code}"] = y
        columns[f"v__{indicator.code}"] = valid
        plans.append(indicator)
        if indicator.by_place and "total" in disaggregations and "harassment_place" in disaggregations:
            if "harassment_place" in frame.columns:
                for code in PLACE_PUBLISHED:
                    columns[f"y__{indicator.code}__place{code}"] = (
                        (y.cast(pl.Boolean) & (pl.col("harassment_place") == code)).fill_null(False).cast(pl.Int8)
                    )
    domains = _domains(frame, disaggregations)
    columns.update({f"in__{name}": allowed for name, _, allowed in domains})
    keep = ["weight", *(c for c in ("stratum", "psu", "fpc") if c in frame.columns)]
    keep += [c for c in ("sex", "age_group", "disability", "district") if c in frame.columns]
    data = frame.select(*keep, **columns)
    # Domain columns as text without nulls: rows outside every domain are excluded by `where`, not by svy's null rule.
    data = data.with_columns(
        pl.col(c).cast(pl.Utf8).fill_null("")
        for c in ("sex", "age_group", "disability", "district")
        if c in data.columns
    )
    sample = svy_sample(data, design)
    rows: list[dict] = []
    for indicator in plans:
        y, valid = f"y__{indicator.code}", pl.col(f"v__{indicator.code}")
        for name, by, _ in domains:
            table = proportions(sample, y, valid & pl.col(f"in__{name}"), by)
            for result in table.iter_rows(named=True):
                rows.append(
                    _row(indicator.code, name, result.get(by) if by else None, result, city, period, design, rules)
                )
        if indicator.by_place and "harassment_place" in disaggregations and "harassment_place" in frame.columns:
            for code, breakdown in PLACE_PUBLISHED.items():
                table = proportions(sample, f"{y}__place{code}", valid, None)
                for result in table.iter_rows(named=True):
                    row = _row(indicator.code, "total", None, result, city, period, design, rules)
                    row["breakdown"] = breakdown
                    rows.append(row)
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA, orient="row")


def _row(code, disaggregation, level, result, city, period, design: Design, rules: Rules) -> dict:
    row = {
        "indicator_code": code,
        "geo_code": city,
        "period": period,
        "sex": None,
        "age_group": None,
        "breakdown": None,
    }
    if disaggregation == "sex":
        row["sex"] = SEX_PUBLISHED[int(level)]
    elif disaggregation == "age_group":
        row["age_group"] = level
    elif disaggregation == "disability":
        row["breakdown"] = DISABILITY_PUBLISHED[int(level)]
    elif disaggregation == "district":
        row["geo_code"] = f"{city}:{level}"
    n = int(result["n"])
    flags: list[str] = []
    notes: list[str] = []
    if design.weighting == "unweighted":
        flags.append(rules.unweighted_flag)
        notes.append(rules.unweighted_note)
    if n < rules.suppress_below_n:
        values = dict.fromkeys(("value", "ci_low", "ci_high", "se", "df", "deff", "n_eff"))
        return {
            **row,
            **values,
            "sample_size": n,
            "flags": "".join(sorted(set(flags))) or None,
            "note": "; ".join([rules.suppress_note, *notes]),
        }
    est, se = float(result["est"]), float(result["se"])
    lci, uci, deff = result["lci"], result["uci"], result["deff"]
    interval = lci is not None and uci is not None and not (math.isnan(lci) or math.isnan(uci))
    if not interval or se == 0:
        lci = uci = None
        notes.append(
            "no interval: every respondent in this group gave the same answer"
            if se == 0
            else "no interval: the design has no degrees of freedom for this group"
        )
    deff = float(deff) if deff is not None and se > 0 and not math.isnan(deff) else None
    if n < rules.flag_below_n:
        flags.append(rules.low_flag)
        notes.append(rules.low_n_note)
    elif est > 0 and se / est > rules.flag_above_cv:
        flags.append(rules.low_flag)
        notes.append(rules.low_cv_note)
    return {
        **row,
        "value": 100 * est,
        "ci_low": None if lci is None else 100 * float(lci),
        "ci_high": None if uci is None else 100 * float(uci),
        "se": 100 * se,
        "df": int(result["df"]),
        "deff": deff,
        "n_eff": n / deff if deff else None,
        "sample_size": n,
        "flags": "".join(sorted(set(flags))) or None,
        "note": "; ".join(dict.fromkeys(notes)) or None,
    }
