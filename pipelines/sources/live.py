"""Live fetching: Eurostat's SDMX TSV endpoint and GISCO downloads into the snapshot folder.

The snapshot folder is the cache: a download lands there (atomically, only after it has been checked),
with a ``.meta.json`` beside it recording the URL, when it was fetched and Eurostat's last-update date.
Every HTTP call has a timeout, a bounded number of retries with backoff and an overall time budget, so a
black-holed or slow-drip network can never hang a refresh. A host that cannot be reached at all (refused,
unknown name, no answer to connect) is not asked again for a while in the same process: with the network down,
every source fails at once with the same whole reason, and a total outage ends in seconds, not minutes.

Why plain `requests` and not the `eurostat` package: the package parses the TSV into a DataFrame in
Python and has no way to keep the original file, and the snapshot must hold the original bytes so that
offline mode reads exactly what live mode read. Our own reader (sdmx_tsv.py) parses it inside DuckDB.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3

from pipelines.errors import DownloadFailed, SourceFileError
from pipelines.settings import Settings
from pipelines.sources.catalog import DatasetSpec
from pipelines.sources.codelist_tsv import read_codelist
from pipelines.sources.files import check_gzip_integrity
from pipelines.sources.sdmx_tsv import read_sdmx_header

USER_AGENT = "sps-monitor (+https://github.com/; open-source SDG 11 security monitor)"


@dataclass(frozen=True)
class Fetched:
    path: Path
    url: str
    source_last_update: str | None


def eurostat_data_url(settings: Settings, code: str) -> str:
    return f"{settings.eurostat_api}/sdmx/2.1/data/{code}?format=TSV&compressed=true"


def eurostat_codelist_url(settings: Settings, codelist: str) -> str:
    """A Eurostat code list as TSV ('code<TAB>English label' per line), e.g. CITIES."""
    return f"{settings.eurostat_api}/sdmx/2.1/codelist/ESTAT/{codelist}/latest?format=TSV&lang=en"


def eurostat_toc_url(settings: Settings) -> str:
    return f"{settings.eurostat_api}/catalogue/toc/txt?lang=en"


# A host that refused, could not be resolved, or did not answer a connect: (when, the whole reason). Requests to
# it fail at once for UNREACHABLE_FOR_S, so that a refresh with the network down does not wait out every source.
UNREACHABLE_FOR_S = 120.0
_unreachable: dict[str, tuple[float, str]] = {}
_unreachable_lock = threading.Lock()
_OBJECT_REPR = re.compile(r"<[^<>]*object at 0x[0-9a-f]+>: |\b\w+Connection\(host='[^']*', port=\d+\): ")


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def _connect_failure(exc: Exception) -> str | None:
    """The whole reason when `exc` means the host cannot be reached at all (no HTTP answer), else None."""
    if isinstance(exc, requests.ConnectTimeout):
        return "no answer to the connection within the timeout (connect timeout)"
    if isinstance(exc, requests.ConnectionError):
        inner = exc.args[0] if exc.args else None
        reason = getattr(inner, "reason", None)
        if isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.NameResolutionError):
            return _OBJECT_REPR.sub("", str(reason)).strip()
    return None


def describe_error(exc: Exception) -> str:
    """The whole reason of a failed request, in words: never cut, without Python object addresses."""
    reason = _connect_failure(exc)
    if reason:
        return reason
    text = _OBJECT_REPR.sub("", str(exc)).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def forget_unreachable_hosts() -> None:
    with _unreachable_lock:
        _unreachable.clear()


def download(url: str, settings: Settings) -> bytes:
    """GET with per-request timeout, bounded retries with exponential backoff, and a total budget."""
    host = _host_of(url)
    with _unreachable_lock:
        known = _unreachable.get(host)
    if known and time.monotonic() - known[0] < UNREACHABLE_FOR_S:
        raise DownloadFailed(
            url, f"cannot connect to {host}: {known[1]} (already unreachable in this run; not retried)"
        )
    deadline = time.monotonic() + settings.http_budget_s
    last_error = "no attempt made"
    unreachable = None
    attempts = 0
    for attempt in range(max(1, settings.http_retries)):
        if attempt:
            pause = min(2 ** (attempt - 1) * 0.5, max(0.0, deadline - time.monotonic()))
            time.sleep(pause)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        attempts += 1
        try:
            with requests.get(
                url,
                # a host that does not answer a connect within 5 s is down; a slow answer gets the full timeout
                timeout=(min(settings.http_timeout_s, 5.0, remaining), min(settings.http_timeout_s, remaining)),
                stream=True,
                headers={"User-Agent": USER_AGENT},
            ) as response:
                unreachable = None
                if response.status_code == 404:
                    raise DownloadFailed(url, "404 not found (the dataset code may be wrong or withdrawn)")
                if response.status_code >= 400:
                    last_error = f"HTTP {response.status_code} {response.reason or ''}".strip()
                    continue
                chunks, received = [], 0
                # read1 returns whatever has arrived (one socket read); iter_content/read(n) would block until
                # n bytes came in, so a slow drip of a few bytes at a time never reached the budget check
                while chunk := response.raw.read1(1 << 16, decode_content=True):
                    chunks.append(chunk)
                    received += len(chunk)
                    if time.monotonic() > deadline:
                        raise requests.Timeout(
                            f"budget of {settings.http_budget_s:.0f}s exceeded after {received} bytes"
                        )
                return b"".join(chunks)
        except DownloadFailed:
            raise
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            last_error = describe_error(exc)
            unreachable = _connect_failure(exc)
            if isinstance(exc, requests.ConnectTimeout):
                break  # a black hole does not come back within the back-off: do not wait for it again
    if unreachable:
        with _unreachable_lock:
            _unreachable[host] = (time.monotonic(), unreachable)
        raise DownloadFailed(url, f"cannot connect to {host}: {unreachable} ({_attempts(attempts)})")
    raise DownloadFailed(url, f"{last_error} (after {_attempts(attempts)}, budget {settings.http_budget_s:.0f}s)")


def _attempts(count: int) -> str:
    return f"{count} attempt" + ("" if count == 1 else "s")


def fetch_last_updates(settings: Settings) -> dict[str, str]:
    """Eurostat's table of contents: dataset code -> 'last update of data' (as Eurostat writes it)."""
    text = download(eurostat_toc_url(settings), settings).decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    header = [h.strip().lower() for h in next(reader, [])]
    try:
        code_at, update_at = header.index("code"), header.index("last update of data")
    except ValueError as exc:
        raise DownloadFailed(
            eurostat_toc_url(settings),
            f"table of contents has no code/last-update columns (header {header[:8]})",
        ) from exc
    updates = {}
    for row in reader:
        if len(row) > max(code_at, update_at):
            updates[row[code_at].strip()] = row[update_at].strip()
    return updates


def _write_atomically(target: Path, payload: bytes, check) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        check(Path(tmp))  # never replace a good snapshot copy by a broken download
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_sdmx(path: Path) -> None:
    check_gzip_integrity(path)
    read_sdmx_header(path)


def _check_json(path: Path) -> None:
    try:
        json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceFileError(path, f"downloaded file is not JSON ({exc})") from exc


def fetch_dataset(spec: DatasetSpec, settings: Settings, last_updates: dict[str, str] | None) -> Fetched:
    target = settings.snapshot_dir / spec.live_file
    if spec.live == "eurostat_sdmx":
        url, check = eurostat_data_url(settings, spec.code), _check_sdmx
        last_update = (last_updates or {}).get(spec.code)
    elif spec.live == "eurostat_codelist" and spec.live_path:
        url, check, last_update = eurostat_codelist_url(settings, spec.live_path), read_codelist, None
    elif spec.live == "gisco" and spec.live_path:
        url, check, last_update = f"{settings.gisco_api}/{spec.live_path}", _check_json, None
    else:
        raise DownloadFailed(spec.code, "this dataset has no live source")
    payload = download(url, settings)
    try:
        _write_atomically(target, payload, check)
    except SourceFileError as exc:
        raise DownloadFailed(url, f"the response is not a valid file: {exc.reason}") from exc
    except OSError as exc:
        raise DownloadFailed(url, f"cannot write {target} ({exc.strerror})") from exc
    meta = {
        "dataset": spec.code,
        "url": url,
        "fetched_at": datetime.now(UTC).isoformat(),
        "source_last_update": last_update,
    }
    meta_path = target.with_name(target.name + ".meta.json")
    meta_tmp = meta_path.with_name(f".{meta_path.name}.part")
    meta_tmp.write_text(json.dumps(meta, indent=2))
    os.replace(meta_tmp, meta_path)  # data and metadata are each replaced whole, never half-written
    return Fetched(path=target, url=url, source_last_update=last_update)


def read_meta(path: Path) -> dict:
    meta_path = path.with_name(path.name + ".meta.json")
    try:
        return json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return {}
