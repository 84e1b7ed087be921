"""End to end: the real app in headless Chromium with the internet cut off draws the map.

Fixtures (app server, browser, offline page) are in conftest.py and shared by the module.
"""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import MAP_FRAME, REPO

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO / "artifacts"
MIN_PROVINCES = 31  # mainland provinces; Hong Kong, Macao and Taiwan may come on top
MAP_TIMEOUT_MS = 90_000

# A province is a GeoJSON polygon: an SVG path of straight segments. CircleMarkers (facilities
# not clustered) are paths too, drawn with arcs ("a" commands), so they are left out.
POLYGONS_JS = """() => [...document.querySelectorAll('path.leaflet-interactive')]
    .filter(p => !/[aA]/.test(p.getAttribute('d') || '')).length"""


def map_frame(page):
    return page.frame_locator(MAP_FRAME)


def wait_for_polygons(page, minimum: int = MIN_PROVINCES) -> int:
    """Wait until at least `minimum` polygons are drawn in the map (or time out); return how many.
    The map's frame is looked up afresh at each try: a rerun may replace it."""
    deadline = time.monotonic() + MAP_TIMEOUT_MS / 1000
    drawn = 0
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" in frame.url:
                try:
                    drawn = frame.evaluate(POLYGONS_JS)
                except PlaywrightError:  # the frame is being replaced
                    drawn = 0
        if drawn >= minimum:
            break
        page.wait_for_timeout(200)
    return drawn


def tooltip_of(page, index: int) -> str:
    """The tooltip of the index-th province (features are sorted by adcode), shown the way a
    pointer shows it: a mouseover on its path (a hover at a box centre can land on a neighbour)."""
    frame = map_frame(page)
    frame.locator("path.leaflet-interactive").nth(index).dispatch_event("mouseover")
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(state="visible", timeout=5000)
    return tooltip.first.inner_text()


def test_map_draws_offline_with_tooltips(offline_page):
    page = offline_page
    try:
        drawn = wait_for_polygons(page)
    finally:
        print("blocked requests:", *page.blocked, sep="\n  ")
        print("script errors:", page.errors)
    assert drawn >= MIN_PROVINCES, f"only {drawn} province polygons drawn"
    # The map is visible, not an empty strip (st_folium sizes its frame once the map script ran).
    box = page.locator(MAP_FRAME).bounding_box()
    assert box and box["height"] > 300, box

    page.locator(MAP_FRAME).scroll_into_view_if_needed()
    text = tooltip_of(page, 0)
    print("tooltip:", text)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e_map.png"))
    assert "Beijing" in text and "114,500" in text and "as of 2024-04-30" in text

    # Nothing the page needs came from outside: at most map tiles (images) were refused.
    needed = [(kind, url) for kind, url, _ in page.blocked if kind != "image"]
    assert needed == [], needed
    assert page.errors == [], page.errors


def test_map_assets_come_from_the_app(offline_page):
    """The map frame loaded Leaflet from the app's static files, not from a CDN."""
    frame = next(f for f in offline_page.frames if "streamlit_folium" in f.url)
    scripts = frame.evaluate("[...document.scripts].map(s => s.src).filter(Boolean)")
    sheets = frame.evaluate("[...document.styleSheets].map(s => s.href).filter(Boolean)")
    leaflet = [u for u in scripts if u.endswith("/leaflet/leaflet.js")]
    assert leaflet and all("/app/static/vendor/" in u for u in leaflet), scripts
    assert all("/app/static/vendor/" in u or "/component/" in u for u in scripts + sheets), scripts + sheets
    assert frame.evaluate("typeof L !== 'undefined' && L.version") == "1.9.3"


def test_the_ranking_and_the_trajectory_chart_draw_offline(offline_page):
    """The ranking (plain HTML) is on the first screen; the trajectories, Streamlit's own
    Vega-Lite, draw with nothing from outside."""
    page = offline_page
    wait_for_polygons(page)
    assert page.locator(".rollout-ranking .rank-row").count() >= 8
    page.get_by_role("tab", name="Trajectories").click()
    chart = page.locator("[data-testid=stVegaLiteChart]").first
    chart.wait_for(timeout=60_000)
    chart.locator("canvas, svg").first.wait_for(timeout=30_000)
    box = chart.bounding_box()
    assert box and box["height"] > 150 and box["width"] > 200, box
    needed = [(kind, url) for kind, url, _ in page.blocked if kind != "image"]
    assert needed == [] and page.errors == [], (needed, page.errors)
    page.get_by_role("tab", name="Ranking").click()


def test_a_link_with_parameters_opens_that_view_in_the_browser(browser, app_url):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(app_url + "?v=gap&prov=410000&lang=zh")
    wait_for_polygons(page)
    text = tooltip_of(page, 15)  # 410000 Henan (features are sorted by adcode)
    assert "河南省" in text and "与目标差距" in text, text
    assert page.get_by_text("中国数字基础设施建设分省进展与目标对照").count() == 1
    page.close()


def test_geojson_download_in_the_browser(offline_page):
    """The download button (its file built when clicked) gives the view's GeoJSON."""
    import json
    page = offline_page
    wait_for_polygons(page)
    page.get_by_role("tab", name="Link & downloads").click()
    # Opening a tab reruns the script (the tabs are lazy): click once the run is over.
    page.wait_for_timeout(500)
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=60_000)
    button = page.get_by_role("button", name="Download GeoJSON (what the map shows)")
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert [f["id"] for f in data["features"]] == sorted(f["id"] for f in data["features"])
    assert len(data["features"]) == 34 and data["rollout_mapper"]["metric"] == "bs5g"
    beijing = next(f["properties"] for f in data["features"] if f["id"] == "110000")
    assert beijing["as_of"] and beijing["source"] and beijing["count"] > 0


HATCH_JS = """() => {
    const paths = [...document.querySelectorAll('path')];
    return {hatch: paths.filter(p => !p.classList.contains('leaflet-interactive')
                                      && /^M[^Z]*$/.test(p.getAttribute('d') || '')).length,
            dashed: paths.filter(p => p.classList.contains('leaflet-interactive')
                                      && p.getAttribute('stroke-dasharray') === '3 2').length};
}"""


def test_estimates_are_drawn_hatched_counted_and_explained(offline_page):
    """The first screen's estimates: hatching (lines that take no pointer) and a dashed edge on
    each estimated province, the legend's count, and a tooltip that says "ESTIMATED" with its
    interval and basis."""
    page = offline_page
    wait_for_polygons(page)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    drawn = frame.evaluate(HATCH_JS)
    assert drawn["hatch"] >= 31 and drawn["dashed"] >= 31, drawn
    assert page.get_by_text("hatched: estimated (31 of 31)").count() >= 1
    page.locator(MAP_FRAME).scroll_into_view_if_needed()
    text = tooltip_of(page, 18)  # 440000 Guangdong: its newest figure is of 2022
    assert "ESTIMATED at 2025-12-31" in text and "80 % interval" in text and "basis:" in text, text
    assert page.errors == [], page.errors


def test_the_chance_view_has_its_own_legend_in_the_browser(browser, app_url):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url + "?v=target_probability")
    wait_for_polygons(page)
    for label in ("very likely not met (< 10 %)", "uncertain (33-67 %)", "very likely met (≥ 90 %)"):
        assert page.get_by_text(label).count() >= 1, label
    assert errors == [], errors
    page.close()
