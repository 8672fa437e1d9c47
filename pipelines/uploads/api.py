"""The one way into city uploads for the `sps` command and the dashboard's Upload page: both call these
functions, so a file gets the same checks, the same report and the same storage whichever door it came in by.

    inspect_file(data, name)      can it be read, what columns, is it the SPS template or an Open SDG file
    check_file(...)               every problem of the file at once, nothing stored
    submit_upload(...)            token checked, file checked, stored in the inbox (or quarantine)
    report_csv(problems)          the problem report as CSV (the file `sps upload` writes beside the upload)
    summarise(problems)           problems grouped by rule, for long reports
    write_template(out)           the upload template (CSV or XLSX with its data dictionary)
    catalogue_indicator_codes()   the indicators a city may report
    verify_upload_token / issue_upload_token / revoke_upload_token / list_upload_tokens / expiring_tokens
    verify_upload_token_limited   the upload page's check: slowed down, then refused, after repeated wrong tokens
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.uploads.formats import OPEN_SDG_RESERVED, Mapping, detect_format
from pipelines.uploads.inbox import report_csv
from pipelines.uploads.limiter import TooManyWrongTokens, verify_upload_token_limited
from pipelines.uploads.parse import read_table
from pipelines.uploads.problems import Problem, RuleSummary, summarise
from pipelines.uploads.submit import UploadResult, check_file, submit_upload, upload_max_bytes
from pipelines.uploads.template import write_template
from pipelines.uploads.tokens import (
    expiring_tokens,
    issue_upload_token,
    list_upload_tokens,
    revoke_upload_token,
    verify_upload_token,
)
from pipelines.uploads.validate import Catalogue

__all__ = [
    "OPEN_SDG_RESERVED",
    "FileShape",
    "Mapping",
    "Problem",
    "RuleSummary",
    "TooManyWrongTokens",
    "UploadResult",
    "catalogue_indicator_codes",
    "check_file",
    "expiring_tokens",
    "inspect_file",
    "issue_upload_token",
    "list_upload_tokens",
    "report_csv",
    "revoke_upload_token",
    "submit_upload",
    "summarise",
    "upload_max_bytes",
    "verify_upload_token",
    "verify_upload_token_limited",
    "write_template",
]


@dataclass(frozen=True)
class FileShape:
    """What a file looks like before it is checked: its header and format, or why it cannot be read."""

    header: list[str] = field(default_factory=list)
    format: str | None = None  # "sps_template" | "open_sdg" | None (unknown)
    problems: list[str] = field(default_factory=list)


def inspect_file(data: bytes, filename: str) -> FileShape:
    table = read_table(data, filename, upload_max_bytes())
    if table.problems:
        return FileShape(problems=table.problems)
    return FileShape(header=table.header, format=detect_format(table.header))


def catalogue_indicator_codes() -> list[str]:
    return sorted(Catalogue.load().units)
