"""Submitting a city survey: token checked, file checked (every problem at once), estimates made, and the whole
submission kept in the private store (store.py) for the next refresh; a rejected file goes to the store's
quarantine with its report. Also the survey registry rows an upload makes (who asked what, of whom, how, and the
achieved sample), which the refresh carries into dim_survey_registry."""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.errors import SpsError
from pipelines.settings import Settings
from pipelines.shared.synthetic import is_synthetic, synthetic_note
from pipelines.surveys import store
from pipelines.surveys.check import SurveyCheck, check_survey, estimate_survey
from pipelines.surveys.core import BY_NAME, CHOICES, INDICATOR_BY_CODE, MODULE
from pipelines.surveys.labels import choice_key, text
from pipelines.uploads.inbox import report_csv
from pipelines.uploads.problems import Problem
from pipelines.uploads.submit import next_submission_time, upload_max_bytes
from pipelines.uploads.tokens import verify_upload_token

DEVIATION = {
    "feel_safe_after_dark": "Matches the SDG 16.1.4 question; 'never goes out alone after dark' counts as not safe.",
    "harassment_public_space_prevalence": "The public-space part of SDG 11.7.2, from the place of the last incident.",
    "reporting_rate_violence": "SDG 16.3.1 asks about any competent authority; the module asks about the police.",
}


@dataclass
class SurveyUploadResult:
    accepted: bool
    submission_id: str
    problems: list[Problem] = field(default_factory=list)
    respondents: int = 0
    estimates: pl.DataFrame | None = None
    stored_at: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def registry_rows(check: SurveyCheck, estimates: pl.DataFrame, submission_id: str, uploaded_at: str) -> list[dict]:
    """One survey registry row per indicator estimated for the whole city (the columns of seeds/survey_registry.csv),
    made from design.yml's survey facts, the questionnaire and the achieved sample."""
    facts = check.survey
    totals = estimates.filter(
        (pl.col("geo_code") == check.city)
        & pl.col("sex").is_null()
        & pl.col("age_group").is_null()
        & pl.col("breakdown").is_null()
    )
    start, end = facts.get("fieldwork_start"), facts.get("fieldwork_end")
    rows = []
    for total in totals.iter_rows(named=True):
        indicator = INDICATOR_BY_CODE[total["indicator_code"]]
        choices = BY_NAME[indicator.variable].choices
        rate = facts.get("response_rate")
        rows.append(
            {
                "survey_id": f"{MODULE}/{submission_id}",
                "wave": check.period,
                "indicator_code": indicator.code,
                "survey_name": facts.get("name") or f"SPS core survey ({MODULE}), {check.city} {check.period}",
                "producer": facts.get("producer") or f"{check.city} (producer not given)",
                "population_universe": facts.get("universe") or "residents aged 15 and over (not stated further)",
                "mode": facts.get("mode") or "not given",
                "question_wording": text(f"question.{indicator.variable}", "en"),
                "response_scale": "; ".join(text(choice_key(choices, c), "en") for c in CHOICES[choices]),
                "numerator_answers": " + ".join(text(choice_key(choices, c), "en") for c in indicator.numerator),
                "deviation_from_sdg": DEVIATION.get(indicator.code, ""),
                "sample_size": total["sample_size"],
                "sample_size_kind": "achieved: unweighted respondents answering the question",
                "is_sample_size_approximate": False,
                "design_effect": total["deff"],
                "reference_period": f"fieldwork {start} to {end}" if start and end else check.period,
                "source_citation": f"Uploaded by {check.city} on {uploaded_at[:10]} (submission {submission_id}); "
                f"{facts.get('achieved_n')} interviews, {facts.get('weighting')} weights"
                + (f", response rate {rate:.0%}" if rate else ""),
            }
        )
    return rows


def submit_survey(
    data: bytes,
    filename: str,
    city: str,
    token: str,
    settings: Settings,
    design_yml: bytes | None = None,
    margins_csv: bytes | None = None,
    period: str | None = None,
) -> SurveyUploadResult:
    city = (city or "").strip().upper()
    token_id = verify_upload_token(settings.data_dir, token, city)
    sha = hashlib.sha256(data).hexdigest()
    now = next_submission_time(settings.data_dir)
    submission_id = f"{now:%Y%m%dT%H%M%S%fZ}-{city}-{sha[:8]}"
    check = check_survey(data, filename, city, design_yml, margins_csv, period, max_bytes=upload_max_bytes())
    result = SurveyUploadResult(check.accepted, submission_id, check.problems)
    metadata = {
        "submission_id": submission_id,
        "module": MODULE,
        "city_code": city,
        "token_id": token_id,
        "uploaded_at": now.isoformat(),
        "original_filename": os.path.basename(filename.replace("\\", "/")),
        "sha256": sha,
        "format": check.format,
        "period": check.period,
        "warnings": [p.as_dict() for p in check.warnings],
    }
    extension = store.safe_extension(filename)
    extras = {name: payload for name, payload in (("design.yml", design_yml), ("margins.csv", margins_csv)) if payload}
    if not check.accepted:
        metadata["problems"] = [p.as_dict() for p in check.problems]
        folder = store.write_folder(
            store.quarantine_dir(settings.data_dir),
            submission_id,
            {
                f"original.{extension}": data,
                **extras,
                store.REPORT_FILE: report_csv(check.problems).encode("utf-8"),
                store.METADATA_FILE: json.dumps(metadata, indent=2, default=str).encode("utf-8"),
            },
        )
        store.append_audit(
            settings.data_dir,
            "upload_rejected",
            submission_id=submission_id,
            city_code=city,
            token_id=token_id,
            sha256=sha,
            errors=len(check.errors),
        )
        result.stored_at = str(folder)
        return result
    estimates = estimate_survey(check)
    if is_synthetic(check.survey.get("name"), check.survey.get("producer")):  # the examples: labelled on every row
        estimates = estimates.with_columns(
            pl.col("note").map_elements(synthetic_note, return_dtype=pl.Utf8, skip_nulls=False)
        )
        metadata["is_synthetic"] = True
    metadata.update(
        survey=check.survey,
        design={
            "weighting": check.design.weighting,
            "stratum": check.design.stratum,
            "psu": check.design.psu,
            "fpc": check.design.fpc,
        },
        achieved_n=check.microdata.height,
        estimate_rows=estimates.height,
        published_rows=int(estimates["value"].is_not_null().sum()),
        registry=registry_rows(check, estimates, submission_id, now.isoformat()),
    )
    folder = store.write_folder(
        store.submissions_dir(settings.data_dir),
        submission_id,
        {
            f"original.{extension}": data,
            **extras,
            "microdata.parquet": _parquet_bytes(check.microdata),  # sealed: it never reaches the disk in plain
            store.ESTIMATES_FILE: lambda path: estimates.write_csv(path),
            store.METADATA_FILE: json.dumps(metadata, indent=2, default=str).encode("utf-8"),
        },
    )
    store.append_audit(
        settings.data_dir,
        "upload_accepted",
        submission_id=submission_id,
        city_code=city,
        token_id=token_id,
        sha256=sha,
        respondents=check.microdata.height,
        estimates=estimates.height,
    )
    result.respondents, result.estimates, result.stored_at = check.microdata.height, estimates, str(folder)
    return result


def _parquet_bytes(frame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def withdraw_survey(submission_id: str, city: str, token: str, settings: Settings) -> dict:
    city = (city or "").strip().upper()
    token_id = verify_upload_token(settings.data_dir, token, city)
    return store.withdraw(settings.data_dir, submission_id.strip(), city, token_id)


def list_surveys(settings: Settings, city: str | None = None) -> list[dict]:
    """The city's accepted surveys (newest last): id, period, respondents, estimates, withdrawn or not. No microdata."""
    out = []
    for submission_id in store.submission_ids(settings.data_dir):
        folder = store.submissions_dir(settings.data_dir) / submission_id
        metadata = store.read_metadata(folder)
        if city and metadata.get("city_code") != city.strip().upper():
            continue
        withdrawn = folder / store.WITHDRAWN_FILE
        out.append(
            {
                "submission_id": submission_id,
                "city_code": metadata.get("city_code"),
                "period": metadata.get("period"),
                "uploaded_at": metadata.get("uploaded_at"),
                "original_filename": metadata.get("original_filename"),
                "respondents": metadata.get("achieved_n"),
                "estimates": metadata.get("estimate_rows"),
                "withdrawn_at": json.loads(withdrawn.read_text(encoding="utf-8"))["withdrawn_at"]
                if withdrawn.exists()
                else None,
            }
        )
    return out


def read_design_files(design: str | Path | None, margins: str | Path | None) -> tuple[bytes | None, bytes | None]:
    """The optional design.yml and margins.csv given on the command line, as bytes."""
    out = []
    for option, path in (("--design", design), ("--margins", margins)):
        if path is None:
            out.append(None)
            continue
        path = Path(path)
        if not path.is_file():
            raise SpsError(f"{option} {path}: no such file")
        out.append(path.read_bytes())
    return out[0], out[1]
