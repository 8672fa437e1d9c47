"""Unit tests for the source readers (SDMX-TSV, label CSV, GeoJSON points) and the raw store.

All fixture files are small, hand-written and SYNTHETIC (see tests/fixtures/README.md). Gzip variants are made
from the plain fixtures inside tmp_path so the repository holds only reviewable text.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import SourceFileError
from pipelines.sources.geojson_points import load_geojson_points
from pipelines.sources.ingest import ensure_empty_table, ingest_file
from pipelines.sources.label_csv import load_label_csv
from pipelines.sources.sdmx_tsv import SdmxHeader, load_sdmx_tsv, read_sdmx_header
from tests.fixtures.specs import synthetic_spec

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SDMX = FIXTURES / "sdmx"
LINEAGE = "'unit-test' as source_file, cast(7 as bigint) as load_id"

OLD_EXPECTED = [
    # indic_ur, unit, cities, time_period, value, flag, series_key
    ("PS9001V", "PC", "ZZ001C", "2009", 55.5, "b", "PS9001V,PC,ZZ001C"),
    ("PS9001V", "PC", "ZZ001C", "2015", 58.0, None, "PS9001V,PC,ZZ001C"),
    ("PS9001V", "PC", "ZZ001C", "2019", 61.0, "e", "PS9001V,PC,ZZ001C"),
    ("PS9001V", "PC", "ZZ002C", "2009", None, "u", "PS9001V,PC,ZZ002C"),
    ("PS9001V", "PC", "ZZ002C", "2012", 40.0, None, "PS9001V,PC,ZZ002C"),
    ("PS9001V", "PC", "ZZ002C", "2015", 44.25, "d", "PS9001V,PC,ZZ002C"),
    ("PS9001V", "PC", "ZZ002C", "2019", None, "c", "PS9001V,PC,ZZ002C"),
    ("PS9002V", "PC", "ZZ001C", "2009", 10.0, "bd", "PS9002V,PC,ZZ001C"),
    ("PS9002V", "PC", "ZZ001C", "2012", 9.0, "u", "PS9002V,PC,ZZ001C"),
    ("PS9002V", "PC", "ZZ001C", "2019", 12.0, "p", "PS9002V,PC,ZZ001C"),
]

NEW_EXPECTED = [
    # freq, iccs, unit, geo, time_period, value, flag, series_key
    ("A", "ICCS0101", "NR", "ZZ", "2018", 10.0, None, "A,ICCS0101,NR,ZZ"),
    ("A", "ICCS0101", "NR", "ZZ", "2019", 12.0, None, "A,ICCS0101,NR,ZZ"),
    ("A", "ICCS0101", "P_HTHAB", "ZZ", "2018", 0.52, None, "A,ICCS0101,P_HTHAB,ZZ"),
    ("A", "ICCS0101", "P_HTHAB", "ZZ", "2019", 0.61, None, "A,ICCS0101,P_HTHAB,ZZ"),
    ("A", "ICCS0401", "NR", "YY", "2018", 1234.0, None, "A,ICCS0401,NR,YY"),
    ("A", "ICCS0401", "NR", "YY", "2020", -3.0, None, "A,ICCS0401,NR,YY"),
]


@pytest.fixture
def conn():
    connection = duckdb.connect(":memory:")
    yield connection
    connection.close()


def gzip_copy(source: Path, tmp_path: Path, name: str | None = None) -> Path:
    target = tmp_path / (name or source.name + ".gz")
    target.write_bytes(gzip.compress(source.read_bytes(), mtime=0))
    return target


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def rows(conn, table: str, columns: str) -> list[tuple]:
    return conn.execute(f"select {columns} from {table} order by all").fetchall()  # noqa: S608 - test helper, fixed names


def columns_of(conn, table: str) -> list[tuple[str, str]]:
    return [(name, dtype) for name, dtype, *_ in conn.execute(f"describe {table}").fetchall()]


# --- fixtures sanity


def test_fixtures_keep_their_trailing_spaces():
    """Readers must strip the trailing spaces Eurostat writes; check that no editor stripped the fixtures."""
    old = (SDMX / "old_layout.tsv").read_text()
    new = (SDMX / "new_layout.tsv").read_text()
    assert "\t2019 \t2015 \t2012 \t2009 \n" in old
    assert "\t58 \t: \t" in old
    assert "\t2018 \t2019 \t2020 \n" in new
    assert (SDMX / "empty.tsv").stat().st_size == 0


# --- header


def test_header_old_layout_newest_first():
    header = read_sdmx_header(SDMX / "old_layout.tsv")
    assert header == SdmxHeader(
        dimensions=["indic_ur", "unit", "cities"],
        time_dimension="time",
        periods=["2019", "2015", "2012", "2009"],
    )


def test_header_new_layout_oldest_first():
    header = read_sdmx_header(SDMX / "new_layout.tsv")
    assert header == SdmxHeader(
        dimensions=["freq", "iccs", "unit", "geo"],
        time_dimension="TIME_PERIOD",
        periods=["2018", "2019", "2020"],
    )


def test_header_of_gzip_equals_plain(tmp_path):
    plain = read_sdmx_header(SDMX / "new_layout.tsv")
    assert read_sdmx_header(gzip_copy(SDMX / "new_layout.tsv", tmp_path)) == plain


# --- parsing


def test_old_layout_values_flags_and_periods(conn):
    n = load_sdmx_tsv(conn, SDMX / "old_layout.tsv", "parsed", LINEAGE)
    assert n == 10
    assert columns_of(conn, "parsed") == [
        ("indic_ur", "VARCHAR"),
        ("unit", "VARCHAR"),
        ("cities", "VARCHAR"),
        ("time_period", "VARCHAR"),
        ("value", "DOUBLE"),
        ("flag", "VARCHAR"),
        ("series_key", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("load_id", "BIGINT"),
    ]
    assert rows(conn, "parsed", "indic_ur, unit, cities, time_period, value, flag, series_key") == OLD_EXPECTED
    assert conn.execute("select distinct source_file, load_id from parsed").fetchall() == [("unit-test", 7)]


def test_new_layout_values_and_dimension_columns(conn):
    n = load_sdmx_tsv(conn, SDMX / "new_layout.tsv", "parsed", LINEAGE)
    assert n == 6
    assert [c for c, _ in columns_of(conn, "parsed")][:5] == ["freq", "iccs", "unit", "geo", "time_period"]
    assert rows(conn, "parsed", "freq, iccs, unit, geo, time_period, value, flag, series_key") == NEW_EXPECTED


def test_dimension_order_follows_the_header(conn, tmp_path):
    # crim_gen_reg puts unit before iccs: the columns must follow the file, not a hard-coded order
    path = write(
        tmp_path,
        "other_order.tsv",
        "freq,unit,iccs,geo\\TIME_PERIOD\t2019 \t2020 \nA,NR,ICCS0101,ZZ1\t5 \t6 \n",
    )
    assert load_sdmx_tsv(conn, path, "parsed", LINEAGE) == 2
    assert rows(conn, "parsed", "freq, unit, iccs, geo, time_period, value") == [
        ("A", "NR", "ICCS0101", "ZZ1", "2019", 5.0),
        ("A", "NR", "ICCS0101", "ZZ1", "2020", 6.0),
    ]


@pytest.mark.parametrize("fixture", ["old_layout.tsv", "new_layout.tsv"])
def test_gzip_equals_plain(conn, tmp_path, fixture):
    everything = "* exclude (source_file, load_id)"
    load_sdmx_tsv(conn, SDMX / fixture, "plain", LINEAGE)
    # the name does not end in .gz on purpose: gzip is recognised by its magic bytes
    zipped = gzip_copy(SDMX / fixture, tmp_path, name="no_suffix.tsv")
    load_sdmx_tsv(conn, zipped, "zipped", LINEAGE)
    plain, packed = rows(conn, "plain", everything), rows(conn, "zipped", everything)
    assert len(plain) in (6, 10)
    assert packed == plain


def test_missing_cells_dropped_but_flagged_missing_kept(conn):
    load_sdmx_tsv(conn, SDMX / "old_layout.tsv", "parsed", LINEAGE)
    # plain ':' (ZZ001C/PS9001V/2012, ZZ001C/PS9002V/2015) is not stored at all
    assert conn.execute(
        "select count(*) from parsed where (cities, indic_ur, time_period) in "
        "(('ZZ001C', 'PS9001V', '2012'), ('ZZ001C', 'PS9002V', '2015'))"
    ).fetchall() == [(0,)]
    # ': c' and ': u' are stored with a NULL value and their flag
    assert rows(conn, "parsed", "cities, time_period, value, flag") and conn.execute(
        "select cities, time_period, value, flag from parsed where value is null order by time_period"
    ).fetchall() == [("ZZ002C", "2009", None, "u"), ("ZZ002C", "2019", None, "c")]


def test_new_layout_plain_missing_dropped(conn):
    load_sdmx_tsv(conn, SDMX / "new_layout.tsv", "parsed", LINEAGE)
    assert conn.execute("select count(*) from parsed where time_period = '2020'").fetchall() == [(1,)]
    assert conn.execute("select count(*) from parsed where value is null").fetchall() == [(0,)]


def test_crlf_and_no_final_newline_are_accepted(conn, tmp_path):
    path = write(tmp_path, "crlf.tsv", "freq,geo\\TIME_PERIOD\t2019 \t2020 \r\nA,ZZ\t1 e\t2 \r\nA,YY\t3 \t: c")
    assert load_sdmx_tsv(conn, path, "parsed", LINEAGE) == 4
    assert rows(conn, "parsed", "geo, time_period, value, flag") == [
        ("YY", "2019", 3.0, None),
        ("YY", "2020", None, "c"),
        ("ZZ", "2019", 1.0, "e"),
        ("ZZ", "2020", 2.0, None),
    ]


def test_header_only_file_gives_zero_rows(conn, tmp_path):
    path = write(tmp_path, "header_only.tsv", "freq,geo\\TIME_PERIOD\t2019 \t2020 \n")
    assert load_sdmx_tsv(conn, path, "parsed", LINEAGE) == 0
    assert [c for c, _ in columns_of(conn, "parsed")][:5] == ["freq", "geo", "time_period", "value", "flag"]


# --- malformed files


def load_error(conn, path: Path) -> SourceFileError:
    with pytest.raises(SourceFileError) as info:
        load_sdmx_tsv(conn, path, "parsed", LINEAGE)
    err = info.value
    assert err.path == str(path)
    assert path.name in str(err)
    assert err.reason and err.reason in str(err)
    return err


def assert_not_created(conn, table: str = "parsed") -> None:
    assert conn.execute("select count(*) from information_schema.tables where table_name = ?", [table]).fetchall() == [
        (0,)
    ]


def test_truncated_row(conn):
    err = load_error(conn, SDMX / "truncated_row.tsv")
    assert err.line == 4
    assert "different number of tab-separated cells" in err.reason
    assert "truncated_row.tsv, line 4: " in str(err)
    assert_not_created(conn)


def test_truncated_row_in_gzip_deep_in_the_file(conn, tmp_path):
    lines = ["freq,geo\\TIME_PERIOD\t2019 \t2020 "] + [f"A,Z{i:04d}\t{i} \t{i + 1} " for i in range(3000)]
    lines[2345] = "A,CUT\t17 "  # file line 2346
    source = write(tmp_path, "deep.tsv", "\n".join(lines) + "\n")
    err = load_error(conn, gzip_copy(source, tmp_path))
    assert err.line == 2346


def test_row_with_too_many_cells(conn, tmp_path):
    path = write(tmp_path, "extra.tsv", "freq,geo\\TIME_PERIOD\t2019 \t2020 \nA,ZZ\t1 \t2 \nA,YY\t1 \t2 \t3 \n")
    err = load_error(conn, path)
    assert err.line == 3
    assert "different number of tab-separated cells" in err.reason


def test_html_error_page(conn):
    err = load_error(conn, SDMX / "html_error.tsv")
    assert err.line == 1
    assert "HTML" in err.reason
    assert_not_created(conn)


@pytest.mark.parametrize(
    "first",
    ["<html><body>502</body></html>", '{"error": {"status": 413}}', '<?xml version="1.0"?><message:Error/>'],
)
def test_other_non_tsv_pages(conn, tmp_path, first):
    err = load_error(conn, write(tmp_path, "page.tsv", first + "\n"))
    assert err.line == 1
    assert "not an SDMX-TSV file" in err.reason


def test_header_without_backslash(conn):
    err = load_error(conn, SDMX / "no_backslash.tsv")
    assert err.line == 1
    assert "'freq,iccs,unit,geo,TIME_PERIOD'" in err.reason
    assert "dimensions\\time" in err.reason


def test_header_without_tabs(conn, tmp_path):
    err = load_error(conn, write(tmp_path, "csv.tsv", "freq,geo\\TIME_PERIOD,2019,2020\nA,ZZ,1,2\n"))
    assert err.line == 1
    assert "no tab-separated period columns" in err.reason


def test_bad_cell_text(conn):
    err = load_error(conn, SDMX / "bad_cell.tsv")
    assert err.line == 3
    assert "'12,5'" in err.reason
    assert "A,ICCS0101,P_HTHAB,ZZ / 2018" in err.reason
    assert_not_created(conn)


def test_bad_cell_line_found_when_key_has_trailing_space(conn, tmp_path):
    path = write(tmp_path, "spacey.tsv", "freq,geo\\TIME_PERIOD\t2019 \t2020 \nA,ZZ \t1 \t2 \nA,YY \t1 \tn/a \n")
    err = load_error(conn, path)
    assert err.line == 3
    assert "'n/a'" in err.reason


def test_changed_header_periods(conn, tmp_path):
    path = write(tmp_path, "periods.tsv", "freq,geo\\TIME_PERIOD\t2019 \tTOTAL \nA,ZZ\t1 \t2 \n")
    err = load_error(conn, path)
    assert err.line == 1
    assert "['TOTAL']" in err.reason


def test_changed_header_repeated_period(conn, tmp_path):
    path = write(tmp_path, "repeat.tsv", "freq,geo\\TIME_PERIOD\t2019 \t2019 \nA,ZZ\t1 \t2 \n")
    err = load_error(conn, path)
    assert (err.line, err.reason) == (1, "header repeats a period column")


def test_changed_header_repeated_dimension(conn, tmp_path):
    path = write(tmp_path, "dims.tsv", "geo,geo\\TIME_PERIOD\t2019 \nZZ,ZZ\t1 \n")
    err = load_error(conn, path)
    assert err.line == 1
    assert "not distinct identifiers" in err.reason


def test_changed_header_is_read_but_rejected_by_the_catalogue(tmp_path):
    """A renamed dimension parses, but ingest_file refuses it against the catalogue (see raw store tests)."""
    header = read_sdmx_header(SDMX / "changed_header.tsv")
    assert header.dimensions == ["freq", "iccs", "unit", "nuts"]


def test_series_key_with_wrong_number_of_parts(conn, tmp_path):
    path = write(tmp_path, "key.tsv", "freq,geo\\TIME_PERIOD\t2019 \nA,ZZ\t1 \nA,YY,X\t2 \n")
    err = load_error(conn, path)
    assert err.line == 3
    assert "'A,YY,X' does not have 2 comma-separated parts (freq,geo)" in err.reason


def test_duplicate_series_key_points_at_the_repeat(conn):
    err = load_error(conn, SDMX / "duplicate_key.tsv")
    assert "'A,ICCS0101,NR,ZZ' appears more than once" in err.reason
    assert err.line == 4  # the second occurrence; line 2 is the legitimate first one
    assert_not_created(conn)


def test_keys_are_checked_on_rows_with_cells_and_a_repeat_needs_a_shared_period(conn, tmp_path):
    """The key checks read the file's rows, not its cells (load_sdmx_tsv), and answer as the cell-wise checks did:
    a key repeated on rows whose cells are in different periods, and a malformed key on a row with no cell at all,
    never made a duplicate or a bad key (SYNTHETIC rows)."""
    path = write(
        tmp_path,
        "repeat.tsv",
        "freq,geo\\TIME_PERIOD\t2018 \t2019 \nA,ZZ\t1 \t\nA,YY\t3 \t4 \nA,ZZ\t\t2 p\nBAD\t\t\n",
    )
    assert load_sdmx_tsv(conn, path, "repeat", LINEAGE) == 4
    assert rows(conn, "repeat", "geo, time_period, value, flag") == [
        ("YY", "2018", 3.0, None), ("YY", "2019", 4.0, None), ("ZZ", "2018", 1.0, None), ("ZZ", "2019", 2.0, "p"),
    ]  # fmt: skip
    shared = write(
        tmp_path, "shared.tsv", "freq,geo\\TIME_PERIOD\t2018 \t2019 \nA,ZZ\t1 \t\nA,YY\t3 \t4 \nA,ZZ\t5 \t2 p\n"
    )
    err = load_error(conn, shared)
    assert "'A,ZZ' appears more than once" in err.reason and err.line == 4


def test_empty_file(conn):
    err = load_error(conn, SDMX / "empty.tsv")
    assert (err.line, err.reason) == (1, "is empty (no header line)")


def test_empty_gzip(conn, tmp_path):
    err = load_error(conn, gzip_copy(SDMX / "empty.tsv", tmp_path))
    assert (err.line, err.reason) == (1, "is empty (no header line)")


def test_truncated_gzip(conn, tmp_path):
    lines = ["freq,geo\\TIME_PERIOD\t2019 \t2020 "] + [f"A,Z{i:04d}\t{i} \t{i + 1} e" for i in range(2000)]
    full = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    path = tmp_path / "cut.tsv.gz"
    path.write_bytes(full[: len(full) // 2])
    err = load_error(conn, path)
    assert err.reason.startswith("gzip data is corrupt or truncated")
    assert_not_created(conn)


def test_gzip_cut_inside_its_header(conn, tmp_path):
    path = tmp_path / "stub.tsv.gz"
    path.write_bytes(gzip.compress(b"freq,geo\\TIME_PERIOD\t2019 \nA,ZZ\t1 \n", mtime=0)[:6])
    err = load_error(conn, path)
    assert err.reason.startswith("gzip data is corrupt or truncated")
    assert err.line is None  # no line of text was ever readable


def test_corrupt_gzip(conn, tmp_path):
    good = gzip.compress((SDMX / "new_layout.tsv").read_bytes() * 1, mtime=0)
    broken = good[:12] + bytes(b ^ 0xFF for b in good[12:40]) + good[40:]
    path = tmp_path / "corrupt.tsv.gz"
    path.write_bytes(broken)
    err = load_error(conn, path)
    # not "dimension names '<garbage>' ...": the integrity check runs before the header is parsed
    assert err.reason.startswith("gzip data is corrupt or truncated")


def test_not_utf8_reports_the_offending_line(conn, tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes("freq,geo\\TIME_PERIOD\t2019 \nA,ZZ\t1 \nA,Zürich\t2 \n".encode("latin-1"))
    err = load_error(conn, path)
    assert err.reason == "is not UTF-8 text"
    assert err.line == 3


# --- label CSV


def test_label_csv_values_flags_and_quoting(conn, tmp_path):
    source = FIXTURES / "label_csv" / "cities_population.csv"
    n = load_label_csv(conn, source, "labels", LINEAGE)
    assert n == 3
    assert rows(conn, "labels", "time_period, cities, indic_ur, value, flag, series_key") == [
        (
            "2015",
            "Zedtown",
            "Population on the 1st of January, total",
            120500.0,
            None,
            "2015|Zedtown|Population on the 1st of January, total",
        ),
        (
            "2016",
            "Yville, greater city",
            "Population on the 1st of January, total",
            98765.0,
            "e",
            "2016|Yville, greater city|Population on the 1st of January, total",
        ),
        (
            "2016",
            "Zedtown",
            "Population on the 1st of January, total",
            None,
            "c",
            "2016|Zedtown|Population on the 1st of January, total",
        ),
    ]
    # the gzipped copy gives the same rows
    load_label_csv(conn, gzip_copy(source, tmp_path), "labels_gz", LINEAGE)
    assert rows(conn, "labels_gz", "*") == rows(conn, "labels", "*")


def test_label_csv_with_bom(conn, tmp_path):
    text = (FIXTURES / "label_csv" / "cities_population.csv").read_text()
    path = write(tmp_path, "bom.csv", "\ufeff" + text)
    assert load_label_csv(conn, path, "labels", LINEAGE) == 3


def test_label_csv_bad_value_names_its_line(conn):
    path = FIXTURES / "label_csv" / "bad_value.csv"
    with pytest.raises(SourceFileError) as info:
        load_label_csv(conn, path, "labels", LINEAGE)
    assert "'12a'" in info.value.reason
    assert info.value.line == 4  # lines 2 and 3 share the period 2015 but are fine
    assert "bad_value.csv, line 4" in str(info.value)


def test_label_csv_empty_value_is_malformed(conn, tmp_path):
    path = write(
        tmp_path,
        "empty_value.csv",
        'TIME,CITIES,INDIC_UR,Value,Flag and Footnotes\n2015,Zedtown,"P, total",120500,\n2015,Yville,"P, total",,e\n',
    )
    with pytest.raises(SourceFileError) as info:
        load_label_csv(conn, path, "labels", LINEAGE)
    assert info.value.line == 3


def test_label_csv_changed_header(conn, tmp_path):
    path = write(tmp_path, "geo.csv", "TIME,GEO,INDIC_UR,Value,Flag and Footnotes\n2015,ZZ,P,1,\n")
    with pytest.raises(SourceFileError) as info:
        load_label_csv(conn, path, "labels", LINEAGE)
    assert info.value.line == 1
    assert "'GEO'" in info.value.reason


def test_label_csv_broken_quoting_names_its_line(conn, tmp_path):
    path = write(
        tmp_path,
        "quote.csv",
        'TIME,CITIES,INDIC_UR,Value,Flag and Footnotes\n2015,Zedtown,"P, total",1,\n2015,Yville,"P, total,2,\n',
    )
    with pytest.raises(SourceFileError) as info:
        load_label_csv(conn, path, "labels", LINEAGE)
    assert info.value.reason.startswith("cannot be read as CSV")
    assert info.value.line == 3


# --- GeoJSON points


def test_geojson_points(conn):
    n = load_geojson_points(conn, FIXTURES / "geojson" / "city_points.geojson", "points", LINEAGE)
    assert n == 2
    assert columns_of(conn, "points") == [
        ("urau_code", "VARCHAR"),
        ("urau_name", "VARCHAR"),
        ("cntr_code", "VARCHAR"),
        ("area_sqm", "VARCHAR"),
        ("fua_code", "VARCHAR"),
        ("lon", "DOUBLE"),
        ("lat", "DOUBLE"),
        ("feature_index", "BIGINT"),
        ("series_key", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("load_id", "BIGINT"),
    ]
    assert rows(conn, "points", "urau_code, urau_name, cntr_code, area_sqm, fua_code, lon, lat, series_key") == [
        ("ZZ001C", "Zedtown", "ZZ", "101.5", None, 10.25, 50.5, "0"),
        ("ZZ002C", "Yville", "ZZ", "7", "ZZ002F", -3.75, 40.125, "1"),
    ]


def feature(props: dict, coords) -> str:
    import json

    return json.dumps({"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": coords}})


def collection(*features: str) -> str:
    return '{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}"


def test_geojson_property_missing_from_first_feature_is_kept(conn, tmp_path):
    path = write(
        tmp_path,
        "ragged.geojson",
        collection(feature({"NUTS_ID": "ZZ1"}, [1, 2]), feature({"NUTS_ID": "ZZ2", "NAME_LATN": "Zed"}, [3, 4])),
    )
    assert load_geojson_points(conn, path, "points", LINEAGE) == 2
    assert rows(conn, "points", "nuts_id, name_latn") == [("ZZ1", None), ("ZZ2", "Zed")]


def test_geojson_all_null_property_is_varchar(conn, tmp_path):
    path = write(tmp_path, "nulls.geojson", collection(feature({"NUTS_ID": "ZZ1", "NUTS_NAME": None}, [1, 2])))
    load_geojson_points(conn, path, "points", LINEAGE)
    assert ("nuts_name", "VARCHAR") in columns_of(conn, "points")


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ('{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",}\n]}', "is not valid JSON", 3),
        ("[1, 2]", "is not a GeoJSON FeatureCollection with features", None),
        (
            '{"type": "FeatureCollection", "features": []}',
            "is not a GeoJSON FeatureCollection with features",
            None,
        ),
        ('{"type": "FeatureCollection", "features": ["x"]}', "feature 0 is not a Point", None),
        (collection(feature({"A": 1}, [1, 2]), feature({"A": 2}, [1])), "feature 1 is not a Point", None),
        ("", "is not valid JSON", 1),
    ],
)
def test_geojson_malformed(conn, tmp_path, text, reason, line):
    path = write(tmp_path, "bad.geojson", text)
    with pytest.raises(SourceFileError) as info:
        load_geojson_points(conn, path, "points", LINEAGE)
    assert info.value.reason.startswith(reason)
    assert info.value.line == line
    assert "bad.geojson" in str(info.value)


# --- raw store


SPEC = synthetic_spec(snapshot_files=("eurostat/tst_crime.tsv.gz",), live="none")


def counts(conn) -> tuple[int, int, list[tuple]]:
    data = conn.execute("select count(*) from raw.tst_crime").fetchall()[0][0]
    loads = conn.execute("select load_id, dataset, source_sha256, row_count from raw._loads order by 1").fetchall()
    status = conn.execute("select count(*) from raw._source_status").fetchall()[0][0]
    return data, status, loads


def ingest(conn, path: Path, **kwargs):
    kwargs = {
        "source_file": "eurostat/tst_crime.tsv.gz",
        "origin": "snapshot",
        "source_last_update": "15.03.2024",
        **kwargs,
    }
    return ingest_file(conn, SPEC, path, **kwargs)


def test_ingest_then_unchanged(conn, tmp_path):
    ensure_empty_table(conn, SPEC)
    first = ingest(conn, SDMX / "new_layout.tsv")
    assert (first.status, first.rows, first.load_id, first.source_last_update) == (
        "loaded",
        6,
        1,
        "15.03.2024",
    )
    before = counts(conn)
    assert before[0] == 6 and before[1] == 1
    assert [(i, d, r) for i, d, _, r in before[2]] == [(1, "tst_crime", 6)]

    # the same bytes under another name (and gzipped elsewhere would differ): 'unchanged', nothing appended
    copy = tmp_path / "copy.tsv"
    shutil.copyfile(SDMX / "new_layout.tsv", copy)
    second = ingest(conn, copy, source_last_update="16.03.2024")
    assert second.status == "unchanged"
    assert second.load_id == 1
    assert second.source_sha256 == first.source_sha256
    assert counts(conn) == before

    lineage = conn.execute(
        "select distinct load_id, source_file, source_sha256, source_last_update from raw.tst_crime"
    ).fetchall()
    assert lineage == [(1, "eurostat/tst_crime.tsv.gz", first.source_sha256, "15.03.2024")]


def test_ingest_force_and_new_bytes_append(conn, tmp_path):
    first = ingest(conn, SDMX / "new_layout.tsv")
    forced = ingest(conn, SDMX / "new_layout.tsv", force=True)
    assert forced.status == "loaded" and forced.load_id > first.load_id
    zipped = gzip_copy(SDMX / "new_layout.tsv", tmp_path)
    third = ingest(conn, zipped)
    assert third.status == "loaded"
    assert conn.execute("select load_id, count(*) from raw.tst_crime group by 1 order by 1").fetchall() == [
        (first.load_id, 6),
        (forced.load_id, 6),
        (third.load_id, 6),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "bad_cell.tsv",
        "duplicate_key.tsv",
        "truncated_row.tsv",
        "html_error.tsv",
        "empty.tsv",
        "changed_header.tsv",
        "no_backslash.tsv",
    ],
)
def test_malformed_file_leaves_previous_load_intact(conn, bad):
    ingest(conn, SDMX / "new_layout.tsv")
    before = counts(conn)
    snapshot = conn.execute("select * from raw.tst_crime order by all").fetchall()
    with pytest.raises(SourceFileError) as info:
        ingest(conn, SDMX / bad)
    assert bad in str(info.value)
    assert counts(conn) == before
    assert conn.execute("select * from raw.tst_crime order by all").fetchall() == snapshot
    leftovers = conn.execute(
        "select table_name from information_schema.tables where table_name in ('_incoming', '_sdmx_cells')"
    ).fetchall()
    assert leftovers == []
    # the connection is usable afterwards (no transaction left open)
    assert ingest(conn, SDMX / "new_layout.tsv").status == "unchanged"


def test_changed_header_rejected_by_catalogue(conn):
    with pytest.raises(SourceFileError) as info:
        ingest(conn, SDMX / "changed_header.tsv")
    err = info.value
    assert err.line == 1
    assert "missing ['geo']" in err.reason and "unexpected ['nuts']" in err.reason
    assert "catalog.yaml" in str(err)


def test_corrupt_gzip_is_not_mistaken_for_a_changed_layout(conn, tmp_path):
    ingest(conn, SDMX / "new_layout.tsv")
    before = counts(conn)
    good = gzip.compress((SDMX / "new_layout.tsv").read_bytes(), mtime=0)
    path = tmp_path / "tst_crime.tsv.gz"
    path.write_bytes(good[:12] + bytes(b ^ 0xFF for b in good[12:40]) + good[40:])
    with pytest.raises(SourceFileError) as info:
        ingest(conn, path)
    assert info.value.reason.startswith("gzip data is corrupt or truncated")
    assert "catalog.yaml" not in str(info.value)
    assert counts(conn) == before
