"""The dbt project as Dagster sees it. Kept in its own module: `@dbt_assets` reads the manifest at import
time, and `dagster-dbt project prepare-and-package --file pipelines/project.py` must import this alone."""

from dagster_dbt import DbtProject

from pipelines.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
