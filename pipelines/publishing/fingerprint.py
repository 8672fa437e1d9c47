"""The fingerprint of a published version's inputs, recorded in `_publication.inputs_json`:

    code                     sha256 of the dbt models, macros, seeds and the source catalogue
    raw/<dataset>            the sha256 (and Eurostat last-update date) of the file the warehouse last loaded
    raw/city_submissions     the sorted ids of the inbox submissions loaded
    raw/city_surveys         the sorted ids of the city surveys loaded, and of the withdrawals loaded
    raw/public_space         the sorted ids of the public-space and audit submissions loaded

`plan.py` compares it with what is on disk now; `publish.py` records it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from pipelines.settings import DBT_PROJECT_DIR, PROJECT_ROOT, SEEDS_DIR
from pipelines.sources.catalog import load_catalog
from pipelines.sources.files import sha256_of
from pipelines.spaces.load import loaded_public_space_ids
from pipelines.surveys.loader import loaded_survey_ids
from pipelines.uploads.inbox_loader import loaded_submission_ids
from pipelines.versions.connection import connect_version

CODE = "code"
CITY_SUBMISSIONS = "raw/city_submissions"
CITY_SURVEYS = "raw/city_surveys"
PUBLIC_SPACE = "raw/public_space"
MISSING = "missing"
_CODE_GLOBS = (
    (DBT_PROJECT_DIR, ("models/**/*.sql", "models/**/*.yml", "macros/**/*.sql", "tests/**/*.sql", "*.yml")),
    (SEEDS_DIR, ("*.csv", "*.yml")),
    (PROJECT_ROOT / "pipelines" / "sources", ("catalog.yaml",)),
)


def code_fingerprint() -> str:
    """One hash over everything that shapes the marts besides the data (a model edit means a full rebuild)."""
    digest = hashlib.sha256()
    for root, patterns in _CODE_GLOBS:
        files = sorted({path for pattern in patterns for path in root.glob(pattern) if path.is_file()})
        for path in files:
            if "target" in path.relative_to(root).parts[:1]:
                continue
            digest.update(f"{path.relative_to(PROJECT_ROOT).as_posix()}\0{sha256_of(path)}\n".encode())
    return digest.hexdigest()


def _ids_fingerprint(ids: list[str] | set[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


# ------------------------------------------------------------------------------ what the warehouse loaded
def loaded_fingerprint(conn: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """The fingerprint of what the warehouse holds now (called by publish, recorded in the published file)."""
    latest = {}
    has_loads = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = '_loads' "
        "and table_catalog = current_database()"
    ).fetchall()[0][0]
    if has_loads:
        for dataset, sha, last_update in conn.execute(
            "select dataset, source_sha256, source_last_update from raw._loads "
            "qualify row_number() over (partition by dataset order by load_id desc) = 1"
        ).fetchall():
            latest[dataset] = {"sha256": sha, "last_update": last_update}
    inputs: dict[str, dict] = {CODE: {"sha256": code_fingerprint()}}
    for spec in load_catalog():
        inputs[f"raw/{spec.code}"] = latest.get(spec.code, {"sha256": MISSING, "last_update": None})
    loaded = sorted(loaded_submission_ids(conn))
    inputs[CITY_SUBMISSIONS] = {"sha256": _ids_fingerprint(loaded), "ids": loaded}
    surveys = loaded_survey_ids(conn)
    keys = [*surveys["submissions"], *(f"withdrawn:{s}" for s in surveys["withdrawn"])]
    inputs[CITY_SURVEYS] = {"sha256": _ids_fingerprint(keys), **surveys}
    spaces = sorted(loaded_public_space_ids(conn))
    inputs[PUBLIC_SPACE] = {"sha256": _ids_fingerprint(spaces), "ids": spaces}
    return inputs


def published_fingerprint(published_file: Path) -> tuple[str, dict[str, dict] | None]:
    with connect_version(published_file) as conn:
        columns = {row[0] for row in conn.execute("select column_name from (describe _publication)").fetchall()}
        select = "version, inputs_json" if "inputs_json" in columns else "version, null"
        version, inputs_json = conn.execute(f"select {select} from _publication").fetchall()[0]
    return version, (json.loads(inputs_json) if inputs_json else None)
