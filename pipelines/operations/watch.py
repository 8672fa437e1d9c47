"""What `sps watch` watches: the inputs cities send (the upload inbox and drop folder, the survey store, the
public-space inbox), and the refresh plan restricted to them (docs/adr/0024-...: an upload on the dashboard
within seconds).

`sps watch` is a long-running process beside `sps serve`: Dagster, dbt and the parsed dbt project stay loaded, so a
city's upload is published by a Dagster run of the same `refresh` job the sensors launch, with the same selection
(the upload's assets and everything downstream of them), but without starting a new process, importing Dagster
and dbt and parsing the project for each upload. A tick costs a few directory listings; the refresh plan (which
hashes the snapshot) is made only when one of them changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.operations.selection import UPLOAD_INPUTS
from pipelines.publishing.plan import RefreshPlan, plan_refresh
from pipelines.settings import Settings
from pipelines.spaces.store import inbox_dir as public_space_inbox
from pipelines.surveys.store import store_dir
from pipelines.uploads.dropbox import dropbox_dir


def _listing(folder: Path, depth: int = 1) -> tuple:
    """The names (and, for files, sizes and modification times) under `folder`, `depth` levels down."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return ()
    listing = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            listing.append((entry.name, _listing(Path(entry.path), depth - 1) if depth > 1 else ()))
        else:
            info = entry.stat(follow_symlinks=False)
            listing.append((entry.name, info.st_size, info.st_mtime_ns))
    return tuple(listing)


def upload_signature(settings: Settings) -> tuple:
    """Changes whenever a city's input arrives or is withdrawn: a new inbox folder (written whole, then renamed in),
    a file in the drop folder, a survey accepted into or withdrawn from the store, a public-space submission."""
    return (
        _listing(settings.inbox_dir),
        _listing(dropbox_dir(settings), depth=2),
        _listing(store_dir(settings.data_dir), depth=3),
        _listing(public_space_inbox(settings)),
    )


@dataclass(frozen=True)
class UploadPlan:
    plan: RefreshPlan | None  # the plan restricted to the upload inputs; None when there is nothing to publish
    note: str = ""  # why nothing is run although something changed (a full rebuild is due: `sps refresh` does it)


def upload_plan(settings: Settings) -> UploadPlan:
    """The refresh plan, restricted to what cities send. A plan that needs a full rebuild (the code changed, nothing
    is published yet, the current version is damaged) is left to `sps refresh` and the schedules."""
    plan = plan_refresh(settings, sources=False)
    if plan.full:
        return UploadPlan(None, f"a full rebuild is due ({plan.reason}): run `sps refresh`")
    changed = {key: why for key, why in plan.changed.items() if key in UPLOAD_INPUTS}
    if not changed:
        return UploadPlan(None)
    return UploadPlan(RefreshPlan(full=False, changed=changed, published_version=plan.published_version))


class StopRequest:
    """How `sps watch` stops: SIGTERM (a service manager, `kill`) or Ctrl-C asks it to stop after the run in progress,
    which then still publishes what it was publishing; a second one stops it at once (exit 130, the refresh's own
    safety keeps the published version). Each run of the watch runs on a thread of its own (`run_in_thread`), so Dagster
    never swaps this process's signal handlers: in the main thread, each run left SIGTERM doing what SIGINT did, and
    a watch started in the background by a shell (SIGINT ignored) then ignored SIGTERM for good."""

    def __init__(self) -> None:
        import signal
        import threading

        self._event = threading.Event()
        self.signal_name = ""
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._handle)

    def _handle(self, number, _frame) -> None:
        import signal
        import sys

        if self._event.is_set():
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(number).name
        self._event.set()
        print(
            f"sps watch: {self.signal_name}: stopping after the current run (send it again to stop at once)",
            file=sys.stderr,
            flush=True,
        )

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep `seconds`, or less if a stop is asked for meanwhile; True if it was."""
        return self._event.wait(seconds)
