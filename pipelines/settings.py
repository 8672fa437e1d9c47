"""One settings object for the whole product, read from `SPS_*` environment variables.

Every path the product writes lives under `data_dir`, so two data folders never interfere (tests and
benchmarks run side by side). The README lists every variable.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import DataFolderNotWritable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = PROJECT_ROOT / "seeds"

_DAGSTER_YAML_MARKER = "# written by sps (pipelines/settings.py: Settings.ensure_dirs); rewritten when it differs"
_OLD_DAGSTER_YAML = (
    "telemetry:\n  enabled: false\nrun_queue:\n  max_concurrent_runs: 1\n"
    "concurrency:\n  default_op_concurrency_limit: 1\n",
)
EUROSTAT_API_DEFAULT = "https://ec.europa.eu/eurostat/api/dissemination"
GISCO_API_DEFAULT = "https://gisco-services.ec.europa.eu/distribution/v2"


def dbt_executable() -> str:
    """The dbt next to this interpreter, so a venv works without being activated (STACK.md)."""
    # sys.prefix is the venv even when a subprocess (e.g. Dagster's code server) resolved sys.executable
    for candidate in (Path(sys.prefix) / "bin" / "dbt", Path(sys.executable).with_name("dbt")):
        if candidate.exists():
            return str(candidate)
    return "dbt"


DUCKDB_MEMORY_LIMIT_DEFAULT = "1.5GB"
DBT_THREADS_DEFAULT = 2  # this machine's cores (docs/adr/0026, benchmarks/results/2026-12-04-round-2.md)


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default.resolve()


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    snapshot_dir: Path
    snapshot_dir_is_explicit: bool
    mode: str  # "offline" | "live"
    eurostat_api: str
    gisco_api: str
    http_timeout_s: float
    http_retries: int
    http_budget_s: float
    published_keep: int
    dashboard_port: int
    dagster_port: int
    extra: dict = field(default_factory=dict)
    token_days: int = 400  # upload tokens expire after this many days unless `--days` says otherwise
    backup_dest: str = ""  # where the nightly backup goes (a folder, or an fsspec URL such as s3://bucket/sps)
    # DuckDB's memory for a refresh (dbt's connection and the assets' one): beyond it DuckDB spills to
    # `warehouse.duckdb.tmp/` in the data folder. Its own default is 80 % of the machine's memory.
    duckdb_memory_limit: str = DUCKDB_MEMORY_LIMIT_DEFAULT
    # dbt's threads: models and tests that do not depend on each other are built side by side, on the one
    # connection of this one writing process (DuckDB runs concurrent transactions on separate tables; the
    # warehouse still has one writer process). While one thread waits for DuckDB another renders its next node.
    dbt_threads: int = DBT_THREADS_DEFAULT

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.data_dir / "published"

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def dbt_target_dir(self) -> Path:
        return self.data_dir / "dbt_target"

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.published_dir, self.dagster_home):
            path.mkdir(parents=True, exist_ok=True)
        dagster_yaml = self.dagster_home / "dagster.yaml"
        try:
            written = dagster_yaml.read_text()
        except FileNotFoundError:
            written = None
        # Ours (the marker, or the version before it) is rewritten when it differs, e.g. after the data folder moved;
        # a dagster.yaml someone wrote by hand is left alone.
        if (
            written is None
            or written in _OLD_DAGSTER_YAML
            or (_DAGSTER_YAML_MARKER in written and written != self._dagster_yaml())
        ):
            tmp = dagster_yaml.with_name(f".dagster.yaml.{os.getpid()}.tmp")
            tmp.write_text(self._dagster_yaml())
            os.replace(tmp, dagster_yaml)  # a daemon reading it meanwhile sees the old file or the new one

    def _dagster_yaml(self) -> str:
        """Telemetry off; one run at a time so only one process ever writes the warehouse; the run history in
        Dagster's SQLite layout, written without an engine and an fsync per event (pipelines/shared/run_history.py)."""
        return (
            f"{_DAGSTER_YAML_MARKER}\n"
            "telemetry:\n  enabled: false\n"
            "run_queue:\n  max_concurrent_runs: 1\n"
            "concurrency:\n  default_op_concurrency_limit: 1\n"
            "event_log_storage:\n  module: pipelines.shared.run_history\n  class: PooledSqliteEventLogStorage\n"
            f"  config:\n    base_dir: {json.dumps(str(self.dagster_home / 'storage'))}\n"
        )

    def check_writable(self) -> None:
        """Fail early, in one line, when the data folder cannot be written (read-only mount, permissions)."""
        for folder in (self.data_dir, self.published_dir, self.dagster_home):
            probe = folder / f".sps-write-probe-{os.getpid()}"
            try:
                probe.write_bytes(b"")
                probe.unlink()
            except OSError as exc:
                raise DataFolderNotWritable(folder, exc.strerror or type(exc).__name__) from None

    def export_env(self) -> None:
        """Make the settings visible to subprocesses (dbt reads the warehouse path through env_var)."""
        os.environ["SPS_WAREHOUSE_PATH"] = str(self.warehouse_path)
        os.environ["SPS_DATA_DIR"] = str(self.data_dir)
        os.environ["SPS_SNAPSHOT_DIR_RESOLVED"] = str(self.snapshot_dir)
        os.environ["SPS_DUCKDB_MEMORY_LIMIT"] = self.duckdb_memory_limit  # dbt_project/profiles.yml reads it
        os.environ["SPS_DBT_THREADS"] = str(self.dbt_threads)  # and this
        os.environ.setdefault("DAGSTER_HOME", str(self.dagster_home))
        # Dagster then hands the event log batches (the planned events of a new run), which
        # pipelines/shared/run_history.py stores in one transaction per file
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "1000")
        os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
        os.environ["DO_NOT_TRACK"] = "1"


# TEST-ONLY fault-injection hook (tests/integration/test_faults.py, test_concurrency.py). When the environment
# variable SPS_TEST_PAUSE_AT names one of PAUSE_POINTS, the process writes the marker file
# `$SPS_DATA_DIR/.sps-paused-<point>` on reaching that point and waits until the test deletes it (to resume) or
# kills the process (to simulate a crash there). Unset in normal use, it costs one dictionary lookup.
PAUSE_POINTS = ("ingest", "inbox", "publish")


def pause_for_tests(point: str) -> None:
    if os.environ.get("SPS_TEST_PAUSE_AT") != point:
        return
    marker = _env_path("SPS_DATA_DIR", PROJECT_ROOT / "data") / f".sps-paused-{point}"
    marker.write_text(str(os.getpid()))
    deadline = time.monotonic() + 600
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def load_settings() -> Settings:
    data_dir = _env_path("SPS_DATA_DIR", PROJECT_ROOT / "data")
    explicit = bool(os.environ.get("SPS_SNAPSHOT_DIR", "").strip())
    snapshot_dir = _env_path("SPS_SNAPSHOT_DIR", data_dir / "snapshot")
    mode = os.environ.get("SPS_MODE", "auto").strip().lower() or "auto"
    if mode == "auto":
        # A named snapshot folder means "use what is there"; without one, fetch from Eurostat.
        mode = "offline" if explicit else "live"
    if mode not in {"offline", "live"}:
        raise ValueError(f"SPS_MODE must be offline, live or auto, not {mode!r}")
    return Settings(
        data_dir=data_dir,
        snapshot_dir=snapshot_dir,
        snapshot_dir_is_explicit=explicit,
        mode=mode,
        eurostat_api=os.environ.get("SPS_EUROSTAT_API", EUROSTAT_API_DEFAULT).rstrip("/"),
        gisco_api=os.environ.get("SPS_GISCO_API", GISCO_API_DEFAULT).rstrip("/"),
        http_timeout_s=float(os.environ.get("SPS_HTTP_TIMEOUT", "10")),
        http_retries=int(os.environ.get("SPS_HTTP_RETRIES", "3")),
        http_budget_s=float(os.environ.get("SPS_HTTP_BUDGET", "60")),
        published_keep=int(os.environ.get("SPS_PUBLISHED_KEEP", "5")),
        dashboard_port=int(os.environ.get("SPS_DASHBOARD_PORT", "8501")),
        dagster_port=int(os.environ.get("SPS_DAGSTER_PORT", "3000")),
        token_days=_positive_int("SPS_TOKEN_DAYS", 400, "days"),
        backup_dest=os.environ.get("SPS_BACKUP_DEST", "").strip(),
        duckdb_memory_limit=_memory_limit("SPS_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_LIMIT_DEFAULT),
        dbt_threads=_positive_int("SPS_DBT_THREADS", DBT_THREADS_DEFAULT, "threads", most=64),
    )


_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)", re.IGNORECASE)  # as DuckDB reads it


def _memory_limit(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not _MEMORY.fullmatch(value):
        raise ValueError(
            f"{name} must be an amount of memory such as 2GB, 1500MB or 25% (of the machine), not {value!r}"
        )
    return value


def _positive_int(name: str, default: int, unit: str, most: int | None = None) -> int:
    value = os.environ.get(name, "").strip()
    try:
        number = int(value) if value else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number of {unit}, not {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1, not {number}")
    if most is not None and number > most:
        raise ValueError(f"{name} must be at most {most}, not {number}")
    return number
