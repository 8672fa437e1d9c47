"""The one way into public-space uploads for the `sps` command and the dashboard's Upload page: both call these
functions, so a file gets the same checks, report and storage whichever door it came in by.

    submit_space_upload(...)    a layer (boundary, districts, open-spaces, streets): token, every problem at once,
                                inbox or quarantine (pipelines/spaces/store.py)
    submit_audit_upload(...)    site safety audits (Kobo/ODK export or plain CSV/XLSX), the same way
    write_audit_form(out)       the XLSForm of the SPS site safety audit
    LayerMapping, KINDS, report_csv, summarise
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field

import shapely

from pipelines.errors import SpsError
from pipelines.settings import Settings
from pipelines.spaces import store
from pipelines.spaces.audit_form import write_audit_form
from pipelines.spaces.audits import check_audits
from pipelines.spaces.layers import LayerMapping, default_max_bytes
from pipelines.spaces.validate import check_layer
from pipelines.spaces.vocabulary import KINDS
from pipelines.uploads.inbox import report_csv
from pipelines.uploads.problems import Problem, error, summarise
from pipelines.uploads.submit import next_submission_time
from pipelines.uploads.tokens import CITY_CODE, verify_upload_token

__all__ = [
    "KINDS",
    "LayerMapping",
    "Problem",
    "SpaceUploadResult",
    "city_outline",
    "report_csv",
    "submit_audit_upload",
    "submit_space_upload",
    "summarise",
    "write_audit_form",
]
YEAR = re.compile(r"^\d{4}$")
SYNTHETIC = "[SYNTHETIC]"  # how example data names every feature and site (examples/spaces/generate.py)


def _is_synthetic(names: list[str | None]) -> bool:
    return bool(names) and all((n or "").startswith(SYNTHETIC) for n in names)


NEEDS_OUTLINE = ("open-spaces", "streets", store.AUDIT_KIND)


@dataclass
class SpaceUploadResult:
    accepted: bool
    submission_id: str
    kind: str
    problems: list[Problem] = field(default_factory=list)
    items: int = 0  # features or audits checked
    stored_at: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def city_outline(settings: Settings, city: str):
    """The city's boundary in EPSG:3035 from its accepted layers (the boundary, else the union of its districts),
    or None when it has sent neither."""
    for kind in ("boundary", "districts"):
        submission = store.latest(settings, city, kind)
        if submission is not None:
            return shapely.union_all(store.read_layer(submission).projected())
    return None


def _submission_id(city: str, kind: str, data: bytes, settings: Settings) -> tuple[str, dt.datetime, str]:
    sha = hashlib.sha256(data).hexdigest()
    now = next_submission_time(settings.data_dir)
    return f"{now:%Y%m%dT%H%M%S%fZ}-{city}-{kind}-{sha[:8]}", now, sha


def _no_outline(kind: str, city: str) -> Problem:
    what = "audits" if kind == store.AUDIT_KIND else f"a {kind} layer"
    return error(
        "no_boundary",
        f"{city} has no accepted boundary or districts yet, and {what} is checked against them. Upload the city "
        "boundary (sps space upload FILE --kind boundary) or its districts (--kind districts) first.",
    )


def _check_city(city: str) -> str:
    city = city.strip().upper()
    if not CITY_CODE.match(city):
        raise SpsError(f"'{city}' is not an Urban Audit city code like ES003C.")
    return city


def _store(result, settings, data, filename, normalised, metadata, problems) -> SpaceUploadResult:
    extension = store.safe_extension(filename)
    if result.accepted:
        result.stored_at = str(
            store.write_accepted(settings, result.submission_id, data, extension, normalised, result.kind, metadata)
        )
    else:
        metadata["problems"] = [p.as_dict() for p in problems]
        result.stored_at = str(
            store.write_rejected(settings, result.submission_id, data, extension, problems, metadata)
        )
    return result


def submit_space_upload(
    data: bytes,
    filename: str,
    city: str,
    token: str,
    kind: str,
    settings: Settings,
    *,
    mapping: LayerMapping | None = None,
    repair: bool = False,
    period: str | None = None,
    check_only: bool = False,
) -> SpaceUploadResult:
    """Check a layer and store it in the public-space inbox (or quarantine). Any error rejects the whole file."""
    if kind not in KINDS:
        raise SpsError(f"--kind {kind}: use one of {', '.join(KINDS)}.")
    city = _check_city(city)
    token_id = verify_upload_token(settings.data_dir, token, city)
    submission_id, now, sha = _submission_id(city, kind, data, settings)
    outline = city_outline(settings, city) if kind != "boundary" else None
    layer = check_layer(data, filename, kind, mapping, boundary=outline, repair=repair, max_bytes=default_max_bytes())
    problems = list(layer.problems)
    if outline is None and kind in NEEDS_OUTLINE:
        problems.insert(0, _no_outline(kind, city))
    period = period or str(now.year)
    if not YEAR.match(period) or int(period) > now.year:
        problems.append(error("period", f"--period {period}: give the inventory's year (YYYY, not in the future)."))
    accepted = not any(p.severity == "error" for p in problems)
    result = SpaceUploadResult(accepted, submission_id, kind, problems, len(layer.features))
    if check_only:
        return result
    metadata = {
        "submission_id": submission_id,
        "city_code": city,
        "kind": kind,
        "token_id": token_id,
        "uploaded_at": now.isoformat(),
        "original_filename": os.path.basename(filename.replace("\\", "/")),
        "sha256": sha,
        "format": layer.file_format,
        "mapping": mapping.as_dict() if mapping else None,
        "repair": repair,
        "period": period,
        "feature_count": len(layer.usable()),
        "is_synthetic": _is_synthetic([f.properties.get("name") for f in layer.features]),
        "warnings": [p.as_dict() for p in result.warnings],
    }
    normalised = store.layer_geojson(layer) if accepted else b""
    return _store(result, settings, data, filename, normalised, metadata, problems)


def submit_audit_upload(
    data: bytes, filename: str, city: str, token: str, settings: Settings, *, check_only: bool = False
) -> SpaceUploadResult:
    """Check site safety audits and store them in the public-space inbox (or quarantine)."""
    city = _check_city(city)
    token_id = verify_upload_token(settings.data_dir, token, city)
    submission_id, now, sha = _submission_id(city, store.AUDIT_KIND, data, settings)
    outline = city_outline(settings, city)
    audits = check_audits(data, filename, boundary=outline, today=now.date(), max_bytes=default_max_bytes())
    problems = list(audits.problems)
    if outline is None:
        problems.insert(0, _no_outline(store.AUDIT_KIND, city))
    accepted = not any(p.severity == "error" for p in problems)
    result = SpaceUploadResult(accepted, submission_id, store.AUDIT_KIND, problems, len(audits.audits))
    if check_only:
        return result
    metadata = {
        "submission_id": submission_id,
        "city_code": city,
        "kind": store.AUDIT_KIND,
        "token_id": token_id,
        "uploaded_at": now.isoformat(),
        "original_filename": os.path.basename(filename.replace("\\", "/")),
        "sha256": sha,
        "format": "audits",
        "form_version": audits.form_version,
        "audit_count": len(audits.audits),
        "is_synthetic": _is_synthetic([a.site_name for a in audits.audits]),
        "warnings": [p.as_dict() for p in result.warnings],
    }
    normalised = store.audits_csv(audits) if accepted else b""
    return _store(result, settings, data, filename, normalised, metadata, problems)
