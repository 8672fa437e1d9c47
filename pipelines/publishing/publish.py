"""Publishing: copy the marts into a new immutable DuckDB file of the version store (pipelines/versions) with
the revisions since the current version, a health report and the fingerprint of the inputs, write its manifest
(sha256, row counts, commit, inputs' fingerprint), then swap the CURRENT pointer atomically. A refresh that fails
or is killed before the swap leaves CURRENT and the file it names exactly as they were; temporary files it may
leave behind are swept by the next publish.

Two refusals keep a failure from passing for success: a warehouse without observations is never published
(a first run whose every download failed), and, for refreshes (`skip_unchanged`), marts built from exactly the
inputs of the intact current version publish no new version.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.errors import DamagedVersion, NothingPublished, PublishError, SpsError
from pipelines.publishing.fingerprint import loaded_fingerprint, published_fingerprint
from pipelines.publishing.health import build_health_report
from pipelines.settings import PROJECT_ROOT, Settings, pause_for_tests
from pipelines.sources.catalog import load_catalog
from pipelines.versions.connection import search_published_folder, searchable_folder
from pipelines.versions.serving import serving_version
from pipelines.versions.store import (
    POINTER,
    TMP_SUFFIX,
    current_version_path,
    fsync_path,
    prune_versions,
    sweep_temporary_files,
    tables_dir,
    write_pointer,
)
from pipelines.versions.verify import manifest_path, read_manifest, write_manifest


@dataclass(frozen=True)
class Publication:
    version: str
    path: Path
    tables: dict[str, int]
    unchanged: bool = False  # nothing was published: the current version already holds exactly these inputs
    # tables, and parts of a table ("fct_observations.official"), whose file is the previous version's (a hard
    # link), not written again; a table is named when all its parts are
    linked: tuple[str, ...] = ()


# Tables published as more than one file, one per part: a part whose content is the previous version's is linked,
# not written again. A city's upload changes the cities' rows of fct_observations, never Eurostat's, so its publish
# writes the cities' few rows instead of every observation (at 100x: 11 M rows, ~12 s), and compares only those
# with the previous version for `revisions` (ADR 0030). A table's view reads its parts' files as one table.
TABLE_PARTS = {"fct_observations": (("official", "is_official"), ("cities", "not is_official"))}


class EmptyWarehouse(SpsError):
    """The marts hold no observation: publishing would replace what analysts see by nothing."""

    def __init__(self) -> None:
        super().__init__("nothing was published: the warehouse holds no observations (no source could be loaded).")
        self.hint = (
            "Nothing was changed. Check the network, or build from files already downloaded: "
            "`sps refresh --snapshot-dir DIR` (or SPS_SNAPSHOT_DIR=DIR) with a snapshot folder laid out like "
            "../shared/data (eurostat/, geo/, national/)."
        )


def code_commit() -> str | None:
    """The git commit of the running code, for the manifest (None outside a git checkout)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _intact_previous(published_dir: Path) -> Path | None:
    """The version the new one follows: the served one (CURRENT if intact, else the newest intact kept one)."""
    try:
        return serving_version(published_dir).path
    except (NothingPublished, DamagedVersion):
        return None


def _unchanged_since(published_dir: Path, inputs: dict) -> str | None:
    """The current version, if it is intact and was built from exactly `inputs`."""
    try:
        serving = serving_version(published_dir)
    except (NothingPublished, DamagedVersion):
        return None
    if serving.fallback:
        return None  # CURRENT is damaged or names nothing: publishing again repairs it
    try:
        version, published = published_fingerprint(serving.path)
    except duckdb.Error:
        return None
    return version if published == json.loads(json.dumps(inputs, sort_keys=True)) else None


def _count_observations(conn: duckdb.DuckDBPyConnection, schema: str) -> int | None:
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'fct_observations' "
        "and table_catalog = current_database()",
        [schema],
    ).fetchall()[0][0]
    if not exists:
        return None
    return conn.execute(f'select count(*) from {schema}."fct_observations"').fetchall()[0][0]


REVISION_COLUMNS = (
    "from_version varchar, to_version varchar, change varchar, observation_id varchar, indicator_code varchar, "
    "geo_code varchar, period varchar, sex varchar, age_group varchar, breakdown varchar, source_type varchar, "
    "source_dataset varchar, old_value double, new_value double, old_flags varchar, new_flags varchar, "
    "old_submission_id varchar, new_submission_id varchar, detected_at timestamptz"
)


def _build_revisions(
    conn: duckdb.DuckDBPyConnection,
    previous_version: str | None,
    version: str,
    now,
    observations: str | None,
    observations_unchanged: bool,
    changed_rows: str | None = None,
) -> None:
    """`temp.main._revisions` = the previous version's revisions + what changed in fct_observations since it.

    The history travels with the published versions (each carries all of it), so it survives a pruned
    warehouse and follows a rollback: the versions rolled back over drop out of the chain. When the observations'
    content is the previous version's (a change elsewhere), nothing can have been revised and the full outer join
    of the two versions is skipped. `changed_rows` (a condition on both versions' rows) restricts the join to the
    only part whose content differs from the previous version's: the other parts hold the same rows, so none of
    theirs can be added, removed or revised (an observation's id is in one part only)."""
    conn.execute(f"create or replace temp table _revisions ({REVISION_COLUMNS})")
    tables = {
        (row[0], row[1])
        for row in conn.execute(
            "select table_catalog, table_name from information_schema.tables "
            "where table_name in ('fct_observations', 'revisions') and table_catalog = '_previous'"
        ).fetchall()
    }
    if previous_version is None or observations is None or ("_previous", "fct_observations") not in tables:
        return
    if ("_previous", "revisions") in tables:
        conn.execute("insert into temp.main._revisions select * from _previous.main.revisions")
    if observations_unchanged:
        return
    where = f"where {changed_rows}" if changed_rows else ""
    conn.execute(
        f"""insert into temp.main._revisions
           select ?, ?,
                  case when p.observation_id is null then 'added'
                       when n.observation_id is null then 'removed' else 'revised' end,
                  coalesce(n.observation_id, p.observation_id), coalesce(n.indicator_code, p.indicator_code),
                  coalesce(n.geo_code, p.geo_code), coalesce(n.period, p.period), coalesce(n.sex, p.sex),
                  coalesce(n.age_group, p.age_group), coalesce(n.breakdown, p.breakdown),
                  coalesce(n.source_type, p.source_type), coalesce(n.source_dataset, p.source_dataset),
                  p.value, n.value, p.flags, n.flags, p.submission_id, n.submission_id, ?::timestamptz
           from (select * from _previous.main.fct_observations {where}) p
           full outer join (select * from {observations} {where}) n on p.observation_id = n.observation_id
           where p.observation_id is null or n.observation_id is null
              or p.value is distinct from n.value or p.flags is distinct from n.flags""",
        [previous_version, version, now.isoformat()],
    )


def _content_fingerprint(conn: duckdb.DuckDBPyConnection, relation: str) -> tuple[str, int]:
    """(fingerprint, rows) of a table's content: its columns and their types, its row count, and the sum and the
    XOR of a 64-bit hash of every row. Two tables with the same fingerprint hold the same rows (a collision of
    both aggregates is not a practical risk for data that is not adversarial); it costs one scan (~15 ms for
    the 115 000 observations of the real snapshot). Row order is not part of it: readers never rely on it."""
    columns = conn.execute(f"select column_name, column_type from (describe select * from {relation})").fetchall()
    return _content_fingerprints(conn, {relation: relation}, {relation: columns})[relation]


def _content_fingerprints(
    conn: duckdb.DuckDBPyConnection, relations: dict[str, str], columns: dict[str, list]
) -> dict[str, tuple[str, int]]:
    """{key: (fingerprint, rows)} of several relations ({key: relation}, their columns given as [(name, type)]),
    each exactly `_content_fingerprint`'s, in one query: a query per relation and a DESCRIBE each cost ~2 ms of
    overhead apiece, most of the time a publish spent on the ~34 marts of a city's upload (issue 21, target 1)."""
    keys = list(relations)
    if not keys:
        return {}
    query = " union all ".join(
        f"select {index} as k, count(*), coalesce(sum(h), 0), coalesce(bit_xor(h), 0) "
        f"from (select hash(*columns(*)) as h from {relations[key]})"
        for index, key in enumerate(keys)
    )
    fingerprints = {}
    for index, rows, total, xor in conn.execute(query).fetchall():
        key = keys[index]
        listed = [list(column) for column in columns[key]]
        digest = hashlib.sha256(json.dumps([listed, rows, str(total), str(xor)]).encode()).hexdigest()
        fingerprints[key] = (digest, rows)
    return fingerprints


def _columns_of_schema(conn: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, type)]} of every table of `schema` in the open database, in column order: what
    `_content_fingerprint` reads with a DESCRIBE per table, in one query."""
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, name, kind in conn.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where database_name = current_database() and schema_name = ? order by table_name, column_index",
        [schema],
    ).fetchall():
        columns.setdefault(table, []).append((name, kind))
    return columns


def _files_of(conn: duckdb.DuckDBPyConnection, table: str, relation: str) -> list[tuple[str, tuple]]:
    """The table files of one table: [(key, (table, relation, condition))]: one file named after the table, or one
    per part of TABLE_PARTS ("fct_observations.official") when the table has the columns its parts' conditions
    read (a test's warehouse may not)."""
    parts = TABLE_PARTS.get(table)
    if parts:
        columns = {
            row[0] for row in conn.execute(f"select column_name from (describe select * from {relation})").fetchall()
        }
        if {"is_official"} <= columns:
            return [
                (f"{table}.{part}", (table, f"(select * from {relation} where {condition})", condition))
                for part, condition in parts
            ]
    return [(table, (table, relation, None))]


def _all_linked(table: str, table_files: dict[str, dict], linked: list[str]) -> bool:
    return all(key in linked for key, entry in table_files.items() if entry.get("table", key) == table)


def _reusable_table_files(previous: Path | None) -> dict[str, dict]:
    """The table files of the previous (intact) version that a new version may link: {table: {file, content,
    sha256, bytes}} from its manifest, for files that are still there."""
    if previous is None:
        return {}
    manifest = read_manifest(previous) or {}
    files = manifest.get("files") or {}
    reusable = {}
    for table, entry in (manifest.get("table_files") or {}).items():
        facts = files.get(entry.get("file", ""))
        if facts and entry.get("content") and (previous.parent / entry["file"]).is_file():
            reusable[table] = {**entry, **facts}
    return reusable


def _sql_path(path: Path | str) -> str:
    return Path(path).as_posix().replace("'", "''")


def _write_sources(conn: duckdb.DuckDBPyConnection) -> None:
    """`_publish.main._sources`: title, provider and licence of every catalogued source, as of this version, so
    readers (dashboard, exports, reports) name sources without reading the catalogue of the code running now."""
    conn.execute(
        "create table _publish.main._sources (source_dataset varchar primary key, title varchar, provider varchar, "
        "licence varchar)"
    )
    # one statement: DuckDB's executemany runs one per row (19 sources into the new version's file: 17 -> 3 ms)
    rows = [(spec.code, spec.title, spec.provider, spec.licence) for spec in load_catalog()]
    if rows:
        conn.execute(
            "insert into _publish.main._sources values " + ", ".join(["(?, ?, ?, ?)"] * len(rows)),
            [value for row in rows for value in row],
        )


def publish_marts(
    conn: duckdb.DuckDBPyConnection, settings: Settings, schema: str = "marts", skip_unchanged: bool = False
) -> Publication:
    """Copy every table of `schema` from the open warehouse connection into a new published version, with
    the revisions since the current version, a health report and the fingerprint of the inputs. With
    `skip_unchanged` (refreshes), nothing is published when the intact current version has the same inputs."""
    published_dir = settings.published_dir
    searchable_folder(published_dir)  # a folder its views could not name their table files in: refused first
    published_dir.mkdir(parents=True, exist_ok=True)
    sweep_temporary_files(published_dir)
    now = datetime.now(UTC)
    version = now.strftime("%Y%m%dT%H%M%S%fZ")
    final = published_dir / f"{version}.duckdb"
    tmp = published_dir / f".{version}.duckdb{TMP_SUFFIX}"
    tables = [
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_catalog = current_database() order by table_name",
            [schema],
        ).fetchall()
    ]
    if not tables:
        raise PublishError(f"the warehouse has no tables in schema {schema!r} (did dbt build run?)")
    if _count_observations(conn, schema) == 0:
        raise EmptyWarehouse()
    try:
        inputs = loaded_fingerprint(conn)
    except duckdb.Error as exc:
        raise PublishError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    if skip_unchanged:
        same = _unchanged_since(published_dir, inputs)
        if same is not None:
            path = current_version_path(published_dir)
            return Publication(version=same, path=path, tables={}, unchanged=True)
    previous = _intact_previous(published_dir)
    reusable = _reusable_table_files(previous)
    counts: dict[str, int] = {}
    inputs_json = json.dumps(inputs, sort_keys=True)
    folder = tables_dir(final)
    table_files: dict[str, dict] = {}
    known_files: dict[str, dict] = {}  # sha256 and size of the files linked from the previous version
    written: list[Path] = []
    linked: list[str] = []
    try:
        folder.mkdir()
        previous_version = previous_at = None
        search_published_folder(conn, published_dir)  # versions name their table files relative to this folder
        if previous is not None:
            conn.execute(f"attach '{_sql_path(previous)}' as _previous (read_only)")
        try:
            if previous is not None:
                previous_version, previous_at = conn.execute(
                    "select version, published_at from _previous.main._publication"
                ).fetchall()[0]
            # 1. every mart as a table file: linked when its content is the previous version's, else written
            relations = {table: f'{schema}."{table}"' for table in tables}
            files = {
                key: unit for table, relation in relations.items() for key, unit in _files_of(conn, table, relation)
            }
            columns = _columns_of_schema(conn, schema)
            fingerprints = _content_fingerprints(
                conn,
                {key: relation for key, (_, relation, _) in files.items()},
                {key: columns[table] for key, (table, _, _) in files.items()},
            )
            unchanged = {
                key for key, (content, _) in fingerprints.items() if reusable.get(key, {}).get("content") == content
            }
            parts = {key: where for key, (table, _, where) in files.items() if table == "fct_observations"}
            changed = [key for key in parts if key not in unchanged]
            _build_revisions(
                conn, previous_version, version, now, relations.get("fct_observations"), bool(parts) and not changed,
                changed_rows=parts[changed[0]] if len(changed) == 1 and len(parts) > 1 else None,
            )  # fmt: skip
            files["revisions"] = ("revisions", "temp.main._revisions", None)
            fingerprints["revisions"] = _content_fingerprint(conn, "temp.main._revisions")
            for key, (table, relation, _) in files.items():
                content, rows = fingerprints[key]
                target = folder / f"{key}.parquet"
                name = target.relative_to(published_dir).as_posix()
                old = reusable.get(key)
                if old is not None and old["content"] == content:
                    os.link(published_dir / old["file"], target)  # the same bytes: no copy
                    known_files[name] = {"sha256": old["sha256"], "bytes": old["bytes"]}
                    linked.append(key)
                else:
                    conn.execute(f"copy (select * from {relation}) to '{_sql_path(target)}' (format parquet)")
                    written.append(target)
                table_files[key] = {"file": name, "content": content, **({"table": table} if key != table else {})}
                counts[table] = counts.get(table, 0) + rows
            conn.execute("drop table if exists temp.main._revisions")
            # 2. the version's own file: a view per table over its file(s)
            conn.execute(f"attach '{_sql_path(tmp)}' as _publish")
            names_of: dict[str, list[str]] = {}
            for key, entry in table_files.items():
                names_of.setdefault(entry.get("table", key), []).append(f"'{_sql_path(entry['file'])}'")
            for table, names in names_of.items():
                conn.execute(f'create view _publish.main."{table}" as select * from read_parquet([{", ".join(names)}])')
            linked += [table for table in names_of if table not in linked and _all_linked(table, table_files, linked)]
            _write_sources(conn)
            report = build_health_report(
                conn,
                version=version,
                published_at=now,
                new="_publish",
                previous="_previous" if previous is not None else None,
                previous_version=previous_version,
                previous_published_at=previous_at,
                revisions_table="_publish.main.revisions",
                quarantine_dir=settings.quarantine_dir,
                data_dir=settings.data_dir,
            )
            conn.execute(
                "create table _publish.main._health as select ? as version, ? as status, ? as markdown, "
                "? as html, ? as report_json",
                [version, report.status, report.to_markdown(), report.to_html(), report.as_json()],
            )
            # How this version was built, so `sps status` and the dashboard describe the version itself rather
            # than the settings of whichever shell reads it later.
            conn.execute(
                "create table _publish.main._publication as select ? as version, ?::timestamptz as published_at, "
                "? as previous_version, ? as inputs_json, ? as mode, ? as snapshot_dir, ? as eurostat_api",
                [
                    version,
                    now.isoformat(),
                    previous_version,
                    inputs_json,
                    settings.mode,
                    str(settings.snapshot_dir),
                    settings.eurostat_api if settings.mode == "live" else None,
                ],
            )
            rows_per_table = dict(counts)
            for table in ("_sources", "_health", "_publication"):
                rows_per_table[table] = conn.execute(f'select count(*) from _publish.main."{table}"').fetchall()[0][0]
            conn.execute("checkpoint _publish")
        finally:
            conn.execute("drop table if exists temp.main._revisions")
            conn.execute("reset file_search_path")
            if previous is not None:
                conn.execute("detach database if exists _previous")
            conn.execute("detach database if exists _publish")
        for path in written:
            fsync_path(path)
            path.chmod(0o444)
        fsync_path(folder)
        folder.chmod(0o555)
        pause_for_tests("publish")  # test-only: a crash here leaves a half-made version, never a swapped pointer
        fsync_path(tmp)
        os.replace(tmp, final)
        final.chmod(0o444)
        # The manifest is on disk before CURRENT names the version: readers can always verify what they serve.
        write_manifest(final, version, rows_per_table, inputs_json, code_commit(), table_files, known_files)
        write_pointer(published_dir, final.name)
    except (duckdb.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        for extra in published_dir.glob(f".{version}.duckdb{TMP_SUFFIX}*"):
            extra.unlink(missing_ok=True)
        (published_dir / f".{POINTER}{TMP_SUFFIX}").unlink(missing_ok=True)
        if final.exists() and current_version_path(published_dir, required=False) != final:
            final.chmod(0o644)  # renamed, but the pointer never named it: not a version anyone can see or roll to
            final.unlink()
            manifest = manifest_path(final)
            if manifest.exists():
                manifest.chmod(0o644)
                manifest.unlink()
        if not final.exists():
            sweep_temporary_files(published_dir)  # the table folder of a version that was never made
        raise PublishError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    prune_versions(published_dir, keep=settings.published_keep)
    return Publication(version=version, path=final, tables=counts, linked=tuple(linked))
