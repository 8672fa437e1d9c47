"""Period labels as published -> SDMX time periods (pipelines.outputs.exports.sdmx_time_period), and the
catalogue's reporting-year start day."""

from __future__ import annotations

import pytest

from pipelines.outputs.exports import ExportError, sdmx_time_period
from pipelines.sources import catalog


@pytest.mark.parametrize(
    ("label", "year_start", "expected"),
    [
        ("2019", None, ("2019", None)),
        ("2019", "--04-01", ("2019", None)),  # a plain year stays a calendar year
        ("2017/18", "--04-01", ("2017-A1", "--04-01")),  # CSEW: April 2017 to March 2018
        ("2017-18", None, ("2017-A1", None)),  # a city's split year whose start is not stated
        ("2017/2018", "--09-01", ("2017-A1", "--09-01")),
        ("1999/00", "--04-01", ("1999-A1", "--04-01")),
        ("2018 to 2020", "--04-01", ("2017-04-01/P3Y", None)),  # years ending March 2018, 2019 and 2020
        ("2018 to 2020", None, ("2018-01-01/P3Y", None)),
        ("2018-2020", None, ("2018-01-01/P3Y", None)),
        ("2018-20", None, ("2018-01-01/P3Y", None)),
        (" 2019/20 ", "--04-01", ("2019-A1", "--04-01")),
    ],
)
def test_period_labels_become_sdmx_time_periods(label, year_start, expected):
    assert sdmx_time_period(label, year_start) == expected


@pytest.mark.parametrize("label", ["2019-05", "2019/17", "2019/2019", "last year", "2019 Q1", ""])
def test_a_label_with_no_sdmx_form_is_one_clear_error(label):
    with pytest.raises(ExportError) as caught:
        sdmx_time_period(label)
    message = str(caught.value)
    assert repr(label) in message and "nothing was written" in message and "--period" in message


def test_the_ons_sources_start_their_years_in_april_and_others_say_nothing():
    starts = {spec.code: spec.reporting_year_start for spec in catalog.load_catalog()}
    assert {code for code, start in starts.items() if start} == {
        "ons_sdg_11_7_2",
        "ons_sdg_16_1_1",
        "ons_sdg_16_1_3",
        "ons_sdg_16_1_4",
    }
    assert set(starts.values()) == {None, "--04-01"}


@pytest.mark.parametrize("bad", ["04-01", "--4-1", "--13-01", "April"])
def test_a_malformed_reporting_year_start_in_the_catalogue_is_refused(tmp_path, monkeypatch, bad):
    text = catalog.CATALOG_PATH.read_text().replace(
        'reporting_year_start: "--04-01"', f'reporting_year_start: "{bad}"', 1
    )
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    monkeypatch.setattr(catalog, "CATALOG_PATH", path)
    catalog.load_catalog.cache_clear()
    try:
        with pytest.raises(ValueError, match="write the first day of the reporting year as --MM-DD"):
            catalog.load_catalog()
    finally:
        catalog.load_catalog.cache_clear()


def test_an_export_with_a_period_of_no_sdmx_form_names_it_and_writes_nothing(tmp_path):
    import duckdb

    from pipelines.outputs.exports import ExportFilters, export_published

    conn = duckdb.connect()  # a SYNTHETIC published version: the columns the check reads
    conn.execute("create table _publication as select 'v-synthetic' as version, now() as published_at")
    conn.execute(
        "create table fct_observations as select * from (values ('a_city_report', '2019'), "
        "('a_city_report', '2019-05')) t(source_dataset, period)"
    )
    with pytest.raises(ExportError, match=r"^a_city_report: period '2019-05' is not a year"):
        export_published(conn, "observations", tmp_path / "o.csv", "sdmx-csv", ExportFilters())
    assert list(tmp_path.iterdir()) == []
