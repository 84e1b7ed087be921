"""A shared link speaks only for this app: hostile links, through the real app.py with AppTest.

Nothing from a link may reach the page as a link, an image or Markdown (the page turns a bare URL
into a live anchor even when it is escaped), and no value may reach a widget that would refuse it
(an exception in place of the page).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit
import streamlit_folium
from streamlit.testing.v1 import AppTest

from tests.test_app import Recorder

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HOST = "evil"  # every payload's address names it; the page must never show it

# (name, value) pairs of the hostile links of the last round, and more of the same kinds.
PAYLOADS = [
    {'<img src="https://evil.example/x.png">': "1"},
    {"v": "[click here](https://evil.example/a)"},
    {"d": "![x](https://evil.example/i.png)"},
    {"c": "https://evil.example/c", "z": "4"},
    {"m": "<a href='https://evil.example/h'>5G</a>"},
    {"s": "javascript:alert('evil')"},
    {"javascript:alert('evil')": "1"},
    {"https://evil.example/name": "https://evil.example/value"},
    {"www.evil.example": "1", "r": "www.evil.example"},
    {"k": "mail@evil.example", "mail@evil.example": "1"},
    {"\u202ehttps://elpmaxe.live": "1", "w": "\u202ehttps://evil.example"},  # right-to-left override
    {"v": ["value", "https://evil.example/repeated"]},
    {"reg": "east,https://evil.example", "prov": "110000,<img src=https://evil.example/p.png>"},
    {"tiles": "https://evil.example/{z}/{x}/{y}.png", "hubs": "[x](https://evil.example)"},
    {"a": "https://evil.example/a", "ty": "https://evil.example/ty", "t": "https://evil.example/t"},
]


class MapRecorder(Recorder):
    """Also keeps the centre each map was opened at."""
    def __init__(self):
        super().__init__()
        self.centres = []

    def st_folium(self, m, **kwargs):
        self.centres.append(kwargs.get("center"))
        return super().st_folium(m, **kwargs)


def open_app(monkeypatch, query: dict) -> tuple[AppTest, MapRecorder]:
    rec = MapRecorder()
    monkeypatch.setattr(streamlit_folium, "st_folium", rec.st_folium)
    monkeypatch.setattr(streamlit, "download_button", rec.download_button)
    at = rec.at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    at.run()
    return at, rec


def page_text(at: AppTest) -> str:
    """Everything the page sends to the browser (every element of the main area and the sidebar),
    with Markdown's escaping taken out: an escaped URL is still made a live link by the page."""
    found = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            found.append(str(proto))
        children = getattr(node, "children", None) or {}
        for child in children.values():
            walk(child)

    walk(at._tree)
    return "\n".join(found).replace("\\", "")


def ignored_note(at: AppTest) -> str:
    return next((c.value for c in at.caption if "link" in c.value or "链接" in c.value), "")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: repr(p)[:40])
def test_nothing_of_a_hostile_link_reaches_the_page(monkeypatch, payload, lang):
    at, _ = open_app(monkeypatch, {**payload, "lang": lang})
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["lang"] == lang
    assert HOST not in page_text(at)
    assert ignored_note(at)  # something was ignored, and the page says so
    # The link box on the share tab shows only what the app itself would write.
    at.session_state["tab"] = at.tabs[5].label
    at.run()
    assert not at.exception
    assert HOST not in page_text(at)


def test_a_plain_unknown_name_is_named_and_a_valid_choice_still_applies(monkeypatch):
    at, _ = open_app(monkeypatch, {"bogus": "https://evil.example/", "w": "36", "k": "99"})
    note = ignored_note(at)
    assert "bogus" in note and "k" in note and HOST not in note.replace("\\", "")
    assert at.slider(key="window").value == 36 and at.slider(key="k").value == 5


def test_a_link_longer_than_the_cap_is_not_read_at_all(monkeypatch):
    at, _ = open_app(monkeypatch, {"w": "36", "pad": "x" * 5000})
    assert not at.exception
    assert at.slider(key="window").value != 36  # not read, even the valid part
    assert "KB" in ignored_note(at)
    assert "pad" not in at.query_params  # the page's own link replaces it


# Values a link may carry to each parameter: none may raise, and none out of the widget's own
# range or step may be taken.
HOSTILE_VALUES = ["100", "120", "73", "37", "-1", "+3", " 3", "3 ", "3.0", "1e3", "0x10", "²", "³", "²⁰²⁵",
                  "٣", "３", "Ⅲ", "9" * 5000, str(2**64), "", ",", "nan", "inf", "-inf", "None", "true",
                  "\x00", "\u202e3", "中文", "🙂", ["3", "²"], ["²", "x"], ["", ""]]


EVERY_PARAMETER = ["lang", "m", "v", "d", "w", "r", "t", "ty", "p", "reg", "prov", "s", "k", "hubs", "tiles",
                   "a", "c", "z"]


def widgets_in_range(at: AppTest) -> None:
    assert at.slider(key="window").value in range(0, 73, 3)
    assert at.slider(key="k").value in range(3, 8)
    years = [n.value for n in at.number_input if n.key == "target_year"]
    assert all(y in range(2019, 2031) for y in years)


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: repr(v)[:20])
def test_no_hostile_value_of_any_parameter_raises(monkeypatch, value):
    # Every parameter at once, then the numbers with the target year's box shown (t=target_year),
    # so that the year reaches its widget.
    for query in ({name: value for name in EVERY_PARAMETER},
                  {"w": value, "k": value, "ty": value, "t": "target_year", "a": value, "c": value, "z": value}):
        at, _ = open_app(monkeypatch, query)
        assert not at.exception, (query, [e.value for e in at.exception])
        widgets_in_range(at)
        assert ignored_note(at)


@pytest.mark.parametrize("query, key, expected", [
    ({"w": "0"}, "window", 0), ({"w": "72"}, "window", 72), ({"w": "75"}, "window", 24),
    ({"w": "36", "k": "7"}, "k", 7), ({"k": "3"}, "k", 3), ({"k": "8"}, "k", 5), ({"k": ["8", "4"]}, "k", 4),
])
def test_the_link_takes_exactly_the_values_the_widget_offers(monkeypatch, query, key, expected):
    at, _ = open_app(monkeypatch, query)
    assert not at.exception
    assert at.slider(key=key).value == expected


@pytest.mark.parametrize("year, expected", [("2030", 2030), ("2019", 2019), ("2031", 2025), ("2018", 2025)])
def test_the_target_year_from_the_link_is_the_boxs_range(monkeypatch, year, expected):
    at, _ = open_app(monkeypatch, {"t": "target_year", "ty": year})
    assert not at.exception
    assert at.number_input(key="target_year").value == expected


@pytest.mark.parametrize("c, z, taken", [("30.5,114.25", "6", True), ("30.5,114.25", "18.5", False),
                                         ("91,114", "5", False), ("30,181", "5", False), ("nan,nan", "5", False),
                                         ("３０,１１４", "5", False), ("30,114,1", "5", False), ("1e1,1", "5", False)])
def test_a_map_position_is_plain_decimals_on_the_globe(monkeypatch, c, z, taken):
    at, rec = open_app(monkeypatch, {"c": c, "z": z})
    assert not at.exception
    assert (rec.centres[0] is not None) is taken  # the map opens there, or where it always does
    assert ("c/z" in ignored_note(at)) is not taken
