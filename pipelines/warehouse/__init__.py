"""The warehouse file and what builds it: the raw layer's load register (raw.py), the dbt project object
(project.py), the dbt models as Dagster assets (dbt_assets.py), keeping dbt's manifest current (manifest.py) and the
Great Expectations check on the observations (checks.py)."""
