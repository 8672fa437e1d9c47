"""The upload page: the city offered from the token, every problem at once (summarised by rule and message without
cutting the 'what to do', a long report page by page), synonyms read with a warning, the template's data
dictionary, a clean file submitted to the inbox, a wrong token refused, an Open SDG file mapped with the form, the
size limit of SPS_UPLOAD_MAX_MB. Files are small SYNTHETIC examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.uploads.tokens import issue_upload_token
from tests.fixtures.private import opened
from tests.fixtures.upload_files import TEMPLATE_HEADER, many_problems_csv

PAGE = str(Path(__file__).resolve().parents[2] / "dashboards" / "views" / "upload.py")
HEADER = TEMPLATE_HEADER


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    _, token = issue_upload_token(tmp_path / "data", "ES003C")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input[0].set_value(token).run()
    return at, tmp_path / "data"


def summary(at):
    """The rule-by-rule summary: the static table whose columns start with Severity and Rule (labelled for people;
    read back here under the page's column codes)."""
    table = next(t.value for t in at.table if list(t.value.columns[:2]) == ["Severity", "Rule"])
    return table.rename(columns=str.lower)


def problem_list(at):
    return next(d.value for d in at.dataframe if "what to do" in d.value.columns)


def test_a_bad_file_shows_every_problem_and_cannot_be_submitted(page):
    at, data = page
    content = HEADER + "\nhomicide_rate,ES002C,2019,,,,abc,per 100000,,,,,\nno_such,ES003C,2019,,,,1,%,,,,,\n"
    at.file_uploader[0].set_value(("bad.csv", content.encode(), "text/csv")).run()
    assert not at.exception
    table = summary(at)
    assert dict(zip(table["rule"], table["problems"], strict=True)) == {
        "wrong_city": 1,
        "not_a_number": 1,
        "unknown_indicator": 1,
    }
    report = problem_list(at)
    assert set(zip(report["line"], report["rule"], strict=True)) == {
        (2, "wrong_city"),
        (2, "not_a_number"),
        (3, "unknown_indicator"),
    }
    assert "3 error(s)" in at.error[0].value
    assert not at.pagination and not [s for s in at.selectbox if s.label == "Show the problems of"]
    assert [b for b in at.download_button if b.label == "Download the whole report (CSV)"]
    assert not [b for b in at.button if b.label == "Submit"]
    assert not (data / "inbox").exists()


def test_the_city_comes_from_the_token_and_a_bad_token_says_so(page, tmp_path):
    at, _ = page
    city = next(s for s in at.selectbox if s.label.startswith("City"))
    assert city.options == ["ES003C (ES003C)"] and city.value == "ES003C"  # nothing published: the code as name
    at.text_input[0].set_value("nope.nope").run()
    assert "the token is not valid" in at.error[0].value
    assert not [s for s in at.selectbox if s.label.startswith("City")]


def test_one_rule_with_two_messages_shows_both_and_the_whole_what_to_do(page):
    at, _ = page
    rows = [
        "feel_safe_after_dark,ES003C,2019,,,a,61.5,,,,,,",  # unit empty
        "feel_safe_after_dark,ES003C,2019,,,b,,%,,,,,",  # value empty
        "feel_safe_after_dark,ES003C,2019,,,c,,%,,,,,",
    ]
    at.file_uploader[0].set_value(("two.csv", "\n".join([HEADER, *rows]).encode(), "text/csv")).run()
    table = summary(at)
    required = table[table["rule"] == "required"]
    assert sorted(zip(required["what to do"], required["problems"], required["lines"], strict=True)) == [
        ("'unit' is empty. Give the unit of every value.", 1, "2"),
        ("'value' is empty. Give a value, or leave the row out if there is none.", 2, "3, 4"),
    ]
    # a static table (st.table) shows every character of the text; nothing is cut to a column width
    assert any(t.value.rename(columns=str.lower).equals(table) for t in at.table)


def test_synonyms_are_read_with_a_warning_that_names_the_conversion(page):
    at, data = page
    rows = ["homicide_rate,ES003C,2019,total,,,1.2,per 100 000 inhabitants,,,,City police,"]
    at.file_uploader[0].set_value(("first.csv", "\n".join([HEADER, *rows]).encode(), "text/csv")).run()
    assert not at.exception
    assert "0 error(s) and 2 warning(s)" in at.warning[0].value
    messages = set(summary(at)["what to do"])
    assert "Read sex 'total' as empty (both sexes); the template writes female, male or leaves it empty." in messages
    assert (
        "Read the unit 'per 100 000 inhabitants' as 'offences per 100 000 inhabitants', the catalogue's unit of "
        "homicide_rate." in messages
    )
    next(b for b in at.button if b.label == "Submit").click().run()
    stored = opened(next((data / "inbox").iterdir()) / "rows.csv").decode("utf-8")
    # period 2019, sex empty (both sexes), the catalogue's unit
    assert ",homicide_rate,ES003C,,2019,,,,1.2,offences per 100 000 inhabitants," in stored


def test_the_template_dictionary_gives_each_indicator_its_unit_and_codes(page):
    at, _ = page
    indicators = next(d.value for d in at.dataframe if "unit read with a warning" in d.value.columns)
    homicide = indicators.set_index("indicator_code").loc["homicide_rate"]
    assert homicide["unit"] == "offences per 100 000 inhabitants"
    assert "per 100 000 inhabitants" in homicide["unit read with a warning"]
    assert homicide["sex"].startswith("female, male")
    columns = next(t.value for t in at.table if "Column" in t.value.columns)
    sex = columns.set_index("Column").loc["sex", "Description"]
    assert "_t" in sex and "total" in sex and "women" in sex


def test_the_size_limit_on_the_page_is_sps_upload_max_mb(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPS_UPLOAD_MAX_MB", "7")
    _, token = issue_upload_token(tmp_path / "data", "ES003C")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input[0].set_value(token).run()
    assert at.file_uploader[0].label.endswith("up to 7 MB")
    # AppTest's server keeps Streamlit's default limit: the page says it does not match
    assert any("start it with `sps serve`" in c.value for c in at.caption)


def test_a_long_report_is_summarised_by_rule_and_listed_page_by_page(page, monkeypatch):
    from streamlit.runtime.media_file_manager import MediaFileManager

    downloads = []  # the report's bytes are built only when the button is clicked: keep the callable to call it
    add_deferred = MediaFileManager.add_deferred

    def keep(self, data_callable, *args, **kwargs):
        downloads.append(data_callable)
        return add_deferred(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    import pipelines.uploads.api as uploads_api

    checks = []  # the file is checked once, not again on every change of page or rule
    check_file = uploads_api.check_file
    monkeypatch.setattr(uploads_api, "check_file", lambda *args: checks.append(1) or check_file(*args))
    at, data = page
    at.file_uploader[0].set_value(("many.csv", many_problems_csv(1200).encode(), "text/csv")).run()
    assert not at.exception
    assert "1200 error(s) and 0 warning(s)" in at.error[0].value
    table = summary(at)
    assert list(table["rule"]) == ["not_a_number", "unknown_indicator"]  # most problems first
    assert list(table["problems"]) == [800, 400]
    assert list(table["lines"]) == ["3, 4, 6, 7, 9 and 795 more", "2, 5, 8, 11, 14 and 395 more"]
    assert table["what to do"][0].startswith("'value' must be a plain number")

    def shown():
        caption = next(c.value for c in at.caption if c.value.startswith("Problems "))
        return problem_list(at), caption

    rows, caption = shown()
    assert len(rows) == 500 and list(rows["line"][:3]) == [2, 3, 4]
    assert caption.startswith("Problems 1–500 of 1 200")
    at.pagination[0].set_value(3).run()
    rows, caption = shown()
    assert len(rows) == 200 and rows["line"].iloc[-1] == 1201
    assert caption.startswith("Problems 1 001–1 200 of 1 200")

    rules = next(s for s in at.selectbox if s.label == "Show the problems of")
    rules.set_value("unknown_indicator").run()
    rows, caption = shown()
    assert set(rows["rule"]) == {"unknown_indicator"} and len(rows) == 400
    assert caption.startswith("Problems 1–400 of 400 of the rule unknown_indicator")
    assert not at.pagination  # one page only
    next(s for s in at.selectbox if s.label == "Show the problems of").set_value("not_a_number").run()
    assert at.pagination[0].num_pages == 2 and at.pagination[0].value == 1
    assert shown()[1].startswith("Problems 1–500 of 800")

    button = next(b for b in at.download_button if b.label == "Download the whole report (CSV)")
    assert button.proto.deferred_file_id and downloads
    # the last deferred download of the indicator-values tab (the survey tab's questionnaire is deferred too)
    report = next(r for r in (d() for d in reversed(downloads)) if isinstance(r, str))
    assert report.count("\n") == 1201 and report.startswith("severity,row,column,value,rule,message\n")
    assert len(checks) == 1
    assert not [b for b in at.button if b.label == "Submit"]
    assert not (data / "inbox").exists()


def test_a_clean_file_is_submitted_to_the_inbox(page):
    at, data = page
    content = HEADER + "\nfeel_safe_after_dark,ES003C,2019,,,,61.5,%,58.2,64.8,700,Synthetic,\n"
    at.file_uploader[0].set_value(("good.csv", content.encode(), "text/csv")).run()
    assert "no problems found" in at.success[0].value
    next(b for b in at.button if b.label == "Submit").click().run()
    assert not at.exception
    assert any("Submitted as" in s.value for s in at.success)
    assert len(list((data / "inbox").iterdir())) == 1


def test_a_revoked_token_is_refused(page, tmp_path):
    from pipelines.uploads.tokens import list_upload_tokens, revoke_upload_token

    at, data = page
    revoke_upload_token(data, list_upload_tokens(data)[0]["token_id"])
    at.run()
    assert "the token was revoked" in at.error[0].value


def test_an_open_sdg_file_is_mapped_with_the_form(page):
    at, data = page
    content = "Year,Gender,Value\n2018,,6.56\n2018,Men,6.61\n2018,Women,6.5\n"
    at.file_uploader[0].set_value(("16-1-2.csv", content.encode(), "text/csv")).run()
    at.text_input[1].set_value("Neighbourhood safety rating")
    at.text_input[2].set_value("score 1-10")
    next(s for s in at.selectbox if s.label == "Column 'Gender' is").set_value("sex")
    at.run()
    at.text_input[3].set_value("Women=female, Men=male").run()
    assert not at.exception
    assert "3 row(s), no problems found" in at.success[0].value
    next(b for b in at.button if b.label == "Submit").click().run()
    rows = next((data / "inbox").iterdir()) / "rows.csv"
    text = opened(rows).decode("utf-8")
    assert "local:ES003C:neighbourhood_safety_rating" in text and ",male," in text and ",female," in text
