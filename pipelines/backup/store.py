"""Where backups go: a local folder (default) or any object store fsspec knows (s3://, gs://, az://, sftp://, ...),
with credentials from the environment as each backend reads them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
AWS_ENDPOINT_URL for s3fs, GOOGLE_APPLICATION_CREDENTIALS for gcsfs, ...). Nothing here holds a credential.

    DEST/objects/<ab>/<sha256>     one object per distinct file content (content-addressed: incremental)
    DEST/backups/<backup_id>.json  one manifest per backup; a backup without its manifest does not exist

Every object and manifest is written under a temporary name and moved into place, so an interrupted backup
leaves no object that looks whole and is not.
"""

from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass

import fsspec
from fsspec.core import url_to_fs

from pipelines.errors import SpsError


class BackupError(SpsError):
    """A backup, its verification or a restore cannot be done; says what and where, and that nothing changed."""


@dataclass(frozen=True)
class Destination:
    fs: fsspec.AbstractFileSystem
    root: str  # path inside fs
    url: str  # as the user gave it, for messages

    def path(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    def object_path(self, name: str) -> str:
        return self.path("objects", name[:2], name)

    def manifest_path(self, backup_id: str) -> str:
        return self.path("backups", f"{backup_id}.json")

    def existing_objects(self) -> dict[str, int]:
        """name -> size of every object already at the destination (one listing)."""
        base = self.path("objects")
        if not self.fs.exists(base):
            return {}
        found = self.fs.find(base, detail=True)
        return {
            posixpath.basename(path): int(info.get("size") or 0)
            for path, info in found.items()
            if not posixpath.basename(path).startswith(".")
        }

    def put_atomically(self, path: str, payload: bytes) -> None:
        folder = posixpath.dirname(path)
        self.fs.makedirs(folder, exist_ok=True)
        tmp = posixpath.join(folder, f".{posixpath.basename(path)}.{uuid.uuid4().hex}.part")
        self.fs.pipe_file(tmp, payload)
        try:
            self.fs.mv(tmp, path)
        except BaseException:
            if self.fs.exists(tmp):
                self.fs.rm_file(tmp)
            raise

    def read(self, path: str) -> bytes:
        return self.fs.cat_file(path)

    def manifests(self) -> list[str]:
        """Backup ids at the destination, oldest first."""
        base = self.path("backups")
        if not self.fs.exists(base):
            return []
        names = [posixpath.basename(p) for p in self.fs.ls(base, detail=False)]
        return sorted(n.removesuffix(".json") for n in names if n.endswith(".json") and not n.startswith("."))


def open_destination(url: str) -> Destination:
    """A destination from a folder path or an fsspec URL; a missing backend is named with what to install."""
    if not url:
        raise BackupError(
            "no backup destination: give one (sps backup /mnt/backup/sps, or s3://bucket/sps) or set SPS_BACKUP_DEST"
        )
    try:
        fs, root = url_to_fs(url)
    except ImportError as exc:
        raise BackupError(f"{url}: {exc} (install the fsspec backend for this kind of URL, e.g. s3fs)") from None
    except (ValueError, OSError) as exc:
        raise BackupError(f"{url}: not a usable backup destination ({exc})") from None
    return Destination(fs, root.rstrip("/") or "/", url)
