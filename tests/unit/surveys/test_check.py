"""Reading and checking survey microdata: every export shape reads to the same respondents, every problem of a bad
file is reported at once (line, column, value, what to do), and weights come from the file, from raking to
margins, or are equal with a visible flag. All files are SYNTHETIC, made here from tests/fixtures/survey_microdata."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import polars as pl
import pyreadstat
import pytest

from pipelines.surveys.check import check_survey, estimate_survey
from pipelines.surveys.core import BY_NAME, INDICATORS
from pipelines.surveys.labels import choice_key, text
from tests.fixtures.survey_microdata import draw_sample, make_population, to_csv_bytes

CITY = "PL013C"


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return draw_sample(make_population(seed=3, strata=4, psus_per_stratum=20), np.random.default_rng(5), 4, 12)


def kobo_export(sample: pl.DataFrame, lang: str = "pl") -> bytes:
    """The sample as a KoboToolbox 'labels' export: group paths in the headers, answers as the choice labels of
    one language, Kobo's meta columns, the form's hidden city, and a weight column the contractor added."""
    columns = {
        "start": ["2026-03-02T10:00:00.000+01:00"] * sample.height,
        "end": ["2026-03-02T10:12:00.000+01:00"] * sample.height,
    }
    columns["city"] = [CITY] * sample.height
    for name in sample.columns:
        if name == "weight":
            continue
        variable = BY_NAME[name]
        header = f"{variable.group}/{name}" if variable.group else name
        values = sample[name].to_list()
        if variable.kind == "select_one":
            values = ["" if v is None else text(choice_key(variable.choices, v), lang) for v in values]
        columns[header] = ["" if v is None else str(v) for v in values]
    columns["_id"] = [str(1000 + i) for i in range(sample.height)]
    columns["_uuid"] = [f"uuid-{i}" for i in range(sample.height)]
    columns["_submission_time"] = ["2026-03-02T10:13:00"] * sample.height
    columns["__version__"] = ["v1"] * sample.height
    columns["weight"] = [repr(w) for w in sample["weight"].to_list()]
    return pd.DataFrame(columns).to_csv(index=False).encode("utf-8")


def estimates(data: bytes, filename: str, **kwargs) -> pl.DataFrame:
    check = check_survey(data, filename, CITY, **kwargs)
    assert check.accepted, [str(p) for p in check.errors]
    return estimate_survey(check)


def test_a_kobo_labels_export_in_polish_reads_like_the_plain_codes(sample):
    plain = estimates(to_csv_bytes(sample), "plain.csv", period="2026")
    check = check_survey(kobo_export(sample), "kobo_export.csv", CITY)  # the period comes from Kobo's `end`
    assert check.accepted, [str(p) for p in check.errors]
    assert check.period == "2026" and check.warnings == []  # meta columns are read past silently
    kobo = estimate_survey(check)
    assert kobo.equals(plain)
    assert plain.filter(pl.col("indicator_code") == "feel_safe_after_dark", pl.col("geo_code") == CITY).height > 5


def test_odk_central_headers_french_labels_and_xlsx(sample, tmp_path):
    frame = pd.read_csv(io.BytesIO(kobo_export(sample, "fr")), dtype=str, keep_default_na=False)
    frame.columns = [c.replace("/", "-") for c in frame.columns]  # ODK Central joins group paths with '-'
    path = tmp_path / "odk.xlsx"
    frame.to_excel(path, index=False)
    got = estimates(path.read_bytes(), "odk.xlsx")
    assert got.equals(estimates(to_csv_bytes(sample), "plain.csv", period="2026"))


def test_spss_and_stata_files_use_their_value_labels(sample, tmp_path):
    """SPSS with our codes and labels; Stata coded its own way (0 = no, 1 = yes) but labelled: the labels decide."""
    frame = sample.to_pandas()
    sav = tmp_path / "survey.sav"
    labels = {"sex": {1: "Male", 2: "Female", 3: "Other / prefer not to say"}}
    pyreadstat.write_sav(frame, sav, variable_value_labels=labels)
    assert estimates(sav.read_bytes(), "survey.sav", period="2026").equals(
        estimates(to_csv_bytes(sample), "plain.csv", period="2026")
    )
    stata = frame.copy()
    stata["harassment_12m"] = stata["harassment_12m"].map({1: 1, 2: 0, 8: 98, 9: 99})
    dta = tmp_path / "survey.dta"
    pyreadstat.write_dta(
        stata, dta, variable_value_labels={"harassment_12m": {1: "yes", 0: "no", 98: "don't know", 99: "refused"}}
    )
    check = check_survey(dta.read_bytes(), "survey.dta", CITY, period="2026")
    # 99 'refused' is not one of the form's labels ('Prefer not to say'): reported with its line and value.
    refused = [p for p in check.errors if p.column == "harassment_12m"]
    assert refused and {p.value for p in refused} == {"99"} and {p.rule for p in check.errors} == {"unknown_code"}
    stata["harassment_12m"] = stata["harassment_12m"].replace({99: 9})
    pyreadstat.write_dta(
        stata, dta, variable_value_labels={"harassment_12m": {1: "yes", 0: "no", 98: "don't know", 9: "refused"}}
    )
    check = check_survey(dta.read_bytes(), "survey.dta", CITY, period="2026")
    assert check.accepted
    assert check.microdata["harassment_12m"].to_list() == sample["harassment_12m"].to_list()


def bad_file() -> tuple[bytes, dict[str, tuple[int, str, str]]]:
    """A small file with one of every error, and where each one is: rule -> (line, column, value)."""
    rows = [
        "resp_id,sex,age,district,stratum,psu,weight,city,safe_night_area,harassment_12m,harassment_place",
        "r1,1,34,d1,A,P1,10,PL013C,1,2,",  # line 2
        "r2,2,12,d1,A,P1,10,PL013C,2,2,",  # 3: age out of range
        "r3,2,40,d1,A,P2,0,PL013C,3,1,1",  # 4: weight 0
        "r3,1,51,d1,A,P2,10,PL013C,7,2,",  # 5: duplicate resp_id, unknown code 7
        "r5,1,thirty,d1,B,P2,10,PL013C,1,2,",  # 6: age not a number, PSU P2 also in stratum B
        "r6,,45,Stare Miasto,B,P3,abc,PL013C,1,2,",  # 7: sex empty, district not a code, weight not a number
        "r7,2,45,d2,C,P4,10,ES002C,4,2,",  # 8: another city; stratum C has one PSU
        "r8,2,66,d2,B,P3,10,PL013C,5,2,",  # 9
    ]
    where = {
        "age_range": (3, "age", "12"),
        "duplicate_resp_id": (5, "resp_id", "r3"),
        "unknown_code": (5, "safe_night_area", "7"),
        "age": (6, "age", "thirty"),
        "psu_in_two_strata": (6, "psu", "P2"),
        "sex": (7, "sex", None),
        "district_code": (7, "district", "Stare Miasto"),
        "wrong_city": (8, "city", "ES002C"),
        "single_psu_stratum": (8, "stratum", "C"),
    }
    return ("\n".join(rows) + "\n").encode(), where


def test_every_problem_of_a_bad_file_at_once_with_line_column_value():
    data, where = bad_file()
    check = check_survey(data, "bad.csv", CITY, period="2026")
    assert not check.accepted and check.microdata is None
    found = {(p.rule, p.row, p.column, p.value) for p in check.errors}
    for rule, (line, column, value) in where.items():
        assert any(
            r == rule and ln == line and c == column and (value is None or v == value) for r, ln, c, v in found
        ), rule
    weights = sorted((p.row, p.value) for p in check.errors if p.rule == "weight")
    assert weights == [(4, "0"), (7, "abc")]
    assert all(p.message for p in check.errors) and len(check.errors) == len(where) + 2
    # The summary a city sees names the line, the column and the value.
    shown = str(next(p for p in check.errors if p.rule == "duplicate_resp_id"))
    assert shown.startswith("ERROR line 5, column resp_id (value 'r3'): ") and "line 5" in shown
    with pytest.raises(ValueError):
        estimate_survey(check)


def test_a_design_file_naming_missing_columns_still_shows_every_row_problem():
    """A design.yml naming a weight (or fpc) column the file lacks stopped the check at that one error and hid
    every problem of the rows (a new user's duplicate id, age 150 and answer 7)."""
    data, where = bad_file()
    design = b"survey: {period: '2026'}\ncolumns: {weight: wgt}\nfpc: psu_count\n"
    check = check_survey(data, "bad.csv", CITY, design_yml=design)
    assert not check.accepted
    design_errors = {p.value for p in check.errors if p.rule == "design_file"}
    assert design_errors == {"wgt", "psu_count"}, [str(p) for p in check.problems]
    rules = {p.rule for p in check.errors}
    assert {"duplicate_resp_id", "age_range", "unknown_code", "district_code", "wrong_city"} <= rules


@pytest.mark.parametrize(
    ("data", "name", "rule", "fragment"),
    [
        (b"", "x.csv", "file", "empty"),
        (b"$FL2 this is not an spss file", "x.sav", "file", "SPSS"),
        (b"sex,age,safe_night_area\n1,30,1\n", "x.csv", "missing_column", "resp_id"),
        (b"resp_id,sex,age,colour\n1,1,30,red\n", "x.csv", "no_questions", "none of the core questions"),
    ],
)
def test_files_that_cannot_be_used_say_why(data, name, rule, fragment):
    check = check_survey(data, name, CITY, period="2026")
    assert not check.accepted
    assert any(p.rule == rule and fragment in p.message for p in check.errors), [str(p) for p in check.problems]


def test_period_and_city_are_checked():
    data = b"resp_id,sex,age,safe_night_area\n1,1,30,1\n2,2,40,2\n"
    assert any(p.rule == "period" for p in check_survey(data, "x.csv", CITY).errors)
    assert any(p.rule == "period" for p in check_survey(data, "x.csv", CITY, period="last year").errors)
    assert any(p.rule == "city" for p in check_survey(data, "x.csv", "Torun", period="2026").errors)
    check = check_survey(data, "x.csv", CITY, design_yml=b"survey:\n  period: '2025-26'\n  city: ES002C\n")
    assert check.period == "2025-26" and [p.rule for p in check.errors] == ["wrong_city"]


def test_design_yml_renames_declares_fpc_and_districts(sample):
    renamed = sample.rename({"stratum": "strat", "psu": "cluster", "weight": "wgt", "resp_id": "id"}).with_columns(
        pl.col("district").replace({"d1": "Stare Miasto"})
    )
    design = b"""
columns: {stratum: strat, psu: cluster, weight: wgt, resp_id: id}
fpc: {S0: 20, S1: 20, S2: 20, S3: 20}
districts: {d1: Stare Miasto, d2: Podgorz, d3: Rubinkowo, d4: Bielany}
survey:
  name: Synthetic test survey
  period: '2026'
  fieldwork_start: 2026-03-01
  fieldwork_end: 2026-04-10
  response_rate: 0.4
"""
    check = check_survey(to_csv_bytes(renamed), "renamed.csv", CITY, design_yml=design)
    assert check.accepted, [str(p) for p in check.errors]
    assert check.design.fpc and check.design.stratum and check.design.psu and check.design.weighting == "design"
    assert set(check.microdata["district"]) == {"d1", "d2", "d3", "d4"}
    assert check.survey["response_rate"] == 0.4 and check.survey["achieved_n"] == sample.height
    with_fpc = estimate_survey(check)
    without = estimates(to_csv_bytes(sample), "plain.csv", period="2026")
    total = (
        pl.col("geo_code") == CITY,
        pl.col("sex").is_null(),
        pl.col("age_group").is_null(),
        pl.col("breakdown").is_null(),
    )
    a = with_fpc.filter(*total, pl.col("indicator_code") == "feel_safe_after_dark").row(0, named=True)
    b = without.filter(*total, pl.col("indicator_code") == "feel_safe_after_dark").row(0, named=True)
    # Sampling 4 of 20 PSUs per stratum: the correction shrinks the variance by (1 - 4/20).
    assert a["value"] == pytest.approx(b["value"]) and a["se"] == pytest.approx(b["se"] * (1 - 4 / 20) ** 0.5)


@pytest.mark.parametrize(
    ("design", "fragment"),
    [
        (b"columns: [stratum]\n", "columns: must map"),
        (b"colums: {}\n", "unknown section"),
        (b"columns: {strata: s}\n", "'strata' is not a core variable"),
        (b"columns: {psu: cluster_id}\n", "'cluster_id', which is not in the file"),
        (b"fpc: {S0: -3}\n", "positive number"),
        (b"survey: {fieldwork_start: 2026-04-01, fieldwork_end: 2026-03-01}\n", "before fieldwork_start"),
        (b"survey: {response_rate: 42}\n", "between 0 and 1"),
        (b"columns: {stratum: [\n", "not valid UTF-8 YAML"),
    ],
)
def test_bad_design_files_are_reported(sample, design, fragment):
    check = check_survey(to_csv_bytes(sample), "s.csv", CITY, design_yml=design, period="2026")
    assert not check.accepted
    assert any(fragment in p.message for p in check.errors), [str(p) for p in check.errors]


def margins_csv(by_district: bool) -> bytes:
    lines = ["sex,age_group,district,population" if by_district else "sex,age_group,population"]
    for sex in ("male", "female"):
        for i, age in enumerate(("15-24", "25-44", "45-64", "65+")):
            if by_district:
                lines += [f"{sex},{age},d{d},{1000 + 100 * i + 10 * d}" for d in range(1, 5)]
            else:
                lines.append(f"{sex},{age},{4000 + 400 * i}")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("by_district", [False, True])
def test_weights_are_raked_to_the_margins(sample, by_district):
    unweighted = sample.drop("weight")
    check = check_survey(to_csv_bytes(unweighted), "s.csv", CITY, margins_csv=margins_csv(by_district), period="2026")
    assert check.accepted, [str(p) for p in check.errors]
    assert check.design.weighting == "raked"
    frame = check.microdata.filter(pl.col("sex").is_in([1, 2]) & pl.col("age_group").is_not_null())
    totals = frame.group_by("sex", "age_group").agg(pl.col("weight").sum()).sort("sex", "age_group")
    expected = [4000.0, 4400.0, 4800.0, 5200.0] * 2 if not by_district else [4100.0, 4500.0, 4900.0, 5300.0] * 2
    assert totals["weight"].to_list() == pytest.approx(expected, rel=1e-6)
    if by_district:
        by = frame.group_by("district").agg(pl.col("weight").sum()).sort("district")
        assert by["weight"].to_list() == pytest.approx([9200 + 80 * d for d in range(1, 5)], rel=1e-6)
    rows = estimate_survey(check)
    assert rows["flags"].drop_nulls().str.contains("w").sum() == 0
    if (sample["sex"] == 3).any():
        assert any(p.rule == "not_raked" for p in check.warnings)


def test_without_weights_or_margins_everything_is_flagged_unweighted(sample):
    check = check_survey(to_csv_bytes(sample.drop("weight")), "s.csv", CITY, period="2026")
    assert check.accepted and check.design.weighting == "unweighted"
    assert any(p.rule == "unweighted" for p in check.warnings)
    rows = estimate_survey(check)
    assert rows["flags"].str.contains("w").all()
    assert rows["note"].str.contains("unweighted").all()


@pytest.mark.parametrize(
    ("margins", "fragment"),
    [
        (b"sex,age_group,population\nmale,15-24,100\n", "no population for"),
        (b"sex,age,population\nmale,15-24,100\n", "needs the columns"),
        (b"sex,age_group,population\nboys,15-24,100\n", "sex must be male or female"),
        (b"sex,age_group,population\nmale,15-29,100\n", "age_group must be one of"),
        (b"sex,age_group,population\nmale,15-24,-5\n", "positive number"),
    ],
)
def test_bad_margins_are_reported(sample, margins, fragment):
    check = check_survey(to_csv_bytes(sample), "s.csv", CITY, margins_csv=margins, period="2026")
    assert not check.accepted
    assert any(fragment in p.message for p in check.errors), [str(p) for p in check.errors]


def test_answers_the_skip_logic_would_not_ask_are_ignored_with_a_warning():
    data = (
        b"resp_id,sex,age,harassment_12m,harassment_place,physical_violence_12m,reported_police\n"
        b"1,1,30,2,1,2,1\n2,2,40,1,2,1,2\n"
    )
    check = check_survey(data, "x.csv", CITY, period="2026")
    assert check.accepted
    skips = [(p.row, p.column) for p in check.warnings if p.rule == "skip_pattern"]
    assert skips == [(2, "harassment_place"), (2, "reported_police")]
    assert check.microdata["harassment_place"].to_list() == [None, 2]
    assert check.microdata["reported_police"].to_list() == [None, 2]
    missing = {p.column for p in check.warnings if p.rule == "missing_question"}
    assert "safe_night_area" in missing and "harassment_place" not in missing


def test_no_estimate_carries_microdata(sample):
    tagged = sample.with_columns(("resp-" + pl.col("resp_id") + "-x").alias("resp_id"))
    rows = estimates(to_csv_bytes(tagged), "plain.csv", period="2026")
    assert set(rows.columns).isdisjoint({"resp_id", "weight", "psu", "stratum", "age"})
    cells = " ".join(str(v) for column in rows.columns for v in rows[column].to_list())
    assert "resp-" not in cells
    assert set(rows["indicator_code"]) == {i.code for i in INDICATORS}
