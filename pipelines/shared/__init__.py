"""Leaf helpers that two domains need and neither owns: the Great Expectations context (upload validation and
the warehouse's observation check) and spreadsheet-safe cells (the inbox, exports and dashboard downloads).
Nothing here imports another package of pipelines/ except settings and errors."""
