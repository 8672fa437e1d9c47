"""Live mode only: check that the urb_percep codes the indicator mapping sums still mean what the mapping
says, against Eurostat's INDIC_UR labels. The snapshot has no labels, so offline this cannot run."""

from __future__ import annotations

import csv
import io

from pipelines.errors import DownloadFailed, SpsError
from pipelines.settings import SEEDS_DIR, Settings
from pipelines.sources.live import download


class LabelMismatch(SpsError):
    def __init__(self, problems: list[str]) -> None:
        self.hint = "Update seeds/perception_question_blocks.csv (the question registry)."
        super().__init__("urb_percep labels no longer match the indicator mapping: " + "; ".join(problems) + ".")


def indic_ur_codelist_url(settings: Settings) -> str:
    return f"{settings.eurostat_api}/sdmx/2.1/codelist/ESTAT/INDIC_UR/latest?format=TSV&lang=en"


def fetch_indic_ur_labels(settings: Settings) -> dict[str, str]:
    text = download(indic_ur_codelist_url(settings), settings).decode("utf-8-sig", errors="replace")
    labels = {}
    for row in csv.reader(io.StringIO(text), delimiter="\t"):
        if len(row) >= 2:
            labels[row[0].strip()] = row[1].strip()
    if not labels:
        raise DownloadFailed(indic_ur_codelist_url(settings), "the INDIC_UR code list is empty")
    return labels


def check_perception_labels(labels: dict[str, str]) -> list[str]:
    """Problems found (empty when every mapped code exists and its label contains the expected keyword)."""
    problems = []
    with open(SEEDS_DIR / "perception_question_blocks.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["is_numerator"] != "true":
                continue
            label = labels.get(row["indic_ur"])
            if label is None:
                problems.append(f"{row['indic_ur']} is not in Eurostat's INDIC_UR code list")
            elif row["label_keyword"].lower() not in label.lower():
                problems.append(
                    f"{row['indic_ur']} is labelled {label!r}, expected it to mention "
                    f"{row['label_keyword']!r} ({row['answer_label']})"
                )
            elif any(word and word in label.lower() for word in row["label_excludes"].lower().split("|")):
                # 'unsafe' contains 'safe': a numerator label must not name a negative answer
                problems.append(
                    f"{row['indic_ur']} is labelled {label!r}, a negative answer, but the mapping "
                    f"counts it as {row['answer_label']!r}"
                )
    return problems
