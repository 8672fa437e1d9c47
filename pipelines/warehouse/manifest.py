"""Keep dbt's manifest in step with the project: `@dbt_assets` reads it when the code location loads."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipelines.errors import SpsError
from pipelines.settings import DBT_PROJECT_DIR, SEEDS_DIR, dbt_executable

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def _newest_input_mtime() -> float:
    inputs = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in (
        DBT_PROJECT_DIR / "models",
        DBT_PROJECT_DIR / "macros",
        DBT_PROJECT_DIR / "tests",
        SEEDS_DIR,
    ):
        inputs.extend(p for p in folder.rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in inputs if p.exists())


def ensure_manifest() -> Path:
    if MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_input_mtime():
        return MANIFEST
    completed = subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=DBT_PROJECT_DIR,
    )
    if completed.returncode != 0 or not MANIFEST.exists():
        detail = (completed.stdout + completed.stderr).strip().splitlines()[-3:]
        raise SpsError(f"dbt parse failed: {' / '.join(detail)}")
    return Path(MANIFEST)
