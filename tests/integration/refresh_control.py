"""Helpers for the fault and concurrency tests: a private copy of a refreshed data folder, the real
`sps refresh` started as a subprocess in its own process group, waits on observable signs (never on time),
and a SIGKILL that reaches every process of the refresh (dbt included)."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psutil
import pytest

from pipelines.versions.connection import connect_version, search_published_folder
from tests.conftest import PROJECT_ROOT, SPS, mirror_snapshot, sps_env

CEILING_S = 300  # a wait that reaches this has failed; it is not a performance assertion


@dataclass(frozen=True)
class PublishedState:
    """What an analyst can observe of the published version: pointer, bytes, versions kept, contents."""

    pointer: str
    file_sha: str
    versions: tuple[str, ...]
    version: str
    observations: int


def published_state(data: Path) -> PublishedState:
    published = data / "published"
    pointer = (published / "CURRENT").read_text()
    path = published / pointer.strip()
    with connect_version(str(path)) as conn:
        version = conn.execute("select version from _publication").fetchall()[0][0]
        observations = conn.execute("select count(*) from fct_observations").fetchall()[0][0]
    versions = tuple(sorted(p.name for p in published.glob("*.duckdb")))
    return PublishedState(pointer, hashlib.sha256(path.read_bytes()).hexdigest(), versions, version, observations)


def temporary_files(data: Path) -> list[str]:
    return sorted(p.name for p in (data / "published").iterdir() if p.name.startswith("."))


def copy_baseline(refreshed_data_dir: Path, snapshot_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the session's refreshed data folder, and a snapshot of symlinks to the real files."""
    data, snap = tmp_path / "data", tmp_path / "snapshot"
    shutil.copytree(refreshed_data_dir, data, symlinks=True)
    mirror_snapshot(snapshot_dir, snap)
    return data, snap


def start_refresh(data: Path, snap: Path, out: Path, **extra: str) -> subprocess.Popen:
    env = sps_env(data, snap, PYTHONUNBUFFERED="1", **extra)
    with open(out, "w") as log:  # a file, not a pipe: an unread pipe could fill and block the refresh
        return subprocess.Popen(
            [SPS, "refresh"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill reaches dbt too
        )


def wait_until(condition, process: subprocess.Popen, out: Path, what: str) -> None:
    deadline = time.monotonic() + CEILING_S
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the refresh ended (rc {process.returncode}) before {what}:\n{out.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            kill_group(process)
            pytest.fail(f"{what} was not observed:\n{out.read_text()[-3000:]}")
        time.sleep(0.05)


def finish(process: subprocess.Popen, out: Path) -> str:
    try:
        process.wait(timeout=CEILING_S)
    except subprocess.TimeoutExpired:
        kill_group(process)
        pytest.fail(f"the refresh did not end:\n{out.read_text()[-3000:]}")
    text = out.read_text()
    assert process.returncode == 0, text[-3000:]
    return text


def kill_group(process: subprocess.Popen) -> None:
    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_alive(group), "a process of the killed refresh survived"


def _group_alive(group: int) -> bool:
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == group and process.status() != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False


def marts_connection(refreshed_data_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse whose `marts` schema holds the tables of the session's published version, for
    calling publish_marts directly (the tables publish itself writes are left out)."""
    conn = duckdb.connect()
    source = refreshed_data_dir / "published" / (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    search_published_folder(conn, source.parent)  # its views name their table files relative to that folder
    conn.execute(f"attach '{source}' as src (read_only)")
    conn.execute("create schema marts")
    tables = conn.execute(
        "select table_name from information_schema.tables where table_catalog = 'src' "
        "and not starts_with(table_name, '_') and table_name != 'revisions'"
    ).fetchall()
    for (table,) in tables:
        conn.execute(f'create table marts."{table}" as select * from src."{table}"')
    return conn
