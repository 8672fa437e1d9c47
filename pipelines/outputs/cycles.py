"""`sps cycle status`: who has reported for a 2030 voluntary reporting cycle, and the secretariat's reminder list.

Reads the city_cycle_status mart of the published version (dbt_project/models/marts/city_cycle_status.sql; the
cycles, their dates, data years and requested indicators are seeds/reporting_cycles.csv). Without --cycle the
cycle open today is shown (the latest one that has opened when none is open). The reminder list holds every
city whose status is partial or none, with what is missing, as a spreadsheet-safe CSV written whole or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import SpsError
from pipelines.shared.cells import neutralise_row

REMINDER_COLUMNS = [
    "cycle",
    "city_code",
    "city_name",
    "is_partnership_city",
    "status",
    "indicators_reported",
    "indicators_requested",
    "missing_indicators",
    "reported_by_city_upload",
    "reported_by_city_survey",
    "reported_by_official_source",
    "last_submission_at",
    "closes_on",
]


class CycleError(SpsError):
    """A cycle status cannot be shown or written as asked; nothing was written."""


@dataclass(frozen=True)
class CycleStatus:
    version: str
    cycle: int
    opens_on: dt.date
    closes_on: dt.date
    first_period_year: int
    last_period_year: int
    state: str  # upcoming | open | closed (on `today`)
    rows: list[dict]

    @property
    def reminders(self) -> list[dict]:
        return [row for row in self.rows if row["status"] != "complete"]

    def counts(self) -> dict[str, int]:
        counts = {"complete": 0, "partial": 0, "none": 0}
        for row in self.rows:
            counts[row["status"]] += 1
        return counts


def cycle_state(opens_on: dt.date, closes_on: dt.date, today: dt.date) -> str:
    return "upcoming" if today < opens_on else "closed" if today > closes_on else "open"


def default_cycle(cycles: list[tuple[int, dt.date, dt.date]], today: dt.date) -> int:
    """The cycle open on `today`; else the latest that has opened; else the first."""
    open_now = [cycle for cycle, opens, closes in cycles if opens <= today <= closes]
    if open_now:
        return max(open_now)
    opened = [cycle for cycle, opens, _ in cycles if opens <= today]
    return max(opened) if opened else min(cycle for cycle, _, _ in cycles)


def load_cycle_status(conn: duckdb.DuckDBPyConnection, cycle: int | None = None, today: dt.date | None = None):
    today = today or dt.date.today()
    version = conn.execute("select version from _publication").fetchall()[0][0]
    has_mart = conn.execute(
        "select count(*) from information_schema.tables where table_name = 'city_cycle_status'"
    ).fetchall()
    if not has_mart[0][0]:
        raise CycleError(
            f"published version {version} has no reporting-cycle status (it was published before cycles existed); "
            "run `sps refresh` to publish a new version"
        )
    cycles = conn.execute("select distinct cycle, opens_on, closes_on from city_cycle_status order by cycle").fetchall()
    if not cycles:
        raise CycleError(
            f"published version {version} lists no city for any cycle: seeds/reporting_cycles.csv is empty, or "
            "there is no partnership city and no upload"
        )
    known = [c for c, _, _ in cycles]
    if cycle is None:
        cycle = default_cycle(cycles, today)
    elif cycle not in known:
        raise CycleError(f"--cycle {cycle}: not a reporting cycle; the cycles are {', '.join(map(str, known))}")
    result = conn.execute(
        f"""select {", ".join(REMINDER_COLUMNS)}, share_reported, opens_on, first_period_year, last_period_year
            from city_cycle_status where cycle = ?
            order by case status when 'none' then 0 when 'partial' then 1 else 2 end, share_reported,
                     city_code""",
        [cycle],
    )
    names = [d[0] for d in result.description]
    rows = [dict(zip(names, values, strict=True)) for values in result.fetchall()]
    first = rows[0]
    return CycleStatus(
        version,
        cycle,
        first["opens_on"],
        first["closes_on"],
        first["first_period_year"],
        first["last_period_year"],
        cycle_state(first["opens_on"], first["closes_on"], today),
        rows,
    )


def reminder_csv(status: CycleStatus) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=REMINDER_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in status.reminders:
        cells = {k: ("" if row[k] is None else row[k]) for k in REMINDER_COLUMNS}
        if isinstance(row["last_submission_at"], dt.datetime):
            cells["last_submission_at"] = row["last_submission_at"].astimezone(dt.UTC).isoformat(timespec="seconds")
        writer.writerow(neutralise_row(cells))
    return buffer.getvalue()


def check_reminder_target(out: Path) -> None:
    if out.suffix.lower() != ".csv":
        raise CycleError(f"--out {out}: the reminder list is a CSV file; give a .csv file name")
    if out.is_dir():
        raise CycleError(f"--out {out}: is a folder; give a .csv file name")


def write_reminders(status: CycleStatus, out: Path) -> Path:
    """The reminder list (cities with status partial or none and what is missing), whole or not at all."""
    check_reminder_target(out)
    tmp = out.with_name(f".{out.name}.part")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(reminder_csv(status), encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        raise CycleError(
            f"--out {out}: cannot write ({exc.strerror or type(exc).__name__}); nothing was written. "
            "Choose a writable folder"
        ) from None
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # its folder could not be made: there is nothing to remove
            pass
    return out


def format_status(status: CycleStatus) -> list[str]:
    """The lines `sps cycle status` prints."""
    counts = status.counts()
    lines = [
        f"Reporting cycle {status.cycle} ({status.state}: {status.opens_on} to {status.closes_on}; values of "
        f"{status.first_period_year}-{status.last_period_year} count), published version {status.version}: "
        f"{counts['complete']} complete, {counts['partial']} partial, {counts['none']} none.",
        f"  {'city':<8} {'name':<20} {'status':<9} {'reported':<9} {'last submission':<17} missing",
    ]
    for row in status.rows:
        last = row["last_submission_at"]
        when = last.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if last else "-"
        reported = f"{row['indicators_reported']}/{row['indicators_requested']}"
        lines.append(
            f"  {row['city_code']:<8} {(row['city_name'] or '')[:20]:<20} {row['status']:<9} {reported:<9} "
            f"{when:<17} {row['missing_indicators'] or '-'}"
        )
    return lines
