"""`sps serve` owns its server: it becomes Streamlit (same process id), so stopping it by its id, as systemd or
`kill` do, stops the server and frees the port; no child is left holding it."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request

import psutil
import pytest

from tests.conftest import PROJECT_ROOT, SPS, sps_env

CEILING_S = 120  # a wait that reaches this has failed; not a performance assertion


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_pids(port: int) -> set[int]:
    return {
        conn.pid
        for conn in psutil.net_connections(kind="tcp")
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid
    }


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_sps_serve_by_its_id_stops_the_server_and_frees_the_port(tmp_path, stop):
    published = tmp_path / "data" / "published"
    published.mkdir(parents=True)
    (published / "20260101T000000000000Z.duckdb").write_bytes(b"")  # serve only checks that a version exists
    (published / "CURRENT").write_text("20260101T000000000000Z.duckdb\n")
    port = _free_port()
    out = tmp_path / "serve.out"
    with open(out, "w") as log:
        process = subprocess.Popen(
            [SPS, "serve", "--port", str(port)],
            env=sps_env(tmp_path / "data"),
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + CEILING_S
        # started: listening and answering its health check. Once in CI on a loaded machine the server was still
        # running 120 s after the signal, sent as soon as the port listened; the cause is not known, so the signal
        # now goes to a server that has finished starting, and a failure prints the server's own output.
        while not (_listening_pids(port) and _healthy(port)):
            assert process.poll() is None, out.read_text()
            assert time.monotonic() < deadline, f"the dashboard did not start:\n{out.read_text()}"
            time.sleep(0.2)
        # The process listening is the one started as `sps serve`: there is no child to outlive it.
        assert _listening_pids(port) == {process.pid}
        assert psutil.Process(process.pid).children(recursive=True) == []
        # no forced full garbage collection after every script run: a third of the server's CPU with ten sessions
        # (benchmarks/results/2026-12-04-round-2.md, late session)
        command = psutil.Process(process.pid).cmdline()
        assert command[command.index("--runner.postScriptGC") + 1] == "false"
        process.send_signal(stop)
        try:
            process.wait(timeout=CEILING_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"sps serve was still running {CEILING_S} s after {stop.name}:\n{out.read_text()[-3000:]}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 30
    while not _port_is_free(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _port_is_free(port) and not _listening_pids(port)
    assert "dashboard on http://127.0.0.1:" in out.read_text()
