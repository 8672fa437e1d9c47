"""dbt.log keeps a build's warnings and errors (pipelines/warehouse/dbt_inprocess._kept_in_log) now that dbt's own
file logger is off: one line per event at level warn or error, secrets scrubbed as dbt scrubs them, nothing below
warn, and a log that cannot be written never fails the build."""

from __future__ import annotations

from dbt_common.events.base_types import EventLevel, msg_from_base_event
from dbt_common.events.types import Note

from pipelines.warehouse.dbt_inprocess import KEPT_LEVELS, _kept_in_log


def _msg(text: str, level: EventLevel):
    return msg_from_base_event(Note(msg=text), level=level)


def test_warnings_and_errors_are_kept_one_line_each_with_secrets_scrubbed(tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_ENV_SECRET_TOKEN", "hunter2")
    write = _kept_in_log(tmp_path / "target" / "dbt.log")
    events = [
        ("a debug line", EventLevel.DEBUG),
        ("an info line", EventLevel.INFO),
        ("3 rows failed check x (token hunter2)", EventLevel.WARN),
        ("build broke", EventLevel.ERROR),
    ]
    for text, level in events:
        msg = _msg(text, level)
        if msg.info.level in KEPT_LEVELS:  # as stream_build's callback filters
            write(msg)
    lines = (tmp_path / "target" / "dbt.log").read_text().splitlines()
    assert [line.split("]: ", 1)[1] for line in lines] == ["3 rows failed check x (token *****)", "build broke"]
    assert "[warn ]" in lines[0] and "[error]" in lines[1]


def test_a_log_that_cannot_be_written_does_not_fail_the_build(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the log's folder should be\n")
    _kept_in_log(blocker / "dbt.log")(_msg("a warning", EventLevel.WARN))  # no exception
    assert blocker.read_text().startswith("a file")
