"""The secretariat's drop folder for bulk loads: `data/dropbox/<CITY>/<file>` (CSV or XLSX), with an
optional `<file>.mapping.yml` beside an Open SDG file. Only the secretariat can write there, so the folder
stands in for a token. Each file goes through the same check as an upload and lands in the inbox or in
quarantine (with its report); the dropped copy is then removed, the original bytes being kept there."""

from __future__ import annotations

from pathlib import Path

from pipelines.settings import Settings
from pipelines.uploads.formats import Mapping
from pipelines.uploads.submit import UploadResult, store_submission
from pipelines.uploads.tokens import CITY_CODE

DROPBOX_TOKEN_ID = "secretariat-dropbox"


def dropbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "dropbox"


def pending_drops(settings: Settings) -> list[tuple[str, Path]]:
    root = dropbox_dir(settings)
    drops = []
    if not root.is_dir():
        return drops
    for city_dir in sorted(p for p in root.iterdir() if p.is_dir() and CITY_CODE.match(p.name)):
        for path in sorted(city_dir.iterdir()):
            if path.is_file() and not path.name.startswith(".") and not path.name.endswith((".yml", ".yaml")):
                drops.append((city_dir.name, path))
    return drops


def process_drop_folder(settings: Settings) -> list[UploadResult]:
    results = []
    for city, path in pending_drops(settings):
        mapping_path = path.with_name(path.name + ".mapping.yml")
        mapping = Mapping.from_yaml(mapping_path) if mapping_path.exists() else None
        result = store_submission(path.read_bytes(), path.name, city, DROPBOX_TOKEN_ID, mapping, settings)
        path.unlink()  # stored whole in the inbox or quarantine first (atomic rename), so nothing is lost
        mapping_path.unlink(missing_ok=True)
        results.append(result)
    return results
