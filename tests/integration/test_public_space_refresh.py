"""Public space end to end: València's boundary, its real districts (read in place from the snapshot), a
SYNTHETIC inventory and SYNTHETIC audits go through `sps space upload` / `sps audit upload`, two bad files are
rejected, and a real `sps refresh` on the real snapshot publishes SDG 11.7.1 for the city and its 22 districts,
the audit figures, the districts as sub-city geographies and the map layer; nothing of a rejected file appears in
any published table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from altair.utils.schemapi import debug_mode
from streamlit.testing.v1 import AppTest

from examples.spaces.generate import districts_file, generate, write
from pipelines.versions.connection import connect_version
from tests.conftest import refreshed_copy, run_sps, sps_env

pytestmark = pytest.mark.integration
CITY = "ES003C"
MARKER = "REJECTED-MARKER"  # only the rejected files carry it


@pytest.fixture(scope="module")
def published(tmp_path_factory, snapshot_dir, refreshed_data_dir):
    work = tmp_path_factory.mktemp("public_space")
    env = sps_env(refreshed_copy(refreshed_data_dir, work / "data"), snapshot_dir)
    token = run_sps(["token", "issue", "--city", CITY], env).stdout.strip().splitlines()[-1]
    files = write(generate(districts_file(snapshot_dir), spaces=150, audits=120, seed=11), work / "files")
    real_districts = districts_file(snapshot_dir)
    uploads = [
        ["space", "upload", str(files["boundary"]), "--kind", "boundary"],
        [
            "space",
            "upload",
            str(real_districts),
            "--kind",
            "districts",
            "--map",
            "coddistrit=district_code",
            "--map",
            "nombre=name",
        ],
        ["space", "upload", str(files["open-spaces"]), "--kind", "open-spaces", "--period", "2025"],
        ["audit", "upload", str(files["audits"])],
    ]
    accepted = []
    for args in uploads:
        result = run_sps([*args, "--city", CITY, "--token", token], env)
        assert result.returncode == 0, result.stdout + result.stderr
        accepted.append(result.stdout)
    assert not Path(str(real_districts) + ".report.csv").exists()  # nothing written beside the snapshot file

    bad_spaces = json.loads(files["open-spaces"].read_text())
    bad_spaces["features"] = bad_spaces["features"][:3]
    bad_spaces["features"][0]["properties"]["space_id"] = MARKER
    bad_spaces["features"][1]["properties"]["type"] = "forest"  # the error that rejects the file
    (work / "bad_spaces.geojson").write_text(json.dumps(bad_spaces))
    bad_audits = files["audits"].read_text().splitlines()
    header = bad_audits[0].split(",")
    row = bad_audits[1].split(",")
    row[header.index("site_id")] = MARKER
    row[header.index("lighting")] = "5"
    (work / "bad_audits.csv").write_text("\n".join([bad_audits[0], ",".join(row)]) + "\n")
    rejected = [
        run_sps(
            [
                "space",
                "upload",
                str(work / "bad_spaces.geojson"),
                "--kind",
                "open-spaces",
                "--city",
                CITY,
                "--token",
                token,
            ],
            env,
        ),
        run_sps(["audit", "upload", str(work / "bad_audits.csv"), "--city", CITY, "--token", token], env),
    ]
    for result in rejected:
        assert result.returncode == 1 and "nothing was loaded" in result.stderr, result.stdout + result.stderr

    result = run_sps(["refresh"], env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = work / "data"
    name = (data / "published" / "CURRENT").read_text().strip()
    conn = connect_version(str(data / "published" / name))
    yield conn, rejected, accepted, data
    conn.close()


def test_sdg_11_7_1_is_published_for_valencia_and_its_22_districts(published):
    conn, *_ = published
    rows = conn.execute(
        """select o.geo_code, o.value, o.source_type, o.comparability_group, g.geo_level, g.geo_name,
                  g.parent_geo_code
           from fct_observations o join dim_geographies g using (geo_code)
           where o.indicator_code = 'open_public_space_share' and o.geo_code like 'ES003C%'"""
    ).fetchall()
    by_geo = {r[0]: r for r in rows}
    assert len(by_geo) == 23 and {r[2] for r in rows} == {"city_inventory"}
    assert {r[3] for r in rows} == {"public_space_inventory:open spaces only:administrative boundary"}
    assert by_geo["ES003C:d1"][4:] == ("district", "CIUTAT VELLA", CITY)
    assert by_geo["ES003C:d171"][5] == "POBLATS DEL NORD (d171)"
    # District shares weighted by district area add back to the city share (the real outlines; slivers aside).
    areas = dict(
        conn.execute(
            "select geo_code, area_m2 from dim_public_spaces where layer = 'district' and city_code = ?", [CITY]
        ).fetchall()
    )
    weighted = sum(by_geo[g][1] * a for g, a in areas.items()) / sum(areas.values())
    assert weighted == pytest.approx(by_geo[CITY][1], rel=1e-4)
    assert sum(areas.values()) / 1e6 == pytest.approx(136.96, rel=2e-3)


def test_audit_figures_and_the_map_layer_are_published(published):
    conn, *_ = published
    methods = dict(
        conn.execute(
            """select uncertainty_method, count(*) from fct_observations
               where indicator_code = 'audit_safety_score' and geo_code = ? group by 1""",
            [CITY],
        ).fetchall()
    )
    assert methods == {"bootstrap_sites": 2}  # day and after dark, never pooled
    layers = dict(conn.execute("select layer, count(*) from dim_public_spaces group by 1").fetchall())
    assert layers == {"boundary": 1, "district": 22, "open_space": 150}
    assert conn.execute("select count(*) from dim_audit_sites").fetchall()[0][0] > 0
    lineage = conn.execute(
        "select lineage_id from fct_observations where indicator_code = 'open_public_space_share' and geo_code = ?",
        [CITY],
    ).fetchall()[0][0]
    spaces_id = conn.execute("select distinct submission_id from dim_public_spaces where layer = 'open_space'")
    assert f"open-spaces:{spaces_id.fetchall()[0][0]}" in lineage


def test_example_data_is_labelled_synthetic_on_every_published_row(published):
    conn, *_ = published
    rows = conn.execute(
        """select quality_note, has_quality_warning from fct_observations
           where source_type in ('city_inventory', 'city_audit')"""
    ).fetchall()
    assert rows and all(note.startswith("SYNTHETIC example data, not the city's") and warn for note, warn in rows)


def test_nothing_of_a_rejected_file_is_published(published):
    conn, rejected, *_ = published
    assert all("rejected" in r.stderr for r in rejected)
    tables = [r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()]
    for table in tables:
        columns = [
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns where table_name = ? and data_type = 'VARCHAR'",
                [table],
            ).fetchall()
        ]
        if not columns:
            continue
        condition = " or ".join(f'contains("{c}", ?)' for c in columns)
        found = conn.execute(f'select count(*) from "{table}" where {condition}', [MARKER] * len(columns)).fetchall()
        assert found[0][0] == 0, f"{table} holds a row of a rejected file"


def test_city_profile_shows_the_public_space_section(published, monkeypatch):
    conn, _, _, data = published
    monkeypatch.setenv("SPS_DATA_DIR", str(data))
    page = Path(__file__).resolve().parents[2] / "dashboards" / "views" / "city_profile.py"
    at = AppTest.from_file(str(page), default_timeout=120)
    at.query_params["city"] = CITY
    at.run()
    assert not at.exception
    assert any(s.value.startswith("Public space: open space for public use (SDG 11.7.1)") for s in at.subheader)
    assert any("SYNTHETIC example data" in w.value for w in at.warning)
    share = conn.execute(
        "select value from fct_observations where indicator_code = 'open_public_space_share' and geo_code = ?",
        [CITY],
    ).fetchall()[0][0]
    metric = next(m for m in at.metric if m.label.startswith("Open space for public use (2025"))
    assert metric.value == f"{share:.1f}"
    districts = next(d.value for d in at.dataframe if "open_public_space_share" in d.value.columns)
    assert len(districts) == 22
    at.radio(key="public-space-colour").set_value("audit score after dark").run()
    assert not at.exception


def test_public_space_charts_are_valid_vega_lite(published, monkeypatch):
    _, _, _, data = published
    monkeypatch.setenv("SPS_DATA_DIR", str(data))
    from dashboards import charts, queries

    version = queries.current_published()
    layers = queries.public_space_layers(version, CITY)
    sites = queries.audit_sites(version, CITY)
    audits = queries.audit_day_night(version, CITY)
    with debug_mode(True):
        for colour_by in ("type", "score"):
            charts.public_space_map(
                charts.shape_features(layers[layers["layer"] == "boundary"], ("feature_id",)),
                charts.shape_features(layers[layers["layer"] == "district"], ("feature_id", "name")),
                charts.shape_features(layers[layers["layer"] == "open_space"], ("feature_id", "space_type")),
                sites,
                colour_by,
            ).to_dict(validate=True)
        districts = layers[layers["layer"] == "district"].assign(value=1.0, code=lambda f: f["feature_id"])
        charts.district_choropleth(
            charts.shape_features(districts, ("geo_code", "value")), districts, "% of built-up area"
        ).to_dict(validate=True)
        frame = audits.assign(label=audits["parameter"].fillna("score"), time=audits["time_of_day"])
        spec = charts.day_after_dark_chart(frame, "score").to_dict(validate=True)
    assert len(spec["layer"]) == 2  # whiskers and points


def test_the_city_report_has_the_sdg_11_7_1_public_space_section(published):
    conn, *_ = published
    from pipelines.outputs.report.build import build_city_report

    html = build_city_report(conn, CITY).html
    # the first table (key figures) marks the example's figures too, not only the section further down
    key_figures = html[: html.index("<nav>")]
    open_space = key_figures[key_figures.index(">Open space for public use<") :]
    assert open_space[: open_space.index("</tr>")].count('<strong class="synthetic">SYNTHETIC</strong>') == 1
    # the city's inventory and audits are named as sources, with their provider and licence (they read "unknown")
    sources = html[html.index('id="sources"') :]
    assert "Public-space inventory sent by the city" in sources and "Site safety audits sent by the city" in sources
    assert "unknown" not in sources
    section = html[html.index('id="public-space"') :]
    section = section[: section.index("</div>")]
    assert "SYNTHETIC example data" in section
    assert section.count("<tr>") >= 22 + 2  # 22 districts, day and after dark
    share = conn.execute(
        "select value from fct_observations where indicator_code = 'open_public_space_share' and geo_code = ?",
        ["ES003C:d1"],
    ).fetchall()[0][0]
    assert f'<td>CIUTAT VELLA</td><td class="num">{share:,.1f}</td>' in section
    assert "Site safety audits by day and after dark" in section
