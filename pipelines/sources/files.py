"""Small facts about source files: compression, hashes, a safe first look at the bytes."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from pathlib import Path

from pipelines.errors import SourceFileError

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def sha256_of(path: Path) -> str:
    """Hash of a file's bytes; for a folder, of its files' names and hashes (so any change is seen)."""
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
            digest.update(f"{child.name}\0{sha256_of(child)}\n".encode())
        return digest.hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_text(path: Path, encoding: str = "utf-8"):
    """Open plain or gzipped text; gzip is recognised by its magic bytes, not the file name."""
    if is_gzip(path):
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")


def first_line(path: Path) -> str:
    """The first line of a (possibly gzipped) text file, or a SourceFileError saying why not."""
    try:
        # bytes first, then decode just this line: a text reader decodes a whole block ahead, so a bad byte
        # on line 2 or 3 would be blamed on line 1
        with gzip.open(path, "rb") if is_gzip(path) else open(path, "rb") as fh:
            raw = fh.readline(1 << 20)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceFileError(path, f"cannot be decompressed or read ({exc})", line=1) from exc
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceFileError(path, "is not UTF-8 text", line=1) from exc
    if not line.strip():
        raise SourceFileError(path, "is empty (no header line)", line=1)
    return line.rstrip("\r\n")


def check_gzip_integrity(path: Path) -> None:
    """Read a gzip file to its end so truncation or corruption is reported before loading starts."""
    if not is_gzip(path):
        return
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceFileError(path, f"gzip data is corrupt or truncated ({exc})") from exc


def find_line_number(path: Path, startswith: str) -> int | None:
    """Line number (1-based) of the first line starting with `startswith`; used only on error paths."""
    try:
        with open_text(path) as fh:
            for number, line in enumerate(fh, start=1):
                if line.startswith(startswith):
                    return number
    except (OSError, EOFError, zlib.error, UnicodeDecodeError):
        return None
    return None


def read_feature_collection(path: Path) -> tuple[dict, list]:
    """A GeoJSON FeatureCollection with at least one feature, or a SourceFileError saying why not."""
    try:
        with open_text(path) as fh:
            document = json.load(fh)
    except json.JSONDecodeError as exc:
        raise SourceFileError(path, f"is not valid JSON ({exc.msg})", line=exc.lineno) from exc
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SourceFileError(path, f"cannot be read ({exc})") from exc
    features = document.get("features") if isinstance(document, dict) else None
    if (
        not isinstance(document, dict)
        or document.get("type") != "FeatureCollection"
        or not isinstance(features, list)
        or not features
    ):
        raise SourceFileError(path, "is not a GeoJSON FeatureCollection with features")
    return document, features
