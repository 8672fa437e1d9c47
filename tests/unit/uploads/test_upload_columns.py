"""The column-wise upload check (DuckDB + Arrow, pipelines/uploads/{parse,formats,validate}.py) gives exactly
what the row-wise one it replaced gave: the same cells, the same problems in the same order with the same
messages, the same clean values. The row-wise code is kept here, verbatim in its logic, as the oracle; the
inputs are SYNTHETIC, drawn by Hypothesis from the characters and values where the two could differ
(SPS_ORACLE_EXAMPLES=1000 draws more rule cases than the default 60; each runs the GX suite)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections import Counter
from dataclasses import replace

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipelines.settings import load_settings
from pipelines.uploads.parse import (
    FIELD_LIMIT,
    MAX_COLUMNS,
    MAX_ROWS,
    WHITESPACE,
    WHITESPACE_CLASS,
    _decode,
    read_table,
)
from pipelines.uploads.problems import Problem, error, warning
from pipelines.uploads.validate import KEY, NUMBER, PERIOD, Catalogue, CleanRows, unit_key, validate_rows
from tests.fixtures.private import opened_text

CITY = "ES003C"
TODAY = dt.date(2026, 6, 1)
HEADER = "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note"


# ------------------------------------------------------------------------------------------- the oracle
def oracle_read_text(data: bytes) -> tuple[list[str], list[list[str]], list[str]]:
    """The row-wise reader: (header, non-blank rows padded to the header, file problems)."""
    if b"\x00" in data[:65536]:
        return [], [], ["the file contains NUL bytes: it is binary, not a CSV text file"]
    text, _ = _decode(data)
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    csv.field_size_limit(FIELD_LIMIT)
    try:
        rows = []
        for index, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            if index > MAX_ROWS:
                return [], [], [f"the file has more than {MAX_ROWS} rows; split the file"]
            rows.append(row[: MAX_COLUMNS + 1])
    except csv.Error as exc:
        return [], [], [f"the file cannot be read as CSV ({exc})"]
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows or not any(cell.strip() for cell in rows[0]):
        return [], [], ["the file is empty or its first line (the header) is empty"]
    header = [cell.strip() for cell in rows[0]]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        return [], [], [f"the header has more than {MAX_COLUMNS} columns"]
    problems = []
    if any(not name for name in header):
        problems.append("the header has an empty column name")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        problems.append(f"the header repeats column(s) {duplicates}")
    body = [(row + [""] * len(header))[: len(header)] for row in rows[1:] if any(cell.strip() for cell in row)]
    if not body and not problems:
        problems.append("the file has a header but no data rows")
    return header, body, problems


def _number(text: str, comma_decimal: bool) -> float | None:
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if not NUMBER.match(text) or ("," in text and not comma_decimal):
        return None
    return float(text.replace(",", "."))


def _plain(number: float) -> str:
    return str(int(number)) if number == int(number) else repr(number)


def oracle_validate(
    rows: list[dict], city: str, comma_decimal: bool, catalogue: Catalogue, previous: dict, this_year: int
):
    """The row-wise validation: the GX column rules written out, then the rule loop as it was."""
    problems = []
    for column, sentence in (
        ("indicator_code", "Give the indicator code of every row."),
        ("geo_code", "Give your city's code (or CITY:district) on every row."),
        ("period", "Give the year of every row, e.g. 2019 or 2019/20."),
        ("value", "Give a value, or leave the row out if there is none."),
        ("unit", "Give the unit of every value."),
    ):
        for row in rows:
            if row[column] == "":
                problems.append(error("required", f"'{column}' is empty. {sentence}", row["source_row"], column))
    for row in rows:
        if row["period"] != "" and not re.search(PERIOD, row["period"]):
            message = "The period must look like 2019, 2019-20 or 2019/20."
            problems.append(error("period_format", message, row["source_row"], "period", row["period"]))
    keys = Counter(tuple(row[c] for c in KEY) for row in rows)
    for row in rows:
        if keys[tuple(row[c] for c in KEY)] > 1:
            message = "This indicator, area, period and breakdown appear more than once; keep one row per value."
            problems.append(error("duplicate_key", message, row["source_row"], None))
    for row in rows:
        code = row["indicator_code"]
        if code and not code.startswith("local:") and code not in catalogue.units:
            message = (
                "This indicator code is not in the catalogue; use a code from the "
                "template's 'indicators' sheet, or report it as a local indicator (local:CITY:name)."
            )
            problems.append(error("unknown_indicator", message, row["source_row"], "indicator_code", code))
    clean = []
    for row in rows:
        line, indicator = row["source_row"], row["indicator_code"]
        local = indicator.startswith("local:")
        if local and not indicator.startswith(f"local:{city}:"):
            message = f"Local indicators of {city} must start with 'local:{city}:'."
            problems.append(error("local_indicator_city", message, line, "indicator_code", indicator))
        geo = row["geo_code"]
        if geo and geo != city and not geo.startswith(f"{city}:"):
            message = (
                f"This row is about {geo}, but you upload for {city}: a city can "
                f"only report its own area ({city}, or {city}:district)."
            )
            problems.append(error("wrong_city", message, line, "geo_code", geo))
        if row["period"][:4].isdigit() and int(row["period"][:4]) > this_year:
            message = f"The period {row['period']} is in the future."
            problems.append(error("future_period", message, line, "period", row["period"]))
        sex = row["sex"].lower()
        if row["sex"] and sex not in ("female", "male"):
            reads_as = catalogue.synonyms.get("sex", {}).get(sex)
            if reads_as is None:
                message = (
                    "Sex must be female, male or empty (both sexes); map other labels in the mapping (e.g. Men: male)."
                )
                problems.append(error("sex", message, line, "sex", row["sex"]))
            else:
                message = (
                    f"Read sex '{row['sex']}' as "
                    + (f"'{reads_as}'" if reads_as else "empty (both sexes)")
                    + "; the template writes female, male or leaves it empty."
                )
                problems.append(warning("sex_synonym", message, line, "sex", row["sex"]))
                sex = reads_as
        numbers = {}
        for column in ("value", "ci_low", "ci_high", "sample_size"):
            text = row.get(column, "")
            if text:
                number = _number(text, comma_decimal)
                if number is None:
                    hint = " Use a point as decimal separator." if "," in text and not comma_decimal else ""
                    message = f"'{column}' must be a plain number (no %, no text, no thousands separator).{hint}"
                    problems.append(error("not_a_number", message, line, column, text))
                numbers[column] = number
        value = numbers.get("value")
        factor = 1.0
        unit = row["unit"]
        if not local and indicator in catalogue.units and unit:
            kind = catalogue.kind(indicator)
            alias = catalogue.aliases.get(unit_key(unit))
            if unit != catalogue.units[indicator] and (alias is None or alias[0] != kind):
                message = f"The unit '{unit}' does not match {indicator}, whose unit is '{catalogue.units[indicator]}'."
                problems.append(error("unit", message, line, "unit", unit))
            elif alias and alias[1] != 1:
                factor = alias[1]
                message = f"Converted from '{unit}' to '{catalogue.units[indicator]}' (multiplied by {factor:g})."
                problems.append(warning("unit_converted", message, line, "unit", unit))
            elif unit != catalogue.units[indicator] and unit_key(unit) not in catalogue.standard:
                message = (
                    f"Read the unit '{unit}' as '{catalogue.units[indicator]}', the catalogue's unit of {indicator}."
                )
                problems.append(warning("unit_synonym", message, line, "unit", unit))
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
            message = "The interval must contain the value: ci_low <= value <= ci_high."
            problems.append(error("interval", message, line, "ci_low", row["ci_low"]))
        size = numbers.get("sample_size")
        if size is not None and (size <= 0 or size != int(size)):
            message = "The sample size must be a whole number above 0."
            problems.append(error("sample_size", message, line, "sample_size", row["sample_size"]))
        before = previous.get((indicator, geo))
        if value is not None and before and before[1] and abs(value * factor - before[1]) > 0.5 * abs(before[1]):
            message = (
                f"The value changes by more than 50 % against the last published "
                f"value ({before[1]:g} in {before[0]}); check it is right."
            )
            problems.append(warning("big_change", message, line, "value", row["value"]))
        cleaned = dict(row)
        cleaned["sex"] = sex
        cleaned["unit"] = unit
        for column in ("value", "ci_low", "ci_high"):
            if numbers.get(column) is not None:
                cleaned[column] = repr(numbers[column] * factor) if factor != 1 else _plain(numbers[column])
        if numbers.get("sample_size") is not None:
            cleaned["sample_size"] = str(int(numbers["sample_size"]))
        cleaned["parent_geo_code"] = city if geo.startswith(f"{city}:") else ""
        clean.append(cleaned)
    return clean, sorted(problems, key=lambda p: (p.severity != "error", p.row or 0, p.column or ""))


# ------------------------------------------------------------------------------------------- the reader
def test_whitespace_is_what_str_strip_removes_and_the_sql_class_matches_it():
    assert WHITESPACE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    probes = [*WHITESPACE, "a", "\u200b", "\ufeff", "_", "\x00", "0"]
    with duckdb.connect() as conn:
        matched = conn.execute(
            f"select list(c) filter (where regexp_full_match(c, '{WHITESPACE_CLASS}')) from unnest(?) t(c)", [probes]
        ).fetchall()[0][0]
    assert sorted(matched) == sorted(WHITESPACE)


def _new_reader(data: bytes) -> tuple[list[str], list[list[str]], list[str]]:
    table = read_table(data, "fuzz.csv", 10**9)
    if table.body is None:
        return table.header, [], table.problems
    rows = table.body.to_pylist()
    assert [row["source_row"] for row in rows] == list(range(2, len(rows) + 2))
    return table.header, [[row[f"c{i}"] for i in range(len(table.header))] for row in rows], table.problems


CSV_CHARACTERS = st.sampled_from(list('ab1 ,;\t"\r\n') + ["\xa0", "é", "\u3000", "\x0b", "\x1c", "\u2028", "\r\n"])


@settings(max_examples=400, deadline=None)
@given(
    header=st.sampled_from(["a,b,c", "a;b", "a\tb\tc", " a , b ,", "a,a", "a,,b", "", " ", "x"]),
    body=st.lists(CSV_CHARACTERS, max_size=80).map("".join),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_the_reader_splits_every_text_as_csv_reader_did(header, body, encoding):
    data = (header + "\n" + body).encode(encoding, "replace")
    assert _new_reader(data) == oracle_read_text(data)


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n" + "," * 600 + "x\n1,2\n",  # blank in its first 501 cells: csv.reader's row was cut there
        "a,b\n" + "," * 400 + "x\n1,2\n",
        "a,b\n" + " ," * 501 + "\n1,2\n",
        "a,b\r\n1,2\r\n\r\n \t\r\n3,4",
        "a,b\n" + "x" * (FIELD_LIMIT + 5) + ",1\n",  # over the csv module's cell limit
        "a,b\n" + "x" * (FIELD_LIMIT - 10) + ",1\n",
        "\ufeffa,b\n1,2\n",
        "a;b\n1,5;2\n",
        ",".join(f"c{i}" for i in range(502)) + "\n1\n",
    ],
)
def test_the_reader_agrees_with_csv_reader_on_the_edges(text):
    data = text.encode("utf-8")
    assert _new_reader(data) == oracle_read_text(data)


def test_the_row_limit_counts_lines_as_csv_reader_did(monkeypatch):
    import pipelines.uploads.parse as parse

    monkeypatch.setattr(parse, "MAX_ROWS", 3)
    for text, refused in (("a\n1\n2\n3\n", False), ("a\n1\n2\n3\n4\n", True), ("a\n1\n\n\n\n", True)):
        problems = read_table(text.encode(), "x.csv", 10**9).problems
        assert (problems == ["the file has more than 3 rows; split the file"]) is refused, text


# ------------------------------------------------------------------------------------------- the rules
NUMBERS = st.one_of(
    st.from_regex(NUMBER, fullmatch=True),
    st.sampled_from(
        ["", "0", "-0", "61.5", "12,5", " 7 ", "1\xa0000", "1 000", "n/a", "12 %", "1e999", "-1e999", "+.5", ",5"]
    ),
    st.sampled_from(["100", "100.0000001", "-0.5", "700", "2.5", "1e20", "1e40", "3e38", "55", "60", "1e-7"]),
)
ROWS = st.fixed_dictionaries(
    {
        "indicator_code": st.sampled_from(
            ["homicide_rate", "feel_safe_after_dark", "no_such_code", "local:ES003C:x", "local:ES002C:y", ""]
        ),
        "geo_code": st.sampled_from(["ES003C", "ES003C:d1", "ES002C", "", "ES003CX"]),
        "period": st.sampled_from(["2019", "2019-20", "2019/2020", "19", "2999", "", "20199", "abcd", "2027"]),
        "sex": st.sampled_from(["", "female", "Male", "other", "FEMALE", "total", "_T", "F", "Men", "kobiety"]),
        "age_group": st.sampled_from(["", "18-24"]),
        "breakdown": st.sampled_from(["", "Block=1"]),
        "value": NUMBERS,
        "unit": st.sampled_from(
            [
                "%",
                "percent",
                "per 100 000",
                "per 1 000",
                "PER 1,000",
                "% of population",
                "",
                "km",
                "Per 1000",
                "per 100 000 inhabitants",
                "per\xa0100\u202f000",
                "offences per 100 000 inhabitants",
            ]
        ),
        "ci_low": NUMBERS,
        "ci_high": NUMBERS,
        "sample_size": NUMBERS,
        "source": st.just(""),
        "note": st.sampled_from(["", "=1+1"]),
    }
)
PREVIOUS = {("homicide_rate", "ES003C"): ("2022", 0.87), ("feel_safe_after_dark", "ES003C"): ("2019", 0.0)}


def _same_clean_rows(clean: CleanRows, expected: list[dict]) -> bool:
    """Cell for cell; a whole number beyond 1e38 (no SQL integer holds it) is written as its repr, e.g.
    1e+40 where str(int(x)) wrote 41 digits: the same double when read back."""

    def same(key: str, got, want) -> bool:
        try:
            if key in ("value", "ci_low", "ci_high", "sample_size") and abs(float(want)) >= 1e38:
                return float(got) == float(want)
        except ValueError:
            pass
        return got == want

    return len(clean) == len(expected) and all(
        same(key, row[key], want[key]) for row, want in zip(clean, expected, strict=True) for key in want
    )


def _finite(row: dict) -> dict:
    """The row-wise code crashed (int(inf)) on a number beyond a double; the new one calls it not a number
    (tested below): such numbers are left out of the comparison."""
    numbers = ("value", "ci_low", "ci_high", "sample_size")
    return {k: "1" if k in numbers and v and abs(_number(v, True) or 0) == float("inf") else v for k, v in row.items()}


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("SPS_ORACLE_EXAMPLES", "60")), deadline=None)
@given(rows=st.lists(ROWS, min_size=1, max_size=8), comma_decimal=st.booleans())
def test_the_rules_give_the_same_problems_in_the_same_order_and_the_same_clean_values(rows, comma_decimal):
    rows = [dict(_finite(row), source_row=line) for line, row in enumerate(rows, start=2)]
    catalogue = Catalogue.load()
    expected_clean, expected = oracle_validate(rows, CITY, comma_decimal, catalogue, PREVIOUS, TODAY.year)
    clean, problems = validate_rows(rows, CITY, comma_decimal, catalogue, PREVIOUS, today=TODAY)
    assert problems == expected
    assert isinstance(clean, CleanRows) and _same_clean_rows(clean, expected_clean)


def test_a_number_beyond_a_double_is_not_a_number():
    row = dict.fromkeys(["sex", "age_group", "breakdown", "ci_low", "ci_high", "sample_size", "source", "note"], "")
    row |= {"indicator_code": "homicide_rate", "geo_code": CITY, "period": "2019", "unit": "per 100 000"}
    _, problems = validate_rows([row | {"value": "1e999", "source_row": 2}], CITY, False, Catalogue.load(), {})
    assert [(p.rule, p.column, p.value) for p in problems] == [("not_a_number", "value", "1e999")]


# ------------------------------------------------------------------------------------------- end to end
@pytest.fixture
def upload_settings(tmp_path):
    return replace(load_settings(), data_dir=tmp_path / "data")


def test_a_quoted_template_file_reaches_rows_csv_cell_for_cell(upload_settings):
    from pipelines.uploads.inbox import write_accepted
    from pipelines.uploads.submit import check_file

    note = 'Said "safe", mostly; =1\nsecond line\rthird'
    cells = ["homicide_rate", "ES003C:d1", "2019", "", "", "", "0,87", "per 100 000", "", "", "", '"Police; 2019"']
    text = HEADER.replace(",", ";") + "\n" + ";".join(cells) + ';"' + note.replace('"', '""') + '"\n'
    fmt, rows, problems = check_file(text.encode("cp1252"), "q.csv", CITY, None, upload_settings)
    assert fmt == "sps_template" and not problems
    folder = write_accepted(upload_settings.data_dir / "inbox", "s1", b"x", "csv", rows, {"row_count": 1})
    written = list(csv.DictReader(opened_text(folder / "rows.csv")))
    assert written == [
        {
            "submission_id": "s1",
            "source_row": "2",
            "indicator_code": "homicide_rate",
            "geo_code": "ES003C:d1",
            "parent_geo_code": CITY,
            "period": "2019",
            "sex": "",
            "age_group": "",
            "breakdown": "",
            "value": "0.87",
            "unit": "offences per 100 000 inhabitants",
            "ci_low": "",
            "ci_high": "",
            "sample_size": "",
            "source": "Police; 2019",
            "note": note,
            "local_indicator_name": "",
            "local_indicator_unit": "",
            "local_indicator_description": "",
        }
    ]


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROWS, min_size=1, max_size=6))
def test_a_whole_file_is_checked_as_its_rows_are(upload_settings, rows):
    """Read, normalised and validated from a CSV file, the rows give what the row-wise code gives them."""
    from pipelines.uploads.submit import check_file

    rows = [_finite(row) for row in rows]
    assume(all(any(v.strip() for v in row.values()) for row in rows))  # a blank line is no row
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER.split(","), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    fmt, clean, problems = check_file(buffer.getvalue().encode(), "f.csv", CITY, None, upload_settings)
    stripped = [{k: v.strip() for k, v in row.items()} | {"source_row": i} for i, row in enumerate(rows, start=2)]
    expected_clean, expected = oracle_validate(stripped, CITY, False, Catalogue.load(), {}, dt.date.today().year)
    assert fmt == "sps_template" and problems == expected
    assert _same_clean_rows(clean, expected_clean)


def test_problem_as_dict_is_what_the_report_shows():
    problem = Problem("error", 9, "value", None, "required", "'value' is empty.")
    assert problem.as_dict() == {
        "severity": "error",
        "row": 9,
        "column": "value",
        "value": "empty",
        "rule": "required",
        "message": "'value' is empty.",
    }
    assert error("duplicate_key", "m", 3).as_dict()["value"] == ""


@pytest.mark.slow
def test_a_large_file_keeps_its_line_order_into_rows_csv(upload_settings):
    """DuckDB reads the rows with several threads: their order must survive the checks and the copy."""
    from pipelines.uploads.inbox import write_accepted
    from pipelines.uploads.submit import check_file

    lines = [HEADER] + [f"local:ES003C:n,ES003C,2019,,,Row={i},{i},count,,,,," for i in range(300_000)]
    lines.insert(5000, "  ,  ,  ")  # a blank row is not counted
    fmt, rows, problems = check_file(("\n".join(lines) + "\n").encode(), "big.csv", CITY, None, upload_settings)
    assert fmt == "sps_template" and not problems and len(rows) == 300_000
    table = rows.table
    assert table["source_row"].to_pylist() == list(range(2, 300_002))
    assert table["value"].to_pylist() == [str(i) for i in range(300_000)]
    folder = write_accepted(upload_settings.data_dir / "inbox", "s2", b"x", "csv", rows, {"row_count": len(rows)})
    with opened_text(folder / "rows.csv") as fh:
        assert [row["value"] for row in csv.DictReader(fh)] == [str(i) for i in range(300_000)]


def test_the_key_group_is_shared_exactly_by_duplicate_keys_however_many_distinct_parts():
    """Key parts with 1 500 distinct values each overflow a combined int64 code: it is renumbered."""
    import pyarrow as pa

    from pipelines.uploads.formats import rows_schema
    from pipelines.uploads.validate import _gx_frame

    parts = [f"v{i}" for i in range(1500)]
    rows = [dict.fromkeys(KEY, part) | {"value": "1", "unit": "%", "source_row": i + 2} for i, part in enumerate(parts)]
    rows.append(rows[7] | {"source_row": 1502})
    rows.append(rows[8] | {"sex": "", "source_row": 1503})  # an empty part is a part of its own
    table = pa.Table.from_pylist([{f.name: row.get(f.name, "") for f in rows_schema()} for row in rows], rows_schema())
    frame = _gx_frame(table)
    repeated = frame[frame["key_group"].duplicated(keep=False)]
    assert sorted(repeated["source_row"]) == [9, 1502]
