"""dbt's events and node templates made cheaper (pipelines/warehouse/dbt_fast_paths.py) give dbt's own results: on a
real build of the refreshed warehouse, every event message, every event header (but its clock) and every compiled
node template is compared with what dbt's own code makes of the same arguments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dbt_common.events import base_types, event_manager
from google.protobuf.json_format import ParseDict

from pipelines.settings import load_settings
from pipelines.warehouse import dbt_fast_paths
from pipelines.warehouse.dbt_inprocess import BuildOutcome, stream_build
from tests.conftest import refreshed_copy


class _Seen:
    def __init__(self) -> None:
        self.events = 0
        self.headers = 0
        self.templates = 0
        self.differences: list[str] = []


def _checked(seen: _Seen, monkeypatch) -> None:
    """Wrap the installed fast paths so that each call is also made dbt's way and compared."""
    import dbt.clients.jinja as dbt_jinja
    import dbt_common.clients.jinja as common_jinja

    fast_init = base_types.BaseEvent.__init__
    fast_msg = base_types.msg_from_base_event
    fast_template = common_jinja.get_template
    dbt_template = fast_template.__wrapped__

    def init(self, *args, **kwargs):
        fast_init(self, *args, **kwargs)
        if args:
            return
        fields = {k: (str(v) if k in ("msg", "base_msg") else v) for k, v in kwargs.items()}
        expected = ParseDict(fields, getattr(self.PROTO_TYPES_MODULE, type(self).__name__)())
        seen.events += 1
        if self.pb_msg != expected:
            seen.differences.append(f"event {type(self).__name__}: {self.pb_msg} != {expected}")

    def msg(event, level=None):
        made = fast_msg(event, level)
        expected = fast_msg.__wrapped__(event, level)
        seen.headers += 1
        clock = abs(made.info.ts.ToDatetime() - expected.info.ts.ToDatetime()).total_seconds()
        made_copy, expected_copy = type(made)(), type(expected)()
        made_copy.CopyFrom(made)
        expected_copy.CopyFrom(expected)
        made_copy.info.ClearField("ts")
        expected_copy.info.ClearField("ts")
        if made_copy != expected_copy or clock > 1:
            seen.differences.append(f"header {made.info.name}: {made} != {expected}")
        return made

    def template(string, ctx, node=None, capture_macros=False, native=False):
        made = fast_template(string, ctx, node, capture_macros=capture_macros, native=native)
        expected = dbt_template(string, ctx, node, capture_macros=capture_macros, native=native)
        seen.templates += 1
        if made.root_render_func.__code__ != expected.root_render_func.__code__ or any(
            made.globals[name] is not value for name, value in ctx.items()
        ):
            seen.differences.append(f"template {str(string)[:80]!r}")
        return made

    monkeypatch.setattr(base_types.BaseEvent, "__init__", init)
    monkeypatch.setattr(base_types, "msg_from_base_event", msg)
    monkeypatch.setattr(event_manager, "msg_from_base_event", msg)
    monkeypatch.setattr(common_jinja, "get_template", template)
    monkeypatch.setattr(dbt_jinja, "get_template", template)


def test_a_real_build_gets_dbts_own_events_and_templates(refreshed_data_dir, tmp_path, monkeypatch):
    data = refreshed_copy(refreshed_data_dir, tmp_path / "data")
    monkeypatch.setenv("SPS_DATA_DIR", str(data))
    settings = load_settings()
    settings.export_env()
    dbt_fast_paths.install()
    seen = _Seen()
    _checked(seen, monkeypatch)
    lines: list[str] = []
    *events, outcome = stream_build(["--select", "fct_observations+"], settings.dbt_target_dir, lines.append)
    assert isinstance(outcome, BuildOutcome) and outcome.success, outcome
    models = [r for r in outcome.results if r.unique_id.startswith("model.")]
    tests = [r for r in outcome.results if r.unique_id.startswith("test.")]
    assert len(models) >= 10 and len(tests) >= 10
    assert len(events) == len(outcome.results)  # one result event per node, as dbt's JSON log carries them
    assert seen.differences == []
    # every node's start and result, and each SQL statement with its status, went through the checks
    assert seen.events > 4 * len(outcome.results) and seen.headers >= seen.events
    assert seen.templates >= len(outcome.results)


def test_arguments_the_constructor_does_not_take_get_dbts_own_result_or_error(monkeypatch):
    from dbt.events.types import LogStartLine

    dbt_fast_paths.install()
    made = LogStartLine(description="sql table model x", index="3", total=49)  # a number given as text
    assert made.pb_msg.index == 3 and made.pb_msg == ParseDict(
        {"description": "sql table model x", "index": "3", "total": 49}, type(made.pb_msg)()
    )
    with pytest.raises(Exception, match=r"\[LogStartLine\]: Unable to parse logging event dictionary"):
        LogStartLine(description="x", index=1, total=2, no_such_field=1)  # dbt raises this under pytest


def test_the_header_carries_the_time_it_was_made(monkeypatch):
    from dbt_common.events.types import Note

    dbt_fast_paths.install()
    before = datetime.now(UTC).replace(tzinfo=None)
    message = base_types.msg_from_base_event(Note(msg="hello"), base_types.EventLevel.WARN)
    after = datetime.now(UTC).replace(tzinfo=None)
    assert before <= message.info.ts.ToDatetime() <= after
    assert (message.info.level, message.info.msg, message.info.name) == ("warn", "hello", "Note")
    assert message.data.msg == "hello"
