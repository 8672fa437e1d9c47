"""One entry point for a survey file: read it, apply design.yml, check every respondent (every problem at once),
settle the weights (the file's, raked to margins, or equal with a flag), and estimate. Nothing is stored here: the
upload path (tokens, private store, quarantine) wraps these two functions, and `sps survey estimate` is a dry run
of exactly them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from pipelines.surveys.core import DISAGGREGATIONS, INDICATORS, Indicator
from pipelines.surveys.design import parse_design, parse_margins, rake_weights
from pipelines.surveys.estimate import Design, estimate_indicators
from pipelines.surveys.read import read_survey_file
from pipelines.surveys.validate import normalise_survey
from pipelines.uploads.problems import Problem, error, warning
from pipelines.uploads.tokens import CITY_CODE

PERIOD = re.compile(r"^\d{4}(?:[-/]\d{2}(?:\d{2})?)?$")
DEFAULT_MAX_BYTES = 50_000_000
TIMESTAMP_COLUMNS = ("end", "start", "today", "_submission_time", "submissiondate")


@dataclass
class SurveyCheck:
    city: str
    problems: list[Problem] = field(default_factory=list)
    microdata: pl.DataFrame | None = None  # normalised respondents with their final weight (private: never exported)
    design: Design | None = None
    format: str | None = None
    period: str | None = None
    survey: dict = field(default_factory=dict)  # design.yml survey facts + achieved sample

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def accepted(self) -> bool:
        return self.microdata is not None and not self.errors


def _fieldwork_years(raw) -> set[str]:
    """The years of the export's interview timestamps (Kobo / ODK `end`, `start`, `_submission_time`)."""
    for name in raw.header:
        last = name.rsplit("/", 1)[-1].lower()
        if last in TIMESTAMP_COLUMNS:
            years = raw.columns[name].str.slice(0, 4)
            found = {y for y in years.unique().to_list() if y and y.isdigit()}
            if found:
                return found
    return set()


def check_survey(
    data: bytes,
    filename: str,
    city: str,
    design_yml: bytes | None = None,
    margins_csv: bytes | None = None,
    period: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SurveyCheck:
    """Never raises for bad input: every problem is in `problems`; `accepted` says whether estimates may be made."""
    city = (city or "").strip().upper()
    result = SurveyCheck(city)
    if not CITY_CODE.match(city):
        result.problems.append(error("city", f"'{city}' is not an Urban Audit city code like PL013C."))
        return result
    spec, problems = parse_design(design_yml)
    margins, margin_problems = parse_margins(margins_csv)
    result.problems += problems + margin_problems
    raw = read_survey_file(data, filename, max_bytes)
    result.format = raw.format
    if raw.problems:
        result.problems += [error("file", message) for message in raw.problems]
        return result
    micro = normalise_survey(raw, city, spec)
    result.problems += micro.problems
    period = (period or spec.survey.get("period") or "").strip() or None
    if period is None and spec.survey.get("fieldwork_end"):
        period = str(spec.survey["fieldwork_end"].year)
    if period is None:
        years = _fieldwork_years(raw)
        if len(years) == 1:
            period = years.pop()
    if period is None:
        result.problems.append(
            error(
                "period",
                "The survey period is unknown: give it (--period 2026) or in design.yml (survey: period: '2026').",
            )
        )
    elif not PERIOD.match(period):
        result.problems.append(error("period", "The period must be a year (2026) or a span (2025-26).", value=period))
    result.period = period
    if micro.frame is None or result.errors:
        return result
    frame = micro.frame
    if margins is not None:
        weights, rake_problems = rake_weights(frame, margins, "weight" if micro.has_weight else None)
        result.problems += rake_problems
        if any(p.severity == "error" for p in rake_problems):
            return result
        frame = frame.with_columns(weights.alias("weight"))
        weighting = "raked"
    elif micro.has_weight:
        weighting = "design"
    else:
        frame = frame.with_columns(pl.lit(1.0).alias("weight"))
        weighting = "unweighted"
        result.problems.append(
            warning(
                "unweighted",
                "No weight column and no --margins: every respondent counts the same, and every estimate is flagged "
                "'w' (unweighted). Give weights or population margins to correct for who answered.",
            )
        )
    result.microdata = frame.drop("_row")
    result.design = Design(micro.has_stratum, micro.has_psu, micro.has_fpc, weighting)
    result.survey = {
        **spec.survey,
        "achieved_n": frame.height,
        "weighting": weighting,
        "strata": frame["stratum"].n_unique() if micro.has_stratum else 1,
        "psus": frame["psu"].n_unique() if micro.has_psu else frame.height,
        "format": raw.format,
    }
    return result


def estimate_survey(
    check: SurveyCheck,
    indicators: tuple[Indicator, ...] = INDICATORS,
    disaggregations: tuple[str, ...] = DISAGGREGATIONS,
) -> pl.DataFrame:
    """The tidy estimates of an accepted check (no microdata in them)."""
    if not check.accepted:
        raise ValueError("estimate_survey needs an accepted check (no errors)")
    return estimate_indicators(check.microdata, check.design, check.city, check.period, indicators, disaggregations)
