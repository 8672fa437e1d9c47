"""Live fetching against a local fake Eurostat (tests/fixtures/eurostat_server.py) on 127.0.0.1 only.

SPS_HTTP_BUDGET=2 s, SPS_HTTP_TIMEOUT=1 s, SPS_HTTP_RETRIES=3: every failure path ends in a few seconds.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `tests.fixtures` is importable from the project root
    sys.path.insert(0, str(ROOT))

from pipelines.errors import DownloadFailed  # noqa: E402
from pipelines.settings import load_settings  # noqa: E402
from pipelines.sources import live  # noqa: E402
from pipelines.sources.sdmx_tsv import load_sdmx_tsv  # noqa: E402
from tests.fixtures.eurostat_server import EurostatServer  # noqa: E402
from tests.fixtures.specs import synthetic_spec  # noqa: E402

BUDGET_S = 2.0
TIMEOUT_S = 1.0

# SYNTHETIC dataset, new API layout
TSV = (
    "freq,iccs,unit,geo\\TIME_PERIOD\t2018 \t2019 \t2020 \n"
    "A,ICCS0101,NR,ZZ\t10 \t12 \t: \n"
    "A,ICCS0101,P_HTHAB,ZZ\t0.52 \t0.61 e\t: c\n"
)
GOOD_OLD_SNAPSHOT = gzip.compress(b"freq,geo\\TIME_PERIOD\t2017 \nA,ZZ\t1 \n", mtime=0)

SPEC = synthetic_spec()
GEO_SPEC = synthetic_spec(
    code="tst_points",
    format="geojson_points",
    snapshot_files=("geo/TST_POINTS.geojson",),
    live="gisco",
    cadence_days=1095,
    dimensions=(),
    live_path="tst/geojson/TST_POINTS.geojson",
    columns=("nuts_id",),
)
CODELIST_SPEC = synthetic_spec(
    code="tst_cities",
    format="eurostat_codelist_tsv",
    snapshot_files=("codelists/tst_cities.tsv",),
    live="eurostat_codelist",
    dimensions=(),
    live_path="TST_CITIES",
    columns=("code", "name"),
)
DATA_PATH = "/sdmx/2.1/data/tst_crime"


@pytest.fixture(autouse=True)
def only_localhost(monkeypatch):
    """Fail any connection to anything but 127.0.0.1 (no proxy, no DNS, no real Eurostat)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] != "127.0.0.1":
            raise AssertionError(f"test tried to connect to {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def server():
    with EurostatServer() as fake:
        fake.datasets["tst_crime"] = TSV
        fake.toc.update({"tst_crime": "15.03.2024", "tst_other": "01.02.2023"})
        fake.gisco["tst/geojson/TST_POINTS.geojson"] = json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"NUTS_ID": "ZZ1"},
                        "geometry": {"type": "Point", "coordinates": [1, 2]},
                    }
                ],
            }
        ).encode()
        yield fake


@pytest.fixture
def settings(server, tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_EUROSTAT_API", server.url + "/")
    monkeypatch.setenv("SPS_GISCO_API", server.url + "/gisco")
    monkeypatch.setenv("SPS_HTTP_TIMEOUT", str(TIMEOUT_S))
    monkeypatch.setenv("SPS_HTTP_RETRIES", "3")
    monkeypatch.setenv("SPS_HTTP_BUDGET", str(BUDGET_S))
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPS_SNAPSHOT_DIR", str(tmp_path / "snapshot"))
    monkeypatch.setenv("SPS_MODE", "live")
    return load_settings()


def target_of(settings) -> Path:
    return settings.snapshot_dir / "eurostat" / "tst_crime.tsv.gz"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part")) if folder.exists() else []


def plant_good_snapshot(settings) -> tuple[bytes, str]:
    target = target_of(settings)
    target.parent.mkdir(parents=True)
    target.write_bytes(GOOD_OLD_SNAPSHOT)
    meta = json.dumps(
        {
            "dataset": "tst_crime",
            "url": "earlier",
            "fetched_at": "2024-01-01T00:00:00+00:00",
            "source_last_update": "01.01.2024",
        }
    )
    target.with_name(target.name + ".meta.json").write_text(meta)
    return GOOD_OLD_SNAPSHOT, meta


def assert_snapshot_untouched(settings, planted: tuple[bytes, str]) -> None:
    target = target_of(settings)
    assert target.read_bytes() == planted[0]
    assert target.with_name(target.name + ".meta.json").read_text() == planted[1]
    assert leftovers(target.parent) == []


# --- settings


def test_settings_come_from_the_environment(settings, server, tmp_path):
    assert settings.eurostat_api == server.url  # trailing slash removed
    assert settings.gisco_api == server.url + "/gisco"
    assert (settings.http_timeout_s, settings.http_retries, settings.http_budget_s) == (1.0, 3, 2.0)
    assert settings.snapshot_dir == (tmp_path / "snapshot").resolve()
    assert live.eurostat_data_url(settings, "tst_crime") == (
        f"{server.url}/sdmx/2.1/data/tst_crime?format=TSV&compressed=true"
    )
    assert live.eurostat_toc_url(settings) == f"{server.url}/catalogue/toc/txt?lang=en"


# --- happy path


def test_last_updates_from_the_toc(settings, server):
    updates = live.fetch_last_updates(settings)
    assert updates["tst_crime"] == "15.03.2024"
    assert updates["tst_other"] == "01.02.2023"
    assert updates["data"] == "" and updates["tst"] == ""  # folders have no date
    assert set(updates) == {"data", "tst", "tst_crime", "tst_other"}
    assert server.requests == [("/catalogue/toc/txt", "lang=en")]


def test_fetch_dataset_writes_file_and_meta(settings, server):
    before = datetime.now(UTC)
    fetched = live.fetch_dataset(SPEC, settings, live.fetch_last_updates(settings))
    target = target_of(settings)
    assert fetched.path == target
    assert fetched.url == f"{server.url}/sdmx/2.1/data/tst_crime?format=TSV&compressed=true"
    assert fetched.source_last_update == "15.03.2024"
    raw = target.read_bytes()
    assert raw[:2] == b"\x1f\x8b"  # the original gzip bytes are kept
    assert gzip.decompress(raw).decode() == TSV

    meta = json.loads(target.with_name("tst_crime.tsv.gz.meta.json").read_text())
    assert set(meta) == {"dataset", "url", "fetched_at", "source_last_update"}
    assert (meta["dataset"], meta["url"], meta["source_last_update"]) == (
        "tst_crime",
        fetched.url,
        "15.03.2024",
    )
    fetched_at = datetime.fromisoformat(meta["fetched_at"])
    assert before - timedelta(seconds=1) <= fetched_at <= datetime.now(UTC)
    assert live.read_meta(target) == meta
    assert leftovers(target.parent) == []
    assert server.requests == [("/catalogue/toc/txt", "lang=en"), (DATA_PATH, "format=TSV&compressed=true")]

    # and the snapshot copy is exactly what the offline reader parses
    conn = duckdb.connect()
    assert load_sdmx_tsv(conn, target, "parsed", "1 as x") == 5
    assert conn.execute("select geo, unit, time_period, value, flag from parsed order by all").fetchall() == [
        ("ZZ", "NR", "2018", 10.0, None),
        ("ZZ", "NR", "2019", 12.0, None),
        ("ZZ", "P_HTHAB", "2018", 0.52, None),
        ("ZZ", "P_HTHAB", "2019", 0.61, "e"),
        ("ZZ", "P_HTHAB", "2020", None, "c"),
    ]


def test_fetch_without_toc_records_no_date(settings, server):
    fetched = live.fetch_dataset(SPEC, settings, None)
    assert fetched.source_last_update is None
    assert live.read_meta(fetched.path)["source_last_update"] is None


def test_fetch_replaces_an_older_snapshot(settings, server):
    plant_good_snapshot(settings)
    live.fetch_dataset(SPEC, settings, {"tst_crime": "15.03.2024"})
    assert gzip.decompress(target_of(settings).read_bytes()).decode() == TSV
    assert live.read_meta(target_of(settings))["source_last_update"] == "15.03.2024"


def test_transport_compression_is_decoded(settings, server):
    server.script("/catalogue/toc/txt", "encoded")
    server.script(DATA_PATH, "encoded")
    assert live.fetch_last_updates(settings)["tst_crime"] == "15.03.2024"
    fetched = live.fetch_dataset(SPEC, settings, None)
    # the transport layer is undone; the dataset's own gzip is kept as Eurostat sent it
    assert gzip.decompress(fetched.path.read_bytes()).decode() == TSV


def test_gisco_json_download(settings, server):
    fetched = live.fetch_dataset(GEO_SPEC, settings, None)
    assert fetched.path == settings.snapshot_dir / "geo" / "TST_POINTS.geojson"
    assert fetched.url == f"{server.url}/gisco/tst/geojson/TST_POINTS.geojson"
    assert json.loads(fetched.path.read_bytes())["features"][0]["properties"] == {"NUTS_ID": "ZZ1"}
    assert server.hits("/gisco/tst/geojson/TST_POINTS.geojson") == 1


def test_a_code_list_is_downloaded_as_tsv_and_an_html_page_never_replaces_it(settings, server):
    server.codelists["TST_CITIES"] = "ZZ001C\tSYNTHETIC city\n"
    fetched = live.fetch_dataset(CODELIST_SPEC, settings, None)
    assert fetched.path == settings.snapshot_dir / "codelists" / "tst_cities.tsv"
    assert fetched.url == f"{server.url}/sdmx/2.1/codelist/ESTAT/TST_CITIES/latest?format=TSV&lang=en"
    assert fetched.path.read_text() == "ZZ001C\tSYNTHETIC city\n"
    server.script("/sdmx/2.1/codelist/ESTAT/TST_CITIES/latest", "html200")
    with pytest.raises(DownloadFailed, match="not a valid file"):
        live.fetch_dataset(CODELIST_SPEC, settings, None)
    assert fetched.path.read_text() == "ZZ001C\tSYNTHETIC city\n"  # the good copy is kept
    assert leftovers(fetched.path.parent) == []


# --- faults


def test_500_then_200_succeeds_after_a_retry(settings, server):
    server.script(DATA_PATH, "500")
    started = time.monotonic()
    fetched = live.fetch_dataset(SPEC, settings, {"tst_crime": "15.03.2024"})
    elapsed = time.monotonic() - started
    assert server.hits(DATA_PATH) == 2
    assert gzip.decompress(fetched.path.read_bytes()).decode() == TSV
    assert 0.4 <= elapsed < BUDGET_S  # one back-off pause of 0.5 s


def test_500_every_time_gives_up_after_the_configured_attempts(settings, server):
    plant = plant_good_snapshot(settings)
    server.script(DATA_PATH, "500", "500", "500", "500")
    with pytest.raises(DownloadFailed) as info:
        live.fetch_dataset(SPEC, settings, None)
    assert server.hits(DATA_PATH) == 3
    assert "HTTP 500" in info.value.reason and "after 3 attempts" in info.value.reason
    assert_snapshot_untouched(settings, plant)


def test_404_fails_at_once(settings, server):
    server.script(DATA_PATH, "404")
    started = time.monotonic()
    with pytest.raises(DownloadFailed) as info:
        live.fetch_dataset(SPEC, settings, None)
    assert time.monotonic() - started < 0.5
    assert server.hits(DATA_PATH) == 1
    assert info.value.reason.startswith("404 not found")
    assert info.value.url.endswith("/sdmx/2.1/data/tst_crime?format=TSV&compressed=true")
    assert not target_of(settings).exists()


def test_unknown_code_is_a_404(settings, server):
    spec = dataclasses.replace(SPEC, code="tst_nope")
    with pytest.raises(DownloadFailed, match="404 not found"):
        live.fetch_dataset(spec, settings, None)
    assert server.hits("/sdmx/2.1/data/tst_nope") == 1


def test_html_with_200_does_not_replace_a_good_snapshot(settings, server):
    plant = plant_good_snapshot(settings)
    server.script(DATA_PATH, "html200")
    with pytest.raises(DownloadFailed) as info:
        live.fetch_dataset(SPEC, settings, {"tst_crime": "15.03.2024"})
    assert "the response is not a valid file" in info.value.reason
    assert "HTML" in info.value.reason
    assert server.hits(DATA_PATH) == 1  # a wrong body is not retried
    assert_snapshot_untouched(settings, plant)


def test_html_with_200_and_no_previous_snapshot_writes_nothing(settings, server):
    server.script(DATA_PATH, "html200")
    with pytest.raises(DownloadFailed):
        live.fetch_dataset(SPEC, settings, None)
    folder = target_of(settings).parent
    assert not target_of(settings).exists()
    assert list(folder.iterdir()) == []  # no temp file, no meta file


def test_truncated_gzip_does_not_replace_a_good_snapshot(settings, server):
    plant = plant_good_snapshot(settings)
    server.script(DATA_PATH, "cutgzip")
    with pytest.raises(DownloadFailed) as info:
        live.fetch_dataset(SPEC, settings, None)
    assert "gzip data is corrupt or truncated" in info.value.reason
    assert_snapshot_untouched(settings, plant)


def test_gisco_html_does_not_replace_json(settings, server):
    target = settings.snapshot_dir / "geo" / "TST_POINTS.geojson"
    target.parent.mkdir(parents=True)
    target.write_text('{"type": "FeatureCollection", "features": []}')
    server.script("/gisco/tst/geojson/TST_POINTS.geojson", "html200")
    with pytest.raises(DownloadFailed, match="not JSON"):
        live.fetch_dataset(GEO_SPEC, settings, None)
    assert target.read_text() == '{"type": "FeatureCollection", "features": []}'
    assert leftovers(target.parent) == []


def test_toc_that_is_an_html_page(settings, server):
    server.script("/catalogue/toc/txt", "html200")
    with pytest.raises(DownloadFailed) as info:
        live.fetch_last_updates(settings)
    assert "table of contents has no code/last-update columns" in info.value.reason


def test_dataset_without_live_source(settings, server):
    spec = dataclasses.replace(SPEC, live="none")
    with pytest.raises(DownloadFailed, match="no live source"):
        live.fetch_dataset(spec, settings, None)
    assert server.requests == []


@pytest.mark.parametrize("fault", ["drip", "hang"])
def test_slow_drip_and_hang_end_within_the_budget(settings, server, fault):
    plant = plant_good_snapshot(settings)
    server.script(DATA_PATH, fault, fault, fault, fault)
    started = time.monotonic()
    with pytest.raises(DownloadFailed) as info:
        live.fetch_dataset(SPEC, settings, None)
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_S + 2.0, f"{fault}: took {elapsed:.1f}s with a {BUDGET_S}s budget"
    assert elapsed >= TIMEOUT_S * 0.9  # it did wait for the network, it did not give up before trying
    assert "budget 2s" in info.value.reason
    assert_snapshot_untouched(settings, plant)


def test_hang_during_the_toc(settings, server):
    server.script("/catalogue/toc/txt", "hang", "hang", "hang")
    started = time.monotonic()
    with pytest.raises(DownloadFailed):
        live.fetch_last_updates(settings)
    assert time.monotonic() - started < BUDGET_S + 2.0


def test_the_localhost_guard_is_active():
    """The autouse guard refuses other addresses before any packet leaves (192.0.2.1 is TEST-NET-1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(AssertionError, match="192.0.2.1"):
            sock.connect(("192.0.2.1", 80))
