"""The dbt project as Dagster sees it. Kept in its own module: `@dbt_assets` reads the manifest at import
time, and `dagster-dbt project prepare-and-package --file pipelines/warehouse/project.py` must import this alone."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.settings import DBT_PROJECT_DIR

# prepare_if_dev() runs `dbt parse` through a DbtCliResource that looks for `dbt` on PATH; put this
# interpreter's environment first so `.venv/bin/dagster dev` works without an activated venv.
_venv_bin = str(Path(sys.prefix) / "bin")
if _venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _venv_bin + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
