"""Great Expectations imported without scipy.stats and altair (pipelines/shared/deferred.py): in a fresh interpreter,
the two are stand-ins after the import, a suite still validates, and code that does use them gets the real modules
the moment it reads them (a function, a class, a submodule). What the import loaded is then frozen out of the
garbage collector."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import PROJECT_ROOT


def _fresh(code: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_great_expectations_is_imported_without_them_and_a_suite_still_validates():
    facts = _fresh(
        """
        import gc, json, sys
        import pandas as pd
        from pipelines.shared.gx import run_suite

        frame = pd.DataFrame({"id": ["a", "b", "c"], "pct": [50.0, 140.0, -1.0]})
        outcome = run_suite(
            frame, "t", lambda gxe: [("0-100", gxe.ExpectColumnValuesToBeBetween(column="pct", min_value=0,
                                                                               max_value=100))], ["id"]
        )
        print(json.dumps({
            "unexpected": sorted(row["id"] for row in outcome[0][1]),
            "stand_ins": sorted(
                n for n in ("scipy.stats", "altair") if type(sys.modules.get(n)).__name__ == "_StandIn"
            ),
            "loaded": sorted(n for n in sys.modules if n.startswith(("scipy.stats.", "altair.")))[:3],
            "collector": [gc.isenabled(), gc.get_freeze_count()],
        }))
        """
    )
    collector = facts.pop("collector")
    assert facts == {"unexpected": ["b", "c"], "stand_ins": ["altair", "scipy.stats"], "loaded": []}
    # GX's modules were frozen out of the collector after the import (pipelines/shared/collector.py), and it is on
    assert collector[0] is True and collector[1] > 100_000


def test_code_that_uses_them_gets_the_real_modules():
    facts = _fresh(
        """
        import importlib.util, json, sys
        from pipelines.shared.deferred import import_great_expectations

        import_great_expectations()
        assert importlib.util.find_spec("altair").name == "altair"  # answered without loading it
        from scipy import stats
        entropy = stats.entropy([0.5, 0.5])
        import altair as alt
        import altair.vegalite
        chart = alt.Chart().mark_point().to_dict()
        print(json.dumps({
            "entropy": round(entropy, 6),
            "mark": chart["mark"]["type"],
            "real": [type(sys.modules[n]).__name__ for n in ("scipy.stats", "altair", "altair.vegalite")],
            "same_class": sys.modules["altair"].Chart is alt.Chart,
        }))
        """
    )
    assert facts == {"entropy": 0.693147, "mark": "point", "real": ["module"] * 3, "same_class": True}


def test_modules_already_imported_or_not_installed_are_left_alone():
    facts = _fresh(
        """
        import json, sys
        import altair
        from pipelines.shared.deferred import defer

        print(json.dumps({"deferred": defer(("altair", "sps_no_such_module", "scipy.stats")),
                          "altair": type(sys.modules["altair"]).__name__}))
        """
    )
    assert facts == {"deferred": ["scipy.stats"], "altair": "module"}
