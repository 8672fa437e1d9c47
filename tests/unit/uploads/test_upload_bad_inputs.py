"""Named bad uploads and the exact message each one gets (the cases of issue 8 that tests/unit/test_uploads.py
does not already name; docs/security.md lists both). Every file is a SYNTHETIC example; every one is refused
whole, with its line, column, value and a sentence on what to do."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipelines.settings import load_settings
from pipelines.uploads.submit import check_file, submit_upload
from pipelines.uploads.tokens import issue_upload_token

HEADER = "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note"
NOT_A_NUMBER = "'value' must be a plain number (no %, no text, no thousands separator)."

CASES = {
    "empty file": (b"", [(None, None, None, "file", "the file is empty")]),
    "blank lines only": (
        b"\n \r\n\t\n",
        [(None, None, None, "file", "the file is empty or its first line (the header) is empty")],
    ),
    "header only": (
        (HEADER + "\r\n").encode(),
        [(None, None, None, "file", "the file has a header but no data rows")],
    ),
    "value n/a": (
        (HEADER + "\nhomicide_rate,ES003C,2019,,,,n/a,per 100000,,,,,\n").encode(),
        [(2, "value", "n/a", "not_a_number", NOT_A_NUMBER)],
    ),
    "value 12,5 % in a semicolon file": (
        (HEADER.replace(",", ";") + "\nfeel_safe_after_dark;ES003C;2019;;;;12,5 %;%;;;;;\n").encode(),
        [(2, "value", "12,5 %", "not_a_number", NOT_A_NUMBER)],
    ),
    "negative rate": (
        (HEADER + "\nhomicide_rate,ES003C,2019,,,,-0.5,per 100000,,,,,\n").encode(),
        [(2, "value", "-0.5", "range", "A rate cannot be negative.")],
    ),
    "confidence interval inverted": (
        (HEADER + "\nfeel_safe_after_dark,ES003C,2019,,,,50,%,60,40,700,,\n").encode(),
        [(2, "ci_low", "60", "interval", "The interval must contain the value: ci_low <= value <= ci_high.")],
    ),
}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    settings = replace(load_settings(), data_dir=tmp_path_factory.mktemp("bad_inputs") / "data")
    _, token = issue_upload_token(settings.data_dir, "ES003C")
    return settings, token


@pytest.mark.parametrize("case", sorted(CASES))
def test_named_bad_upload_gets_its_exact_message_and_nothing_is_loaded(env, case):
    settings, token = env
    data, expected = CASES[case]
    _, _, problems = check_file(data, "case.csv", "ES003C", None, settings)
    assert [(p.row, p.column, p.value, p.rule, p.message) for p in problems] == expected
    assert all(p.severity == "error" for p in problems)
    result = submit_upload(data, "case.csv", "ES003C", token, None, settings)
    assert not result.accepted
    assert not (settings.inbox_dir / result.submission_id).exists()
    assert (settings.quarantine_dir / result.submission_id / "report.csv").exists()
