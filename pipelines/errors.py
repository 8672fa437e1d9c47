"""One exception type per failure family; each says what failed, where, and what to do next."""

from __future__ import annotations


class SpsError(Exception):
    """Base class: `str(err)` is the one line shown to the user."""

    hint: str = ""

    def __str__(self) -> str:  # pragma: no cover - trivial
        base = super().__str__()
        return f"{base} {self.hint}".strip() if self.hint else base


class SourceFileError(SpsError):
    """A source file cannot be read as the format it claims to be."""

    def __init__(self, path: str, reason: str, line: int | None = None, hint: str = "") -> None:
        # a reason may quote the file's own cells, and a quoted cell may hold a line break; the message stays one
        # line (found by tests/unit/test_parsers_property.py: a city name of "\nville, greater city")
        reason = reason.replace("\r", "\\r").replace("\n", "\\n")
        self.path, self.reason, self.line = str(path), reason, line
        self.hint = hint or "Replace the file with a complete copy from the source and refresh again."
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {reason}.")


class SnapshotMissing(SpsError):
    """A dataset is not in the snapshot folder (offline) and could not be fetched (live)."""

    def __init__(self, dataset: str, snapshot_dir: str, tried: list[str]) -> None:
        self.dataset, self.snapshot_dir, self.tried = dataset, snapshot_dir, tried
        self.hint = "Run a live refresh (SPS_MODE=live) or place the file in the snapshot folder."
        super().__init__(f"{dataset}: not in snapshot {snapshot_dir} (looked for {', '.join(tried)}).")


class DownloadFailed(SpsError):
    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = url, reason
        self.hint = "Check the network or use the snapshot folder (SPS_SNAPSHOT_DIR) offline."
        super().__init__(f"download of {url} failed: {reason}.")


class PublishError(SpsError):
    def __init__(self, reason: str) -> None:
        self.hint = "The previous published version is still in place; fix the cause and refresh again."
        super().__init__(f"publish failed: {reason}.")


class NothingPublished(SpsError):
    def __init__(self, published_dir: str) -> None:
        self.hint = "Run `sps refresh` first."
        super().__init__(f"no published version in {published_dir}.")


class DamagedVersion(SpsError):
    """The published-version store cannot give a reader an intact version: a CURRENT pointer that names no
    published file, or a version whose file no longer matches its manifest, with no intact version to fall
    back to. Says what is wrong, never "publish failed": the user ran a reader (export, report, dashboard)."""

    def __init__(self, reason: str) -> None:
        self.hint = (
            "Run `sps publish --verify` to check the kept versions, `sps publish --rollback VERSION` to serve an "
            "intact one, or `sps refresh --full` to publish a new one."
        )
        super().__init__(f"{reason}.")


class DataFolderNotWritable(SpsError):
    """The data folder (or a folder in it) cannot be written: read-only mount, permissions, disk full."""

    def __init__(self, folder: object, reason: str) -> None:
        self.folder, self.reason = str(folder), reason
        self.hint = "Nothing was changed; make the folder writable (or free space) and refresh again."
        super().__init__(f"the data folder {self.folder} is not writable ({reason}).")
