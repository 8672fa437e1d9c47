"""From the public-space inbox to the raw layer, at each refresh (docs/adr/0016).

    raw.public_space_submissions   one row per accepted submission (append-only register, by submission_id)
    raw.public_space_observations  the tidy indicator rows of every city (OBSERVATION_COLUMNS + source_dataset)
    raw.public_space_features      the map layer: boundary, districts, open spaces, streets (GeoJSON text)
    raw.public_space_audit_sites   one row per audited site and year (for the map)

The figures depend on several layers at once (a new districts layer changes every share), so the three derived
tables are recomputed from the inbox, the archive of what was accepted, and replaced together with the register's
new rows in one transaction: a failure leaves the warehouse as it was. Per city: the latest boundary, districts
and streets, the latest open-space layer of each period, and every audit (an audit id sent again replaces the
earlier one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipelines.errors import SpsError
from pipelines.settings import Settings
from pipelines.shared.synthetic import synthetic_note
from pipelines.spaces import store
from pipelines.spaces.audit_indicators import SITE_COLUMNS, compute_audit_indicators
from pipelines.spaces.audits import AuditSet
from pipelines.spaces.compute import city_boundary, city_districts, compute_space_indicators, district_rows
from pipelines.spaces.observations import GEOMETRY_COLUMNS, OBSERVATION_COLUMNS, rows_table
from pipelines.warehouse.raw import LoadOutcome, ensure_raw_schema, record_status, rollback

DATASET = "public_space"
OBSERVATION_TABLE_COLUMNS = (*OBSERVATION_COLUMNS, "city_code", "source_dataset", "reported_at")
SUBMISSION_COLUMNS = (
    "submission_id",
    "city_code",
    "kind",
    "uploaded_at",
    "original_filename",
    "sha256",
    "period",
    "item_count",
    "warnings_json",
    "inbox_path",
)


class PublicSpaceLoadError(SpsError):
    def __init__(self, city: str, reason: str) -> None:
        self.hint = "Nothing from the public-space inbox was loaded; the published version stays as it was."
        super().__init__(f"public space of {city}: {reason}.")


@dataclass(frozen=True)
class PublicSpaceOutcome:
    submissions: int
    new_submissions: tuple[str, ...]
    observations: int
    cities: tuple[str, ...]

    @property
    def message(self) -> str:
        if not self.submissions:
            return "no public-space submission in the inbox"
        return (
            f"{self.observations} public-space and audit rows for {len(self.cities)} city(ies) from "
            f"{self.submissions} submission(s) ({len(self.new_submissions)} new)"
        )


def ensure_public_space_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the four tables (empty) so dbt builds the public-space models before any upload arrives."""
    ensure_raw_schema(conn)
    text = ", ".join(f'"{c}" varchar' for c in SUBMISSION_COLUMNS if c != "submission_id")
    conn.execute(
        f"create table if not exists raw.public_space_submissions (submission_id varchar primary key, {text}, "
        "loaded_at timestamptz)"
    )
    for table, columns in (
        ("public_space_observations", OBSERVATION_TABLE_COLUMNS),
        ("public_space_features", GEOMETRY_COLUMNS),
        ("public_space_audit_sites", SITE_COLUMNS),
    ):
        schema = _schema(columns)
        body = ", ".join(f'"{f.name}" {_sql_type(f.type)}' for f in schema)
        conn.execute(f"create table if not exists raw.{table} ({body})")


def _schema(columns) -> pa.Schema:
    return rows_table([], tuple(columns)).schema


def _sql_type(kind: pa.DataType) -> str:
    if pa.types.is_floating(kind):
        return "double"
    if pa.types.is_integer(kind):
        return "bigint"
    if pa.types.is_boolean(kind):
        return "boolean"
    return "varchar"


def loaded_public_space_ids(conn: duckdb.DuckDBPyConnection) -> set[str]:
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' "
        "and table_name = 'public_space_submissions' and table_catalog = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return set()
    return {r[0] for r in conn.execute("select submission_id from raw.public_space_submissions").fetchall()}


def inbox_public_space_ids(settings: Settings) -> list[str]:
    return [s.submission_id for s in store.accepted_submissions(settings)]


def _merged_audits(submissions: list[store.StoredSubmission]) -> AuditSet:
    """Every audit of the city; an audit id sent again (a corrected export) replaces the earlier one."""
    merged, versions = {}, set()
    for submission in submissions:
        audits = store.read_audits(submission)
        versions.add(audits.form_version)
        for audit in audits.audits:
            merged[audit.audit_id] = audit
    result = AuditSet(list(merged.values()))
    if len(versions) == 1:
        result.form_version = versions.pop()
    return result


def _rows(results, city: str, dataset: str, reported_at: str, synthetic: bool) -> list[dict]:
    """Observation rows for the raw table; example data (its upload says so) is labelled on every row."""
    rows = []
    for observation in results.observations:
        row = {**observation.as_row(), "city_code": city, "source_dataset": dataset, "reported_at": reported_at}
        if synthetic:
            row["note"] = synthetic_note(row["note"])
            row["has_caveat"] = True
        rows.append(row)
    return rows


def compute_city(settings: Settings, city: str, submissions: list[store.StoredSubmission]) -> tuple[list, list, list]:
    """(observation rows, map rows, site rows) of one city from its accepted submissions."""
    by_kind: dict[str, list[store.StoredSubmission]] = {}
    for submission in submissions:
        by_kind.setdefault(submission.kind, []).append(submission)
    latest = {kind: items[-1] for kind, items in by_kind.items()}
    layers = {kind: store.read_layer(latest[kind]) for kind in ("boundary", "districts", "streets") if kind in latest}
    ids = {kind: latest[kind].submission_id for kind in layers}
    observations, features, sites = [], [], []
    spaces_by_period = {s.period: s for s in by_kind.get("open-spaces", [])}  # the latest of each period wins
    space_ids: set[str] = set()
    for period, submission in sorted(spaces_by_period.items()):
        spaces = store.read_layer(submission)
        results = compute_space_indicators(
            city,
            period,
            spaces,
            boundary=layers.get("boundary"),
            districts=layers.get("districts"),
            streets=layers.get("streets"),
            submissions={**ids, "open-spaces": submission.submission_id},
        )
        metadata = submission.metadata
        observations += _rows(
            results, city, "public_space_inventory", metadata["uploaded_at"], bool(metadata.get("is_synthetic"))
        )
        features += results.geometries
        space_ids = {f.properties["space_id"] for f in spaces.features}
    if "audits" in by_kind:
        outline = city_boundary(layers.get("boundary"), layers.get("districts"), city)
        zones = city_districts(layers.get("districts"), outline)
        audit_submissions = by_kind["audits"]
        audits = _merged_audits(audit_submissions)
        last = audit_submissions[-1]
        results = compute_audit_indicators(
            city,
            audits,
            districts=zones,
            space_ids=space_ids,
            submission_id=last.submission_id,
            lineage="safety_audit/" + ";".join(s.submission_id for s in audit_submissions),
        )
        synthetic = any(s.metadata.get("is_synthetic") for s in audit_submissions)
        observations += _rows(results, city, "safety_audits", last.metadata["uploaded_at"], synthetic)
        sites += results.sites
    if not spaces_by_period and "districts" in layers:
        # Districts without an inventory still register the city's areas (names, map outlines).
        outline = city_boundary(layers.get("boundary"), layers.get("districts"), city)
        features += district_rows(city, city_districts(layers["districts"], outline), ids.get("districts"), None)
    return observations, features, sites


def load_public_space(conn: duckdb.DuckDBPyConnection, settings: Settings) -> PublicSpaceOutcome:
    """Recompute every city's public-space tables from the inbox and replace them, all or nothing."""
    ensure_public_space_tables(conn)
    submissions = store.accepted_submissions(settings)
    loaded_before = loaded_public_space_ids(conn)
    by_city: dict[str, list[store.StoredSubmission]] = {}
    for submission in submissions:
        by_city.setdefault(submission.city, []).append(submission)
    observations, features, sites = [], [], []
    for city, items in sorted(by_city.items()):
        try:
            city_observations, city_features, city_sites = compute_city(settings, city, items)
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
            raise PublicSpaceLoadError(city, f"an inbox folder cannot be read ({type(exc).__name__}: {exc})") from None
        observations += city_observations
        features += city_features
        sites += city_sites
    new = [s for s in submissions if s.submission_id not in loaded_before]
    conn.execute("begin transaction")
    try:
        for table, rows, columns in (
            ("public_space_observations", observations, OBSERVATION_TABLE_COLUMNS),
            ("public_space_features", features, GEOMETRY_COLUMNS),
            ("public_space_audit_sites", sites, SITE_COLUMNS),
        ):
            arrow = rows_table(rows, tuple(columns))
            conn.register("_incoming", arrow)
            conn.execute(f"delete from raw.{table}")
            conn.execute(f"insert into raw.{table} by name select * from _incoming")
            conn.unregister("_incoming")
        for submission in new:
            metadata = submission.metadata
            conn.execute(
                "insert into raw.public_space_submissions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                [
                    submission.submission_id,
                    submission.city,
                    submission.kind,
                    metadata["uploaded_at"],
                    metadata.get("original_filename"),
                    metadata["sha256"],
                    submission.period if submission.kind != store.AUDIT_KIND else None,
                    str(metadata.get("feature_count", metadata.get("audit_count", 0))),
                    json.dumps(metadata.get("warnings") or []),
                    f"{store.FOLDER}/inbox/{submission.submission_id}",
                ],
            )
        outcome = PublicSpaceOutcome(
            len(submissions), tuple(s.submission_id for s in new), len(observations), tuple(sorted(by_city))
        )
        record_status(
            conn,
            LoadOutcome(
                DATASET,
                "loaded" if submissions else "unchanged",
                outcome.message,
                rows=len(observations),
                origin="inbox",
            ),
        )
        conn.execute("commit")
    except BaseException:
        rollback(conn)
        raise
    return outcome
