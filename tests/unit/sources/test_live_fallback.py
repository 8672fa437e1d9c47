"""Eurostat live errors end in the snapshot copy with a staleness warning (pipelines/sources/acquire.py), against
the local fake Eurostat of tests/unit/test_live.py (127.0.0.1 only; SPS_HTTP_BUDGET=2 s, 3 attempts). The
retries, back-off and budget of each fault are asserted in test_live.py; here, what the refresh then uses."""

from __future__ import annotations

import pytest

from pipelines.sources import acquire as acquire_module
from pipelines.sources.acquire import acquire
from tests.unit.sources.test_live import (  # noqa: F401 - fixtures used by name
    DATA_PATH,
    SPEC,
    only_localhost,
    plant_good_snapshot,
    server,
    settings,
    target_of,
)

FAULTS = {"500": ["500"] * 4, "404": ["404"], "timeout (hang)": ["hang"] * 4, "slow drip": ["drip"] * 4}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_download_falls_back_to_the_snapshot_copy_with_a_staleness_warning(settings, server, fault):  # noqa: F811
    acquire_module._TOC_CACHE.clear()
    planted = plant_good_snapshot(settings)
    server.script(DATA_PATH, *FAULTS[fault])
    acquired = acquire(SPEC, settings)
    assert acquired.origin == "live_fallback" and acquired.path == target_of(settings)
    assert acquired.path.read_bytes() == planted[0]  # the good copy, untouched by the failed download
    assert acquired.source_last_update == "01.01.2024"
    assert acquired.warning.startswith(f"download of {server.url}/sdmx/2.1/data/tst_crime")
    assert acquired.warning.endswith("Using the snapshot copy fetched at 2024-01-01T00:00:00+00:00; it may be stale.")


def test_without_a_snapshot_copy_the_dataset_is_reported_missing_not_invented(settings, server):  # noqa: F811
    acquire_module._TOC_CACHE.clear()
    server.script(DATA_PATH, "500", "500", "500")
    acquired = acquire(SPEC, settings)
    assert (acquired.path, acquired.origin) == (None, "missing") and "HTTP 500" in acquired.warning
