"""N visitors at once against one app server, for a few rounds: first-map and action latency, and
the server's memory after each round (does it level off?).

    .venv/bin/python bench/bench_load.py [--visitors 20] [--rounds 3] [--baseline 0f3ca88]

Each round opens N pages at the same time (one headless Chromium, every non-localhost request
refused), waits for each page's map, then has every visitor switch the view and waits for the map
to change. Printed per round: median and max of first map and of the action, and the server's
resident memory (VmRSS). The machine's load is printed before and after. Nothing is asserted.
The browser runs on the same machine as the server: on a small machine the latencies are mostly
the browser drawing N pages at once; the server's memory is the server's alone. With --baseline,
the same rounds on another version, served the same way, in the same run.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench_app import CHROMIUM, CHROMIUM_ARGS, REPO, baseline, load, served  # this folder is on the path

POLYGONS = "() => document.querySelectorAll('path.leaflet-interactive').length"
FILLS = "() => [...document.querySelectorAll('path.leaflet-interactive')].map(p => p.getAttribute('fill')).join()"
LOCAL = {"127.0.0.1", "localhost", "::1"}


async def visitor(browser, url: str) -> tuple[float, float]:
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    await page.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname in LOCAL else r.abort())
    start = time.perf_counter()
    await page.goto(url, timeout=600_000)
    while await _map(page, POLYGONS) in (None, 0) or await _map(page, POLYGONS) < 31:
        await asyncio.sleep(0.1)
    first = time.perf_counter() - start
    before = await _map(page, FILLS)
    await page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").nth(1).click()
    start = time.perf_counter()
    await page.get_by_role("option", name="Gap to target (derived)", exact=True).click()
    while time.perf_counter() - start < 600 and await _map(page, FILLS) in (None, before):
        await asyncio.sleep(0.1)
    action = time.perf_counter() - start
    await context.close()
    return first, action


async def _map(page, script: str):
    """`script` evaluated in the map's frame, looked up afresh (None while there is none)."""
    for frame in page.frames:
        if "streamlit_folium" in frame.url:
            try:
                return await frame.evaluate(script)
            except Exception:  # the frame is being replaced
                return None
    return None


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(url: str, pid: int, visitors: int, rounds: int) -> None:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"server memory before: {rss_mb(pid):.0f} MB")
        for r in range(1, rounds + 1):
            results = await asyncio.gather(*(visitor(browser, url) for _ in range(visitors)))
            first = [f for f, _ in results]
            action = [a for _, a in results]
            print(f"round {r}: {visitors} visitors · first map median {statistics.median(first):.1f} s "
                  f"(max {max(first):.1f}) · view switch median {statistics.median(action):.1f} s "
                  f"(max {max(action):.1f}) · server memory {rss_mb(pid):.0f} MB", flush=True)
        await browser.close()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--visitors", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--baseline", help="git ref of a version to run the same rounds on, after this tree")
    args = p.parse_args(argv)
    print("load before:", load())
    print("this tree")
    with served(REPO, {}) as (url, _, pid):
        asyncio.run(run(url, pid, args.visitors, args.rounds))
    if args.baseline:
        print(f"baseline {args.baseline}")
        with baseline(args.baseline) as (where, env), served(where, env) as (url, _, pid):
            asyncio.run(run(url, pid, args.visitors, args.rounds))
    print("load after:", load())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
