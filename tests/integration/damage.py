"""A data folder whose current published version is damaged the way a failing disk damages it: 4 KB overwritten in
the middle of the file (issue 23), with an intact earlier version kept beside it."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

from tests.integration.refresh_control import marts_connection


def overwrite_4k(path: Path) -> None:
    path.chmod(0o644)
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.seek(size // 2)
        fh.write(os.urandom(4096))
    path.chmod(0o444)


def damaged_current(refreshed_data_dir: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """(data folder, the intact version, the damaged current version)."""
    from pipelines.publishing.publish import publish_marts
    from pipelines.settings import load_settings

    data = tmp_path / "data"
    shutil.copytree(refreshed_data_dir, data, symlinks=True)
    intact = (data / "published" / "CURRENT").read_text().strip().removesuffix(".duckdb")
    with marts_connection(refreshed_data_dir) as conn:
        newer = publish_marts(conn, replace(load_settings(), data_dir=data))
    overwrite_4k(newer.path)
    return data, intact, newer.version
