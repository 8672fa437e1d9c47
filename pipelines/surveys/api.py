"""The one way into the city survey kit for the `sps survey` commands and the dashboard's Upload page: both call
these functions, so a survey gets the same checks, estimates and private storage whichever door it came in by.

    write_form(out, langs, city, districts)    the SPS core XLSForm (sps_core_v1) for KoboToolbox / ODK
    districts_from_design(design_yml)          the district codes and names a design.yml lists
    check_survey(...)                          every problem of a survey file at once, nothing stored
    estimate_survey(check)                     the tidy estimates of an accepted check (a dry run stores nothing)
    submit_survey(...)                         token checked, file checked and estimated, kept in the private store
    withdraw_survey(id, city, token, settings) microdata deleted, estimates out of the next published version
    list_surveys(settings, city)               a city's surveys (no microdata)
    report_csv(problems) / summarise(problems) the problem report, as for city uploads
"""

from __future__ import annotations

import yaml

from pipelines.surveys.check import SurveyCheck, check_survey, estimate_survey
from pipelines.surveys.core import INDICATORS, LANGUAGES, MODULE
from pipelines.surveys.form import FormError, parse_languages, write_core_form
from pipelines.surveys.store import SurveyStoreError, read_audit
from pipelines.surveys.submit import SurveyUploadResult, list_surveys, read_design_files, submit_survey, withdraw_survey
from pipelines.uploads.inbox import report_csv
from pipelines.uploads.problems import Problem, RuleSummary, summarise
from pipelines.uploads.submit import upload_max_bytes
from pipelines.uploads.tokens import verify_upload_token

__all__ = [
    "INDICATORS",
    "LANGUAGES",
    "MODULE",
    "FormError",
    "Problem",
    "RuleSummary",
    "SurveyCheck",
    "SurveyStoreError",
    "SurveyUploadResult",
    "check_survey",
    "districts_from_design",
    "estimate_survey",
    "list_surveys",
    "parse_languages",
    "read_audit",
    "read_design_files",
    "report_csv",
    "submit_survey",
    "summarise",
    "upload_max_bytes",
    "verify_upload_token",
    "withdraw_survey",
    "write_form",
]


def districts_from_design(design_yml: bytes | None) -> dict[str, str] | None:
    """design.yml's `districts:` (code -> name), to ask district as a list in the form; None when absent."""
    if not design_yml:
        return None
    try:
        doc = yaml.safe_load(design_yml.decode("utf-8-sig")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FormError(f"design.yml is not valid UTF-8 YAML ({exc}).") from None
    districts = doc.get("districts") if isinstance(doc, dict) else None
    return {str(k): str(v) for k, v in districts.items()} if isinstance(districts, dict) and districts else None


def write_form(out, langs=None, city: str | None = None, districts: dict[str, str] | None = None):
    return write_core_form(out, langs, city, districts)
