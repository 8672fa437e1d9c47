"""Public space assessment (issue 20): a city's public-space layers (boundary, districts, open spaces, streets)
and site safety audits, checked, and turned into SDG 11.7.1 and audit indicators for the warehouse."""
