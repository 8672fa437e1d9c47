"""The health report written with every published version (Markdown and HTML from one structure).

It answers the secretariat's morning questions: what changed since the last published version (new cities,
new periods, revised values), which sources are missing from the snapshot, stale, or failed, which checks
warned or failed, and what the cities uploaded. `publish_marts` builds it inside the new published file
(table `_health`), so the dashboard shows the report of exactly the version it reads; the
`publish/health_report` asset also writes it to data/reports/health/<version>.md and .html.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.backup.run import backup_freshness
from pipelines.sources.catalog import load_catalog
from pipelines.uploads.tokens import expiring_tokens, list_upload_tokens
from pipelines.versions.store import open_published

MAX_LISTED = 25
CYCLE_WARNING_DAYS = 30  # the reporting-cycle section warns in a cycle's last month


@dataclass
class Section:
    title: str
    summary: str
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    more: int = 0  # rows left out of the table
    level: str = "ok"  # ok | warning | error


@dataclass
class HealthReport:
    version: str
    previous_version: str | None
    published_at: str
    sections: list[Section]

    @property
    def status(self) -> str:
        levels = {section.level for section in self.sections}
        return "error" if "error" in levels else "warning" if "warning" in levels else "ok"

    def as_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "previous_version": self.previous_version,
                "published_at": self.published_at,
                "status": self.status,
                "sections": [section.__dict__ for section in self.sections],
            },
            default=str,
        )

    def to_markdown(self) -> str:
        lines = [
            f"# SPS Monitor health report: version {self.version}",
            "",
            f"Published {self.published_at}; previous version {self.previous_version or 'none (first publication)'}."
            f" Overall: **{self.status.upper()}**.",
            "",
        ]
        for section in self.sections:
            badge = {"ok": "OK", "warning": "WARNING", "error": "ERROR"}[section.level]
            lines += [f"## {section.title} ({badge})", "", section.summary, ""]
            if section.rows:
                lines.append("| " + " | ".join(section.columns) + " |")
                lines.append("|" + "---|" * len(section.columns))
                for row in section.rows:
                    cells = ["" if cell is None else str(cell).replace("|", "\\|").replace("\n", " ") for cell in row]
                    lines.append("| " + " | ".join(cells) + " |")
                if section.more:
                    lines.append(f"\n… and {section.more} more.")
                lines.append("")
        return "\n".join(lines)

    def to_html(self) -> str:
        esc = html.escape
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>SPS Monitor health report {esc(self.version)}</title>",
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
            "table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;"
            "text-align:left;font-size:.9rem}.ok{color:#1a7f37}.warning{color:#9a6700}.error{color:#cf222e}</style>",
            "</head><body>",
            f"<h1>SPS Monitor health report: version {esc(self.version)}</h1>",
            f"<p>Published {esc(self.published_at)}; previous version "
            f"{esc(self.previous_version or 'none (first publication)')}. Overall: "
            f'<strong class="{self.status}">{self.status.upper()}</strong>.</p>',
        ]
        for section in self.sections:
            parts.append(
                f'<h2>{esc(section.title)} <span class="{section.level}">({section.level.upper()})</span></h2>'
            )
            parts.append(f"<p>{esc(section.summary)}</p>")
            if section.rows:
                parts.append("<table><thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in section.columns))
                parts.append("</tr></thead><tbody>")
                for row in section.rows:
                    cells = "".join(f"<td>{esc('' if cell is None else str(cell))}</td>" for cell in row)
                    parts.append(f"<tr>{cells}</tr>")
                parts.append("</tbody></table>")
                if section.more:
                    parts.append(f"<p>… and {section.more} more.</p>")
        parts.append("</body></html>")
        return "\n".join(parts)


def _table_exists(conn: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_catalog = ? and table_schema = ? "
            "and table_name = ?",
            [catalog, schema, table],
        ).fetchall()[0][0]
    )


def _limited(rows: list[list]) -> tuple[list[list], int]:
    return rows[:MAX_LISTED], max(0, len(rows) - MAX_LISTED)


def build_health_report(
    conn: duckdb.DuckDBPyConnection,
    *,
    version: str,
    published_at: datetime,
    new: str,
    previous: str | None,
    previous_version: str | None,
    previous_published_at: datetime | None,
    revisions_table: str,
    quarantine_dir: Path,
    data_dir: Path | None = None,
) -> HealthReport:
    """`conn` is the warehouse with the new marts reachable as `{new}.main.*` and, when there is one, the
    previous published version attached read-only as `previous`."""
    builders = [
        ("What changed", lambda: [_changes_section(conn, new, previous)]),
        ("Revisions", lambda: [_revisions_section(conn, revisions_table, version)]),
        ("Sources", lambda: _source_sections(conn, new, previous)),
        ("Checks", lambda: [_checks_section(conn, new, previous)]),
        ("Population labels", lambda: [_population_labels_section(conn, new, previous)]),
        ("Reporting cycle", lambda: _cycle_sections(conn, new, published_at.date())),
        ("Uploads", lambda: [_uploads_section(conn, previous_published_at, quarantine_dir)]),
    ]
    if data_dir is not None:
        builders.append(("Upload tokens", lambda: [tokens_section(data_dir)]))
        builders.append(("Backups", lambda: [backups_section(data_dir)]))
    sections = []
    for title, build in builders:
        try:
            sections += build()
        except duckdb.CatalogException as exc:  # a partial warehouse (e.g. a test publishing one table)
            sections.append(Section(title, f"Not available: {str(exc).splitlines()[0]}", level="warning"))
    return HealthReport(
        version=version,
        previous_version=previous_version,
        published_at=published_at.isoformat(timespec="seconds"),
        sections=sections,
    )


def _changes_section(conn, new: str, previous: str | None) -> Section:
    if previous is None or not _table_exists(conn, previous, "main", "fct_observations"):
        count = conn.execute(f"select count(*) from {new}.main.fct_observations").fetchall()[0][0]
        return Section("What changed", f"First publication: {count} observations.")
    new_cities = conn.execute(
        f"""select g.geo_code, g.geo_name, g.country_code from {new}.main.dim_geographies g
            where g.geo_level = 'city'
              and g.geo_code in (select geo_code from {new}.main.fct_observations)
              and g.geo_code not in (select geo_code from {previous}.main.fct_observations)
            order by g.geo_code"""
    ).fetchall()
    new_periods = conn.execute(
        f"""select indicator_code, period, count(distinct geo_code) as places
            from {new}.main.fct_observations n
            where not exists (select 1 from {previous}.main.fct_observations p
                              where p.indicator_code = n.indicator_code and p.period = n.period)
            group by all order by indicator_code, period"""
    ).fetchall()
    rows = [["new city", code, f"{name or ''} ({country})"] for code, name, country in new_cities]
    rows += [["new period", indicator, f"{period}: {places} place(s)"] for indicator, period, places in new_periods]
    limited, more = _limited([list(r) for r in rows])
    summary = f"{len(new_cities)} new city(ies) with data, {len(new_periods)} new indicator period(s)."
    return Section("What changed", summary, ["change", "code", "detail"], limited, more)


def _revisions_section(conn, revisions_table: str, version: str) -> Section:
    counts = conn.execute(
        f"select change, count(*) from {revisions_table} where to_version = ? group by 1 order by 1", [version]
    ).fetchall()
    by_kind = dict(counts)
    revised = conn.execute(
        f"""select indicator_code, geo_code, period, old_value, new_value, source_dataset
            from {revisions_table} where to_version = ? and change = 'revised'
            order by source_dataset, indicator_code, geo_code, period""",
        [version],
    ).fetchall()
    limited, more = _limited([list(r) for r in revised])
    summary = (
        f"{by_kind.get('revised', 0)} value(s) revised, {by_kind.get('added', 0)} observation(s) added, "
        f"{by_kind.get('removed', 0)} removed since the previous version (all kept in the `revisions` table)."
    )
    return Section(
        "Revisions",
        summary,
        ["indicator", "geo", "period", "old value", "new value", "source"],
        limited,
        more,
        "warning" if by_kind.get("removed") else "ok",
    )


def _previous_sources(conn, previous: str | None) -> dict[str, tuple[str, object]]:
    """source -> (last attempt, loaded_at) as the previous published version recorded them; {} without one."""
    if previous is None or not _table_exists(conn, previous, "main", "rpt_source_freshness"):
        return {}
    return {
        row[0]: (row[1], row[2])
        for row in conn.execute(
            f"select source_dataset, last_attempt_status, loaded_at from {previous}.main.rpt_source_freshness"
        ).fetchall()
    }


def _source_sections(conn, new: str, previous: str | None = None) -> list[Section]:
    """Sources: a failed load is an error, a stale source or one that the previous version had and this one
    lost is a warning. A source that is simply not in this snapshot (and was not in the previous version's
    either) is information: the documented snapshot lacks several catalogued datasets, and a fresh install
    must not start with a warning about what nobody changed or broke."""
    status = {
        row[0]: row[1:]
        for row in conn.execute(
            f"select source_dataset, last_attempt_status, last_attempt_message, loaded_at "
            f"from {new}.main.rpt_source_freshness"
        ).fetchall()
    }
    before = _previous_sources(conn, previous)
    now = datetime.now(UTC)
    absent, lost, stale, failed, table = [], [], [], [], []
    for spec in load_catalog():
        state, message, loaded_at = status.get(spec.code, ("never checked", "", None))
        age = (now - loaded_at).days if loaded_at else None
        is_stale = age is not None and age > spec.cadence_days
        was_loaded = spec.code in before and before[spec.code][1] is not None
        note = "stale" if is_stale else ""
        if state == "not_in_snapshot":
            if was_loaded:
                lost.append(spec.code)
                note = "in the previous version, missing now" + (" (the last load is kept)" if loaded_at else "")
            else:
                absent.append(spec.code)
                note = "not in this snapshot; " + (
                    "live mode fetches it" if spec.live != "none" else "provided by cities or institutes"
                )
        if state == "failed":
            failed.append(f"{spec.code}: {message}")
        if is_stale:
            stale.append(spec.code)
        table.append([spec.code, state, f"{loaded_at:%Y-%m-%d}" if loaded_at else "", spec.cadence_days, note])
    fetchable = [code for code in absent if next(s for s in load_catalog() if s.code == code).live != "none"]
    provided = [code for code in absent if code not in fetchable]
    sources = Section(
        "Sources",
        f"{len(table)} sources: {len(failed)} failed at the last attempt, {len(lost)} missing since the previous "
        f"version, {len(stale)} stale for their publication rhythm, {len(absent)} not in this snapshot "
        "(information)."
        + (f" Failed: {'; '.join(failed)}." if failed else "")
        + (f" Missing since the previous version: {', '.join(lost)}." if lost else "")
        + (f" Stale: {', '.join(stale)}." if stale else "")
        + (f" Not in this snapshot, fetched in live mode: {', '.join(fetchable)}." if fetchable else "")
        + (f" Not in this snapshot, provided by cities or institutes: {', '.join(provided)}." if provided else ""),
        ["source", "last attempt", "loaded", "rhythm (days)", "note"],
        table,
        level="error" if failed else "warning" if (lost or stale) else "ok",
    )
    return [sources]


def _checks_section(conn, new: str, previous: str | None = None) -> Section:
    rows: list[list] = []
    if _table_exists(conn, conn.execute("select current_database()").fetchall()[0][0], "ops", "dbt_test_results"):
        rows += [
            list(r)
            for r in conn.execute(
                """select status, name, coalesce(failures, 0), message from ops.dbt_test_results
                   where invocation_id = (select invocation_id from ops.dbt_test_results
                                          order by recorded_at desc limit 1)
                     and status in ('warn', 'fail', 'error') order by status, name"""
            ).fetchall()
        ]
    if _table_exists(conn, conn.execute("select current_database()").fetchall()[0][0], "ops", "gx_check_results"):
        rows += [
            ["warn", f"{name}: {rule}", unexpected, f"e.g. observation {sample}"]
            for name, rule, unexpected, sample in conn.execute(
                """select check_name, rule, unexpected, sample from ops.gx_check_results
                   where recorded_at = (select max(recorded_at) from ops.gx_check_results) and unexpected > 0
                   order by rule"""
            ).fetchall()
        ]
    # Data-quality reports on the sources themselves (answer blocks that do not sum to 100, conflicting cells):
    # listed for information while their count stays what it was; a warning when it grows (something changed).
    for table, label in (
        ("rpt_perception_block_anomalies", "perception answers that do not sum to 100 %"),
        ("rpt_survey_conflicting_cells", "survey cells with conflicting values (withheld)"),
    ):
        if not _table_exists(conn, new, "main", table):
            continue
        count = conn.execute(f"select count(*) from {new}.main.{table}").fetchall()[0][0]
        before = (
            conn.execute(f"select count(*) from {previous}.main.{table}").fetchall()[0][0]
            if previous is not None and _table_exists(conn, previous, "main", table)
            else None
        )
        if count:
            grew = before is not None and count > before
            change = f"; {before} in the previous version" if before is not None and before != count else ""
            rows.append(["warn" if grew else "info", table, count, label + change])
    failing = sum(1 for row in rows if row[0] in ("fail", "error"))
    warning = sum(1 for row in rows if row[0] == "warn")
    limited, more = _limited(rows)
    return Section(
        "Checks",
        f"{failing} failing and {warning} warning check(s) in the build of this version"
        + (f"; {len(rows) - failing - warning} known source-data issue(s) listed for information." if rows else "."),
        ["status", "check", "rows", "message"],
        limited,
        more,
        "error" if failing else "warning" if warning else "ok",
    )


def population_label_shares(conn, database: str) -> dict | None:
    """How many population labels of the label export matched a city code, before and after repairing the
    labels whose source bytes carry U+FFFD (the damaged character read as a one-letter wildcard, unique matches
    only); None when the version has no such report."""
    if not _table_exists(conn, database, "main", "rpt_population_label_matches"):
        return None
    total, matched, repaired = conn.execute(
        f"""select count(*), count(*) filter (where is_matched),
                   count(*) filter (where is_matched and match_method = 'repaired')
            from {database}.main.rpt_population_label_matches"""
    ).fetchall()[0]
    reasons = conn.execute(
        f"""select unmatched_reason, count(*) from {database}.main.rpt_population_label_matches
            where not is_matched group by 1 order by 2 desc, 1"""
    ).fetchall()
    return {
        "labels": total,
        "matched": matched,
        "repaired": repaired,
        "matched_before_repair": matched - repaired,
        "unmatched": total - matched,
        "reasons": reasons,
    }


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def _population_labels_section(conn, new: str, previous: str | None) -> Section:
    shares = population_label_shares(conn, new)
    if shares is None or not shares["labels"]:
        return Section("Population labels", "No population label export in this version (nothing to match).")
    before = population_label_shares(conn, previous) if previous is not None else None
    total, matched = shares["labels"], shares["matched"]
    summary = (
        f"{matched} of {total} population labels matched a city code ({_percent(matched, total)}): "
        f"{shares['matched_before_repair']} by name ({_percent(shares['matched_before_repair'], total)} before "
        f"repair), {shares['repaired']} more after repairing labels damaged in the source (U+FFFD read as one "
        f"letter, unique matches only). {shares['unmatched']} unmatched, each with its reason."
    )
    dropped = before is not None and before["labels"] and matched < before["matched"]
    if before is not None and before["matched"] != matched:
        summary += f" Previous version: {before['matched']} of {before['labels']} matched."
    return Section(
        "Population labels",
        summary,
        ["unmatched because", "labels"],
        [list(row) for row in shares["reasons"]],
        level="warning" if dropped else "ok",
    )


def _cycle_sections(conn, new: str, today) -> list[Section]:
    """The reporting cycle open on `today` (seeds/reporting_cycles.csv, city_cycle_status): the cities that have
    reported nothing for it, named, and how many are partial or complete. No section when no cycle is open.

    Information while the cycle has time to run (a fresh install is not a warning: health warns on what changed or
    broke); a warning in its last CYCLE_WARNING_DAYS days while cities have still reported nothing."""
    if not _table_exists(conn, new, "main", "city_cycle_status"):
        return []
    rows = conn.execute(
        f"""select cycle, closes_on, city_code, city_name, status, indicators_requested, missing_indicators
            from {new}.main.city_cycle_status
            where cycle = (select max(cycle) from {new}.main.city_cycle_status where ? between opens_on and closes_on)
            order by city_code""",
        [today],
    ).fetchall()
    if not rows:
        return []
    cycle, closes_on = rows[0][0], rows[0][1]
    nothing = [[code, (name or "").strip(), requested, missing] for _, _, code, name, status, requested, missing in rows
               if status == "none"]  # fmt: skip
    partial = sum(1 for row in rows if row[4] == "partial")
    complete = sum(1 for row in rows if row[4] == "complete")
    limited, more = _limited(nothing)
    return [
        Section(
            "Reporting cycle",
            f"Cycle {cycle} is open until {closes_on}: {len(nothing)} city(ies) have reported nothing for it"
            + (f" ({', '.join(row[0] for row in nothing[:MAX_LISTED])})" if nothing else "")
            + f", {partial} partial, {complete} complete. `sps cycle status` writes the reminder list.",
            ["city", "name", "indicators requested", "missing"],
            limited,
            more,
            "warning" if nothing and (closes_on - today).days <= CYCLE_WARNING_DAYS else "ok",
        )
    ]


def _uploads_section(conn, since: datetime | None, quarantine_dir: Path) -> Section:
    accepted = []
    database = conn.execute("select current_database()").fetchall()[0][0]
    if _table_exists(conn, database, "raw", "city_submission_files"):
        accepted = conn.execute(
            "select city_code, count(*), sum(row_count) from raw.city_submission_files "
            "where ? is null or loaded_at > ? group by 1 order by 1",
            [since, since],
        ).fetchall()
    rejected: dict[str, int] = {}
    if quarantine_dir.is_dir():
        for folder in quarantine_dir.iterdir():
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            when = datetime.fromtimestamp(folder.stat().st_mtime, UTC)
            if since is None or when > since:
                city = folder.name.split("-")[1] if folder.name.count("-") >= 2 else "?"
                rejected[city] = rejected.get(city, 0) + 1
    cities = sorted({row[0] for row in accepted} | set(rejected))
    by_city = {row[0]: row for row in accepted}
    rows = [
        [
            city,
            by_city[city][1] if city in by_city else 0,
            by_city[city][2] if city in by_city else 0,
            rejected.get(city, 0),
        ]
        for city in cities
    ]
    window = "since the previous version" if since else "so far"
    return Section(
        "Uploads",
        f"{sum(r[1] for r in rows)} submission(s) loaded and {sum(r[3] for r in rows)} rejected {window}, "
        f"from {len(cities)} city(ies).",
        ["city", "loaded", "rows", "rejected"],
        rows,
        level="warning" if rejected else "ok",
    )


def backups_section(data_dir: Path) -> Section:
    """The last good backup of what the data folder keeps (sps backup, the nightly schedule)."""
    freshness = backup_freshness(data_dir)
    summary = freshness.message[:1].upper() + freshness.message[1:] + "."
    if not freshness.ok:
        summary += " Uploads and survey microdata exist only in the data folder until a backup succeeds."
    return Section("Backups", summary, level="ok" if freshness.ok else "warning")


def tokens_section(data_dir: Path, within_days: int = 30) -> Section:
    """City upload tokens that expire within `within_days` (so a city is never cut off by surprise)."""
    now = datetime.now(UTC)
    records = list_upload_tokens(data_dir)
    active = [
        r
        for r in records
        if not r["revoked_at"] and (not r["expires_at"] or datetime.fromisoformat(r["expires_at"]) > now)
    ]
    soon = expiring_tokens(data_dir, within_days, now)
    never = [r for r in active if not r["expires_at"]]
    summary = f"{len(active)} active upload token(s); {len(soon)} expire within {within_days} days"
    if soon:
        summary += ": " + "; ".join(f"{r['city']} on {r['expires_at'][:10]}" for r in soon)
        summary += ". Issue the city a new token (`sps token issue --city CODE`) and send it before then"
    if never:
        summary += f". {len(never)} never expire (issued before tokens expired): revoke and reissue them"
    return Section(
        "Upload tokens",
        summary + ".",
        ["city", "token id", "expires", "days left"],
        [[r["city"], r["token_id"], r["expires_at"][:10], r["days_left"]] for r in soon],
        level="warning" if soon or never else "ok",
    )


@dataclass(frozen=True)
class WrittenReport:
    version: str
    status: str
    markdown: str
    markdown_path: Path
    html_path: Path


def health_dir(data_dir: Path) -> Path:
    return data_dir / "reports" / "health"


def write_health_files(settings) -> WrittenReport:
    """Write the current published version's health report to data/reports/health/<version>.md and .html."""
    with open_published(settings) as conn:
        version, status, markdown, html_text = conn.execute(
            "select version, status, markdown, html from _health"
        ).fetchall()[0]
    folder = health_dir(settings.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix, text in ((".md", markdown), (".html", html_text)):
        path = folder / f"{version}{suffix}"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        paths.append(path)
    return WrittenReport(version, status, markdown, paths[0], paths[1])
