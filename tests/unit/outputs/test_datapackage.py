"""The folder's datapackage.json: one resource per CSV export, merged across exports, licences mapped to Open
Definition ids without guessing, and a descriptor sps did not write never touched."""

from __future__ import annotations

import json

import pytest

from pipelines.outputs import datapackage
from pipelines.outputs.datapackage import DataPackageError


def resource(path: str, licence: str = "CC BY 4.0 (Source: Eurostat)") -> dict:
    return {
        "name": datapackage.resource_name(path),
        "path": path,
        "licenses": [datapackage.licence(licence)],
        "sources": [{"title": f"Eurostat: {path}"}],
    }


def write_package(folder, package: dict) -> None:
    (folder / "datapackage.json").write_text(json.dumps(package))


def test_exports_to_one_folder_make_one_package_and_a_re_export_replaces_its_resource(tmp_path):
    (tmp_path / "observations.csv").write_text("x\n")
    write_package(tmp_path, datapackage.package_with(tmp_path / "observations.csv", resource("observations.csv")))
    (tmp_path / "indicators.csv").write_text("x\n")
    package = datapackage.package_with(
        tmp_path / "indicators.csv", resource("indicators.csv", "Open Government Licence v3.0")
    )
    write_package(tmp_path, package)
    assert [r["path"] for r in package["resources"]] == ["indicators.csv", "observations.csv"]
    assert [lic["name"] for lic in package["licenses"]] == ["OGL-UK-3.0", "CC-BY-4.0"]
    again = datapackage.package_with(tmp_path / "indicators.csv", resource("indicators.csv"))
    assert [r["path"] for r in again["resources"]] == ["indicators.csv", "observations.csv"]
    assert [lic["name"] for lic in again["licenses"]] == ["CC-BY-4.0"]


def test_a_resource_whose_file_is_gone_is_dropped_and_names_stay_unique(tmp_path):
    write_package(
        tmp_path,
        {"sps_generator": "sps export", "resources": [resource("gone.csv"), resource("obs.csv") | {"name": "a-b"}]},
    )
    (tmp_path / "obs.csv").write_text("x\n")
    (tmp_path / "a b.csv").write_text("x\n")
    package = datapackage.package_with(tmp_path / "a b.csv", resource("a b.csv"))
    assert [(r["path"], r["name"]) for r in package["resources"]] == [("a b.csv", "a-b-2"), ("obs.csv", "a-b")]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("CC BY 4.0 (Source: Eurostat)", "CC-BY-4.0"),
        ("CC BY 4.0 (Source: Eurostat) unless stated otherwise", "CC-BY-4.0"),
        ("Open Government Licence v3.0", "OGL-UK-3.0"),
        ("© EuroGeographics for the administrative boundaries", "other-at"),
        ("As stated by the reporting city council", "notspecified"),
    ],
)
def test_licence_texts_map_to_open_definition_ids_and_keep_their_wording(text, name):
    mapped = datapackage.licence(text)
    assert mapped["name"] == name and mapped["title"] == text
    assert ("path" in mapped) == (name != "notspecified")


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [("observations.csv", "observations"), ("Riga 2019 (v2).csv", "riga-2019-v2"), ("___.csv", "___"), (".csv", "csv")],
)
def test_resource_names_follow_the_data_package_pattern(file_name, expected):
    assert datapackage.resource_name(file_name) == expected


@pytest.mark.parametrize("content", ['{"resources": []}', "[1, 2]", "{", '{"sps_generator": "someone else"}'])
def test_a_descriptor_sps_did_not_write_is_refused_before_anything_is_written(tmp_path, content):
    (tmp_path / "datapackage.json").write_text(content)
    with pytest.raises(DataPackageError, match="that sps export did not write"):
        datapackage.check_folder(tmp_path / "observations.csv")
    with pytest.raises(DataPackageError):
        datapackage.package_with(tmp_path / "observations.csv", resource("observations.csv"))


def test_column_docs_come_from_the_dbt_docs_of_the_marts():
    docs = datapackage.column_docs("fct_observations")
    assert "Wilson" in docs["ci_low"] and "observation_id" not in docs
    assert datapackage.column_docs("no_such_table") == {}
