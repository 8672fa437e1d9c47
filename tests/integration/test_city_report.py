"""City reports from the real snapshot: Barcelona and Bristol upload their real Open SDG files through the
city-reporting path, a refresh publishes them, and `sps report` writes the reports of Barcelona (ES002C), Riga
(LV001C) and Bristol (UK011C). Each is valid HTML5, loads nothing from anywhere, and every number printed from
the marts equals the mart. Bad requests are one line with nothing written."""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import replace
from pathlib import Path

import html5lib
import pytest

from pipelines.outputs.report.build import format_number
from pipelines.settings import load_settings
from pipelines.uploads.formats import Mapping
from pipelines.uploads.submit import submit_upload
from pipelines.uploads.tokens import issue_upload_token
from pipelines.versions.connection import connect_version
from tests.conftest import refreshed_copy, run_sps, sps_env
from tests.fixtures.private import opened_text
from tests.fixtures.versions import derived_copy, editable

pytestmark = pytest.mark.integration
MAPPINGS = Path(__file__).resolve().parents[2] / "examples" / "mappings"
UPLOADS = [
    ("barcelona/indicator_16-1-4.csv", "ES002C", "barcelona_16-1-4_safety_score.yml"),
    ("barcelona/indicator_16-1-1.csv", "ES002C", "barcelona_16-1-1_violent_deaths.yml"),
    ("bristol/indicator_16-1-4.csv", "UK011C", "bristol_16-1-4_feel_safe_after_dark.yml"),
]
CITIES = ["ES002C", "LV001C", "UK011C"]
NS = "{http://www.w3.org/1999/xhtml}"
LOADING_ATTRIBUTES = {"src", "srcset", "href", "xlink:href", "poster", "data", "action", "formaction", "background"}
LOADING_ELEMENTS = {"script", "link", "img", "iframe", "object", "embed", "audio", "video", "source", "image", "use"}


@pytest.fixture(scope="module")
def reported_data_dir(tmp_path_factory, snapshot_dir, refreshed_data_dir) -> Path:
    """The refreshed real snapshot, refreshed again after Barcelona and Bristol uploaded their real files."""
    data_dir = refreshed_copy(refreshed_data_dir, tmp_path_factory.mktemp("city_report") / "data")
    settings = replace(load_settings(), data_dir=data_dir)
    for relative, city, mapping in UPLOADS:
        _, token = issue_upload_token(data_dir, city)
        path = snapshot_dir / "city_reported" / relative
        result = submit_upload(
            path.read_bytes(), path.name, city, token, Mapping.from_yaml(MAPPINGS / mapping), settings
        )
        assert result.accepted, [str(p) for p in result.problems]
    done = run_sps(["refresh"], sps_env(data_dir, snapshot_dir))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    yield data_dir
    shutil.rmtree(data_dir / "dagster_home", ignore_errors=True)


@pytest.fixture(scope="module")
def marts(reported_data_dir):
    name = (reported_data_dir / "published" / "CURRENT").read_text().strip()
    conn = connect_version(str(reported_data_dir / "published" / name))
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def reports(reported_data_dir, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("reports")
    texts = {}
    for city in CITIES:
        out = folder / f"{city}.html"
        done = run_sps(["report", "--city", city, "--out", str(out)], sps_env(reported_data_dir))
        assert done.returncode == 0, done.stderr
        assert f"({city})" in done.stdout
        texts[city] = out.read_text(encoding="utf-8")
    return texts


def parse(text: str):
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(text)


def numbers(tree, kind: str) -> list:
    return [e for e in tree.iter(f"{NS}data") if e.get("data-kind") == kind]


@pytest.mark.parametrize("city", CITIES)
def test_report_is_valid_html5(reports, city):
    tree = parse(reports[city])  # strict: any parse error raises
    assert tree.find(f"{NS}head/{NS}title").text.endswith(f"({city})")
    sections = [s.get("id") for s in tree.iter(f"{NS}section")]
    assert sections == ["summary", "targets", "progress", "domains", "context", "own", "coverage", "methods", "sources"]


@pytest.mark.parametrize("city", CITIES)
def test_report_loads_nothing_from_anywhere(reports, city):
    text = reports[city]
    tree = parse(text)
    for element in tree.iter():
        tag = str(element.tag).split("}")[-1]
        assert tag not in LOADING_ELEMENTS, tag
        for name, value in element.attrib.items():
            name = str(name).split("}")[-1]
            if name in LOADING_ATTRIBUTES:
                assert tag == "a" and name == "href" and value.startswith("#"), (tag, name, value)
            if name == "style":
                assert "url(" not in value and "@import" not in value
    styles = "".join(s.text or "" for s in tree.iter(f"{NS}style"))
    assert "@page" in styles and "url(" not in styles and "@import" not in styles
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:|//|file:|data:)", text, re.IGNORECASE)


@pytest.mark.parametrize("city", CITIES)
def test_latest_values_ranks_and_coverage_equal_the_marts(reports, marts, city):
    tree = parse(reports[city])
    latest = {
        (r[0], r[1]): r[2:]
        for r in marts.execute(
            "select indicator_code, comparability_group, period, value, unit from city_latest_values "
            "where geo_code = ?",
            [city],
        ).fetchall()
    }
    shown = {}
    for element in numbers(tree, "latest"):
        key = (element.get("data-indicator"), element.get("data-group"))
        period, value, unit = latest[key]
        assert element.get("data-period") == period and float(element.get("value")) == value
        assert element.text == format_number(value, unit)
        shown[key] = value
    assert set(shown) == set(latest)  # every latest value of the city, nothing else
    ranks = {
        (r[0], r[1], r[2]): r[3]
        for r in marts.execute(
            "select indicator_code, period, peer_group, rank from city_rank_intervals where geo_code = ?", [city]
        ).fetchall()
    }
    for element in numbers(tree, "rank"):
        key = (element.get("data-indicator"), element.get("data-period"), element.get("data-peer-group"))
        assert int(element.get("value")) == ranks[key] and element.text == str(ranks[key])
    coverage = dict(
        marts.execute(
            "select indicator_code, periods_with_value from city_indicator_coverage where geo_code = ?", [city]
        ).fetchall()
    )
    got = {e.get("data-indicator"): int(e.text) for e in numbers(tree, "coverage")}
    catalogue = marts.execute("select count(*) from dim_indicators").fetchone()[0]
    assert got == {code: n or 0 for code, n in coverage.items()} and len(got) == catalogue


@pytest.mark.parametrize("city", CITIES)
def test_context_and_reported_values_equal_the_marts(reports, marts, city):
    tree = parse(reports[city])
    for element in numbers(tree, "context"):
        values = marts.execute(
            "select value from fct_observations where indicator_code = ? and geo_code = ? and period = ? "
            "and source_dataset in ('crim_gen_reg', 'crim_off_cat') and sex is null and age_group is null "
            "and breakdown is null",
            [element.get("data-indicator"), element.get("data-area"), element.get("data-period")],
        ).fetchall()
        assert float(element.get("value")) in {v for (v,) in values}
    for element in numbers(tree, "survey_context"):
        values = marts.execute(
            "select value from fct_observations where indicator_code = ? and geo_code = ? and period = ? "
            "and comparability_group = ? and sex is null and age_group is null and breakdown is null",
            [
                element.get("data-indicator"),
                element.get("data-area"),
                element.get("data-period"),
                element.get("data-group"),
            ],
        ).fetchall()
        assert [float(element.get("value"))] == [v for (v,) in values]
    for element in numbers(tree, "reported"):
        values = marts.execute(
            "select value from fct_observations where indicator_code = ? and geo_code = ? and period = ? "
            "and source_dataset = ? and coalesce(breakdown, '') = ?",
            [
                element.get("data-indicator"),
                element.get("data-geo"),
                element.get("data-period"),
                element.get("data-source"),
                element.get("data-breakdown") or "",
            ],
        ).fetchall()
        assert [float(element.get("value"))] == [v for (v,) in values]
    local = marts.execute(
        "select indicator_code, period, value from city_local_indicator_values where city_code = ?", [city]
    ).fetchall()
    got = [(e.get("data-indicator"), e.get("data-period"), float(e.get("value"))) for e in numbers(tree, "local")]
    assert sorted(got) == sorted(local)


def test_barcelona_report_shows_its_local_indicators_and_police_context(reports):
    tree = parse(reports["ES002C"])
    local = numbers(tree, "local")
    assert len(local) > 10 and {e.get("data-indicator").split(":")[0] for e in local} == {"local"}
    assert any(e.get("data-area") == "ES511" for e in numbers(tree, "context"))  # Barcelona's NUTS 3 region
    assert "Perception of safety (0-10)" in reports["ES002C"]


def test_bristol_report_shows_what_bristol_reported_and_the_national_survey(reports, marts):
    tree = parse(reports["UK011C"])
    reported = numbers(tree, "reported")
    expected = marts.execute(
        "select count(*) from fct_observations where geo_code = 'UK011C' and source_type = 'city_report'"
    ).fetchall()[0][0]
    assert len(reported) == expected > 0
    assert {e.get("data-indicator") for e in reported} == {"feel_safe_after_dark"}
    text = reports["UK011C"]
    assert "Values for areas of the city" in text and "Open Government Licence v3.0" in text
    context = {(e.get("data-indicator"), e.get("data-area")) for e in numbers(tree, "survey_context")}
    assert {
        ("feel_safe_after_dark", "UKC-L"),
        ("feel_safe_after_dark", "UKK"),
    } <= context  # England and Wales, South West


def test_riga_report_has_charts_sources_citation_and_version(reports, marts):
    text = reports["LV001C"]
    tree = parse(text)
    version = marts.execute("select version from _publication").fetchall()[0][0]
    meta = {m.get("name"): m.get("content") for m in tree.iter(f"{NS}meta") if m.get("name")}
    assert meta["sps-published-version"] == version and meta["sps-city"] == "LV001C"
    assert len(list(tree.iter("{http://www.w3.org/2000/svg}svg"))) >= 8  # a series and a strip per indicator
    sources = {tr.get("data-source") for tr in tree.iter(f"{NS}tr") if tr.get("data-source")}
    assert {"urb_percep", "crim_gen_reg", "crim_off_cat"} <= sources
    assert "CC BY 4.0 (Source: Eurostat)" in text
    citation = next(p for p in tree.iter(f"{NS}p") if p.get("class") == "citation")
    assert "Riga (LV001C)" in citation.text and version in citation.text
    # 72.3 % feel safe at night in the neighbourhood in 2019 (docs/methodology/uncertainty.md worked example)
    night = [e for e in numbers(tree, "latest") if e.get("data-indicator") == "feel_safe_night_neighbourhood"]
    assert {e.text for e in night} == {"72.3"}
    assert {e.text for e in numbers(tree, "ci_low") if e.get("data-indicator") == "feel_safe_night_neighbourhood"} == {
        "68.9"
    }


def test_period_limits_the_report(reported_data_dir, marts, tmp_path):
    out = tmp_path / "riga_2009_2012.html"
    done = run_sps(
        ["report", "--city", "LV001C", "--period", "2009-2012", "--out", str(out)], sps_env(reported_data_dir)
    )
    assert done.returncode == 0, done.stderr
    tree = parse(out.read_text(encoding="utf-8"))
    latest = {e.get("data-indicator"): e for e in numbers(tree, "latest")}
    assert set(latest) == {"feel_safe_city", "feel_safe_neighbourhood"}  # the 2019-only night questions drop out
    expected = marts.execute(
        "select value from fct_observations where geo_code = 'LV001C' and indicator_code = 'feel_safe_city' "
        "and period = '2012' and sex is null"
    ).fetchall()[0][0]
    assert (
        latest["feel_safe_city"].get("data-period") == "2012"
        and float(latest["feel_safe_city"].get("value")) == expected
    )
    assert all(int(e.get("data-period")[:4]) <= 2012 for e in numbers(tree, "series"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--city", "XX999C"], "--city XX999C: not a city code of published version"),
        (["--city", "LV001C", "--period", "someday"], "--period 'someday': write a year"),
        (["--city", "LV001C", "--period", "1990"], "no value of the city itself in 1990"),
        (["--city", "LV001C", "--lang", "xx"], "--lang xx: no report strings in that language"),
        (["--city", "LV001C", "--out-name", "riga.pdf"], "give a .html file name"),
        (["--city", "LV001C", "--out-name", "missing/riga.html"], "does not exist; create it"),
    ],
)
def test_bad_report_requests_are_one_line_and_write_nothing(reported_data_dir, tmp_path, args, message):
    name = "report.html"
    if "--out-name" in args:
        name = args[args.index("--out-name") + 1]
        args = args[: args.index("--out-name")]
    done = run_sps(["report", *args, "--out", str(tmp_path / name)], sps_env(reported_data_dir))
    assert done.returncode == 1, done.stdout
    assert done.stderr.count("\n") == 1 and message in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_city_without_data_of_its_own_is_refused(refreshed_data_dir, tmp_path):
    """Before Bristol uploads anything, the published version has only regional and national context for it."""
    done = run_sps(["report", "--city", "UK011C", "--out", str(tmp_path / "bristol.html")], sps_env(refreshed_data_dir))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "UK011C (Bristol): no value of the city itself" in done.stderr and "sps upload" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_unwritable_target_is_refused(refreshed_data_dir):
    done = run_sps(["report", "--city", "LV001C", "--out", "/proc/sps_riga.html"], sps_env(refreshed_data_dir))
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "nothing was written" in done.stderr


def test_report_before_any_refresh_says_what_to_do(tmp_path):
    done = run_sps(["report", "--city", "LV001C", "--out", str(tmp_path / "r.html")], sps_env(tmp_path / "data"))
    assert done.returncode == 1 and "Run `sps refresh` first" in done.stderr and not (tmp_path / "r.html").exists()


def test_bristol_open_sdg_export_round_trips_wards_and_breakdowns(reported_data_dir, marts, tmp_path):
    """Bristol's harmonised data (citywide, by ward, by deprivation decile) back out as Open SDG and in again."""
    out = tmp_path / "bristol"
    done = run_sps(
        ["export", "observations", "--format", "open-sdg", "--city", "UK011C", "--out", str(out)],
        sps_env(reported_data_dir),
    )
    assert done.returncode == 0, done.stderr
    # an Open SDG data folder keyed by SDG indicator id: feel_safe_after_dark is one series of 16-1-4
    path = out / "data" / "indicator_16-1-4.csv"
    header = next(csv.reader(path.open(encoding="utf-8")))
    assert header[0] == "Year" and header[-3:] == ["Units", "GeoCode", "Value"]
    settings = replace(load_settings(), data_dir=tmp_path / "data")
    _, token = issue_upload_token(settings.data_dir, "UK011C")
    mapping = Mapping.from_yaml(out / "data" / "indicator_16-1-4.mapping.yml")
    result = submit_upload(path.read_bytes(), path.name, "UK011C", token, mapping, settings)
    assert result.accepted, [str(p) for p in result.problems if p.severity == "error"]
    with opened_text(Path(result.stored_at) / "rows.csv") as fh:
        got = sorted(
            (r["indicator_code"], r["geo_code"], r["period"], r["breakdown"], float(r["value"]))
            for r in csv.DictReader(fh)
        )
    indicators = sorted({row[0] for row in got})
    assert "feel_safe_after_dark" in indicators
    expected = sorted(
        (i, g, p, b or "", v)
        for i, g, p, b, v in marts.execute(
            "select indicator_code, geo_code, period, breakdown, value from fct_observations "
            "where (geo_code = 'UK011C' or geo_code like 'UK011C:%') and indicator_code in (select unnest(?))",
            [indicators],
        ).fetchall()
    )
    assert got == expected and len(got) > 100 and any(g != "UK011C" for _, g, *_ in got)


def test_text_a_city_sent_is_escaped_never_run(reported_data_dir, tmp_path):
    """Local indicator names come from city uploads: markup in them is shown as text, never executed."""
    from pipelines.outputs.report.build import build_city_report

    published = reported_data_dir / "published" / (reported_data_dir / "published" / "CURRENT").read_text().strip()
    copy = tmp_path / "published_copy.duckdb"  # a derived file in tmp, edited to carry hostile text
    with derived_copy(published, copy) as conn:
        editable(conn, "dim_local_indicators")
        conn.execute("update dim_local_indicators set name = '<script>alert(1)</script><img src=x>'")
        html = build_city_report(conn, "ES002C").html
    tree = parse(html)
    assert not [e for e in tree.iter() if str(e.tag).split("}")[-1] in ("script", "img")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
