"""Concurrent dashboard sessions against the real `sps serve` process (issue 21, target 4).

    python -m benchmarks.sessions --data-dir DIR [--sessions 10] [--interactions 24]

Starts `sps serve` on a free port (the product's own command: Streamlit's server, its script cache, its
st.cache_data), then opens SESSIONS browser-less sessions at the same time. Each one talks to the server the way
the dashboard's JavaScript client does: a websocket to /_stcore/stream (subprotocol `streamlit`, the page's
Origin), BackMsg protobufs out, ForwardMsg protobufs in. An interaction is one `rerun_script` BackMsg (a page and
its URL state: another indicator on Compare cities and on the map, another city's profile, another page) and ends
when the server's `script_finished` message arrives; its time is measured at the client, so it includes the
server's whole work for that rerun and the websocket. Each session walks the pages in its own order, so the
sessions ask for different things at the same time. An error is a script that does not finish successfully, an
exception element in the page, a closed socket or a rerun that takes more than 60 s.

Locust is installed, but it speaks HTTP; the dashboard's interactions go over the websocket, so this drives the
websocket directly with the `websockets` client and Streamlit's own protobuf classes. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.server import start_server

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SPS = str(Path(sys.executable).with_name("sps"))
RERUN_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _p95(values: list[float]) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))] if ordered else None


def _stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(_p95(values) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def interactions(data_dir: Path) -> list[tuple[str, str, str]]:
    """(label, page url path, query string): what people click, with values of the published version."""
    current = (data_dir / "published" / "CURRENT").read_text().strip()
    from pipelines.versions.store import open_version

    with open_version(data_dir / "published" / current) as conn:
        indicators = [
            row[0]
            for row in conn.execute(
                "select indicator_code from fct_observations where source_type = 'survey' group by 1 "
                "order by count(*) desc limit 6"
            ).fetchall()
        ]
        cities = [
            row[0]
            for row in conn.execute(
                "select geo_code from fct_observations where geo_level = 'city' and geo_code not like '%-SYN%' "
                "group by 1 order by count(*) desc limit 6"
            ).fetchall()
        ]
    steps = [("first page", "", "")]
    for indicator in indicators:
        steps.append(("compare: another indicator", "", f"indicator={indicator}"))
        steps.append(("map: another indicator", "map", f"indicator={indicator}"))
    for city in cities:
        steps.append(("city profile: another city", "city", f"city={city}"))
    for page in ("perception-crime", "methodology", "quality", "downloads", "upload"):
        steps.append((f"page: {page}", page, ""))
    return steps


async def _rerun(ws, page: str, query: str) -> tuple[float, str | None]:
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    t0 = time.perf_counter()
    await ws.send(msg.SerializeToString())
    error = None
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=RERUN_TIMEOUT_S)
        forward = ForwardMsg()
        forward.ParseFromString(raw)
        kind = forward.WhichOneof("type")
        if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
            if forward.delta.new_element.WhichOneof("type") == "exception":
                error = error or f"exception: {forward.delta.new_element.exception.message[:200]}"
        elif kind == "script_finished":
            status = forward.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue
            if status != ForwardMsg.FINISHED_SUCCESSFULLY:
                error = error or f"script finished with status {status}"
            return time.perf_counter() - t0, error


async def session(port: int, steps: list, offset: int, rounds: int, results: list, errors: list) -> None:
    url = f"ws://127.0.0.1:{port}/_stcore/stream"
    origin = f"http://127.0.0.1:{port}"
    order = steps[offset % len(steps) :] + steps[: offset % len(steps)]
    try:
        async with websockets.connect(
            url, subprotocols=["streamlit"], origin=origin, max_size=None, open_timeout=30
        ) as ws:
            done = 0
            while done < rounds:
                for label, page, query in order:
                    if done >= rounds:
                        break
                    seconds, error = await _rerun(ws, page, query)
                    done += 1
                    results.append((label, seconds))
                    if error:
                        errors.append(f"{label} ({page}?{query}): {error}")
    except (OSError, TimeoutError, websockets.WebSocketException) as failure:
        errors.append(f"session {offset}: {type(failure).__name__}: {failure}")


async def drive(port: int, steps: list, sessions: int, rounds: int) -> tuple[list, list, float]:
    results: list = []
    errors: list = []
    t0 = time.perf_counter()
    await asyncio.gather(
        *(session(port, steps, i * 3, rounds, results, errors) for i in range(sessions)),
    )
    return results, errors, time.perf_counter() - t0


def run(data_dir: Path, sessions: int, rounds: int) -> dict:
    steps = interactions(data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_HOME")}
    env.update({"SPS_DATA_DIR": str(data_dir), "DO_NOT_TRACK": "1"})
    port = _free_port()
    server = start_server(env, port)
    peak = 0
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("sps serve did not start")
            time.sleep(0.1)
        # one warm-up session alone: the first run of each page (imports, script compilation, the first
        # connection to the published version) is the server's start-up, reported apart
        warm, warm_errors, _ = asyncio.run(drive(port, steps, 1, len(steps)))
        results, errors, wall = asyncio.run(drive(port, steps, sessions, rounds))
        try:
            tree = psutil.Process(server.pid)
            peak = tree.memory_info().rss + sum(c.memory_info().rss for c in tree.children(recursive=True))
        except psutil.Error:
            pass
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server we started, and only its own process group
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    by_label: dict[str, list[float]] = {}
    for label, seconds in results:
        by_label.setdefault(label, []).append(seconds)
    overall = _stats([s for _, s in results])
    return {
        "sessions": sessions,
        "interactions_per_session": rounds,
        "interactions": overall,
        "by_interaction": {label: _stats(values) for label, values in sorted(by_label.items())},
        "warm_up_single_session": _stats([s for _, s in warm]),
        "warm_up_errors": warm_errors[:5],
        "errors": len(errors),
        "error_examples": errors[:5],
        "wall_s": round(wall, 2),
        "server_rss_mb_after": round(peak / 1e6, 1),
        "met": overall.get("p95_ms") is not None and overall["p95_ms"] <= 250 and not errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--interactions", type=int, default=24, help="interactions per session")
    args = parser.parse_args(argv)
    print(json.dumps(run(Path(args.data_dir).resolve(), args.sessions, args.interactions)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
