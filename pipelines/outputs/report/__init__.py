"""The city report: a self-contained HTML annex for a Voluntary Local Review, built from the published version."""
