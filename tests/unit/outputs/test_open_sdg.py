"""The Open SDG folder: ids from the catalogue's SDG links, one file per id with a Series column when our
indicators share it, meta files, and what cannot be placed is left out and said. Rows here are SYNTHETIC."""

from __future__ import annotations

import csv
import io

import duckdb
import pytest
import yaml

from pipelines.outputs import open_sdg
from pipelines.outputs.exports import ExportError, ExportFilters, export_published
from pipelines.outputs.open_sdg import IndicatorInfo, Observation


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ("16.1.4", "16-1-4"),
        ("11.7;16.1.4 (proxy)", "16-1-4"),
        ("16.1.4 (proxy);11.7", "16-1-4"),
        ("16.1.3 (context);11.7.2 (context)", "16-1-3"),
        ("16.1 (context);11.7 (context)", "16-1-x"),
        ("16.a.1", "16-a-1"),
        ("16.10.2", "16-10-2"),
        ("", None),
        (None, None),
        ("safety", None),
    ],
)
def test_the_sdg_id_is_the_first_full_indicator_else_the_first_target(links, expected):
    assert open_sdg.open_sdg_id(links) == expected


def test_ids_sort_as_open_sdg_lists_them():
    ids = ["16-10-1", "16-1-x", "11-7-2", "16-1-4", "16-a-1", "16-2-1"]
    assert sorted(ids, key=open_sdg.sort_key) == ["11-7-2", "16-1-4", "16-1-x", "16-2-1", "16-10-1", "16-a-1"]


def test_breakdown_keys_never_take_an_open_sdg_column_meaning():
    assert open_sdg.split_breakdown("Series=Adults; Region=London; Units=x; lone") == {
        "Series (breakdown)": "Adults",
        "Region": "London",
        "Units (breakdown)": "x",
        "Breakdown": "lone",
    }


INDICATORS = {
    "safe_a": IndicatorInfo("safe_a", "Feel safe A", "% of respondents", "SYNTHETIC definition A", "16.1.4 (proxy)"),
    "safe_b": IndicatorInfo("safe_b", "Feel safe B", "% of respondents", "SYNTHETIC definition B", "11.7;16.1.4"),
    "thefts": IndicatorInfo("thefts", "Thefts", "offences per 100 000 inhabitants", "SYNTHETIC", "16.1 (context)"),
    "lonely": IndicatorInfo("lonely", "No SDG link", "%", "SYNTHETIC", ""),
}
SOURCES = {"synthetic_survey": {"title": "SYNTHETIC survey", "provider": "Nobody", "licence": "CC BY 4.0"}}


def obs(code, geo="XX001C", period="2019", value=50.0, **kw) -> Observation:
    return Observation(
        code,
        geo,
        period,
        kw.get("sex"),
        kw.get("age"),
        kw.get("breakdown"),
        value,
        INDICATORS[code].unit,
        kw.get("source", "synthetic_survey"),
        kw.get("group", f"synthetic_survey:{code}"),
    )


def read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_indicators_sharing_an_sdg_id_share_a_file_told_apart_by_series():
    rows = [obs("safe_a", value=61.5), obs("safe_b", value=70.0), obs("safe_a", "XX001C:d1", value=12.25)]
    folder = open_sdg.build_folder(rows, INDICATORS, SOURCES, "XX001C", "v1", "2026-01-02 03:04:05+00")
    assert folder.data_files == ["data/indicator_16-1-4.csv"] and not folder.left_out
    assert sorted(folder.files) == [
        "data/indicator_16-1-4.csv",
        "data/indicator_16-1-4.mapping.yml",
        "indicator-config/16-1-4.yml",
        "meta/16-1-4.yml",
    ]
    data = read(folder.files["data/indicator_16-1-4.csv"])
    assert [(r["Year"], r["Series"], r["GeoCode"], r["Value"]) for r in data] == [
        ("2019", "Feel safe A", "", "61.5"),
        ("2019", "Feel safe B", "", "70"),
        ("2019", "Feel safe A", "d1", "12.25"),
    ]
    mapping = yaml.safe_load(folder.files["data/indicator_16-1-4.mapping.yml"])
    assert mapping == {
        "source": "SPS Monitor published version v1 (synthetic_survey)",
        "columns": {"Series": "indicator"},
        "values": {"Series": {"Feel safe A": "safe_a", "Feel safe B": "safe_b"}},
    }
    meta = yaml.safe_load(folder.files["meta/16-1-4.yml"])
    assert meta["SDG_INDICATOR"] == "16.1.4" and meta["META_LAST_UPDATE"] == "2026-01-02"
    assert "SYNTHETIC definition A" in meta["STAT_CONC_DEF"] and meta["DATA_SOURCE"] == "Nobody (synthetic_survey)"


def test_one_indicator_per_id_needs_no_series_and_target_links_go_to_x_and_no_link_is_left_out():
    rows = [obs("safe_a"), obs("thefts", "XX", value=812.0), obs("lonely")]
    folder = open_sdg.build_folder(rows, INDICATORS, SOURCES, None, "v1", "2026-01-02")
    assert folder.data_files == ["data/indicator_16-1-4.csv", "data/indicator_16-1-x.csv"]
    assert list(folder.left_out) == ["lonely"]
    assert next(csv.reader(io.StringIO(folder.files["data/indicator_16-1-4.csv"]))) == [
        "Year",
        "Units",
        "GeoCode",
        "Value",
    ]
    assert yaml.safe_load(folder.files["data/indicator_16-1-4.mapping.yml"])["indicator"] == "safe_a"
    config = yaml.safe_load(folder.files["indicator-config/16-1-x.yml"])
    assert config["indicator_number"] == "16.1.x" and "not a global SDG indicator" in config["indicator_name"]
    assert config["indicator_sort_order"] == "16-01-zz" and config["source_organisation_1"] == "Nobody"
    assert yaml.safe_load(folder.files["meta/16-1-x.yml"])["SDG_INDICATOR"] == ""


def test_sources_sexes_and_survey_universes_get_columns_only_when_a_file_has_several():
    rows = [
        obs("safe_a", sex="female", breakdown="Region=North"),
        obs("safe_a", sex="female", breakdown="Region=North", group="other:universe", value=40.0),
        obs("safe_a", source="second_survey", value=30.0),
    ]
    folder = open_sdg.build_folder(rows, INDICATORS, SOURCES, None, "v1", "2026-01-02")
    text = folder.files["data/indicator_16-1-4.csv"]
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["Year", "Source", "Sex", "Comparability group", "Region", "Units", "GeoCode", "Value"]
    mapping = yaml.safe_load(folder.files["data/indicator_16-1-4.mapping.yml"])
    assert mapping["columns"] == {"Sex": "sex", "Source": "source"} and "source" not in mapping


def published_version(rows: list[tuple], sdg_targets: str) -> duckdb.DuckDBPyConnection:
    """A SYNTHETIC published version: the few tables the Open SDG export reads."""
    conn = duckdb.connect()
    conn.execute("create table _publication as select 'v-synthetic' as version, now() as published_at")
    conn.execute(
        "create table dim_indicators as select 'lonely' as indicator_code, 'No SDG link' as indicator_name, "
        "'%' as unit, 'SYNTHETIC' as definition, ? as sdg_targets, null::varchar as comparability_caveat",
        [sdg_targets],
    )
    conn.execute(
        """create table fct_observations (indicator_code varchar, geo_code varchar, period varchar,
           period_year integer, sex varchar, age_group varchar, breakdown varchar, value double, unit varchar,
           source_dataset varchar, source_type varchar, comparability_group varchar)"""
    )
    conn.executemany(
        "insert into fct_observations values (?, ?, ?, ?, null, null, null, ?, '%', 's', 'survey', 'g')", rows
    )
    conn.execute("create table dim_geographies as select 'XX001C' as geo_code, 'city' as geo_level")
    conn.execute("create table _sources as select 's' as source_dataset, 'S' as title, 'P' as provider, 'L' as licence")
    return conn


def test_an_export_whose_indicators_have_no_sdg_link_writes_nothing_and_says_why(tmp_path):
    conn = published_version([("lonely", "XX001C", "2019", 2019, 1.0)], "")
    with pytest.raises(ExportError, match=r"none of the matching observations has an SDG indicator.*\(lonely\)"):
        export_published(conn, "observations", tmp_path / "osdg", "open-sdg", ExportFilters())
    assert list(tmp_path.iterdir()) == []
    linked = published_version([("lonely", "XX001C", "2019", 2019, 1.0)], "16.1.4")
    result = export_published(linked, "observations", tmp_path / "osdg", "open-sdg", ExportFilters())
    assert [p.relative_to(tmp_path).as_posix() for p in result.paths] == ["osdg/data/indicator_16-1-4.csv"]
    assert not result.left_out
