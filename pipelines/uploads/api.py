"""The one way into city uploads for the `sps` command and the dashboard's Upload page: both call these
functions, so a file gets the same checks, the same report and the same storage whichever door it came in by.

    inspect_file(data, name)      can it be read, what columns, is it the SPS template or an Open SDG file
    check_file(...)               every problem of the file at once, nothing stored
    submit_upload(...)            token checked, file checked, stored in the inbox (or quarantine)
    report_csv(problems)          the problem report as CSV (the file `sps upload` writes beside the upload)
    summarise(problems)           problems grouped by rule, for long reports
    write_template(out)           the upload template (CSV or XLSX with its data dictionary)
    write_target_template(out)    the target sheet (a city's targets; sent with submit_upload like any file)
    column_dictionary() / indicator_dictionary()   what each column and indicator takes (units, codes, synonyms)
    catalogue_indicator_codes()   the indicators a city may report
    upload_max_mb()               the largest upload accepted (SPS_UPLOAD_MAX_MB)
    token_city(data_dir, token)   the city a token may write (token_city_limited: the upload page's, limited)
    verify_upload_token / issue_upload_token / revoke_upload_token / list_upload_tokens / expiring_tokens
    verify_upload_token_limited   the upload page's check: slowed down, then refused, after repeated wrong tokens
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.uploads.formats import OPEN_SDG_RESERVED, Mapping, detect_format
from pipelines.uploads.inbox import report_csv
from pipelines.uploads.limiter import TooManyWrongTokens, token_city_limited, verify_upload_token_limited
from pipelines.uploads.parse import read_table
from pipelines.uploads.problems import MessageSummary, Problem, RuleSummary, summarise
from pipelines.uploads.submit import UploadResult, check_file, submit_upload, upload_max_bytes, upload_max_mb
from pipelines.uploads.targets import write_target_template
from pipelines.uploads.template import column_dictionary, indicator_dictionary, write_template
from pipelines.uploads.tokens import (
    TokenRejected,
    expiring_tokens,
    issue_upload_token,
    list_upload_tokens,
    revoke_upload_token,
    token_city,
    verify_upload_token,
)
from pipelines.uploads.validate import Catalogue

__all__ = [
    "OPEN_SDG_RESERVED",
    "FileShape",
    "Mapping",
    "MessageSummary",
    "Problem",
    "RuleSummary",
    "TokenRejected",
    "TooManyWrongTokens",
    "UploadResult",
    "catalogue_indicator_codes",
    "check_file",
    "column_dictionary",
    "expiring_tokens",
    "indicator_dictionary",
    "inspect_file",
    "issue_upload_token",
    "list_upload_tokens",
    "report_csv",
    "revoke_upload_token",
    "submit_upload",
    "summarise",
    "token_city",
    "token_city_limited",
    "upload_max_bytes",
    "upload_max_mb",
    "verify_upload_token",
    "write_target_template",
    "verify_upload_token_limited",
    "write_template",
]


@dataclass(frozen=True)
class FileShape:
    """What a file looks like before it is checked: its header and format, or why it cannot be read."""

    header: list[str] = field(default_factory=list)
    format: str | None = None  # "sps_template" | "open_sdg" | "sps_targets" | None (unknown)
    problems: list[str] = field(default_factory=list)


def inspect_file(data: bytes, filename: str) -> FileShape:
    table = read_table(data, filename, upload_max_bytes())
    if table.problems:
        return FileShape(problems=table.problems)
    return FileShape(header=table.header, format=detect_format(table.header))


def catalogue_indicator_codes() -> list[str]:
    return sorted(Catalogue.load().units)
