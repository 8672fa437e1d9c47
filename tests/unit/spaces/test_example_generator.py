"""The SYNTHETIC València example (examples/spaces/generate.py) is labelled and passes the checks it demonstrates."""

from __future__ import annotations

import json

from examples.spaces.generate import districts_file, generate, write
from pipelines.spaces.audits import check_audits
from pipelines.spaces.layers import LayerMapping
from pipelines.spaces.validate import check_layer
from tests.conftest import real_snapshot_dir


def test_the_example_is_synthetic_and_accepted(tmp_path):
    path = districts_file(real_snapshot_dir())
    paths = write(generate(path, spaces=60, audits=40, seed=3), tmp_path)
    boundary = check_layer(paths["boundary"].read_bytes(), "boundary.geojson", "boundary")
    assert boundary.accepted and boundary.features[0].properties["boundary_type"] == "administrative"
    outline = boundary.projected()[0]
    districts = check_layer(
        path.read_bytes(),
        path.name,
        "districts",
        LayerMapping.from_options(["coddistrit=district_code"]),
        boundary=outline,
    )
    assert districts.accepted
    spaces = check_layer(paths["open-spaces"].read_bytes(), "open_spaces.geojson", "open-spaces", boundary=outline)
    assert spaces.accepted, [str(p) for p in spaces.problems if p.severity == "error"]
    assert len(spaces.features) == 60
    assert all(f.properties["name"].startswith("[SYNTHETIC]") for f in spaces.features)
    assert json.loads(paths["open-spaces"].read_text())["name"].startswith("[SYNTHETIC]")
    audits = check_audits(paths["audits"].read_bytes(), "audits.csv", boundary=outline)
    assert audits.accepted and len(audits.audits) == 40 and audits.is_standard_form
    assert {a.time_of_day for a in audits.audits} == {"day", "after_dark"}
    assert (tmp_path / "SYNTHETIC.md").exists()
