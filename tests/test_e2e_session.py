"""End to end: one visitor's session, walked as a user would, in headless Chromium cut off from
the internet. The other browser tests open each view fresh; this one changes the choices of a
running page, where a map keeps its first scripts and only its layers are swapped, and the
widgets keep what the browser last showed.

Load, hub outlines on, metric 5G -> data-centre clusters (drill into a province and back) ->
high-tech zones -> 5G, language to Chinese, another view, then the Link tab's link opened in a
new page. At every step: markers, hub outlines, the sidebar's language, the link's view, and
not one script error.
"""
from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from geo.i18n import t
from tests.conftest import LOCAL_HOSTS, REPO

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO / "artifacts"
TIMEOUT_S = 90

# Provinces are GeoJSON polygons (SVG paths of straight segments); a facility outside a cluster
# is a CircleMarker (a path drawn with arcs); a cluster is a div of Leaflet.markercluster; a hub
# outline is a red dashed path (geo.output.render.hub_layer).
STATE_JS = """() => {
    const paths = [...document.querySelectorAll('path.leaflet-interactive')];
    const arcs = paths.filter(p => /[aA]/.test(p.getAttribute('d') || ''));
    return {
        polygons: paths.length - arcs.length,
        markers: arcs.length + document.querySelectorAll('.marker-cluster').length,
        hubs: document.querySelectorAll('path[stroke="#e31a1c"][stroke-dasharray="6 4"]').length,
    };
}"""


def offline_page(browser, url: str, width: int = 1440, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.blocked, page.errors = [], []

    def route(r):
        if urlsplit(r.request.url).hostname in LOCAL_HOSTS:
            return r.continue_()
        page.blocked.append((r.request.resource_type, r.request.url))
        return r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    return page


def settle(page) -> None:
    """Wait until the script run a change started is over."""
    page.wait_for_timeout(500)
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=TIMEOUT_S * 1000)


def map_state(page, until) -> dict:
    """The map frame's polygons, markers and hub outlines once `until(state)` holds (or the last
    state seen when it never does). The frame is looked up afresh: a rerun may replace it."""
    deadline, state = time.monotonic() + TIMEOUT_S, {}
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" in frame.url:
                try:
                    state = frame.evaluate(STATE_JS)
                except PlaywrightError:
                    state = {}
        if state and until(state):
            break
        page.wait_for_timeout(250)
    return state


def choose(page, label: str, option: str) -> None:
    box = page.get_by_role("combobox", name=label, exact=True)
    box.scroll_into_view_if_needed()
    box.click()
    if not page.locator("[role=listbox]").is_visible():
        box.press("ArrowDown")
    page.locator("[role=listbox] [role=option]").filter(has_text=option).first.click()
    settle(page)


def sidebar_values(page) -> list[str]:
    """What the sidebar's boxes show, and the checked radio's label."""
    sidebar = page.locator("[data-testid=stSidebar]")
    boxes = sidebar.get_by_role("combobox")
    shown = [boxes.nth(i).input_value() for i in range(boxes.count())]
    checked = sidebar.locator("[data-testid=stRadioOption][data-selected=true]")
    return shown + checked.all_inner_texts()


def shared_link(page) -> tuple[str, dict]:
    code = page.locator("[data-testid=stCode]").first
    code.wait_for(timeout=TIMEOUT_S * 1000)
    link = code.inner_text().strip()
    return link, dict(parse_qsl(urlsplit(link).query))


def link_after(page, **expected) -> dict:
    """The link's parameters once they hold `expected` (a value None: absent), or as last seen.
    The sync point after a change: the link is written by the same run that redraws the map."""
    deadline, params = time.monotonic() + TIMEOUT_S, {}
    while time.monotonic() < deadline:
        try:
            params = shared_link(page)[1]
        except PlaywrightError:
            params = {}
        if all(params.get(k) == v for k, v in expected.items()):
            break
        page.wait_for_timeout(250)
    settle(page)
    return params


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"session_{name}.png"))


def no_errors(page, step: str) -> None:
    needed = [(kind, url) for kind, url in page.blocked if kind != "image"]  # tiles may be refused
    assert page.errors == [] and needed == [], (step, page.errors, needed)


def test_a_session_walk_keeps_markers_hubs_drill_down_language_and_link(browser, app_url):
    page = offline_page(browser, app_url)
    try:
        walk(page, browser, app_url)
    finally:
        print("script errors:", page.errors)
        page.close()


def walk(page, browser, app_url):
    state = map_state(page, lambda s: s["polygons"] >= 31)
    assert state["polygons"] >= 31 and state["markers"] == 0, state  # 5G: counts, no points
    page.locator("[data-testid=stSidebar] label").filter(has_text=t("app.hubs", "en")).click()
    settle(page)
    page.get_by_role("tab", name=t("app.tab_share", "en")).click()  # the link, in view all along
    settle(page)
    state = map_state(page, lambda s: s["hubs"] > 0)
    assert state["hubs"] > 0, state
    link = link_after(page, hubs="1")
    assert link["m"] == "bs5g" and link["hubs"] == "1", link
    no_errors(page, "load")

    for metric in ("datacentre_clusters", "high_tech_zones"):
        choose(page, t("app.infrastructure", "en"), t(f"metric.{metric}", "en"))
        assert link_after(page, m=metric)["m"] == metric  # the link follows at once
        state = map_state(page, lambda s: s["markers"] > 0 and s["hubs"] > 0)
        shot(page, f"{metric}_en")
        assert state["markers"] > 0 and state["hubs"] > 0 and state["polygons"] >= 31, (metric, state)
        no_errors(page, metric)
        if metric == "datacentre_clusters":  # a click opens the province's prefectures
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame.locator("path.leaflet-interactive").nth(2).dispatch_event("click")  # Hebei
            back = page.get_by_role("button", name="China · 中国")
            back.wait_for(timeout=TIMEOUT_S * 1000)
            settle(page)
            assert page.get_by_role("button", name="▸ 河北省").count() == 1
            state = map_state(page, lambda s: s["polygons"] < 31 and s["markers"] > 0)  # 11 prefectures
            assert 11 <= state["polygons"] <= 13 and state["markers"] > 0, state  # and Zhangjiakou's sites
            assert link_after(page, a="130000").get("a") == "130000"
            no_errors(page, "drill-down")
            back.click()
            assert "a" not in link_after(page, a=None)
            state = map_state(page, lambda s: s["polygons"] >= 31)
            assert state["polygons"] >= 31, state

    choose(page, t("app.infrastructure", "en"), t("metric.bs5g", "en"))
    assert link_after(page, m="bs5g")["m"] == "bs5g"
    state = map_state(page, lambda s: s["markers"] == 0 and s["hubs"] > 0)
    assert state["markers"] == 0 and state["hubs"] > 0 and state["polygons"] >= 31, state
    no_errors(page, "back to 5G")

    page.get_by_role("radio", name="中文").or_(page.get_by_role("button", name="中文")).first.click()
    link_after(page, lang="zh")
    shown = sidebar_values(page)
    assert t("metric.bs5g", "zh") in shown and t("target_at.figure_date", "zh") in shown, shown
    assert not [v for v in shown if v and v.isascii() and not v.isdigit()], shown  # nothing left in English
    assert page.get_by_role("tab", name=t("app.tab_share", "zh")).get_attribute("aria-selected") == "true"
    state = map_state(page, lambda s: s["hubs"] > 0)
    assert state["hubs"] > 0 and state["polygons"] >= 31, state
    no_errors(page, "language")

    choose(page, t("app.view", "zh"), t("view.per_10k_people", "zh"))
    link_after(page, v="per_10k_people")
    shot(page, "per_10k_zh")
    link, params = shared_link(page)
    assert (params["m"], params["v"], params["lang"], params["hubs"]) == ("bs5g", "per_10k_people", "zh", "1"), params
    no_errors(page, "view")

    other = offline_page(browser, link)
    try:
        state = map_state(other, lambda s: s["polygons"] >= 31 and s["hubs"] > 0)
        settle(other)
        assert state["polygons"] >= 31 and state["hubs"] > 0, state
        shown = sidebar_values(other)
        assert t("metric.bs5g", "zh") in shown and t("view.per_10k_people", "zh") in shown, shown
        assert other.get_by_text(t("app.link_ignored", "zh").split("：")[0]).count() == 0
        shot(other, "link_opened_zh")
        no_errors(other, "the link opened")
    finally:
        other.close()
