"""Start the real dashboard server (`sps serve`) for a benchmark: its own process group, output discarded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SPS = str(Path(sys.executable).with_name("sps"))


def start_server(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [SPS, "serve", "--port", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
