"""Upload validation timing, one file per process (so peak RSS is the file's alone).

    python -m benchmarks.uploads FILE --city CODE

Runs exactly what `sps upload --check` and the upload page run (read, normalise, validate: `check_file`),
then renders the report the way the CLI does (report CSV, the first 200 problems, a count per rule) and
the way the upload page does (its problems table). Prints one JSON object with seconds per phase.
Files are made by `benchmarks.scale.upload_rows` (SYNTHETIC template rows).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the validation of one upload file.")
    parser.add_argument("file")
    parser.add_argument("--city", required=True)
    parser.add_argument("--data-dir", required=True, help="an empty SPS data folder (nothing is stored)")
    args = parser.parse_args(argv)
    os.environ["SPS_DATA_DIR"] = args.data_dir
    os.environ.setdefault("SPS_UPLOAD_MAX_MB", "1000")  # the size limit is not what is measured here
    t0 = time.perf_counter()
    import pandas as pd

    from pipelines.settings import load_settings
    from pipelines.uploads.inbox import report_csv
    from pipelines.uploads.submit import check_file

    import_s = time.perf_counter() - t0
    data = Path(args.file).read_bytes()
    t1 = time.perf_counter()
    fmt, rows, problems = check_file(data, Path(args.file).name, args.city, None, load_settings())
    check_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    report = report_csv(problems)
    shown = [str(p) for p in problems[:200]]
    by_rule = Counter((p.severity, p.rule) for p in problems)
    frame = pd.DataFrame([p.as_dict() for p in problems]) if problems else pd.DataFrame()
    report_s = time.perf_counter() - t2
    print(
        json.dumps(
            {
                "format": fmt,
                "rows": len(rows),
                "problems": len(problems),
                "errors": sum(1 for p in problems if p.severity == "error"),
                "problems_by_rule": {f"{s}:{r}": n for (s, r), n in sorted(by_rule.items())},
                "report_csv_bytes": len(report),
                "report_lines_shown": len(shown),
                "report_table_rows": len(frame),
                "seconds": {"import": round(import_s, 3), "check": round(check_s, 3), "report": round(report_s, 3)},
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
