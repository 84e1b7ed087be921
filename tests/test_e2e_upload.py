"""End to end: a file full of script and template payloads, uploaded through the real app in
headless Chromium, shows as inert text in the map's tooltip (no script runs, nothing evaluated)."""
from __future__ import annotations

import pytest

from tests.conftest import MAP_FRAME
from tests.test_e2e_browser import ARTIFACTS, wait_for_polygons

pytestmark = pytest.mark.e2e

PAYLOAD = "<img src=x onerror=alert(1)>{{ 7*7 }}${1+1}`x`"


def test_uploaded_payload_stays_inert_text_in_the_tooltip(browser, app_url, tmp_path):
    upload = tmp_path / "payload.csv"
    upload.write_text(f'province,value,date,source\n北京,10,2025-01-01,"{PAYLOAD}"\n', encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(app_url)
    wait_for_polygons(page)

    page.get_by_role("tab", name="Your data").click()
    # Opening a tab reruns the script (the tabs are lazy): upload once the run is over.
    page.wait_for_timeout(500)
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=60_000)
    page.locator("input[type=file]").first.set_input_files(str(upload))
    page.get_by_text("payload.csv: 2 lines").wait_for(timeout=60_000)  # the ingestion report
    # The new layer is selected by itself: wait for its legend under the map.
    page.get_by_text("payload count").first.wait_for(timeout=60_000)
    wait_for_polygons(page)

    frame = page.frame_locator(MAP_FRAME)
    tooltip = frame.locator(".leaflet-tooltip")
    for _ in range(30):  # the layers of the old view may still show for a moment
        frame.locator("path.leaflet-interactive").first.dispatch_event("mouseover")
        try:
            tooltip.first.wait_for(state="visible", timeout=2000)
            if "payload:" in tooltip.first.inner_text():
                break
        except Exception:
            pass
        page.wait_for_timeout(500)
    text = tooltip.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "e2e_payload_tooltip.png"))
    assert "北京" in text, text
    assert PAYLOAD in text  # shown literally: not HTML, not evaluated by Jinja, not a JS template
    assert "49" not in text
    assert frame.locator(".leaflet-tooltip img").count() == 0
    assert dialogs == []
    page.close()
