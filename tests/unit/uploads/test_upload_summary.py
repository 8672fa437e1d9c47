"""A report of many problems summarised by rule and, within a rule, by message: the pure summary, and `sps upload`
printing it before the first 200 problems. Files here are small SYNTHETIC examples written by the tests."""

from __future__ import annotations

from pipelines.uploads.problems import MESSAGES_PER_RULE, MessageSummary, error, summarise, warning
from tests.conftest import run_sps, sps_env
from tests.fixtures.upload_files import many_problems_csv


def test_summarise_counts_lines_and_orders_errors_first_then_by_count_then_name():
    problems = [
        # four warnings: more than any error rule, still listed after every error
        *(warning("big_change", f"Line {n} moved a lot; check it.", row=n, column="value") for n in (9, 4, 4, 7)),
        error("unit", "Use the unit of the catalogue.", row=5, column="unit"),
        # three problems on two lines, the first one reported is not the lowest line
        error("range", "first range message", row=8, column="value"),
        error("range", "second range message", row=3, column="ci_low"),
        error("range", "third range message", row=8, column="ci_high"),
        # same count as unit: ordered by name, so interval before unit though it comes later
        error("interval", "ci_low must be below ci_high.", row=6, column="ci_low"),
        error("file", "The file is empty.", row=None),
    ]
    summary = summarise(problems)
    assert [(s.severity, s.rule, s.problems, s.rows, s.first_row, s.example) for s in summary] == [
        ("error", "range", 3, 2, 3, "first range message"),
        ("error", "file", 1, 0, None, "The file is empty."),
        ("error", "interval", 1, 1, 6, "ci_low must be below ci_high."),
        ("error", "unit", 1, 1, 5, "Use the unit of the catalogue."),
        ("warning", "big_change", 4, 3, 4, "Line 9 moved a lot; check it."),
    ]
    # every message of a rule with its own count and first lines, the most frequent first
    assert summary[0].messages == (
        MessageSummary("second range message", 1, 1, (3,)),
        MessageSummary("first range message", 1, 1, (8,)),
        MessageSummary("third range message", 1, 1, (8,)),
    )
    assert summary[1].messages == (MessageSummary("The file is empty.", 1, 0, ()),)
    assert summary[4].messages[0] == MessageSummary("Line 4 moved a lot; check it.", 2, 1, (4,))
    assert summarise([]) == []


def test_a_rule_with_many_messages_lists_the_most_frequent_and_counts_the_rest():
    problems = [error("big", f"message {i % (MESSAGES_PER_RULE + 5)}", row=i + 2) for i in range(1000)]
    (rule,) = summarise(problems)
    assert rule.problems == 1000 and len(rule.messages) == MESSAGES_PER_RULE and rule.other_messages == 5
    assert sum(m.problems for m in rule.messages) == 1000 - sum(
        1 for i in range(1000) if i % (MESSAGES_PER_RULE + 5) >= MESSAGES_PER_RULE
    )
    assert all(len(m.first_rows) == 5 and m.first_rows == tuple(sorted(m.first_rows)) for m in rule.messages)


def test_the_same_rule_as_error_and_as_warning_gives_two_entries():
    problems = [warning("x", "w", row=2), error("x", "e", row=3), error("x", "e2", row=3)]
    assert [(s.severity, s.rule, s.problems, s.rows) for s in summarise(problems)] == [
        ("error", "x", 2, 1),
        ("warning", "x", 1, 1),
    ]


def _city_with_token(tmp_path):
    env_vars = sps_env(tmp_path / "data")
    return env_vars, run_sps(["token", "issue", "--city", "ES003C"], env_vars).stdout.strip().splitlines()[-1]


def test_cli_summarises_a_long_report_by_rule_before_the_first_200(tmp_path):
    env_vars, token = _city_with_token(tmp_path)
    bad = tmp_path / "many.csv"
    bad.write_text(many_problems_csv(600))
    result = run_sps(["upload", str(bad), "--city", "ES003C", "--token", token, "--check"], env_vars)
    assert result.returncode == 1 and "rejected: 600 error(s)" in result.stderr
    out = result.stdout.splitlines()
    assert out[0] == "  600 problems, rule by rule:"
    assert out[1].startswith("  ERROR not_a_number: 400 problem(s), first on line 3; e.g. 'value' must be")
    assert out[2].startswith("    400 x 'value' must be a plain number")
    assert out[2].endswith("(lines 3, 4, 6, 7, 9 ...)")
    assert out[3].startswith("  ERROR unknown_indicator: 200 problem(s), first on line 2; e.g. This indicator")
    assert out[4].startswith("    200 x This indicator code") and out[4].endswith("(lines 2, 5, 8, 11, 14 ...)")
    assert out[5] == "  The first 200:"
    assert len([line for line in out if line.startswith("  ERROR line ")]) == 200
    assert out[-1] == f"  ... and 400 more (all in {tmp_path / 'many.csv.report.csv'})"
    assert (tmp_path / "many.csv.report.csv").read_text().count("\n") == 601


def test_cli_output_of_a_short_report_has_no_summary(tmp_path):
    env_vars, token = _city_with_token(tmp_path)
    bad = tmp_path / "few.csv"
    bad.write_text(many_problems_csv(3))
    result = run_sps(["upload", str(bad), "--city", "ES003C", "--token", token, "--check"], env_vars)
    assert result.returncode == 1
    assert [line[:13] for line in result.stdout.splitlines()] == ["  ERROR line "] * 3


def test_cli_lists_each_message_of_a_rule_that_caught_different_things(tmp_path):
    env_vars, token = _city_with_token(tmp_path)
    bad = tmp_path / "empty_cells.csv"
    rows = [f"feel_safe_after_dark,ES003C,2019,,,b{i},,%,,,,," for i in range(250)]  # value empty
    rows.append("feel_safe_after_dark,ES003C,2019,,,u,61.5,,,,,,")  # unit empty
    bad.write_text("\n".join([many_problems_csv(0).splitlines()[0], *rows]) + "\n")
    result = run_sps(["upload", str(bad), "--city", "ES003C", "--token", token, "--check"], env_vars)
    out = result.stdout.splitlines()
    assert out[1].startswith("  ERROR required: 251 problem(s), first on line 2")
    assert (
        out[2]
        == "    250 x 'value' is empty. Give a value, or leave the row out if there is none. (lines 2, 3, 4, 5, 6 ...)"
    )
    assert out[3] == "    1 x 'unit' is empty. Give the unit of every value. (lines 252)"
