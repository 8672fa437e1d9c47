"""Two of dbt's per-node costs, paid again on every node of every build, made once-only or cheaper, with dbt's own
results unchanged (tests/integration/test_dbt_fast_paths.py compares them on a real build).

Profiled with `py-spy --gil` on `sps watch` (issue 21, target 1: a city's upload on the dashboard within seconds;
eight uploads of 60 rows, 49 dbt nodes each), of ~3.4 s of interpreter time per upload:

- 0.38 s in protobuf's `json_format.ParseDict`, pure Python: dbt builds every event it fires (a few per node:
  the SQL it runs, each query's status, the node's start and result) as a protobuf message from a dict of keyword
  arguments through `ParseDict` (`BaseEvent.__init__`), and then wraps it in a second message whose header is
  parsed the same way, the timestamp from a string (`msg_from_base_event`). The message class's own constructor
  takes the same keyword arguments in C. Here the constructor is tried first; any event whose arguments it does
  not take as they are (a timestamp given as a string, a number given as text, an unknown field) goes through
  dbt's own code, so it gets exactly dbt's result or dbt's own error. The header is filled field by field.
- 0.14 s in Jinja compiling templates: dbt renders a node's SQL (and each test's) with a new Jinja template made
  by `Environment.from_string`, which parses and compiles the source to Python every time; dbt caches the macros'
  templates but not these. The compiled code depends only on the source and the environment's class (dbt makes
  every environment with the same extensions; the undefined-variable handler and the globals are bound when the
  template is made, not compiled in), so it is kept per (class, source) and each call still gets a new template
  with its own globals, as before.

Both apply to every dbt invocation in the process (`install()`, idempotent); nothing else of dbt changes.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

_installed = False
_install_lock = threading.Lock()
_CODE_CACHE_LIMIT = 4096  # compiled templates kept (a project's nodes and tests: a few hundred)
_code_cache: dict[tuple[type, str], Any] = {}


def install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        _install_event_construction()
        _install_template_code_cache()
        _installed = True


# --------------------------------------------------------------------------------------------------- events
def _install_event_construction() -> None:
    import dbt_common.events.base_types as base_types
    import dbt_common.events.event_manager as event_manager

    dbt_init = base_types.BaseEvent.__init__
    dbt_msg_from_base_event = base_types.msg_from_base_event

    def __init__(self, *args, **kwargs) -> None:  # noqa: N807 - replaces BaseEvent.__init__
        if args:  # dbt's own rules (Formatting's one message, its assertion otherwise)
            dbt_init(self, *args, **kwargs)
            return
        fields = kwargs
        if "base_msg" in kwargs or "msg" in kwargs:
            fields = dict(kwargs)
            for name in ("base_msg", "msg"):
                if name in fields:
                    fields[name] = str(fields[name])
        try:
            message = getattr(self.PROTO_TYPES_MODULE, type(self).__name__)(**fields)
        except Exception:  # noqa: BLE001 - anything the constructor does not take as it is: dbt's own way
            dbt_init(self, **kwargs)
            return
        self.pb_msg = message

    def msg_from_base_event(event, level=None):
        try:
            return _event_message(event, level)
        except Exception:  # noqa: BLE001 - dbt's own way, with its own errors
            return dbt_msg_from_base_event(event, level)

    __init__.__wrapped__ = dbt_init
    msg_from_base_event.__wrapped__ = dbt_msg_from_base_event
    base_types.BaseEvent.__init__ = __init__
    base_types.msg_from_base_event = msg_from_base_event
    event_manager.msg_from_base_event = msg_from_base_event  # imported by name there


def _event_message(event, level):
    """dbt_common's `msg_from_base_event`, its header set field by field instead of parsed from a dict."""
    from dbt_common.events import base_types

    message = getattr(event.PROTO_TYPES_MODULE, f"{type(event).__name__}Msg")()
    info = message.info
    info.level = level.value if level else event.level_tag().value
    info.msg = event.message()
    info.invocation_id = base_types.get_invocation_id()
    info.extra.update(base_types.get_global_metadata_vars())
    # dbt writes datetime.now(UTC) as "%Y-%m-%dT%H:%M:%S.%fZ" and parses it back: microseconds, UTC
    info.ts.FromDatetime(datetime.now(UTC).replace(tzinfo=None))
    info.pid = base_types.get_pid()
    info.thread = base_types.get_thread_name()
    info.code = event.code()
    info.name = type(event).__name__
    message.data.CopyFrom(event.pb_msg)
    return message


# ------------------------------------------------------------------------------------------------ templates
def _install_template_code_cache() -> None:
    import dbt.clients.jinja as dbt_jinja
    import dbt_common.clients.jinja as common_jinja

    dbt_get_template = common_jinja.get_template

    def get_template(string, ctx, node=None, capture_macros: bool = False, native: bool = False):
        with common_jinja.catch_jinja(node):
            env = common_jinja.get_environment(node, capture_macros, native=native)
            source = str(string)
            key = (type(env), source)
            code = _code_cache.get(key)
            if code is None:
                code = env.compile(source)
                if len(_code_cache) >= _CODE_CACHE_LIMIT:
                    _code_cache.clear()
                _code_cache[key] = code
            # what Environment.from_string does, with the compiled code kept
            return env.template_class.from_code(env, code, env.make_globals(ctx), None)

    get_template.__wrapped__ = dbt_get_template
    common_jinja.get_template = get_template
    dbt_jinja.get_template = get_template  # imported by name there (get_rendered)
