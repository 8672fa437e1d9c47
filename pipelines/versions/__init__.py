"""The published-version store (pipelines/versions/store.py): the one module readers need."""
