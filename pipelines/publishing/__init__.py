"""Turning a finished build into what readers see: the fingerprint of a version's inputs (fingerprint.py), the refresh
plan that compares it with what is on disk (plan.py), publishing a new version with its revisions (publish.py), its
health report (health.py) and the publish step as Dagster assets (assets.py)."""
