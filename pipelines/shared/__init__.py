"""Leaf helpers that two domains need and neither owns: the Great Expectations context (upload validation and
the warehouse's observation check), spreadsheet-safe cells (the inbox, exports and dashboard downloads) and the
garbage collector's settings of the long-running processes (`sps serve`, `sps watch`).
Nothing here imports another package of pipelines/ except settings and errors."""
