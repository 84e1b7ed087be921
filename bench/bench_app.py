"""Benchmark of the app as a visitor meets it, in one run:

    .venv/bin/python bench/bench_app.py [--runs 3]

* cold start: time from `streamlit run app.py` (subprocess) to /_stcore/health answering, to
  the page loaded, and to the first map drawn (>= 31 province polygons in the st_folium frame)
  in headless Chromium with every non-localhost request refused, as in the e2e test;
* rerun: server time of a rerun after switching the metric selectbox (key "metric") and the
  view selectbox (key "view") with streamlit.testing.v1.AppTest, first visit (uncached view)
  and return visit (cached), median of --runs;
* bytes: the GeoJSON that reaches the browser (the FeatureCollection inside the st_folium
  component's arguments) and the whole component message, next to the HTML of
  `geopandas.GeoDataFrame.explore()` on the raw full-resolution province boundaries
  (boundaries.load_full("province")), which is what a naive app would send.

Nothing is asserted: figures are printed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
POLYGONS_JS = """() => [...document.querySelectorAll('path.leaflet-interactive')]
    .filter(p => !/[aA]/.test(p.getAttribute('d') || '')).length"""
MIN_PROVINCES = 31


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start() -> dict[str, float | int | list]:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile("w+") as log:
        t0 = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            while True:
                if server.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"streamlit exited:\n{log.read()}")
                try:
                    with urllib.request.urlopen(url + "_stcore/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.1)
            t_health = time.perf_counter() - t0
            blocked: list[str] = []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1100})
                page.route("**/*", lambda r: r.continue_()
                           if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost")
                           else (blocked.append(r.request.url), r.abort()))
                page.goto(url)
                t_page = time.perf_counter() - t0
                frame = page.wait_for_selector(MAP_FRAME, state="attached", timeout=180_000).content_frame()
                frame.wait_for_function(f"n => ({POLYGONS_JS})() >= n", arg=MIN_PROVINCES, timeout=180_000)
                t_map = time.perf_counter() - t0
                polygons = frame.evaluate(POLYGONS_JS)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=15)
    return {"health": t_health, "page": t_page, "map": t_map, "polygons": polygons, "blocked": blocked}


def reruns(runs: int) -> tuple[dict[str, float], bytes]:
    """Server times of reruns after widget changes; also the component args of the first run."""
    from streamlit.testing.v1 import AppTest

    from geo.metrics import METRICS, VIEWS

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"app raised: {at.exception}")
    args = _component_args(at)
    timings = {"first run (cold caches, in-process)": first}

    def timed(widget_key: str, value) -> float:
        start = time.perf_counter()
        at.selectbox(key=widget_key).select(value).run()
        elapsed = time.perf_counter() - start
        if at.exception:
            raise SystemExit(f"app raised after {widget_key}={value}: {at.exception}")
        return elapsed

    metrics, views = list(METRICS), list(VIEWS)
    other_metric, other_view = metrics[1], views[-1]
    first_visit = [timed("metric", other_metric)]
    back = [timed("metric", metrics[0])]
    for _ in range(runs - 1):  # both views now cached
        first_visit.append(timed("metric", other_metric))
        back.append(timed("metric", metrics[0]))
    timings[f"metric -> {other_metric} (first time, view not cached)"] = first_visit[0]
    timings[f"metric switch, cached view (median of {len(first_visit) - 1 + len(back)})"] = \
        statistics.median(first_visit[1:] + back)
    timings[f"view -> {other_view} (first time)"] = timed("view", other_view)
    timings["view switch back (cached)"] = timed("view", views[0])
    return timings, args


def _component_args(at) -> bytes:
    for element in at.main:
        if getattr(element, "type", None) == "component_instance":
            return element.proto.json_args.encode("utf-8")
    raise SystemExit("no st_folium component in the app's output")


def geojson_in_args(json_args: bytes) -> bytes:
    """The FeatureCollections folium writes into the map script as `<layer>_add({...});`."""
    script = json.loads(json_args)["script"]
    found = [m.group(1) for m in re.finditer(r"\w+_add\((\{.*?\})\);\n", script, flags=re.S)]
    collections = [s for s in found if json.loads(s).get("type") == "FeatureCollection"]
    return max(collections, key=len).encode("utf-8")


def explore_html_bytes() -> tuple[int, int, float, str]:
    """HTML bytes of explore() on the raw provinces, its raw GeoJSON bytes, render time, how."""
    import folium

    from geo import boundaries

    full = boundaries.load_full("province")
    t0 = time.perf_counter()
    try:
        m, how = full.explore(), "GeoDataFrame.explore()"
    except ImportError:  # explore() also wants matplotlib, which the project does not install
        # What explore() builds for a frame without a value column: the frame as one GeoJson
        # layer with a tooltip of every column, on a default map.
        m = folium.Map(location=[35, 104], zoom_start=4)
        columns = [c for c in full.columns if c != "geometry"]
        folium.GeoJson(full, tooltip=folium.GeoJsonTooltip(columns)).add_to(m)
        how = "explore()-equivalent folium.GeoJson (no matplotlib)"
    html = m.get_root().render().encode("utf-8")
    elapsed = time.perf_counter() - t0
    return len(html), len(full.to_json().encode("utf-8")), elapsed, how


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="reruns per cached measurement")
    args = parser.parse_args()
    os.chdir(REPO)

    print("== cold start: streamlit run app.py -> first map in headless Chromium (offline)")
    cold = cold_start()
    print(f"  /_stcore/health answers   {cold['health']:7.2f} s")
    print(f"  page loaded               {cold['page']:7.2f} s")
    print(f"  first map drawn           {cold['map']:7.2f} s   ({cold['polygons']} province polygons)")
    print(f"  blocked non-local requests: {cold['blocked'] or 'none'}")

    print("== reruns (AppTest, server side only)")
    timings, json_args = reruns(args.runs)
    for label, seconds in timings.items():
        print(f"  {label:<55} {seconds * 1000:8.0f} ms")

    print("== bytes to the browser")
    geojson = geojson_in_args(json_args)
    features = len(json.loads(geojson)["features"])
    print(f"  app: province GeoJSON in the map       {len(geojson) / 1e3:9.0f} kB  ({features} features)")
    print(f"  app: whole st_folium component message {len(json_args) / 1e3:9.0f} kB")
    html, raw, seconds, how = explore_html_bytes()
    print(f"  raw full-resolution provinces GeoJSON  {raw / 1e3:9.0f} kB")
    print(f"  {how} HTML on the raw provinces: {html / 1e3:.0f} kB (rendered in {seconds:.1f} s), "
          f"{html / len(geojson):.1f} x the app's GeoJSON")


if __name__ == "__main__":
    main()
