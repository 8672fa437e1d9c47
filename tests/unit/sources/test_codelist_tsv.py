"""Eurostat code lists as TSV ('code<TAB>label' lines, no header): read whole, or refused with the line that is
wrong. Files are small SYNTHETIC examples written by the tests."""

from __future__ import annotations

import gzip

import duckdb
import pytest

from pipelines.errors import SourceFileError
from pipelines.sources.codelist_tsv import load_codelist_tsv, read_codelist


def test_a_code_list_is_read_line_by_line_and_loaded_with_lineage(tmp_path):
    path = tmp_path / "cities.tsv"
    path.write_text("\ufeffLV002C\tSYNTHETIC Daugava\n\nLV003C\tSYNTHETIC, with a comma\r\n", encoding="utf-8")
    assert read_codelist(path) == [("LV002C", "SYNTHETIC Daugava"), ("LV003C", "SYNTHETIC, with a comma")]
    with duckdb.connect() as conn:
        rows = load_codelist_tsv(conn, path, "loaded", "7 as load_id")
        assert rows == 2
        assert conn.execute("select code, name, series_key, load_id from loaded order by code").fetchall() == [
            ("LV002C", "SYNTHETIC Daugava", "LV002C", 7),
            ("LV003C", "SYNTHETIC, with a comma", "LV003C", 7),
        ]


def test_a_gzipped_code_list_is_read(tmp_path):
    path = tmp_path / "cities.tsv.gz"
    path.write_bytes(gzip.compress(b"AT001C\tSYNTHETIC Wien\n"))
    assert read_codelist(path) == [("AT001C", "SYNTHETIC Wien")]


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("AT001C\tWien\n<html><body>Service unavailable</body></html>\n", 2, "1 tab-separated cell"),
        ("AT001C\tWien\textra\n", 1, "3 tab-separated cell"),
        ("\tno code\n", 1, "'code<TAB>label'"),
        ("\n\n", 1, "empty"),
    ],
)
def test_a_file_that_is_not_a_code_list_is_refused_with_its_line(tmp_path, text, line, says):
    path = tmp_path / "cities.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFileError) as raised:
        read_codelist(path)
    assert raised.value.line == line and says in str(raised.value)


def test_bytes_that_are_not_utf8_are_refused(tmp_path):
    path = tmp_path / "cities.tsv"
    path.write_bytes(b"AT001C\tWien \xff\n")
    with pytest.raises(SourceFileError, match="cannot be read as UTF-8"):
        read_codelist(path)
