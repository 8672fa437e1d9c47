"""Public-space submissions on disk, like city uploads (docs/adr/0008): an accepted file goes whole into
`data/public_space/inbox/<submission_id>/`, a rejected one into `data/public_space/quarantine/<submission_id>/` with
its report; folders are written under a temporary name and renamed, so a reader sees a whole submission or none.

    original.<ext>      the bytes the city sent
    metadata.json       who, when, which kind, mapping, period, warnings
    features.geojson    layers: the checked features with canonical properties (repaired shapes as repaired)
    audits.csv          audits: the checked audits in canonical columns

The refresh reads only the inbox (never the quarantine), so nothing of a rejected file can reach the warehouse.
What a city sent is sealed at rest with the vault (ADR 0021): the original file, and everything of a rejected one
(its report quotes cells); the checked features, audits and metadata the refresh reads stay plain. The store is a
kept path (pipelines/vault/kept.py): backed up and restored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from pipelines.settings import Settings
from pipelines.spaces.audits import Audit, AuditSet
from pipelines.spaces.layers import Feature, Layer
from pipelines.spaces.vocabulary import audit_items
from pipelines.uploads.inbox import report_csv, write_folder
from pipelines.uploads.problems import Problem

FOLDER = "public_space"
LAYER_FILE = "features.geojson"
AUDIT_FILE = "audits.csv"
METADATA_FILE = "metadata.json"
AUDIT_KIND = "audits"
EXTENSIONS = {"geojson", "json", "gpkg", "csv", "xlsx"}
AUDIT_COLUMNS = (
    "audit_id",
    "source_row",
    "site_id",
    "site_name",
    "lon",
    "lat",
    "audit_date",
    "time_of_day",
    "auditor_group",
)


def inbox_dir(settings: Settings) -> Path:
    return settings.data_dir / FOLDER / "inbox"


def quarantine_dir(settings: Settings) -> Path:
    return settings.data_dir / FOLDER / "quarantine"


def safe_extension(filename: str) -> str:
    """File names never become paths: only a known extension is kept from what the user sent."""
    name = Path(filename.replace("\\", "/")).name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return extension if extension in EXTENSIONS else "bin"


@dataclass(frozen=True)
class StoredSubmission:
    submission_id: str
    folder: Path
    metadata: dict

    @property
    def city(self) -> str:
        return self.metadata["city_code"]

    @property
    def kind(self) -> str:
        return self.metadata["kind"]

    @property
    def period(self) -> str:
        return str(self.metadata.get("period") or self.metadata["uploaded_at"][:4])


def accepted_submissions(settings: Settings, city: str | None = None, kind: str | None = None) -> list:
    """Every accepted public-space submission (oldest first; ids sort by upload time), optionally of one city and
    kind. Folders being written (`.<id>.tmp`) are not submissions."""
    folder = inbox_dir(settings)
    if not folder.is_dir():
        return []
    result = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        metadata = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
        if (city is None or metadata["city_code"] == city) and (kind is None or metadata["kind"] == kind):
            result.append(StoredSubmission(path.name, path, metadata))
    return result


def latest(settings: Settings, city: str, kind: str) -> StoredSubmission | None:
    found = accepted_submissions(settings, city, kind)
    return found[-1] if found else None


# ------------------------------------------------------------------------------------------------ writing
def layer_geojson(layer: Layer) -> bytes:
    """The checked features as GeoJSON: canonical properties, the feature's position and id in the file."""
    features = layer.usable()
    texts = shapely.to_geojson(np.array([f.geometry for f in features], dtype=object)) if features else []
    items = [
        {
            "type": "Feature",
            "properties": {**f.properties, "_feature_number": f.number, "_fid": f.fid, "_repaired": f.repaired},
            "geometry": json.loads(text),
        }
        for f, text in zip(features, texts, strict=True)
    ]
    return json.dumps({"type": "FeatureCollection", "features": items}).encode("utf-8")


def audits_csv(audits: AuditSet) -> bytes:
    items = [i.item for i in audit_items()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*AUDIT_COLUMNS, *items, "form_version"])
    for a in audits.audits:
        writer.writerow(
            [
                a.audit_id,
                a.row,
                a.site_id,
                a.site_name or "",
                repr(a.lon),
                repr(a.lat),
                a.date.isoformat(),
                a.time_of_day,
                a.auditor_group or "",
                *["" if a.scores[i] is None else a.scores[i] for i in items],
                audits.form_version or "",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def write_accepted(
    settings: Settings,
    submission_id: str,
    original: bytes,
    extension: str,
    normalised: bytes,
    kind: str,
    metadata: dict,
) -> Path:
    return write_folder(
        inbox_dir(settings),
        submission_id,
        {
            f"original.{extension}": original,
            AUDIT_FILE if kind == AUDIT_KIND else LAYER_FILE: normalised,
            METADATA_FILE: json.dumps(metadata, indent=2, default=str).encode("utf-8"),
        },
        sealed=lambda name: name.startswith("original."),
    )


def write_rejected(
    settings: Settings, submission_id: str, original: bytes, extension: str, problems: list[Problem], metadata: dict
) -> Path:
    return write_folder(
        quarantine_dir(settings),
        submission_id,
        {
            f"original.{extension}": original,
            "report.csv": report_csv(problems).encode("utf-8"),
            METADATA_FILE: json.dumps(metadata, indent=2, default=str).encode("utf-8"),
        },
    )


# ------------------------------------------------------------------------------------------------ reading back
def read_layer(submission: StoredSubmission) -> Layer:
    """An accepted layer as it was checked (the stored features, canonical properties)."""
    document = json.loads((submission.folder / LAYER_FILE).read_text(encoding="utf-8"))
    layer = Layer(submission.kind, "geojson")
    for item in document["features"]:
        properties = dict(item["properties"])
        number = int(properties.pop("_feature_number"))
        fid = properties.pop("_fid")
        repaired = bool(properties.pop("_repaired", False))
        layer.features.append(
            Feature(number, fid, properties, shapely.geometry.shape(item["geometry"]), repaired=repaired)
        )
    return layer


def read_audits(submission: StoredSubmission) -> AuditSet:
    items = [i.item for i in audit_items()]
    result = AuditSet()
    versions = set()
    with open(submission.folder / AUDIT_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            result.audits.append(
                Audit(
                    int(row["source_row"]),
                    row["audit_id"],
                    row["site_id"],
                    row["site_name"] or None,
                    float(row["lon"]),
                    float(row["lat"]),
                    dt.date.fromisoformat(row["audit_date"]),
                    row["time_of_day"],
                    row["auditor_group"] or None,
                    {i: None if row[i] == "" else int(row[i]) for i in items},
                )
            )
            versions.add(row["form_version"])
    if len(versions) == 1 and "" not in versions:
        result.form_version = versions.pop()
    return result
