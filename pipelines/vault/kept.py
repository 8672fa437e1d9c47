"""What the data folder holds that cannot be rebuilt from public sources: the one declared list that backups copy
and restores bring back (`sps backup`, `sps restore`; pipelines/backup/).

Everything else under the data folder is rebuilt by `sps refresh --full` from the snapshot folder and these
paths: the warehouse, the published versions, reports, logs and Dagster's run history (the restore drill,
tests/integration/test_restore_drill.py, proves it).

A package that keeps private data of its own (survey microdata, targets, public-space layers) writes it under
`data/kept/<package>/` with `kept_dir(data_dir, "<package>")` and seals it with `write_private`: it is then
backed up and restored without any change here. A kept path outside that folder is added to KEPT below.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

KEPT_FOLDER = "kept"


@dataclass(frozen=True)
class KeptPath:
    relative: str  # a file or a folder, relative to the data folder
    what: str
    sealed: bool = False  # its files are sealed at rest (`sps key rotate` seals any written before the vault)
    plain: tuple[str, ...] = ()  # patterns (below `relative`) of files that stay plain: they hold no personal data


KEPT: tuple[KeptPath, ...] = (
    KeptPath("inbox", "accepted city uploads: original file, normalised rows, metadata (sealed)", sealed=True),
    KeptPath("quarantine", "rejected city uploads with their problem report (sealed)", sealed=True),
    KeptPath("dropbox", "files the secretariat dropped that no refresh has taken in yet"),
    KeptPath("tokens.json", "city upload tokens (salted hashes, expiry, revocations)"),
    KeptPath("audit.jsonl", "the audit trail: tokens issued and revoked, uploads, backups, restores, key rotations"),
    KeptPath(
        "surveys",
        "city survey microdata (sealed), their estimates, metadata and audit trail (pipelines/surveys/store.py)",
        sealed=True,
        plain=(
            "submissions/*/estimates.csv",
            "submissions/*/metadata.json",
            "submissions/*/withdrawn.json",
            "audit.jsonl",
        ),
    ),
    KeptPath(
        "public_space",
        "public-space layers and site audits cities sent (originals and rejected files sealed; pipelines/spaces)",
        sealed=True,
        plain=("inbox/*/features.geojson", "inbox/*/audits.csv", "inbox/*/metadata.json"),
    ),
    KeptPath(KEPT_FOLDER, "private data other packages keep under data/kept/<package>/ (sealed)", sealed=True),
)


def kept_dir(data_dir: Path, package: str) -> Path:
    """`data/kept/<package>/`, created owner-only: the place for a package's private data."""
    if not package or "/" in package or package.startswith("."):
        raise ValueError(f"not a package name: {package!r}")
    folder = data_dir / KEPT_FOLDER / package
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def is_sealed_path(relative: str) -> bool:
    """Whether files at this kept path are sealed at rest."""
    top, _, rest = relative.partition("/")
    return any(
        kept.sealed and kept.relative == top and not any(fnmatch(rest, pattern) for pattern in kept.plain)
        for kept in KEPT
    )


def kept_files(data_dir: Path) -> list[tuple[str, Path]]:
    """Every kept file as (path relative to the data folder, absolute path), sorted. Names starting with '.' are
    skipped (files and folders being written, locks); so are symbolic links (a backup never follows one out)."""
    found: list[tuple[str, Path]] = []
    for kept in KEPT:
        root = data_dir / kept.relative
        if root.is_symlink():
            continue
        if root.is_file():
            found.append((kept.relative, root))
        elif root.is_dir():
            found += _walk(root, data_dir)
    return sorted(found)


def _walk(folder: Path, data_dir: Path) -> list[tuple[str, Path]]:
    files = []
    for path in folder.iterdir():
        if path.name.startswith(".") or path.is_symlink():
            continue
        if path.is_dir():
            files += _walk(path, data_dir)
        elif path.is_file():
            files.append((path.relative_to(data_dir).as_posix(), path))
    return files
