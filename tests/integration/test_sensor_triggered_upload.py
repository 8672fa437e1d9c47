"""The sensor path end to end: the secretariat drops a real city file (with its mapping) and a broken file in
the drop folder; the inbox sensor turns them into an inbox submission and a quarantined one and requests a
refresh; that run publishes the file's values. Runs in a subprocess so the code location sees the data dir."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest

from pipelines.versions.connection import connect_version
from tests.conftest import PROJECT_ROOT, refreshed_copy, sps_env
from tests.fixtures.private import opened, opened_text

pytestmark = pytest.mark.integration
MAPPING = PROJECT_ROOT / "examples" / "mappings" / "valencia_16-1-4_homicide_rate.yml"
SCRIPT = """
import json, dagster as dg
from pipelines.definitions import defs
from pipelines.operations.sensors import inbox_sensor
instance = dg.DagsterInstance.get()
request = inbox_sensor(dg.build_sensor_context(instance=instance, definitions=defs))
assert isinstance(request, dg.RunRequest), request
result = defs.resolve_job_def("refresh").execute_in_process(
    instance=instance, tags=request.tags, raise_on_error=False,
    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
again = inbox_sensor(dg.build_sensor_context(instance=instance, definitions=defs))
print(json.dumps({"run_key": request.run_key, "success": result.success, "then": type(again).__name__}))
"""


def test_dropped_files_are_checked_and_published_by_the_sensor_run(tmp_path, snapshot_dir, refreshed_data_dir):
    data = refreshed_copy(refreshed_data_dir, tmp_path / "data")  # the real snapshot, published
    drop = data / "dropbox" / "ES003C"
    drop.mkdir(parents=True)
    source = snapshot_dir / "city_reported" / "valencia" / "indicator_16-1-4.csv"
    shutil.copy(source, drop / "indicator_16-1-4.csv")
    shutil.copy(MAPPING, drop / "indicator_16-1-4.csv.mapping.yml")
    (drop / "broken.csv").write_text("indicator_code,geo_code,period,value,unit\nhomicide_rate,ES002C,2019,x,%\n")
    env = sps_env(data, snapshot_dir, DAGSTER_HOME=str(data / "dagster_home"))  # the folder's own (telemetry off)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["success"] and outcome["then"] == "SkipReason"  # loaded: the same set never triggers again
    assert not [p for p in drop.iterdir()]  # every dropped file went to the inbox or quarantine
    (rejected,) = list((data / "quarantine").iterdir())
    report = list(csv.DictReader(opened_text(rejected / "report.csv")))
    assert {r["rule"] for r in report} == {"wrong_city", "not_a_number", "unit"}
    (accepted,) = list((data / "inbox").iterdir())
    assert opened(accepted / "original.csv") == source.read_bytes()
    published = data / "published" / (data / "published" / "CURRENT").read_text().strip()
    with connect_version(str(published)) as db:
        got = dict(
            db.execute(
                "select period, value from fct_observations where source_type = 'city_report' and geo_code = 'ES003C' "
                "and indicator_code = 'homicide_rate'"
            ).fetchall()
        )
    with open(source, newline="", encoding="utf-8") as fh:
        expected = {row["Year"]: float(row["Value"]) for row in csv.DictReader(fh)}
    assert got == expected
