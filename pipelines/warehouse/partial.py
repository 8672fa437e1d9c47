"""Partial rebuilds of the largest marts when a refresh loads only what cities send (issue 21; docs/adr/0029-...).

The trigger that plans a refresh (`sps refresh`, `sps watch`, the schedules and sensors:
pipelines/operations/selection.py `uploads_only_tags`) tags a run whose changed inputs are all city inputs; the dbt
step then passes dbt the variable `sps_uploads_only`, and the marts configured with `partial_rebuild` replace only
the rows a city's input can change (dbt_project/macros/partial_rebuild.sql). A run without the tag (a full rebuild,
a Eurostat or snapshot source, a run started by hand in Dagster's UI) rebuilds them whole. Kept apart from
dbt_assets.py, which reads dbt's manifest when imported."""

UPLOADS_ONLY_TAG = "sps/uploads-only"


def dbt_args_for(run_tags: dict[str, str]) -> list[str]:
    """The dbt arguments a run's tags ask for: `--vars` with `sps_uploads_only` when the run is tagged."""
    return ["--vars", '{"sps_uploads_only": true}'] if run_tags.get(UPLOADS_ONLY_TAG) == "true" else []
