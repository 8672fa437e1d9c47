"""A total outage, with the default network settings (SPS_HTTP_TIMEOUT 10 s, 3 attempts, SPS_HTTP_BUDGET 60 s):
every live source of the catalogue, and the table of contents, fail within 20 s in all, each with the whole reason,
whether the host refuses connections or swallows them (a black hole: a listening socket whose queue is full, so
connects get no answer). Everything on 127.0.0.1."""

from __future__ import annotations

import socket
import time
from contextlib import contextmanager

import pytest

from pipelines.settings import load_settings
from pipelines.sources import acquire as acquire_module
from pipelines.sources import live
from pipelines.sources.acquire import acquire
from pipelines.sources.catalog import load_catalog

OUTAGE_LIMIT_S = 20.0  # the bound for a total outage (the figures are ~1.5 s refused, ~5 s black hole)


@contextmanager
def refusing():
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextmanager
def black_hole():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the accept queue: further SYNs are dropped, connects hang until their timeout
        client = socket.socket()
        client.setblocking(False)
        try:
            client.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(client)
    time.sleep(0.3)
    try:
        yield port
    finally:
        for client in fillers:
            client.close()
        server.close()


@pytest.mark.slow
@pytest.mark.parametrize("network", [refusing, black_hole], ids=["refused", "black hole"])
def test_a_total_outage_fails_every_source_within_20_seconds_with_the_whole_reason(network, tmp_path, monkeypatch):
    for name in ("SPS_HTTP_TIMEOUT", "SPS_HTTP_RETRIES", "SPS_HTTP_BUDGET"):
        monkeypatch.delenv(name, raising=False)  # the defaults, as `make run` uses them
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("SPS_MODE", "live")
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPS_SNAPSHOT_DIR", str(tmp_path / "snapshot"))
    live_specs = [spec for spec in load_catalog() if spec.live != "none"]
    with network() as port:
        monkeypatch.setenv("SPS_EUROSTAT_API", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("SPS_GISCO_API", f"http://127.0.0.1:{port}/gisco")
        settings = load_settings()
        assert (settings.http_timeout_s, settings.http_retries, settings.http_budget_s) == (10.0, 3, 60.0)
        acquire_module._TOC_CACHE.clear()
        live.forget_unreachable_hosts()
        started = time.monotonic()
        outcomes = [acquire(spec, settings) for spec in live_specs]
        elapsed = time.monotonic() - started
    live.forget_unreachable_hosts()
    assert len(live_specs) >= 10 and all(outcome.download_failed for outcome in outcomes)
    assert elapsed < OUTAGE_LIMIT_S, f"a total outage took {elapsed:.1f}s"
    reason = outcomes[0].warning
    assert f"cannot connect to 127.0.0.1:{port}" in reason and "object at 0x" not in reason
    assert ("Connection refused" if network is refusing else "connect timeout") in reason
    assert reason.endswith("compressed=true)")  # whole: the URL at its end is still there
