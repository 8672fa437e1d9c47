"""The survey estimates are R's: every estimate, standard error, logit interval, design df, design effect and
unweighted n equals what R's survey package gives (svydesign(ids = ~psu, strata = ~stratum, weights = ~weight) and
svyciprop(method = "logit") on subset designs), to 1e-6. Run on R's own `api` data (exported by Rscript at test
time) and on a SYNTHETIC stratified two-stage sample the test draws, through the whole core-indicator path.
Skipped, with the reason, only when Rscript or the survey package is missing (CI installs both: .ci/run)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import polars as pl
import pytest

from pipelines.surveys.check import check_survey, estimate_survey
from pipelines.surveys.core import INDICATORS, PLACE_PUBLISHED
from pipelines.surveys.estimate import Design, proportions, svy_sample
from tests.fixtures.survey_microdata import draw_sample, make_population, to_csv_bytes

TOL = 1e-6


def _r_available() -> str | None:
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (CI installs r-base-core and r-cran-survey)"
    probe = subprocess.run(
        ["Rscript", "-e", "suppressMessages(library(survey))"], capture_output=True, text=True, timeout=120
    )
    if probe.returncode != 0:
        return "R's survey package is not installed (CI installs r-cran-survey)"
    return None


pytestmark = pytest.mark.skipif(_r_available() is not None, reason=str(_r_available()))


def assert_equal(joined: pl.DataFrame) -> None:
    """R's column c against ours (c_py): the same rows empty, and at most TOL apart elsewhere."""
    for column in ("est", "se", "lci", "uci", "deff"):
        ours = f"{column}_py"
        mismatched = joined.filter(pl.col(column).is_null() != pl.col(ours).is_null())
        assert mismatched.height == 0, (column, mismatched.select("case", "level", column, ours).rows())
        diff = (joined[column] - joined[ours]).abs().max()
        print(f"max |difference| {column}: {diff:.2e}")  # shown with pytest -s
        assert diff < TOL, (column, diff)


def run_r(script: str, cwd) -> None:
    done = subprocess.run(["Rscript", "-e", script], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


# R: one row per case x domain level. `cases.csv` says which design and which subset.
R_HELPERS = r"""
suppressMessages(library(survey))
options(survey.lonely.psu = "fail")
one <- function(des, label, level) {
  n <- nrow(des)
  r <- svyciprop(~y, des, method = "logit")
  m <- svymean(~y, des, deff = "replace")
  data.frame(case = label, level = level, est = as.numeric(coef(r)), se = as.numeric(SE(r)),
             lci = attr(r, "ci")[1], uci = attr(r, "ci")[2], df = degf(des),
             deff = as.numeric(deff(m)), n = n)
}
fmt <- function(out, file) write.csv(out, file, row.names = FALSE)
"""


def test_api_data_equal_r(tmp_path):
    """apistrat (stratified, element sampling, with and without fpc) and apiclus1 (one-stage cluster, with and
    without fpc): totals and domains, including a domain of a subset, as svyby(..., svyciprop) computes them."""
    script = (
        R_HELPERS
        + r"""
data(api)
write.csv(apistrat, "apistrat.csv", row.names = FALSE)
write.csv(apiclus1, "apiclus1.csv", row.names = FALSE)
apistrat$y <- as.numeric(apistrat$sch.wide == "Yes")
apiclus1$y <- as.numeric(apiclus1$sch.wide == "Yes")
designs <- list(
  strat = svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = apistrat),
  strat_fpc = svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
  clus = svydesign(ids = ~dnum, weights = ~pw, data = apiclus1),
  clus_fpc = svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
)
out <- NULL
for (name in names(designs)) {
  d <- designs[[name]]
  out <- rbind(out, one(d, name, "total"))
  for (lv in c("No", "Yes")) out <- rbind(out, one(subset(d, awards == lv), paste0(name, ":awards"), lv))
  for (lv in c("E", "H", "M")) {
    s <- subset(d, api00 > 650 & stype == lv)
    if (sum(s$variables$y) > 0 && sum(1 - s$variables$y) > 0) out <- rbind(out, one(s, paste0(name, ":sub_stype"), lv))
  }
}
fmt(out, "r.csv")
"""
    )
    run_r(script, tmp_path)
    expected = pl.read_csv(tmp_path / "r.csv", null_values="NA")
    frames = {
        "strat": (pl.read_csv(tmp_path / "apistrat.csv", null_values="NA"), "stype", None),
        "clus": (pl.read_csv(tmp_path / "apiclus1.csv", null_values="NA"), None, "dnum"),
    }
    got = []
    for name, (raw, stratum, psu) in frames.items():
        for fpc in (False, True):
            frame = raw.select(
                pl.col("pw").alias("weight"),
                *([pl.col(stratum).alias("stratum")] if stratum else []),
                *([pl.col(psu).cast(pl.Utf8).alias("psu")] if psu else []),
                *([pl.col("fpc").cast(pl.Float64)] if fpc else []),
                (pl.col("sch.wide") == "Yes").cast(pl.Int8).alias("y"),
                pl.col("awards"),
                pl.col("stype").alias("stype_by"),
                (pl.col("api00") > 650).alias("high"),
            )
            sample = svy_sample(frame, Design(stratum=bool(stratum), psu=bool(psu), fpc=fpc))
            case = name + ("_fpc" if fpc else "")
            for row in proportions(sample, "y").iter_rows(named=True):
                got.append({"case": case, "level": "total", **row})
            for row in proportions(sample, "y", None, "awards").iter_rows(named=True):
                got.append({"case": f"{case}:awards", "level": row["awards"], **row})
            for row in proportions(sample, "y", pl.col("high"), "stype_by").iter_rows(named=True):
                got.append({"case": f"{case}:sub_stype", "level": row["stype_by"], **row})
    got = pl.DataFrame(got).select("case", "level", "est", "se", "lci", "uci", "df", "deff", "n")
    joined = expected.join(got, on=["case", "level"], how="left", suffix="_py")
    # Where every school answers alike (se 0) R's logit interval comes from a glm that did not converge and its
    # design effect is NaN: the product shows no interval and no design effect there.
    degenerate = joined.filter(pl.col("se") == 0)
    assert (
        degenerate.height
        and degenerate.select("lci_py", "uci_py", "deff_py").null_count().row(0) == (degenerate.height,) * 3
    )
    joined = joined.with_columns(
        pl.when(pl.col("se") > 0).then(pl.col(c)).otherwise(None).alias(c) for c in ("lci", "uci", "deff")
    )
    assert joined.height == expected.height == 4 * 3 + sum(1 for c in expected["case"] if c.endswith("sub_stype"))
    assert joined["est_py"].null_count() == 0, joined.filter(pl.col("est_py").is_null())
    assert_equal(joined)
    assert (joined["df"] == joined["df_py"]).all() and (joined["n"] == joined["n_py"]).all()
    # The cases differ from each other (the fpc and the clustering change the SEs), so the test can tell them apart.
    assert expected.filter(pl.col("level") == "total")["se"].n_unique() == 4


def _core_r_script() -> str:
    """R applying the sps_core_v1 definitions itself: y and the subset for each indicator x domain."""
    specs = []
    for indicator in INDICATORS:
        specs.append(
            f'list(code = "{indicator.code}", var = "{indicator.variable}", '
            f"num = c({', '.join(map(str, indicator.numerator))}), "
            f"den = c({', '.join(map(str, indicator.denominator))}), "
            f"victims = {str(indicator.among_victims).upper()}, "
            f"place = {'c(' + ', '.join(map(str, indicator.place_in)) + ')' if indicator.place_in else 'NULL'}, "
            f"by_place = {str(indicator.by_place).upper()})"
        )
    return (
        R_HELPERS
        + "indicators <- list(\n  "
        + ",\n  ".join(specs)
        + "\n)\n"
        + r"""
d <- read.csv("sample.csv", stringsAsFactors = FALSE)
d$age_group <- as.character(cut(d$age, c(14, 24, 44, 64, Inf), labels = c("15-24", "25-44", "45-64", "65+")))
victim <- with(d, (physical_violence_12m %in% 1) | (psychological_violence_12m %in% 1) | (sexual_violence_12m %in% 1))
out <- NULL
for (ind in indicators) {
  x <- d[[ind$var]]
  valid <- x %in% ind$den
  if (ind$victims) valid <- valid & victim
  y <- x %in% ind$num
  if (!is.null(ind$place)) y <- y & (d$harassment_place %in% ind$place)
  d$y <- as.numeric(y)
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d)
  add <- function(keep, domain, level) {
    s <- subset(des, valid & keep)
    if (nrow(s) >= 30) out <<- rbind(out, one(s, paste(ind$code, domain, sep = "|"), level))
  }
  add(rep(TRUE, nrow(d)), "total", "total")
  for (lv in 1:2) add(d$sex %in% lv, "sex", lv)
  for (lv in c("15-24", "25-44", "45-64", "65+")) add(d$age_group %in% lv, "age_group", lv)
  for (lv in 1:2) add(d$disability %in% lv, "disability", lv)
  for (lv in sort(unique(d$district))) add(d$district == lv, "district", lv)
  if (ind$by_place) for (k in 1:6) {
    d$y <- as.numeric(y & (d$harassment_place %in% k))
    des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d)
    add(rep(TRUE, nrow(d)), "place", k)
  }
}
fmt(out, "r.csv")
"""
    )


def _python_key(row: dict) -> tuple[str, str]:
    if row["sex"]:
        return "sex", {"male": "1", "female": "2"}[row["sex"]]
    if row["age_group"]:
        return "age_group", row["age_group"]
    if ":" in row["geo_code"]:
        return "district", row["geo_code"].split(":", 1)[1]
    if row["breakdown"] and row["breakdown"].startswith("Disability"):
        return "disability", "1" if row["breakdown"].endswith("=disabled") else "2"
    if row["breakdown"]:
        place = {v: k for k, v in PLACE_PUBLISHED.items()}[row["breakdown"]]
        return "place", str(place)
    return "total", "total"


def test_core_indicators_on_a_stratified_cluster_sample_equal_r(tmp_path):
    """The whole path (file -> check -> estimate_survey) on a SYNTHETIC two-stage sample with unequal weights,
    item non-response, skip logic and districts that cut across strata, against R applying the definitions itself."""
    sample = draw_sample(make_population(seed=7), np.random.default_rng(11), psus=5, per_psu=18)
    (tmp_path / "sample.csv").write_bytes(to_csv_bytes(sample))
    run_r(_core_r_script(), tmp_path)
    expected = pl.read_csv(tmp_path / "r.csv", schema_overrides={"level": pl.Utf8}, null_values="NA")
    check = check_survey(to_csv_bytes(sample), "sample.csv", "PL013C", period="2026")
    assert check.accepted, [str(p) for p in check.errors]
    rows = estimate_survey(check).filter(pl.col("value").is_not_null())
    got = pl.DataFrame(
        [
            {
                "case": f"{r['indicator_code']}|{_python_key(r)[0]}",
                "level": _python_key(r)[1],
                "est_py": r["value"] / 100,
                "se_py": r["se"] / 100,
                "lci_py": None if r["ci_low"] is None else r["ci_low"] / 100,
                "uci_py": None if r["ci_high"] is None else r["ci_high"] / 100,
                "df_py": r["df"],
                "deff_py": r["deff"],
                "n_py": r["sample_size"],
            }
            for r in rows.iter_rows(named=True)
        ]
    )
    joined = expected.join(got, on=["case", "level"], how="full", coalesce=True)
    missing = joined.filter(pl.col("est").is_null() | pl.col("est_py").is_null())
    assert missing.height == 0, missing.select("case", "level", "est", "est_py")
    assert joined.height > 150  # every indicator x published domain
    assert_equal(joined)
    assert (joined["df"] == joined["df_py"]).all() and (joined["n"] == joined["n_py"]).all()
    # Districts cut across strata, so district domains have fewer degrees of freedom than the whole sample.
    assert joined.filter(pl.col("case").str.ends_with("|district"))["df"].max() < joined["df"].max()
