"""Reading site safety audits: the KoboToolbox or ODK Central export of the SPS audit form (`sps audit form`),
or a plain CSV/XLSX with the same columns. Every problem is named by line, column, value and fix; any error
rejects the whole file (docs/methodology/safety_audits.md says what a city must send).

Accepted column spellings: Kobo's group paths (`group/lighting`) keep their last part; the geopoint comes as
Kobo's `location` ("lat lon alt accuracy") or `_location_latitude`/`_location_longitude`, ODK Central's
`location-Latitude`/`location-Longitude`, or plain `latitude`/`longitude`. Export choice *names* (XML values),
not labels.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import shapely

from pipelines.spaces.layers import default_max_bytes, to_equal_area
from pipelines.spaces.vocabulary import (
    ALLOWED_VALUES,
    STANDARD_FORM_ID,
    STANDARD_FORM_VERSION,
    audit_items,
    canonical_value,
    safetipin_parameters,
)
from pipelines.uploads.parse import read_table
from pipelines.uploads.problems import Problem, error, warning

MIN_PARAMETERS_ANSWERED = 6  # of the nine Safetipin parameters
AUDIT_POINT_TOLERANCE_M = 100.0  # GPS accuracy in streets: a point this close to the boundary is in the city
LATITUDE_NAMES = ("_location_latitude", "location-latitude", "latitude", "lat")
LONGITUDE_NAMES = ("_location_longitude", "location-longitude", "longitude", "lon", "lng")
ID_NAMES = ("audit_id", "_uuid", "instanceid", "meta-instanceid", "key")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
SCORE = re.compile(r"^[0-3](?:\.0+)?$")


@dataclass
class Audit:
    row: int  # line in the file (header = 1)
    audit_id: str
    site_id: str
    site_name: str | None
    lon: float
    lat: float
    date: dt.date
    time_of_day: str  # day | after_dark
    auditor_group: str | None
    scores: dict[str, int | None]  # every audit item (safetipin + cpted): 0-3, None when not answered


@dataclass
class AuditSet:
    audits: list[Audit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    form_version: str | None = None  # the standard form's version when every row carries it

    @property
    def accepted(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def is_standard_form(self) -> bool:
        return self.form_version is not None

    def projected_points(self) -> np.ndarray:
        points = shapely.points(np.array([[a.lon, a.lat] for a in self.audits], dtype=float).reshape(-1, 2))
        return to_equal_area(points)


def _column_name(header: str) -> str:
    return header.strip().split("/")[-1].strip().lower().replace(" ", "_")


def check_audits(
    data: bytes,
    filename: str,
    *,
    boundary=None,
    today: dt.date | None = None,
    max_bytes: int | None = None,
    tolerance_m: float = AUDIT_POINT_TOLERANCE_M,
) -> AuditSet:
    """Read and check an audit file: every problem at once. `boundary`: the city's boundary in EPSG:3035."""
    result = AuditSet()
    table = read_table(data, filename, default_max_bytes() if max_bytes is None else max_bytes)
    if table.problems:
        result.problems = [error("file", f"The audit file cannot be read: {m}.") for m in table.problems]
        return result
    names = [_column_name(h) for h in table.header]
    position = {name: index for index, name in reversed(list(enumerate(names)))}
    columns = {name: table.body.column(f"c{index}").to_pylist() for name, index in position.items()}
    lines = table.body.column("source_row").to_pylist()
    if not _check_columns(columns, table.header, result):
        return result
    today = today or dt.date.today()
    latitudes, longitudes = _coordinates(columns, len(lines))
    ids = _first(columns, ID_NAMES)
    seen: dict[str, int] = {}
    versions = set()
    items = [i.item for i in audit_items()]
    for index, line in enumerate(lines):
        audit = _read_row(index, line, columns, latitudes, longitudes, ids, items, today, result)
        if audit is None:
            continue
        if audit.audit_id in seen:
            result.problems.append(
                error(
                    "duplicate_id",
                    f"Line {line}: audit {audit.audit_id!r} is already on line {seen[audit.audit_id]}. Send each "
                    "audit once (a Kobo export repeated in one file?).",
                    row=line,
                    column="audit_id",
                    value=audit.audit_id,
                )
            )
            continue
        seen[audit.audit_id] = line
        versions.add((columns.get("form_version") or [""] * len(lines))[index].strip())
        result.audits.append(audit)
    if versions == {STANDARD_FORM_VERSION}:
        result.form_version = STANDARD_FORM_VERSION
    elif "form_version" in columns:
        result.problems.append(
            warning(
                "form_version",
                f"form_version {sorted(versions)} is not the standard SPS audit form ({STANDARD_FORM_ID} "
                f"{STANDARD_FORM_VERSION}): the audit indicators are kept local to the city.",
                column="form_version",
            )
        )
    if boundary is not None and result.audits:
        _check_inside(result, boundary, tolerance_m)
    return result


def _first(columns: dict, names: tuple[str, ...]):
    return next((columns[n] for n in names if n in columns), None)


def _check_columns(columns: dict, header: list[str], result: AuditSet) -> bool:
    needed = ["site_id", "audit_date", "time_of_day", *safetipin_parameters()]
    missing = [name for name in needed if name not in columns]
    has_point = "location" in columns or (
        _first(columns, LATITUDE_NAMES) is not None and _first(columns, LONGITUDE_NAMES) is not None
    )
    if not has_point:
        missing.append("location (or latitude and longitude)")
    for name in missing:
        result.problems.append(
            error(
                "missing_column",
                f"The file has no column {name}. Its columns are: {', '.join(header)}. Use the SPS audit form "
                "(sps audit form) and export with XML names as headers, or add the column.",
                column=name,
            )
        )
    return not missing


def _coordinates(columns: dict, count: int) -> tuple[list, list]:
    latitudes, longitudes = _first(columns, LATITUDE_NAMES), _first(columns, LONGITUDE_NAMES)
    if latitudes is not None and longitudes is not None:
        return latitudes, longitudes
    latitudes, longitudes = [], []
    for text in columns["location"]:
        parts = text.split()
        latitudes.append(parts[0] if len(parts) >= 2 else text)
        longitudes.append(parts[1] if len(parts) >= 2 else "")
    return latitudes, longitudes


def _read_row(index, line, columns, latitudes, longitudes, ids, items, today, result: AuditSet) -> Audit | None:
    problems = result.problems
    before = len(problems)

    def cell(name: str) -> str:
        values = columns.get(name)
        return values[index].strip() if values is not None else ""

    site_id = cell("site_id")
    if not site_id:
        problems.append(
            error(
                "missing_value",
                f"Line {line}: no site_id. Give every audit its site (the inventory space_id, or the same short "
                "name on every visit to that place).",
                row=line,
                column="site_id",
            )
        )
    lat, lon = _number(latitudes[index]), _number(longitudes[index])
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        problems.append(
            error(
                "coordinates",
                f"Line {line}: the location {latitudes[index]!r} {longitudes[index]!r} is not a latitude and "
                "longitude in degrees (WGS 84). Record it with the form's location question or a GPS.",
                row=line,
                column="location",
                value=f"{latitudes[index]} {longitudes[index]}".strip(),
            )
        )
    date = _date(cell("audit_date"))
    if date is None:
        problems.append(
            error(
                "date",
                f"Line {line}: audit_date {cell('audit_date')!r} is not a date. Write it as YYYY-MM-DD.",
                row=line,
                column="audit_date",
                value=cell("audit_date"),
            )
        )
    elif date > today:
        problems.append(
            error(
                "future_date",
                f"Line {line}: audit_date {date.isoformat()} is in the future (today is {today.isoformat()}). "
                "Correct the date.",
                row=line,
                column="audit_date",
                value=cell("audit_date"),
            )
        )
    choices = {}
    for name in ("time_of_day", "auditor_group"):
        text = cell(name)
        if not text:
            if name == "time_of_day":
                problems.append(
                    error(
                        "missing_value",
                        f"Line {line}: no time_of_day. Write day or after_dark.",
                        row=line,
                        column=name,
                    )
                )
            choices[name] = None
            continue
        value = canonical_value(name, text)
        if value not in ALLOWED_VALUES[name]:
            problems.append(
                error(
                    "value_not_allowed",
                    f"Line {line}: {name} {text!r} is not one of {', '.join(ALLOWED_VALUES[name])}.",
                    row=line,
                    column=name,
                    value=text,
                )
            )
        choices[name] = value
    scores = {}
    for item in items:
        text = cell(item)
        if not text:
            scores[item] = None
        elif SCORE.match(text):
            scores[item] = int(float(text))
        else:
            problems.append(
                error(
                    "score",
                    f"Line {line}: {item} {text!r} is not a score 0, 1, 2 or 3 (leave it empty when not observed).",
                    row=line,
                    column=item,
                    value=text,
                )
            )
            scores[item] = None
    answered = sum(scores[p] is not None for p in safetipin_parameters())
    if answered < MIN_PARAMETERS_ANSWERED and len(problems) == before:
        problems.append(
            error(
                "too_few_scores",
                f"Line {line}: only {answered} of the nine parameters are scored; an audit needs at least "
                f"{MIN_PARAMETERS_ANSWERED}. Complete the audit or leave it out.",
                row=line,
            )
        )
    if len(problems) > before:
        return None
    audit_id = (ids[index].strip() if ids is not None else "") or f"line-{line}"
    return Audit(
        line,
        audit_id,
        site_id,
        cell("site_name") or None,
        lon,
        lat,
        date,
        choices["time_of_day"],
        choices["auditor_group"],
        scores,
    )


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except (ValueError, AttributeError):
        return None
    return value if np.isfinite(value) else None


def _date(text: str) -> dt.date | None:
    match = ISO_DATE.match(text)
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _check_inside(result: AuditSet, boundary, tolerance_m: float) -> None:
    points = result.projected_points()
    reach = shapely.buffer(boundary, tolerance_m)
    shapely.prepare(reach)
    inside = shapely.intersects(points, reach)
    for audit, point, is_inside in zip(result.audits, points, inside, strict=True):
        if not is_inside:
            distance = shapely.distance(point, boundary)
            result.problems.append(
                error(
                    "outside_city",
                    f"Line {audit.row}: audit {audit.audit_id!r} at {audit.lat:.6f}, {audit.lon:.6f} is "
                    f"{distance / 1000:,.1f} km outside the city boundary. Check the location (latitude and "
                    "longitude swapped?) or leave the audit out.",
                    row=audit.row,
                    column="location",
                    value=f"{audit.lat} {audit.lon}",
                )
            )
