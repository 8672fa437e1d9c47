"""Widgets that take their first value from the URL keep every pick a reader makes, one after the other.

An unkeyed Streamlit widget whose `index` follows the URL became a new widget whenever the URL changed, so every
second pick snapped back to the one before (seen in Chromium: pick A, then B, and the page shows A again). The
widgets now have keys; these tests pick three values in a row on every such widget and check each one lands, in
the widget and in the URL, with no note about the URL (those are for links someone followed, not for picks).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")
pytestmark = pytest.mark.integration
NOT_VALID = ("is not a valid", "is not a window")


@pytest.fixture
def app_env(refreshed_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(refreshed_data_dir))


def _open(page: str | None, params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _box(at: AppTest, label: str):
    boxes = [s for s in at.selectbox if s.label.startswith(label)]
    assert len(boxes) == 1, f"{len(boxes)} select boxes labelled {label!r}"
    return boxes[0]


class _Label(str):
    """An option's label, as the browser sends it. AppTest formats a value given by label once more to find its
    index: with a `format_func` that accepts any text ("United Kingdom (UK)" -> "United Kingdom (UK) (United Kingdom
    (UK))") it finds none. A label that refuses to be formatted makes AppTest use the label itself, as it does for
    labels whose `format_func` raises (streamlit/testing/v1/element_tree.py, `_format_value_for_widget`)."""

    def __format__(self, spec):
        raise TypeError("an option label, not an option")


def _url_notes(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if any(text in w.value for text in NOT_VALID)]


CASES = [
    # page, URL it is opened with, label of the select box, URL key it writes (None: not written)
    (None, {}, "Indicator", "indicator"),
    (None, {"highlight": "LV001C"}, "Peer group", "peer"),
    (None, {}, "Highlight a city", "highlight"),
    (None, {"indicator": "robbery_rate"}, "Country", "country"),
    (None, {"indicator": "robbery_rate"}, "Period", "period"),
    (None, {"indicator": "feel_safe_city", "mode": "progress"}, "Window and method", "window"),
    (None, {"indicator": "feel_safe_city", "mode": "progress"}, "Highlight a city", "highlight"),
    ("views/overview_map.py", {}, "Indicator", "indicator"),
    ("views/overview_map.py", {"indicator": "robbery_rate"}, "Period", "period"),
    ("views/overview_map.py", {"indicator": "robbery_rate"}, "Country", "country"),
    ("views/perception_crime.py", {}, "Feeling safe", "perception"),
    ("views/perception_crime.py", {}, "Highlight a city", "city"),
    ("views/perception_crime.py", {}, "Police-recorded offence", "offence"),
]


@pytest.mark.parametrize(
    ("page", "params", "label", "url_key"), CASES, ids=[f"{c[0] or 'compare'}-{c[2]}" for c in CASES]
)
def test_three_picks_in_a_row_each_land(app_env, page, params, label, url_key):
    at = _open(page, params)
    box = _box(at, label)
    options = box.options
    assert len(options) >= 3, f"{label!r} offers {len(options)} options: too few to pick three times"
    start = box.index
    picks = [i for i in (len(options) - 1, 1, 2, 0) if i != start][:3]
    for index in picks:
        _box(at, label).set_value(_Label(options[index])).run()
        assert not at.exception, at.exception
        box = _box(at, label)
        assert box.index == index, f"picked {options[index]!r}, the page shows {box.options[box.index]!r}"
        if url_key == "country" and box.value == "all":
            assert url_key not in at.query_params
        elif box.value is None:
            assert url_key not in at.query_params or at.query_params[url_key] in ("", None)
        else:
            assert at.query_params[url_key] == str(box.value)
        assert _url_notes(at) == [], f"after picking {options[index]!r}: {_url_notes(at)}"


def test_a_period_the_new_indicator_lacks_falls_back_quietly_but_a_link_to_it_is_told(app_env, published_db):
    """Picking an indicator without the period shown moves to one of its periods without a note; opening a link
    that asks for that period for that indicator still says the period is not valid there."""
    periods = dict(
        published_db.execute(
            "select indicator_code, list(distinct period) from indicator_period_counts "
            "where indicator_code in ('feel_safe_city', 'feel_safe_night_city') group by all"
        ).fetchall()
    )
    missing = sorted(set(periods["feel_safe_city"]) - set(periods["feel_safe_night_city"]))
    assert missing, "the snapshot's two indicators share every period: pick another pair"
    at = _open(None, {"indicator": "feel_safe_city", "period": missing[0]})
    assert _box(at, "Period").value == missing[0]
    _box(at, "Indicator").set_value("feel_safe_night_city").run()
    assert not at.exception
    assert _box(at, "Indicator").value == "feel_safe_night_city"
    assert at.query_params["period"] in periods["feel_safe_night_city"]
    assert _url_notes(at) == []

    linked = _open(None, {"indicator": "feel_safe_night_city", "period": missing[0]})
    assert any(f"'{missing[0]}' is not a valid period" in note for note in _url_notes(linked))


@pytest.mark.parametrize(
    ("page", "params", "label", "url_key"),
    [CASES[0], CASES[3], CASES[7], CASES[10]],
    ids=["compare-Indicator", "police-Country", "map-Indicator", "perception-Feeling safe"],
)
def test_the_browsers_back_button_shows_the_previous_pick_again(app_env, page, params, label, url_key):
    """Streamlit pushes a history entry whenever a page changes the URL, so Back puts the previous pick's URL back
    and reruns the page with it: the picker follows the URL instead of keeping the newer pick."""
    at = _open(page, params)
    options = _box(at, label).options
    first, second = [i for i in (1, 2, 0) if i != _box(at, label).index][:2]
    _box(at, label).set_value(_Label(options[first])).run()
    earlier = dict(at.query_params)
    _box(at, label).set_value(_Label(options[second])).run()
    assert _box(at, label).index == second
    at.query_params.clear()
    at.query_params.update(earlier)  # what Back does: the earlier URL, the same page, its pickers' states
    at.run()
    assert not at.exception, at.exception
    assert _box(at, label).index == first, (
        f"after Back the page shows {_box(at, label).options[_box(at, label).index]!r}"
    )
    assert at.query_params[url_key] == earlier[url_key]
