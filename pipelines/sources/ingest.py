"""Ingesting a source file into its raw table (``raw.<code>``, append-only, with lineage; the register is
pipelines/warehouse/raw.py): pick the reader of the dataset's format, skip unchanged bytes, append in one
transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.errors import SourceFileError
from pipelines.settings import pause_for_tests
from pipelines.sources.catalog import DatasetSpec
from pipelines.sources.codelist_tsv import load_codelist_tsv
from pipelines.sources.files import check_gzip_integrity, sha256_of
from pipelines.sources.geojson_points import load_geojson_points
from pipelines.sources.geojson_polygons import load_geojson_polygons
from pipelines.sources.label_csv import load_label_csv
from pipelines.sources.open_sdg_csv import load_open_sdg_csv
from pipelines.sources.sdmx_tsv import load_sdmx_tsv, read_sdmx_header
from pipelines.sources.survey_template import load_survey_results
from pipelines.warehouse.raw import LoadOutcome, append_by_name, ensure_raw_schema, latest_load, record_status, rollback

LOADERS = {
    "sdmx_tsv": load_sdmx_tsv,
    "eurostat_label_csv": load_label_csv,
    "geojson_points": load_geojson_points,
    "geojson_polygons": load_geojson_polygons,
    "open_sdg_csv": load_open_sdg_csv,
    "sps_survey_template": load_survey_results,
    "eurostat_codelist_tsv": load_codelist_tsv,
}


def ensure_empty_table(conn: duckdb.DuckDBPyConnection, spec: DatasetSpec) -> None:
    """Create raw.<code> with its expected columns and no rows, so staging can read a dataset that has
    never been loaded (e.g. offline, not in the snapshot) and simply sees nothing."""
    ensure_raw_schema(conn)
    typed = {"lon": "double", "lat": "double"}
    own = ", ".join(f'"{c}" {typed.get(c, "varchar")}' for c in spec.source_columns)
    extra = {
        "geojson_points": "",
        "geojson_polygons": "",
        "eurostat_codelist_tsv": "",
        "open_sdg_csv": "value double, source_row bigint, ",
        "sps_survey_template": "source_row bigint, ",
    }.get(spec.format, "value double, flag varchar, ")
    conn.execute(
        f"""create table if not exists raw.{spec.code} ({own}, {extra}series_key varchar, load_id bigint,
            source_file varchar, source_sha256 varchar, loaded_at timestamptz, source_last_update varchar)"""
    )


def _sql_literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _check_dimensions(spec: DatasetSpec, path: Path) -> None:
    if spec.format != "sdmx_tsv" or not spec.dimensions:
        return
    check_gzip_integrity(path)  # a corrupt gzip can decode to a garbage header before its CRC check fails
    found = read_sdmx_header(path).dimensions
    missing = [d for d in spec.dimensions if d not in found]
    extra = [d for d in found if d not in spec.dimensions and d != "freq"]
    if missing or extra:
        raise SourceFileError(
            path,
            f"header dimensions {found} do not match the catalogue ({list(spec.dimensions)}"
            f"{', missing ' + str(missing) if missing else ''}{', unexpected ' + str(extra) if extra else ''})",
            line=1,
            hint="The source changed its layout: update pipelines/sources/catalog.yaml and the staging model.",
        )


def ingest_file(
    conn: duckdb.DuckDBPyConnection,
    spec: DatasetSpec,
    path: Path,
    *,
    source_file: str,
    origin: str,
    source_last_update: str | None,
    force: bool = False,
) -> LoadOutcome:
    """Append `path` to raw.<code> unless the same bytes were the latest load (then 'unchanged')."""
    ensure_raw_schema(conn)
    _check_dimensions(spec, path)
    sha = sha256_of(path)
    previous = latest_load(conn, spec.code)
    if previous and previous["source_sha256"] == sha and not force:
        return LoadOutcome(
            spec.code,
            "unchanged",
            f"{source_file} unchanged since load {previous['load_id']}",
            source_file=source_file,
            source_sha256=sha,
            origin=origin,
            source_last_update=previous["source_last_update"] or source_last_update,
            load_id=previous["load_id"],
        )
    loaded_at = datetime.now(UTC)
    conn.execute("begin transaction")
    try:
        load_id = conn.execute("select nextval('raw._load_ids')").fetchall()[0][0]
        lineage = ", ".join(
            [
                f"cast({load_id} as bigint) as load_id",
                f"{_sql_literal(source_file)} as source_file",
                f"{_sql_literal(sha)} as source_sha256",
                f"cast({_sql_literal(loaded_at.isoformat())} as timestamptz) as loaded_at",
                f"cast({_sql_literal(source_last_update)} as varchar) as source_last_update",
            ]
        )
        rows = LOADERS[spec.format](conn, path, "_incoming", lineage)
        append_by_name(conn, f"raw.{spec.code}", "_incoming")
        pause_for_tests("ingest")  # test-only: a crash here leaves an uncommitted load
        conn.execute("drop table _incoming")
        conn.execute(
            "insert into raw._loads values (?, ?, ?, ?, ?, ?, ?, ?)",
            [load_id, spec.code, source_file, sha, source_last_update, origin, rows, loaded_at],
        )
        outcome = LoadOutcome(
            spec.code,
            "loaded",
            f"loaded {rows} rows from {source_file}",
            rows=rows,
            source_file=source_file,
            source_sha256=sha,
            source_last_update=source_last_update,
            origin=origin,
            load_id=load_id,
        )
        record_status(conn, outcome)
        conn.execute("commit")
    except BaseException:
        rollback(conn)
        raise
    return outcome
