"""The restore drill (issue 23), as the secretariat would run it after losing the machine: tokens, city uploads (a real
Valencia file with its mapping, a SYNTHETIC template file with a note), city surveys (the SYNTHETIC Toruń example
and a SYNTHETIC survey with respondent ids), public-space layers and audits (València's real districts, a SYNTHETIC
boundary, inventory and audits) and a stand-in private file of another package are backed up twice;
the data folder is refreshed; a new, empty data folder gets the newest backup and is refreshed from the same real
snapshot; every published table is the same (same rows, same values, same lineage). The older backup restored
into a third folder is the state of its day. Nothing a city sent is readable in the private store or the backup,
and the backup does not restore with another key. Two refreshes in all."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from examples.spaces.generate import districts_file, generate, write
from pipelines.settings import PROJECT_ROOT
from pipelines.vault import kept_files
from pipelines.versions.connection import connect_version
from tests.conftest import run_sps, sps_env
from tests.fixtures.survey_microdata import draw_sample, make_population, to_csv_bytes
from tests.fixtures.versions import TABLES_SQL

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAPPINGS = PROJECT_ROOT / "examples" / "mappings"
SURVEYS = PROJECT_ROOT / "examples" / "surveys"
HEADER = "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note"
NOTE = "SYNTHETIC note: reported by Ana Example, 7 Test Road"
RESPONDENT_PREFIX = "DRILL-RESP-"
STANDIN = "resp_id,answer\nDRILL-STANDIN-0001,3\n"
# What differs between two refreshes of the same inputs by construction: when things happened, and the names of
# the versions they made. Everything else must be equal, lineage (files, hashes, submission ids, load ids) included.
VOLATILE = {
    "loaded_at",
    "checked_at",
    "last_checked_at",
    "published_at",
    "detected_at",
    "recorded_at",
    "version",
    "from_version",
    "to_version",
}


def _ok(result, what: str):
    assert result.returncode == 0, f"{what}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _token(env, city: str) -> tuple[str, str]:
    out = _ok(run_sps(["token", "issue", "--city", city], env), "token").stdout.strip().splitlines()
    return re.search(r"Token (\w+) ", out[0]).group(1), out[-1]


def _kept(data: Path) -> dict[str, bytes]:
    """Every kept file but the audit trail (which records the restore itself)."""
    return {relative: path.read_bytes() for relative, path in kept_files(data) if relative != "audit.jsonl"}


def _published(data: Path) -> Path:
    return data / "published" / (data / "published" / "CURRENT").read_text().strip()


def _tables(path: Path) -> dict[str, list[tuple]]:
    """Every table of a published version (but the version's own bookkeeping), its rows sorted, volatile columns out."""
    out = {}
    with connect_version(str(path)) as conn:
        names = [r[0] for r in conn.execute(TABLES_SQL).fetchall()]
        for name in names:
            if name in ("_publication", "_health"):
                continue
            columns = [r[0] for r in conn.execute(f'select column_name from (describe "{name}")').fetchall()]
            kept = [c for c in columns if c not in VOLATILE]
            select = ", ".join(f'"{c}"' for c in kept)
            out[name] = [tuple(kept)] + conn.execute(f'select {select} from "{name}" order by all').fetchall()
    return out


def test_a_data_folder_restored_from_its_backup_publishes_every_table_identically(tmp_path, snapshot_dir):
    data, dest = tmp_path / "data", tmp_path / "backup-disk"
    env = sps_env(data, snapshot_dir)

    # --- day one: tokens, a real city file, a synthetic file with a note, a survey, another package's private file
    valencia_id, valencia = _token(env, "ES003C")
    _, torun = _token(env, "PL013C")
    real = snapshot_dir / "city_reported" / "valencia" / "indicator_16-1-4.csv"
    mapping = MAPPINGS / "valencia_16-1-4_homicide_rate.yml"
    _ok(run_sps(["upload", str(real), "--city", "ES003C", "--token", valencia, "--mapping", str(mapping)], env), "up")
    noted = tmp_path / "noted.csv"
    noted.write_text(f"{HEADER}\nfeel_safe_after_dark,ES003C,2019,,,,61.5,%,58.2,64.8,700,Synthetic survey,{NOTE}\n")
    _ok(run_sps(["upload", str(noted), "--city", "ES003C", "--token", valencia], env), "upload with a note")
    survey = ["survey", "upload", str(SURVEYS / "torun_2026_kobo_export.csv"), "--city", "PL013C", "--token", torun]
    _ok(run_sps([*survey, "--design", str(SURVEYS / "design.yml")], env), "Toruń survey")
    spaces = write(generate(districts_file(snapshot_dir), spaces=30, audits=25, seed=23), tmp_path / "spaces")
    for args in (
        ["space", "upload", str(spaces["boundary"]), "--kind", "boundary"],
        ["space", "upload", str(districts_file(snapshot_dir)), "--kind", "districts"]
        + ["--map", "coddistrit=district_code", "--map", "nombre=name"],
        ["space", "upload", str(spaces["open-spaces"]), "--kind", "open-spaces", "--period", "2025"],
    ):
        _ok(run_sps([*args, "--city", "ES003C", "--token", valencia], env), args[2])
    from pipelines.vault import kept_dir, write_private

    write_private(kept_dir(data, "standin") / "microdata.csv", STANDIN.encode(), data)
    first = _ok(run_sps(["backup", str(dest)], env), "first backup")
    first_id = re.search(r"backup (\S+) to", first.stdout).group(1)
    day_one = _kept(data)

    # --- day two: a revised resubmission with a new token (the old one revoked), a survey with respondent ids
    _ok(run_sps(["token", "revoke", valencia_id], env), "revoke")
    _, valencia2 = _token(env, "ES003C")
    noted.write_text(f"{HEADER}\nfeel_safe_after_dark,ES003C,2019,,,,63.0,%,59.9,66.1,700,Synthetic survey,{NOTE}\n")
    _ok(run_sps(["upload", str(noted), "--city", "ES003C", "--token", valencia2], env), "resubmission")
    _, mechelen = _token(env, "BE012C")
    sample = draw_sample(make_population(seed=21, strata=4, psus_per_stratum=20), np.random.default_rng(5), 4, 15)
    microdata = tmp_path / "mechelen.csv"
    microdata.write_bytes(to_csv_bytes(sample.with_columns((RESPONDENT_PREFIX + pl.col("resp_id")).alias("resp_id"))))
    _ok(
        run_sps(["survey", "upload", str(microdata), "--city", "BE012C", "--token", mechelen, "--period", "2026"], env),
        "Mechelen survey",
    )
    _ok(run_sps(["audit", "upload", str(spaces["audits"]), "--city", "ES003C", "--token", valencia2], env), "audits")
    second = _ok(run_sps(["backup", str(dest)], env), "second backup")
    assert "copied" in second.stdout and "verified" in second.stdout
    listed = _ok(run_sps(["backup", str(dest), "--list"], env), "list").stdout
    assert first_id in listed and len(listed.strip().splitlines()) == 2

    # --- nothing a city sent is readable at rest: not in the private store, not in the backup
    private = [
        p
        for p in data.rglob("*")
        if p.is_file() and p.relative_to(data).parts[0] in ("inbox", "quarantine", "surveys", "kept")
    ]
    backed_up = [p for p in dest.rglob("*") if p.is_file()]
    assert len(private) > 10 and len(backed_up) > 10
    for path in private + backed_up:
        payload = path.read_bytes()
        for secret in (b"Ana Example", RESPONDENT_PREFIX.encode(), b"DRILL-STANDIN"):
            assert secret not in payload, (path, secret)

    # --- before: refresh the original data folder
    _ok(run_sps(["refresh"], env), "refresh of the original")
    before = _tables(_published(data))
    assert len(before["fct_observations"]) > 1000 and any("PL013C" in str(row) for row in before["fct_observations"])
    assert any("public_space" in str(row) or "open_public_space" in str(row) for row in before["fct_observations"])

    # --- the machine is lost: a new, empty data folder gets the newest backup and is refreshed
    restored = tmp_path / "restored"
    renv = sps_env(restored, snapshot_dir)
    out = _ok(run_sps(["restore", str(dest)], renv), "restore").stdout
    assert "sps refresh --full" in out
    assert _kept(restored) == _kept(data)
    _ok(run_sps(["refresh"], renv), "refresh of the restored folder")
    after = _tables(_published(restored))
    assert after.keys() == before.keys()
    for table, rows in before.items():
        assert after[table] == rows, f"{table} differs after the restore"
    # lineage was compared too: the observation's source, submission, survey and lineage id; the loaded file's hash
    assert {"lineage_id", "submission_id", "survey_id", "report_version"} <= set(before["fct_observations"][0])
    assert {"source_file", "source_sha256", "load_id"} <= set(before["rpt_source_freshness"][0])
    assert sum(1 for row in before["fct_observations"][1:] if row[before["fct_observations"][0].index("submission_id")])

    # --- an older backup gives the state of its day: the token not yet revoked, no resubmission, no second survey
    older = tmp_path / "day-one"
    _ok(run_sps(["restore", str(dest), "--backup", first_id], sps_env(older, snapshot_dir)), "older restore")
    assert _kept(older) == day_one
    tokens = _ok(run_sps(["token", "list"], sps_env(older, snapshot_dir)), "tokens").stdout
    assert valencia_id in tokens and "revoked" not in tokens and "BE012C" not in tokens
    assert len(list((older / "inbox").iterdir())) == 2 and len(list((data / "inbox").iterdir())) == 3
    assert len(list((older / "public_space" / "inbox").iterdir())) == 3  # the audits came on day two
    assert len(list((data / "public_space" / "inbox").iterdir())) == 4

    # --- a copy of the backup is useless elsewhere: another key restores nothing and says why
    stranger = tmp_path / "elsewhere"
    wrong = sps_env(stranger, snapshot_dir, SPS_VAULT_KEY="Zm9yZWlnbi1rZXktZm9yZWlnbi1rZXktZm9yZWlnbjA=")
    refused = run_sps(["restore", str(dest)], wrong)
    assert refused.returncode == 1 and "nothing was restored" in refused.stderr and "vault key" in refused.stderr
    assert not stranger.exists() and "Traceback" not in refused.stderr
