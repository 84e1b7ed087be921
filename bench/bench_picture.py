"""Benchmark of pictures and drill-down, each beside a baseline in the same run:

    .venv/bin/python bench/bench_picture.py [--runs 3]

* picture: geo.to_png (300 dpi) and geo.to_svg of the default view, next to the plainest
  picture of the same layer (GeoDataFrame.plot of the province layer in lon/lat, no text, saved
  at 300 dpi): what the labels, legend, inset and text cost;
* drill-down: geo.drill_down into 广东's prefectures and 广州's counties with the display layers
  built (in a fresh cache folder holding links to the prepared boundaries and join indexes) and
  read back from the cache, next to geo.view of the provinces;
* bytes: the drill-down layers as the map sends them (adcode and geometry; and the whole feature
  collection with colours and tooltips), next to the province layer, for the largest provinces.

Nothing is asserted: figures are printed, with the machine's load.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def _timed(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    import geo
    from geo.analysis import drilldown
    from geo.data import boundaries
    from geo.output.render import map_features

    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} cores")
    bundle = geo.load()
    v = geo.view(bundle)
    geo.to_png(v, dpi=30)  # imports and font loading out of the way

    def baseline():
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        figure = Figure(figsize=(10, 7.6))
        FigureCanvasAgg(figure)
        ax = figure.add_axes([0, 0, 1, 1])
        v.frame.plot(ax=ax, color="#6baed6", edgecolor="#666666", linewidth=0.35)
        figure.savefig(io.BytesIO(), format="png", dpi=300)

    print("\npictures of the default view (median of %d runs)" % args.runs)
    print(f"  baseline GeoDataFrame.plot, 300 dpi PNG : {_timed(baseline, args.runs):6.2f} s")
    print(f"  geo.to_png, 300 dpi                     : {_timed(lambda: geo.to_png(v), args.runs):6.2f} s "
          f"({len(geo.to_png(v)) / 1e6:.2f} MB)")
    print(f"  geo.to_svg                              : {_timed(lambda: geo.to_svg(v), args.runs):6.2f} s "
          f"({len(geo.to_svg(v)) / 1e6:.2f} MB)")

    print("\ndrill-down (first: layers built in a fresh cache; then: read back)")
    prepared = boundaries.cache_dir()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / prepared.name
        fresh.mkdir()
        for path in prepared.iterdir():
            if not path.name.startswith("drill_"):
                (fresh / path.name).symlink_to(path)
        os.environ["ROLLOUT_CACHE_DIR"] = tmp
        for area, what in (("440000", "广东 prefectures"), ("440100", "广州 counties")):
            start = time.perf_counter()
            geo.drill_down(bundle, area, metric="high_tech_zones")
            first = time.perf_counter() - start
            again = _timed(lambda a=area: geo.drill_down(bundle, a, metric="high_tech_zones"), args.runs)
            print(f"  {what:18s}: first {first:5.2f} s, then {again:5.2f} s")
    print(f"  baseline geo.view (34 provinces): {_timed(lambda: geo.view(bundle), args.runs):5.2f} s")

    print("\nbytes sent to the browser (adcode + geometry; whole feature collection)")
    display = boundaries.load_display()
    print(f"  provinces (34)                : {drilldown.payload_bytes(display) / 1e3:7.1f} KB")
    for province in ("150000", "220000", "440000", "510000", "520000", "650000"):
        for level in ("prefecture", "county"):
            layer = drilldown.province_layer(province, level)
            print(f"  {province} {level:10s} ({len(layer):3d}): {drilldown.payload_bytes(layer) / 1e3:7.1f} KB "
                  f"at {layer.attrs['tolerance']}°")
    d = geo.drill_down(bundle, "440000", metric="high_tech_zones")
    whole = len(json.dumps(map_features(d, geo.classification(d))).encode())
    print(f"  广东 prefectures, with colours and tooltips: {whole / 1e3:.1f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
