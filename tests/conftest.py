"""Shared fixtures. The integration fixtures run the real `sps refresh` on the real snapshot
(SPS_SNAPSHOT_DIR, ../shared/data in CI) into temporary data folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.versions.connection import connect_version

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SPS = str(Path(sys.executable).with_name("sps"))

# The vault's key file for the whole test session (and the `sps` processes it starts): outside every data folder,
# made on first use, never the user's own ~/.config/sps-monitor/vault.key. Parallel workers (pytest-xdist, `make
# test`) share one: a data folder one worker refreshed is read by the others (the key file is made under a lock).
if not os.environ.get("SPS_VAULT_KEY_FILE") and not os.environ.get("SPS_VAULT_KEY"):
    import tempfile

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run:
        folder = Path(tempfile.gettempdir()) / f"sps-test-vault-{run}"
        folder.mkdir(mode=0o700, exist_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="sps-test-vault-"))
    os.environ["SPS_VAULT_KEY_FILE"] = str(folder / "vault.key")

# Refreshes run inside a test process validate with Great Expectations there (that process imports GX for its other
# tests anyway); the `sps` processes tests start (sps_env drops SPS_* variables) and tests/unit/shared/test_gx_worker.py
# use the worker process as a refresh does (docs/adr/0027).
os.environ.setdefault("SPS_GX_IN_PROCESS", "1")


def real_snapshot_dir() -> Path:
    value = os.environ.get("SPS_SNAPSHOT_DIR")
    if not value or not (Path(value) / "eurostat" / "urb_percep.tsv").exists():
        reason = "SPS_SNAPSHOT_DIR does not point at the real data snapshot (make test sets ../shared/data)"
        if os.environ.get("CI"):
            pytest.fail(reason)  # in CI a missing snapshot is an error, never a silent skip
        pytest.skip(reason)
    return Path(value).resolve()


def sps_env(data_dir: Path, snapshot_dir: Path | None = None, **extra: str) -> dict[str, str]:
    keep = ("SPS_VAULT_KEY_FILE",)  # the session's vault key (above), unless a test passes its own
    env = {k: v for k, v in os.environ.items() if k in keep or not k.startswith(("SPS_", "DAGSTER_HOME"))}
    env.update({"SPS_DATA_DIR": str(data_dir), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"})
    if snapshot_dir is not None:
        env["SPS_SNAPSHOT_DIR"] = str(snapshot_dir)
    env.update(extra)
    return env


def run_sps(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([SPS, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)


def refused_in_one_line(tmp_path, variable: str, value: str) -> str:
    """`sps refresh` with a setting it cannot use: its one-line message; nothing was run or written."""
    result = run_sps(["refresh"], sps_env(tmp_path / "data", tmp_path / "snapshot", **{variable: value}))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.count("\n") == 0 and variable in message, message
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()
    return message


@pytest.fixture(scope="session")
def code_location(tmp_path_factory: pytest.TempPathFactory):
    """The Dagster code location (`pipelines.definitions.defs`), whose asset graph schedules and sensors read
    from their context. Imported once, with a data folder of its own (its import creates the folder)."""
    from pipelines.warehouse.manifest import ensure_manifest

    ensure_manifest()
    if "pipelines.definitions" not in sys.modules:
        before = os.environ.get("SPS_DATA_DIR")
        os.environ["SPS_DATA_DIR"] = str(tmp_path_factory.mktemp("code_location") / "data")
        try:
            import pipelines.definitions  # noqa: F401
        finally:
            if before is None:
                os.environ.pop("SPS_DATA_DIR", None)
            else:
                os.environ["SPS_DATA_DIR"] = before
    from pipelines.definitions import defs

    return defs


@pytest.fixture(scope="session")
def snapshot_dir() -> Path:
    return real_snapshot_dir()


@pytest.fixture(scope="session")
def refreshed_data_dir(tmp_path_factory: pytest.TempPathFactory, snapshot_dir: Path) -> Path:
    """One real refresh of the real snapshot, shared by the tests that only read its result (tests that change it
    copy it first). With parallel workers, the first to need it refreshes it, under a file lock, and the others read
    the same folder."""
    import fcntl

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.mktemp("refreshed")
    else:
        shared = tmp_path_factory.getbasetemp().parent / "refreshed"  # the run's folder, above each worker's own
        shared.mkdir(exist_ok=True)
    data_dir = shared / "data"
    with open(shared / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = shared / ".done"
        if not done.exists():
            result = run_sps(["refresh"], sps_env(data_dir, snapshot_dir))
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            done.write_text("refreshed\n")
    return data_dir


@pytest.fixture(scope="session")
def published_db(refreshed_data_dir: Path):

    name = (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    conn = connect_version(str(refreshed_data_dir / "published" / name))
    yield conn
    conn.close()


def refreshed_copy(refreshed_data_dir: Path, data_dir: Path) -> Path:
    """A private copy of the session's refreshed data folder (warehouse, published versions, run history), for a
    test that uploads or changes something and refreshes again. The refresh that follows is incremental: it loads
    and rebuilds only what the test added, where a refresh into an empty folder loads the whole snapshot again
    (~17 s of every such fixture, `make test`'s largest cost; issue 21, target 5). A data folder may be moved or
    copied (tests/integration/test_moved_data_folder.py)."""
    import shutil

    shutil.copytree(refreshed_data_dir, data_dir, symlinks=True)
    return data_dir


def mirror_snapshot(real: Path, target: Path) -> None:
    """A snapshot folder of symlinks to the real files (nothing copied), ready to have files added or replaced."""
    for path in real.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(real)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
