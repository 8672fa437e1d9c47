"""`sps export` formats on the real snapshot: SDMX-CSV equals fct_observations cell for cell, XLSX has a sheet
per indicator and a metadata sheet, Open SDG CSV per indicator goes back through the city-reporting upload and
yields the same values, filters select exactly what they say, every export has a metadata sidecar, and every
bad request is one line with nothing written."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.outputs.exports import SDMX_ATTRIBUTES, SDMX_COLUMNS, SDMX_DIMENSIONS, SDMX_MEASURE
from pipelines.outputs.open_sdg import open_sdg_id, split_breakdown
from pipelines.settings import load_settings
from pipelines.uploads.tokens import issue_upload_token
from tests.conftest import run_sps, sps_env
from tests.fixtures.private import opened_text

pytestmark = pytest.mark.integration
SEX = {"F": "female", "M": "male", "_T": None}
FRICTIONLESS = str(Path(sys.executable).with_name("frictionless"))


def frictionless_validate(source: Path) -> dict:
    """The report of the `frictionless validate` command (the tool as a data user runs it) on `source`."""
    done = subprocess.run(
        [FRICTIONLESS, "validate", source.name, "--json"], cwd=source.parent, capture_output=True, text=True
    )
    return json.loads(done.stdout)


def _version(published_db) -> str:
    return published_db.execute("select version from _publication").fetchall()[0][0]


@pytest.fixture(scope="module")
def sdmx_export(refreshed_data_dir, tmp_path_factory) -> Path:
    """The whole published version as SDMX-CSV, written once for the tests that read it."""
    out = tmp_path_factory.mktemp("sdmx") / "observations.sdmx.csv"
    done = run_sps(["export", "observations", "--format", "sdmx-csv", "--out", str(out)], sps_env(refreshed_data_dir))
    assert done.returncode == 0, done.stderr
    return out


def test_sdmx_csv_has_dimension_columns_and_every_obs_value_equals_fct_observations(sdmx_export, published_db):
    out = sdmx_export
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == SDMX_COLUMNS
        rows = list(reader)
    expected = {
        (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]): (r[8], r[9])
        for r in published_db.execute(
            "select indicator_code, geo_code, sex, age_group, breakdown, source_dataset, comparability_group, period, "
            "value, flags "
            "from fct_observations"
        ).fetchall()
    }
    assert len(rows) == len(expected) > 100_000
    keys = set()
    for row in rows:
        key = (
            row["SERIES"],
            row["REF_AREA"],
            SEX[row["SEX"]],
            None if row["AGE"] == "_T" else row["AGE"],
            None if row["BREAKDOWN"] == "_T" else row["BREAKDOWN"],
            row["SOURCE_DATASET"],
            row["COMPARABILITY_GROUP"],
            row["PERIOD_AS_PUBLISHED"],
        )
        keys.add(key)
        value, flags = expected[key]
        if value is None:
            assert row["OBS_VALUE"] == "" and row["OBS_STATUS"] == "O"
        else:
            assert float(row["OBS_VALUE"]) == value, key
        if flags and "e" in flags:
            assert row["OBS_STATUS"] == "E" and row["OBS_FLAG"] == flags
    assert len(keys) == len(rows)  # the dimensions identify every observation
    riga = next(r for r in rows if r["SERIES"] == "feel_safe_night_neighbourhood" and r["REF_AREA"] == "LV001C")
    assert (riga["TIME_PERIOD"], riga["OBS_VALUE"], riga["UNIT_MEASURE"], riga["OBS_STATUS"]) == (
        "2019",
        "72.3",
        "PT",
        "A",
    )
    sidecar = json.loads(out.with_name(out.name + ".metadata.json").read_text())
    assert sidecar["published_version"] == _version(published_db) and sidecar["rows"] == len(rows)
    assert sidecar["format"] == "sdmx-csv" and sidecar["generated_at"]
    # Financial years are reporting years starting in April; ONS's pooled years a time range; years stay years.
    periods = {
        (r["SOURCE_DATASET"], r["PERIOD_AS_PUBLISHED"], r["TIME_PERIOD"], r["REPORTING_YEAR_START_DAY"]) for r in rows
    }
    assert ("ons_sdg_16_1_4", "2017/18", "2017-A1", "--04-01") in periods
    assert ("ons_sdg_16_1_1", "2019/20", "2019-A1", "--04-01") in periods
    assert ("ons_sdg_16_1_3", "2018 to 2020", "2017-04-01/P3Y", "") in periods
    assert all(time == label and not start for _, label, time, start in periods if len(label) == 4)
    assert all(time == f"{label[:4]}-A1" and start == "--04-01" for _, label, time, start in periods if "/" in label)
    licences = {s["dataset"]: s["licence"] for s in sidecar["sources"]}
    assert licences["urb_percep"] == "CC BY 4.0 (Source: Eurostat)"
    assert licences["ons_sdg_16_1_4"] == "Open Government Licence v3.0"


def sps_monitor_schema():
    """The SPS_MONITOR_OBS structure as pysdmx models it, from the export's own lists of components."""
    from pysdmx.model import Component, Components, Concept, DataType, Role
    from pysdmx.model.dataflow import Schema

    components = [
        Component(name, True, Role.DIMENSION, Concept(name), DataType.PERIOD if name == "TIME_PERIOD" else None)
        for name in SDMX_DIMENSIONS
    ]
    components.append(Component(SDMX_MEASURE, False, Role.MEASURE, Concept(SDMX_MEASURE), DataType.DOUBLE))
    components += [
        Component(name, False, Role.ATTRIBUTE, Concept(name), attachment_level="O") for name in SDMX_ATTRIBUTES
    ]
    return Schema("dataflow", "SPS", "SPS_MONITOR_OBS", Components(components), "1.0")


def as_validated_sdmx_ml(data, schema) -> list[str]:
    """The TIME_PERIODs of `data` after pysdmx wrote them as SDMX-ML 2.1 (generic time series) and read them back
    validating against the official SDMX 2.1 XML schemas, whose ObservationalTimePeriodType is every SDMX time
    format: years, reporting periods (2017-A1), time ranges (2017-04-01/P3Y)."""
    from pysdmx.io import read_sdmx, write_sdmx
    from pysdmx.io.format import Format
    from pysdmx.io.pd import PandasDataset

    xml = write_sdmx([PandasDataset(structure=schema, data=data)], Format.DATA_SDMX_ML_2_1_GENTS)
    message = read_sdmx(xml, validate=True)  # raises pysdmx.errors.Invalid naming the bad value
    return sorted(message.data[0].data["TIME_PERIOD"].astype(str))


# pysdmx reads SDMX-CSV with pandas' chunked type guessing, which warns that 2019 and 2017-A1 share a column.
@pytest.mark.filterwarnings("ignore::pandas.errors.DtypeWarning")
def test_pysdmx_reads_the_sdmx_csv_and_every_time_period_is_an_sdmx_time_period(sdmx_export, published_db):
    from pysdmx.errors import Invalid
    from pysdmx.io import get_datasets

    datasets = get_datasets(sdmx_export)
    assert len(datasets) == 1 and datasets[0].short_urn == "Dataflow=SPS:SPS_MONITOR_OBS(1.0)"
    data = datasets[0].data.astype(str)  # SDMX-CSV is text: every cell as written
    assert list(data.columns) == list(SDMX_COLUMNS[1:])
    assert len(data) == published_db.execute("select count(*) from fct_observations").fetchall()[0][0]
    # One observation per distinct TIME_PERIOD: the schema check is on the value, so this covers every row.
    sample = data.drop_duplicates("TIME_PERIOD").replace({"nan": None, "<NA>": None})
    schema = sps_monitor_schema()
    assert as_validated_sdmx_ml(sample, schema) == sorted(set(data["TIME_PERIOD"]))
    assert {"2019", "2017-A1", "2017-04-01/P3Y"} <= set(data["TIME_PERIOD"])
    # The same check refuses the labels the export wrote before (2017/18, '2018 to 2020').
    for label in ("2017/18", "2018 to 2020"):
        with pytest.raises(Invalid, match="ObservationalTimePeriodType"):
            as_validated_sdmx_ml(sample.head(1).assign(TIME_PERIOD=label), schema)


def test_csv_exports_come_with_a_datapackage_json_that_frictionless_validates(
    refreshed_data_dir, published_db, tmp_path
):
    env = sps_env(refreshed_data_dir)
    for what in ("observations", "indicators"):
        done = run_sps(["export", what, "--out", str(tmp_path / f"{what}.csv")], env)
        assert done.returncode == 0, done.stderr
        assert f"Frictionless data package descriptor in {tmp_path / 'datapackage.json'}" in done.stdout
    report = frictionless_validate(tmp_path / "datapackage.json")
    assert report["valid"], [e["message"] for t in report["tasks"] for e in t["errors"]][:5]
    rows = {t["name"]: t["stats"]["rows"] for t in report["tasks"]}
    counts = published_db.execute(
        "select (select count(*) from fct_observations), (select count(*) from dim_indicators)"
    ).fetchall()[0]
    assert rows == {"observations": counts[0], "indicators": counts[1]} and counts[0] > 100_000

    package = json.loads((tmp_path / "datapackage.json").read_text())
    observations = next(r for r in package["resources"] if r["path"] == "observations.csv")
    fields = {f["name"]: f for f in observations["schema"]["fields"]}
    assert [f["name"] for f in observations["schema"]["fields"]] == [
        c for (c,) in published_db.execute("select column_name from (describe fct_observations)").fetchall()
    ]
    assert (fields["period"]["type"], fields["period_year"]["type"], fields["value"]["type"]) == (
        "string",
        "integer",
        "number",
    )
    assert fields["is_official"]["type"] == "boolean" and fields["reported_at"]["type"] == "datetime"
    assert observations["schema"]["primaryKey"] == ["observation_id"]
    assert fields["value"]["unit"] == "as given in the column unit of the same row"
    assert set(fields["unit"]["constraints"]["enum"]) == {
        u for (u,) in published_db.execute("select distinct unit from fct_observations").fetchall()
    }
    assert "Wilson" in fields["ci_low"]["description"]  # from the dbt docs of the mart
    sidecar = json.loads((tmp_path / "observations.csv.metadata.json").read_text())
    assert {lic["name"] for lic in observations["licenses"]} == {"CC-BY-4.0", "OGL-UK-3.0"}
    assert len(observations["sources"]) == len(sidecar["sources"]) == 7
    assert all(s["dataset"] in src["title"] for s, src in zip(sidecar["sources"], observations["sources"], strict=True))
    assert observations["sps_published_version"] == _version(published_db)

    # Without the descriptor frictionless guesses the types and trips on the survey years; with it, a wrong
    # cell is caught where it is.
    guessed = frictionless_validate(tmp_path / "observations.csv")
    assert not guessed["valid"] and any("2014/15" in e["message"] for e in guessed["tasks"][0]["errors"])
    lines = (tmp_path / "observations.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    cells = next(csv.reader([lines[1]]))
    cells[header.index("period_year")] = "2019/20"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    lines[1] = buffer.getvalue()
    (tmp_path / "observations.csv").write_text("".join(lines), encoding="utf-8")
    broken = frictionless_validate(tmp_path / "datapackage.json")
    errors = [e for t in broken["tasks"] for e in t["errors"]]
    assert not broken["valid"] and [(e["type"], e["fieldName"], e["rowNumber"]) for e in errors] == [
        ("type-error", "period_year", 2)
    ]


@pytest.mark.parametrize(
    "content", ['{"name": "a-city-package", "resources": []}', "not json at all"], ids=["foreign", "unreadable"]
)
def test_a_datapackage_json_sps_did_not_write_is_never_overwritten(refreshed_data_dir, tmp_path, content):
    (tmp_path / "datapackage.json").write_text(content)
    done = run_sps(["export", "indicators", "--out", str(tmp_path / "indicators.csv")], sps_env(refreshed_data_dir))
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "already has a datapackage.json that sps export did not write" in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["datapackage.json"]
    assert (tmp_path / "datapackage.json").read_text() == content


def test_xlsx_has_a_sheet_per_indicator_and_a_metadata_sheet(refreshed_data_dir, published_db, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "cities.xlsx"
    done = run_sps(
        ["export", "observations", "--out", str(out), "--city", "ES002C,LV001C"], sps_env(refreshed_data_dir)
    )
    assert done.returncode == 0, done.stderr
    book = load_workbook(out, read_only=True)
    expected = published_db.execute(
        "select indicator_code, geo_code, period, value from fct_observations where geo_code in ('ES002C', 'LV001C')"
    ).fetchall()
    indicators = sorted({r[0] for r in expected})
    assert book.sheetnames == ["metadata", *indicators]
    got = []
    for code in indicators:
        rows = list(book[code].iter_rows(values_only=True))
        header = rows[0]
        got += [
            (code, r[header.index("geo_code")], r[header.index("period")], r[header.index("value")]) for r in rows[1:]
        ]
    assert sorted(got) == sorted(expected)
    meta = list(book["metadata"].iter_rows(values_only=True))
    assert ("published_version", _version(published_db)) in [tuple(r[:2]) for r in meta]
    assert any(len(r) > 3 and r[0] == "urb_percep" and r[3] == "CC BY 4.0 (Source: Eurostat)" for r in meta)
    assert json.loads(out.with_name("cities.xlsx.metadata.json").read_text())["filters"]["city"] == ["ES002C", "LV001C"]


def test_sheet_names_fit_excel():
    from pipelines.outputs.exports import sheet_names

    names = sheet_names(["psychological_violence_prevalence", "psychological_violence_prevalence_x", "metadata"])
    assert all(len(n) <= 31 for n in names.values()) and len(set(names.values())) == 3
    assert names["metadata"] != "metadata"


@pytest.mark.parametrize("city", ["ES002C", "LV001C"])
def test_open_sdg_export_of_a_city_goes_back_through_sps_upload_with_the_same_values(
    refreshed_data_dir, published_db, tmp_path, city
):
    out = tmp_path / "open_sdg"
    done = run_sps(
        ["export", "observations", "--format", "open-sdg", "--city", city, "--out", str(out)],
        sps_env(refreshed_data_dir),
    )
    assert done.returncode == 0, done.stderr
    files = sorted((out / "data").glob("indicator_*.csv"))
    published = published_db.execute(
        """select o.indicator_code, o.period, o.value, i.sdg_targets from fct_observations o
           join dim_indicators i using (indicator_code) where geo_code = ? and value is not null""",
        [city],
    ).fetchall()
    assert [f.name for f in files] == sorted({f"indicator_{open_sdg_id(r[3])}.csv" for r in published})
    assert [f.name for f in files] == ["indicator_16-1-4.csv"]  # the perception survey's four questions
    with open(files[0], newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["Year", "Series", "Units", "GeoCode", "Value"]
    # The command a city officer runs, with the mapping written beside the file, into a data folder of its own.
    upload_env = sps_env(tmp_path / "data")
    settings = replace(load_settings(), data_dir=tmp_path / "data")
    _, token = issue_upload_token(settings.data_dir, city)
    got = []
    for path in files:
        mapping = path.with_name(path.stem + ".mapping.yml")
        assert f"sps upload {path.name} --city CITY --mapping {mapping.name}" in mapping.read_text()
        done = run_sps(["upload", str(path), "--city", city, "--mapping", str(mapping), "--token", token], upload_env)
        assert done.returncode == 0 and "accepted as submission" in done.stdout, done.stdout + done.stderr
        submission = done.stdout.split("accepted as submission ")[1].split(":")[0]
        with opened_text(settings.inbox_dir / submission / "rows.csv") as fh:
            for row in csv.DictReader(fh):
                assert row["geo_code"] == city and not row["sex"] and not row["breakdown"]
                got.append((row["indicator_code"], row["period"], float(row["value"])))
    assert sorted(got) == sorted(r[:3] for r in published)
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["format"] == "open-sdg" and metadata["published_version"] == _version(published_db)
    assert metadata["files"] == ["data/indicator_16-1-4.csv"] and "left_out" not in metadata


def read_open_sdg_folder(out: Path) -> list[tuple]:
    """Every observation of an Open SDG folder as the project's Open SDG reader (pipelines/sources/open_sdg_csv.py,
    the reader of the ONS files) loads its data files, with each file's mapping turning Series labels back into
    indicator codes: (indicator, geo, period, sex, age, breakdown, source, comparability group, unit, value)."""
    import duckdb
    import yaml

    from pipelines.sources.open_sdg_csv import load_open_sdg_csv

    named = {"Year", "Series", "Source", "Sex", "Age", "Comparability group", "Units", "GeoCode", "Value"}
    conn = duckdb.connect()
    observations = []
    for path in sorted((out / "data").glob("indicator_*.csv")):
        mapping = yaml.safe_load(path.with_name(path.stem + ".mapping.yml").read_text(encoding="utf-8"))
        load_open_sdg_csv(conn, path, "read_back", "'test' as lineage")
        result = conn.execute("select * exclude (source_row, series_key, lineage) from read_back")
        header = [d[0] for d in result.description]
        for values in result.fetchall():
            row = dict(zip(header, values, strict=True))
            series = mapping.get("values", {}).get("Series", {})
            indicator = series[row["Series"]] if "Series" in row else mapping["indicator"]
            source = row.get("Source") or mapping["source"].rsplit("(", 1)[1].rstrip(")")
            extra = {k.removesuffix(" (breakdown)"): v for k, v in row.items() if k not in named and k != "value"}
            breakdown = frozenset((k, v) for k, v in extra.items() if v)
            observations.append(
                (
                    indicator,
                    row["GeoCode"],
                    row["Year"],
                    row.get("Sex") or None,
                    row.get("Age") or None,
                    breakdown,
                    source,
                    row.get("Comparability group"),
                    row["Units"],
                    row["value"],
                )
            )
    return observations


def test_the_open_sdg_folder_is_keyed_by_sdg_id_and_reads_back_as_the_same_observations(
    refreshed_data_dir, published_db, tmp_path
):
    import yaml

    out = tmp_path / "open_sdg"
    done = run_sps(["export", "observations", "--format", "open-sdg", "--out", str(out)], sps_env(refreshed_data_dir))
    assert done.returncode == 0, done.stderr
    indicators = dict(published_db.execute("select indicator_code, sdg_targets from dim_indicators").fetchall())
    ids = {
        open_sdg_id(indicators[c])
        for (c,) in published_db.execute("select distinct indicator_code from fct_observations").fetchall()
    }
    assert ids == {"11-7-2", "16-1-1", "16-1-3", "16-1-4", "16-1-x"}
    assert sorted(p.name for p in (out / "data").iterdir()) == sorted(
        f"indicator_{i}.{ext}" for i in ids for ext in ("csv", "mapping.yml")
    )
    assert sorted(p.name for p in (out / "meta").iterdir()) == sorted(f"{i}.yml" for i in ids)
    assert sorted(p.name for p in (out / "indicator-config").iterdir()) == sorted(f"{i}.yml" for i in ids)

    expected = []
    for row in published_db.execute(
        """select indicator_code, geo_code, period, sex, age_group, breakdown, source_dataset, comparability_group,
                  unit, value from fct_observations"""
    ).fetchall():
        breakdown = frozenset((k.removesuffix(" (breakdown)"), v) for k, v in split_breakdown(row[5]).items())
        expected.append((*row[:5], breakdown, *row[6:]))
    got = read_open_sdg_folder(out)
    assert len(got) == len(expected) > 100_000
    # A file shows its comparability groups only where one cell has several; compare them where it does.
    with_group = {g[0] for g in got if g[7] is not None}
    assert with_group  # the ONS series of several survey universes
    assert Counter(g if g[0] in with_group else (*g[:7], None, *g[8:]) for g in got) == Counter(
        e if e[0] in with_group else (*e[:7], None, *e[8:]) for e in expected
    )

    # Several of our indicators share 16.1.4: the Series column tells them apart, the mapping maps it back.
    with open(out / "data" / "indicator_16-1-4.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames[:2] == ["Year", "Series"] and reader.fieldnames[-3:] == ["Units", "GeoCode", "Value"]
        series = {r["Series"] for r in reader}
    names = dict(published_db.execute("select indicator_name, indicator_code from dim_indicators").fetchall())
    mapping = yaml.safe_load((out / "data" / "indicator_16-1-4.mapping.yml").read_text())
    assert mapping["columns"]["Series"] == "indicator" and mapping["values"]["Series"] == {s: names[s] for s in series}
    assert len(series) == 5
    config = yaml.safe_load((out / "indicator-config" / "16-1-4.yml").read_text())
    assert config["indicator_number"] == "16.1.4" and config["indicator_name"] == "global_indicators.16-1-4-title"
    assert config["reporting_status"] == "complete" and config["source_organisation_1"]
    context = yaml.safe_load((out / "indicator-config" / "16-1-x.yml").read_text())
    assert "not a global SDG indicator" in context["indicator_name"] and context["target_id"] == "16.1"
    meta = yaml.safe_load((out / "meta" / "16-1-1.yml").read_text())
    assert (meta["SDG_GOAL"], meta["SDG_TARGET"], meta["SDG_INDICATOR"]) == ("16", "16.1", "16.1.1")


def test_filters_select_exactly_the_matching_observations(refreshed_data_dir, published_db, tmp_path):
    out = tmp_path / "filtered.csv"
    done = run_sps(
        [
            "export",
            "observations",
            "--out",
            str(out),
            "--indicator",
            "homicide_rate",
            "--period",
            "2015-2018",
            "--source-type",
            "eurostat",
            "--city",
            "LV001C",
        ],
        sps_env(refreshed_data_dir),
    )
    assert done.returncode == 1 and "no observation" in done.stderr and not out.exists()  # cities have no rates
    done = run_sps(
        [
            "export",
            "observations",
            "--out",
            str(out),
            "--indicator",
            "homicide_rate,robbery_rate",
            "--period",
            "2015-2018",
            "--source-type",
            "eurostat",
        ],
        sps_env(refreshed_data_dir),
    )
    assert done.returncode == 0, done.stderr
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    expected = published_db.execute(
        "select count(*) from fct_observations where indicator_code in ('homicide_rate', 'robbery_rate') "
        "and period_year between 2015 and 2018 and source_type = 'eurostat'"
    ).fetchall()[0][0]
    assert len(rows) == expected > 1000
    assert {r["indicator_code"] for r in rows} == {"homicide_rate", "robbery_rate"}
    assert {int(r["period_year"]) for r in rows} == {2015, 2016, 2017, 2018}
    assert f"{expected} rows" in done.stdout and (tmp_path / "filtered.csv.metadata.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--city", "XX999C"], "--city XX999C: not in published version"),
        (["--indicator", "safety_index"], "--indicator safety_index: not in published version"),
        (["--source-type", "police"], "--source-type police: not in published version"),
        (["--period", "last year"], "--period 'last year': write a year (2019) or a range of years"),
        (["--period", "2019-2010"], "the range ends before it starts"),
        (["--period", "1950"], "no observation of published version"),
        (["--format", "sdmx-csv", "--out-name", "o.xlsx"], "a sdmx-csv export is written to a .csv file"),
        (["--out-name", "o.txt"], "use a .csv, .parquet or .xlsx file name"),
        (["--format", "open-sdg", "--out-name", "o.csv"], "an open-sdg export is a folder"),
        (["--out-name", "missing/o.csv"], "does not exist; create it"),
    ],
)
def test_bad_export_requests_are_one_line_and_write_nothing(refreshed_data_dir, tmp_path, args, message):
    name = "o.csv"
    if "--out-name" in args:
        name = args[args.index("--out-name") + 1]
        args = args[: args.index("--out-name")]
    done = run_sps(["export", "observations", "--out", str(tmp_path / name), *args], sps_env(refreshed_data_dir))
    assert done.returncode == 1, done.stdout
    assert done.stderr.count("\n") == 1 and message in done.stderr and "Traceback" not in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == []


def test_filters_and_observation_formats_apply_to_observations_only(refreshed_data_dir, tmp_path):
    env = sps_env(refreshed_data_dir)
    done = run_sps(["export", "indicators", "--out", str(tmp_path / "i.csv"), "--city", "LV001C"], env)
    assert done.returncode == 1 and "apply to observations only" in done.stderr
    done = run_sps(["export", "geographies", "--out", str(tmp_path / "g.xlsx")], env)
    assert done.returncode == 1 and "is for observations only" in done.stderr
    assert list(tmp_path.iterdir()) == []
    done = run_sps(["export", "indicators", "--out", str(tmp_path / "i.csv")], env)
    assert (
        done.returncode == 0 and json.loads((tmp_path / "i.csv.metadata.json").read_text())["table"] == "dim_indicators"
    )


def test_unwritable_or_occupied_targets_are_refused(refreshed_data_dir, tmp_path):
    env = sps_env(refreshed_data_dir)
    done = run_sps(["export", "observations", "--out", "/proc/sps_observations.csv"], env)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "nothing was written" in done.stderr
    occupied = tmp_path / "site"
    occupied.mkdir()
    (occupied / "index.md").write_text("a city's own file")
    done = run_sps(["export", "observations", "--format", "open-sdg", "--out", str(occupied)], env)
    assert done.returncode == 1 and "not an empty folder" in done.stderr
    assert [p.name for p in occupied.iterdir()] == ["index.md"]
