"""End to end: the real app in headless Chromium with the internet cut off draws the map.

Fixtures (app server, browser, offline page) are in conftest.py and shared by the module.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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
    """Wait until at least `minimum` polygons are drawn in the map (or time out); return how many."""
    frame = page.wait_for_selector(MAP_FRAME, state="attached", timeout=MAP_TIMEOUT_MS).content_frame()
    try:
        frame.wait_for_function(f"n => ({POLYGONS_JS})() >= n", arg=minimum, timeout=MAP_TIMEOUT_MS)
    except PlaywrightTimeout:  # report the count, the assertion says how many
        pass
    return frame.evaluate(POLYGONS_JS)


def hover_until_tooltip(page, max_tries: int = 40) -> str:
    """Hover province polygons one by one until a tooltip shows; return its text.

    One by one because a polygon's box centre can fall outside it (or under a cluster icon).
    """
    frame = map_frame(page)
    paths = frame.locator("path.leaflet-interactive")
    tooltip = frame.locator(".leaflet-tooltip")
    for i in range(min(paths.count(), max_tries)):
        path = paths.nth(i)
        if "a" in (path.get_attribute("d") or "").lower():
            continue
        path.hover(force=True)
        try:
            tooltip.first.wait_for(state="visible", timeout=1500)
        except PlaywrightTimeout:  # try the next polygon
            continue
        return tooltip.first.inner_text()
    return ""


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
    text = hover_until_tooltip(page)
    print("tooltip:", text)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e_map.png"))
    assert text.strip(), "no tooltip with text appeared on hover"

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


def test_geojson_download_in_the_browser(offline_page):
    """The download button (its file built when clicked) gives the view's GeoJSON."""
    import json
    page = offline_page
    wait_for_polygons(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download GeoJSON").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert [f["id"] for f in data["features"]] == sorted(f["id"] for f in data["features"])
    assert len(data["features"]) == 34 and data["rollout_mapper"]["metric"] == "bs5g"
    beijing = next(f["properties"] for f in data["features"] if f["id"] == "110000")
    assert beijing["as_of"] and beijing["source"] and beijing["value"] > 0
