"""Datum conversion between WGS-84 (GPS, OSM), GCJ-02 (AMap, Tencent) and BD-09 (Baidu).

The boundaries are GCJ-02 (AMap-derived), so points are brought to GCJ-02 before any
point-in-polygon test. All functions take and return numpy arrays (any array-like is accepted)
and are vectorised; NaN stays NaN.

GCJ-02 is the published obfuscation formula (Krasovsky ellipsoid a = 6378245.0,
ee = 0.00669342162296594323) used by coordtransform, eviltransform and gcoord.

Out-of-China rule: like those three libraries, a point is shifted only when it lies inside the
rough China box 72.004..137.8347 E, 0.8293..55.8271 N; outside it the GCJ-02 coordinate equals
the WGS-84 one. The box is coarse on purpose (it is what AMap and the libraries agree on): a
point in, say, Mongolia is still shifted by a few hundred metres. That cannot move a far
foreign point into a Chinese area; a point within ~1 km of the land border may move across it,
exactly as it would in AMap itself.

BD-09 is Baidu's further offset of GCJ-02; it is applied everywhere (no box), as Baidu and
coordtransform/gcoord do.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError

DATUMS = ("wgs84", "gcj02", "bd09")

# Krasovsky 1940 ellipsoid, as fixed by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # lon_min, lat_min, lon_max, lat_max


def normalise_datum(datum: str) -> str:
    """'WGS-84', 'wgs84', 'GCJ_02', 'BD09' ... -> one of DATUMS; InputError otherwise."""
    key = str(datum).strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    if key not in DATUMS:
        raise InputError(f"unknown datum {datum!r}", expected=f"one of {', '.join(DATUMS)}")
    return key


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if lon.shape != lat.shape:
        raise ValueError(f"lon and lat differ in shape: {lon.shape} vs {lat.shape}")
    return lon, lat


def in_china_box(lon, lat) -> np.ndarray:
    """True where the GCJ-02 shift applies (the libraries' rough China box; NaN -> False)."""
    lon, lat = _arrays(lon, lat)
    x0, y0, x1, y1 = _CHINA_BOX
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) at a WGS-84 position."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon, lat)
    shift = in_china_box(lon, lat)
    return np.where(shift, lon + dlon, lon), np.where(shift, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat, *, tolerance: float = 1e-10, max_iterations: int = 20):
    """Inverse of wgs84_to_gcj02 by fixed-point iteration (to ~1e-10 degrees, ~0.01 mm).

    The one-step inverse most libraries use (gcj - delta(gcj)) is off by up to a few metres; the
    offset field is smooth, so iterating wgs <- gcj - delta(wgs) converges in a handful of steps.
    Each point stops when its own step is below `tolerance`, so its result does not depend on
    the points converted with it (a file placed in chunks gets the same numbers as placed whole),
    and converged points are not computed again.
    """
    lon, lat = _arrays(lon, lat)
    shift = in_china_box(lon, lat)
    wlon, wlat = lon.copy().ravel(), lat.copy().ravel()
    glon, glat = lon.ravel(), lat.ravel()
    todo = np.flatnonzero(np.isfinite(glon) & np.isfinite(glat))
    for _ in range(max_iterations):
        if todo.size == 0:
            break
        dlon, dlat = _gcj_delta(wlon[todo], wlat[todo])
        new_lon, new_lat = glon[todo] - dlon, glat[todo] - dlat
        change = np.maximum(np.abs(new_lon - wlon[todo]), np.abs(new_lat - wlat[todo]))
        wlon[todo], wlat[todo] = new_lon, new_lat
        todo = todo[~(change < tolerance)]
    wlon, wlat = wlon.reshape(lon.shape), wlat.reshape(lat.shape)
    return np.where(shift, wlon, lon), np.where(shift, wlat, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    x, y = _arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _arrays(lon, lat)
    x, y = lon - 0.0065, lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def to_gcj02(lon, lat, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert lon/lat arrays given in `datum` (wgs84, gcj02, bd09) to GCJ-02."""
    datum = normalise_datum(datum)
    if datum == "wgs84":
        return wgs84_to_gcj02(lon, lat)
    if datum == "bd09":
        return bd09_to_gcj02(lon, lat)
    lon, lat = _arrays(lon, lat)
    return lon.copy(), lat.copy()


def from_gcj02(lon, lat, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 lon/lat arrays to `datum` (e.g. to draw points on WGS-84 tiles)."""
    datum = normalise_datum(datum)
    if datum == "wgs84":
        return gcj02_to_wgs84(lon, lat)
    if datum == "bd09":
        return gcj02_to_bd09(lon, lat)
    lon, lat = _arrays(lon, lat)
    return lon.copy(), lat.copy()
