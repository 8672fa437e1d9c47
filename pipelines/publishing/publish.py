"""Publishing: copy the marts into a new immutable DuckDB file of the version store (pipelines/versions) with
the revisions since the current version, a health report and the fingerprint of the inputs, then swap the
CURRENT pointer atomically. A refresh that fails or is killed before the swap leaves CURRENT and the file it
names exactly as they were; temporary files it may leave behind are swept by the next publish.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.errors import PublishError
from pipelines.publishing.fingerprint import loaded_fingerprint
from pipelines.publishing.health import build_health_report
from pipelines.settings import Settings, pause_for_tests
from pipelines.sources.catalog import load_catalog
from pipelines.versions.store import (
    POINTER,
    TMP_SUFFIX,
    current_version_path,
    prune_versions,
    sweep_temporary_files,
    write_pointer,
)


@dataclass(frozen=True)
class Publication:
    version: str
    path: Path
    tables: dict[str, int]


REVISION_COLUMNS = (
    "from_version varchar, to_version varchar, change varchar, observation_id varchar, indicator_code varchar, "
    "geo_code varchar, period varchar, sex varchar, age_group varchar, breakdown varchar, source_type varchar, "
    "source_dataset varchar, old_value double, new_value double, old_flags varchar, new_flags varchar, "
    "old_submission_id varchar, new_submission_id varchar, detected_at timestamptz"
)


def _diff_observations(conn: duckdb.DuckDBPyConnection, previous_version: str | None, version: str, now) -> None:
    """`_publish.main.revisions` = the previous version's revisions + what changed in fct_observations since it.

    The history travels with the published files (each carries all of it), so it survives a pruned
    warehouse and follows a rollback: the versions rolled back over drop out of the chain."""
    conn.execute(f"create table _publish.main.revisions ({REVISION_COLUMNS})")
    tables = {
        (row[0], row[1])
        for row in conn.execute(
            "select table_catalog, table_name from information_schema.tables where table_name = 'fct_observations'"
        ).fetchall()
    }
    if previous_version is None or not {("_previous", "fct_observations"), ("_publish", "fct_observations")} <= tables:
        return
    has_history = conn.execute(
        "select count(*) from information_schema.tables where table_catalog = '_previous' and table_name = 'revisions'"
    ).fetchall()[0][0]
    if has_history:
        conn.execute("insert into _publish.main.revisions select * from _previous.main.revisions")
    conn.execute(
        """insert into _publish.main.revisions
           select ?, ?,
                  case when p.observation_id is null then 'added'
                       when n.observation_id is null then 'removed' else 'revised' end,
                  coalesce(n.observation_id, p.observation_id), coalesce(n.indicator_code, p.indicator_code),
                  coalesce(n.geo_code, p.geo_code), coalesce(n.period, p.period), coalesce(n.sex, p.sex),
                  coalesce(n.age_group, p.age_group), coalesce(n.breakdown, p.breakdown),
                  coalesce(n.source_type, p.source_type), coalesce(n.source_dataset, p.source_dataset),
                  p.value, n.value, p.flags, n.flags, p.submission_id, n.submission_id, ?::timestamptz
           from _previous.main.fct_observations p
           full outer join _publish.main.fct_observations n on p.observation_id = n.observation_id
           where p.observation_id is null or n.observation_id is null
              or p.value is distinct from n.value or p.flags is distinct from n.flags""",
        [previous_version, version, now.isoformat()],
    )


def _write_sources(conn: duckdb.DuckDBPyConnection) -> None:
    """`_publish.main._sources`: title, provider and licence of every catalogued source, as of this version, so
    readers (dashboard, exports, reports) name sources without reading the catalogue of the code running now."""
    conn.execute(
        "create table _publish.main._sources (source_dataset varchar primary key, title varchar, provider varchar, "
        "licence varchar)"
    )
    conn.executemany(
        "insert into _publish.main._sources values (?, ?, ?, ?)",
        [(spec.code, spec.title, spec.provider, spec.licence) for spec in load_catalog()],
    )


def publish_marts(conn: duckdb.DuckDBPyConnection, settings: Settings, schema: str = "marts") -> Publication:
    """Copy every table of `schema` from the open warehouse connection into a new published version, with
    the revisions since the current version, a health report and the fingerprint of the inputs."""
    published_dir = settings.published_dir
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
    previous = current_version_path(published_dir, required=False)
    counts: dict[str, int] = {}
    try:
        inputs = loaded_fingerprint(conn)
        conn.execute(f"attach '{tmp.as_posix()}' as _publish")
        previous_version = previous_at = None
        try:
            if previous is not None:
                conn.execute(f"attach '{previous.as_posix()}' as _previous (read_only)")
                previous_version, previous_at = conn.execute(
                    "select version, published_at from _previous.main._publication"
                ).fetchall()[0]
            for table in tables:
                conn.execute(f'create table _publish.main."{table}" as select * from {schema}."{table}"')
                counts[table] = conn.execute(f'select count(*) from _publish.main."{table}"').fetchall()[0][0]
            _write_sources(conn)
            _diff_observations(conn, previous_version, version, now)
            counts["revisions"] = conn.execute("select count(*) from _publish.main.revisions").fetchall()[0][0]
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
                    json.dumps(inputs, sort_keys=True),
                    settings.mode,
                    str(settings.snapshot_dir),
                    settings.eurostat_api if settings.mode == "live" else None,
                ],
            )
            conn.execute("checkpoint _publish")
        finally:
            if previous is not None:
                conn.execute("detach database if exists _previous")
            conn.execute("detach _publish")
        pause_for_tests("publish")  # test-only: a crash here leaves a half-made file, never a swapped pointer
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        final.chmod(0o444)
        write_pointer(published_dir, final.name)
    except (duckdb.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        for extra in published_dir.glob(f".{version}.duckdb{TMP_SUFFIX}*"):
            extra.unlink(missing_ok=True)
        (published_dir / f".{POINTER}{TMP_SUFFIX}").unlink(missing_ok=True)
        if final.exists() and current_version_path(published_dir, required=False) != final:
            final.chmod(0o644)  # renamed, but the pointer never named it: not a version anyone can see or roll to
            final.unlink()
        raise PublishError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    prune_versions(published_dir, keep=settings.published_keep)
    return Publication(version=version, path=final, tables=counts)
