"""Screenshots of the running app in headless Chromium, cut off from the internet, for a person to
look at: the first screen and a gap view at 1440×900, tooltips, and a phone (390×844).

    .venv/bin/python scripts/screenshots.py [--url http://localhost:8501] [--out artifacts]

Without --url it starts the app itself on a free port. Needs Debian's chromium (and
fonts-noto-cjk to show Chinese); prints every request it had to block (there should be none).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
MAP = 'iframe[title="streamlit_folium.st_folium"]'
LOCAL = {"127.0.0.1", "localhost", "::1"}
DESKTOP, PHONE = (1440, 900), (390, 844)
HUBEI, GUANGDONG = 16, 18  # features are sorted by adcode: 420000, 440000 (an old figure, estimated)
# (link, viewport, file name, province whose tooltip is shot too, polygons to wait for)
SHOTS = [
    ("", DESKTOP, "desktop_first_screen", HUBEI, 31),
    ("?v=gap", DESKTOP, "desktop_gap", None, 31),
    ("?v=gap&e=1", DESKTOP, "desktop_gap_estimates", GUANGDONG, 31),
    ("?v=target_probability", DESKTOP, "desktop_target_probability", None, 31),
    ("?lang=zh", DESKTOP, "desktop_zh_first_screen", GUANGDONG, 31),
    ("?lang=zh&v=attainment", DESKTOP, "desktop_zh_attainment", None, 31),
    ("?m=high_tech_zones&a=440000", DESKTOP, "desktop_drill_guangdong", None, 15),
    ("", PHONE, "phone_first_screen", HUBEI, 31),
]


def page_at(browser, url: str, width: int, height: int, blocked: list, minimum: int = 31):
    page = browser.new_page(viewport={"width": width, "height": height},
                            is_mobile=width < 500, has_touch=width < 500)

    def route(r):
        if urlsplit(r.request.url).hostname in LOCAL:
            return r.continue_()
        blocked.append(r.request.url)
        return r.abort()
    page.route("**/*", route)
    page.goto(url)
    page.frame_locator(MAP).locator("path.leaflet-interactive").nth(minimum - 1).wait_for(timeout=90_000)
    page.wait_for_timeout(2500)  # the chart and the last layout pass
    return page


def hover_province(page, adcode_index: int) -> None:
    """Show a province's tooltip the way a pointer would (mouseover on its path)."""
    path = page.frame_locator(MAP).locator("path.leaflet-interactive").nth(adcode_index)
    path.dispatch_event("mouseover")
    page.wait_for_timeout(600)


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url")
    p.add_argument("--out", type=Path, default=REPO / "artifacts")
    args = p.parse_args(argv)
    args.out.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        url = args.url
        if not url:
            spec = importlib.util.spec_from_file_location("conftest", REPO / "tests" / "conftest.py")
            conftest = importlib.util.module_from_spec(spec)  # the tests are not an installed package
            spec.loader.exec_module(conftest)
            url = stack.enter_context(conftest.running_app())
        blocked: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for query, size, name, hover, minimum in SHOTS:
                page = page_at(browser, url + query, *size, blocked, minimum)
                page.screenshot(path=str(args.out / f"{name}.png"))
                if hover is not None:
                    hover_province(page, hover)
                    page.screenshot(path=str(args.out / f"{name.removesuffix('_first_screen')}_tooltip.png"))
                page.close()
            browser.close()
        print(f"screenshots in {args.out}; blocked requests: {blocked or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
