"""The city safety survey kit (issue 18): the SPS core questionnaire (`sps_core_v1`) as an XLSForm, reading and
checking a city's survey microdata, and design-based estimates of the core indicators with R-identical standard
errors and intervals. Microdata never leave this package's private store; only estimates do.

Modules, bottom up: `core` (the comparability contract: variables, codes, indicator definitions), `labels` (the
form's translations, `labels.csv`), `form` (the XLSForm), `read` (files to text columns), `design` (design.yml,
margins, raking), `validate` (every problem at once), `estimate` (svy: Taylor linearisation, logit intervals,
reliability rules), `check` (the one entry point for a file: read, validate, weight, estimate)."""
