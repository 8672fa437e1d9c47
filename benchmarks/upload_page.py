"""The Upload page with a file of many problems (issue 22: "p95 <= 1 s to show the summary"), in one process.

    python -m benchmarks.upload_page --data-dir DIR [--problems 100000] [--repeats 20]

A SYNTHETIC template file (benchmarks.scale.upload_rows: every row carries one planted error) is uploaded to the
page through Streamlit's AppTest, with a token of its city. The check runs once (timed, not the target: a file
is checked once per upload and the result kept in the session). Then the page is shown again and again as a
user reads the report: page after page of problems, one rule, back to all rules. Each of those runs draws the
rule-by-rule summary, so its wall time is the time to show the summary; p50 / p95 over the runs. The same is
timed for a file of 10 problems in the same process, as the baseline the ratio is taken against, and
`summarise()` plus the summary table alone (what the first view adds to the check). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

PAGE = str(Path(__file__).resolve().parents[1] / "dashboards" / "views" / "upload.py")
CITY = "ES003C"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_s": round(statistics.median(values), 4),
        "p95_s": round(_percentile(values, 0.95), 4),
        "max_s": round(max(values), 4),
    }


def measure(problems: int, repeats: int, folder: Path, token: str) -> dict:
    from streamlit.testing.v1 import AppTest

    from benchmarks.scale import upload_rows, write_upload_csv

    path = folder / f"synthetic_upload_{problems}_problems.csv"
    write_upload_csv(path, upload_rows(CITY, problems, seed=problems, errors=problems))
    at = AppTest.from_file(PAGE, default_timeout=600)
    at.run()
    at.text_input[0].set_value(token).run()
    t0 = time.perf_counter()
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "text/csv")).run()
    first_view_s = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    found = int(at.error[0].value.split(" error(s)")[0]) if at.error else 0
    summary_rows = next(len(t.value) for t in at.table if list(t.value.columns[:2]) == ["Severity", "Rule"])
    runs = []
    for i in range(repeats):
        # what a reader does: next page, a rule, back to all rules; every run draws the summary again
        pager = at.pagination[0] if at.pagination else None
        rules = next((s for s in at.selectbox if s.label == "Show the problems of"), None)
        t = time.perf_counter()
        if pager is not None and i % 3 != 2:
            pager.set_value(min(pager.num_pages, 1 + (i % pager.num_pages))).run()
        elif rules is not None:
            rules.set_value(rules.options[i % len(rules.options)]).run()
        else:
            at.run()
        runs.append(time.perf_counter() - t)
        if at.exception:
            raise RuntimeError(at.exception[0].value)
    return {
        "problems": found,
        "file_mb": round(path.stat().st_size / 1e6, 2),
        "first_view_s": round(first_view_s, 3),
        "summary_rows": summary_rows,
        "show_summary": _summary(runs),
    }


def summary_alone(problems: int, repeats: int, folder: Path) -> dict:
    """summarise() and the page's summary table over the problems of the file, without Streamlit."""
    from benchmarks.scale import upload_rows, write_upload_csv
    from dashboards.upload_report import summary_table
    from pipelines.settings import load_settings
    from pipelines.uploads import api as uploads

    path = folder / "alone.csv"
    write_upload_csv(path, upload_rows(CITY, problems, seed=problems, errors=problems))
    _, _, found = uploads.check_file(path.read_bytes(), path.name, CITY, None, load_settings())
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        summary_table(uploads.summarise(found))
        times.append(time.perf_counter() - t)
    return {"problems": len(found), **_summary(times)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the Upload page showing the summary of a long report.")
    parser.add_argument("--data-dir", required=True, help="an empty SPS data folder (a token is issued in it)")
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ["SPS_DATA_DIR"] = args.data_dir
    os.environ.setdefault("SPS_UPLOAD_MAX_MB", "1000")  # the size limit is not what is measured here
    from pipelines.uploads.api import issue_upload_token

    _, token = issue_upload_token(Path(args.data_dir), CITY)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        baseline = measure(10, args.repeats, folder, token)
        large = measure(args.problems, args.repeats, folder, token)
        alone = summary_alone(args.problems, max(3, args.repeats // 4), folder)
    ratio = large["show_summary"]["p95_s"] / max(baseline["show_summary"]["p95_s"], 1e-9)
    print(json.dumps({"baseline": baseline, "large": large, "summary_alone": alone, "p95_ratio": round(ratio, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
