"""Eurostat live errors, as the refresh sees them (pipelines/sources/acquire.py): a failed download is a failed
source, with the whole reason, and the copy an earlier download left in the snapshot folder is neither read in
its place nor touched. Against the local fake Eurostat of tests/unit/sources/test_live.py (127.0.0.1 only;
SPS_HTTP_BUDGET=2 s, 3 attempts). The retries, back-off and budget of each fault are asserted in test_live.py."""

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
REASONS = {"500": "HTTP 500", "404": "404 not found", "timeout (hang)": "budget 2s", "slow drip": "budget 2s"}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_download_is_a_failed_source_and_the_snapshot_copy_is_left_alone(settings, server, fault):  # noqa: F811
    acquire_module._TOC_CACHE.clear()
    planted = plant_good_snapshot(settings)
    server.script(DATA_PATH, *FAULTS[fault])
    acquired = acquire(SPEC, settings)
    assert acquired.download_failed and acquired.path is None and acquired.origin == "download_failed"
    assert REASONS[fault] in acquired.warning
    assert acquired.warning.endswith(f"({server.url}/sdmx/2.1/data/tst_crime?format=TSV&compressed=true)")
    assert target_of(settings).read_bytes() == planted[0]  # the good copy, untouched by the failed download


def test_a_refused_connection_names_the_host_and_is_not_retried_by_the_next_source(settings, server):  # noqa: F811
    import socket
    import time
    from dataclasses import replace

    from pipelines.sources import live

    acquire_module._TOC_CACHE.clear()
    live.forget_unreachable_hosts()
    with socket.socket() as sock:  # a port nothing listens on: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = replace(settings, eurostat_api=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    first = acquire(SPEC, down)
    second = acquire(SPEC, down)
    assert time.monotonic() - started < 5
    assert first.download_failed and f"cannot connect to 127.0.0.1:{port}" in first.warning
    assert "Connection refused" in first.warning and "object at 0x" not in first.warning
    assert "already unreachable in this run; not retried" in second.warning
    live.forget_unreachable_hosts()
