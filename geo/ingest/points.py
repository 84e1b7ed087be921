"""Point files: CSV or .xlsx through read_table, GeoJSON parsed with json.loads only."""
from __future__ import annotations

import json

import pandas as pd

from ..errors import InputError
from .decoding import Limits, decode_text, sniff
from .header import RawTable, read_table

POINT_COLUMNS = ["line", "part", "lon", "lat", "problem"]
_WGS84_CRS = {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "crs84",
              "epsg:4326", "urn:ogc:def:crs:epsg::4326", "urn:ogc:def:crs:epsg:6.6:4326",
              "http://www.opengis.net/def/crs/ogc/1.3/crs84",
              "http://www.opengis.net/def/crs/epsg/0/4326",
              # CGCS2000 lon/lat: within centimetres of WGS 84, far below the GCJ-02 offset.
              "epsg:4490", "urn:ogc:def:crs:epsg::4490"}


def read_points(data: bytes, filename: str, *,
                limits: Limits = Limits()) -> tuple[pd.DataFrame, str]:
    """A frame of string columns with one row per point, and the kind ('csv', 'xlsx', 'geojson').

    CSV and .xlsx go through read_table (columns as in the file plus `line`). GeoJSON is parsed
    with json.loads only; its frame has `line` (feature index + 1), `part` (point number within
    a MultiPoint), `lon`, `lat`, `problem` (why a feature cannot be placed: not a point, no
    geometry, bad or out-of-range coordinates, too many points; '' when fine) and the feature's
    properties flattened to strings (a property whose name collides gets a `properties.` prefix).
    A legacy `crs` other than WGS 84 / CRS84 (or CGCS2000 lon/lat) is refused for the whole file.
    """
    kind = sniff(data, filename, limits)
    if kind == "text" or kind == "xlsx":
        return table_points(read_table(data, filename, limits=limits)), "xlsx" if kind == "xlsx" else "csv"
    text, _ = decode_text(data, filename)
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(
            exc, json.JSONDecodeError) else ""
        raise InputError(f"not valid JSON{where}: {exc}", file=filename,
                         expected="GeoJSON") from None
    return _geojson_points(document, filename, limits), "geojson"


def table_points(table: RawTable) -> pd.DataFrame:
    """The rows of a table as a point frame: its columns as strings, `line` and `problem`."""
    frame = table.to_frame()
    width = len(table.header)
    # A row with more cells than the header may have shifted columns: not placed, but kept.
    shifted = {line: n for line, n in table.ragged.items() if n > width}
    frame["problem"] = ""
    if shifted:
        frame["problem"] = [f"row has {shifted[line]} cells, the header {width}: columns may "
                            "have shifted" if line in shifted else "" for line in frame["line"]]
    return frame


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _geojson_points(document, filename: str, limits: Limits) -> pd.DataFrame:
    if not isinstance(document, dict):
        raise InputError("GeoJSON must be an object", file=filename, expected="FeatureCollection")
    _check_crs(document.get("crs"), filename)
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise InputError("FeatureCollection has no 'features' list", file=filename)
    elif kind == "Feature":
        features = [document]
    elif kind in ("Point", "MultiPoint"):
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        raise InputError(f"GeoJSON type {kind!r} is not read", file=filename,
                         expected="FeatureCollection, Feature, Point or MultiPoint")
    if len(features) > limits.max_features:
        raise InputError(f"{len(features):,} features, more than the limit of "
                         f"{limits.max_features:,}", file=filename)
    if not features:
        raise InputError("GeoJSON has no features", file=filename)
    rows = []
    for index, feature in enumerate(features):
        rows += _feature_rows(feature, index + 1, limits)
    _refuse_projected(rows, filename)
    keys = list(dict.fromkeys(k for r in rows for k in r if k not in POINT_COLUMNS))
    frame = pd.DataFrame(rows, columns=POINT_COLUMNS + keys, dtype=object).fillna("")
    frame["line"] = frame["line"].astype("int64")
    return frame


def _check_crs(crs, filename: str) -> None:
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if isinstance(name, str) and name.strip().casefold() in _WGS84_CRS:
        return
    raise InputError(f"coordinates are in {name or json.dumps(crs)!s}, not WGS 84 longitude/"
                     "latitude; reproject the file to WGS 84 (EPSG:4326) first", file=filename,
                     column="crs")


def _feature_rows(feature, line: int, limits: Limits) -> list[dict]:
    if not isinstance(feature, dict):
        return [{"line": line, "part": "", "lon": "", "lat": "",
                 "problem": "not a GeoJSON Feature"}]
    properties = feature.get("properties")
    props = {}
    if isinstance(properties, dict):
        for key, value in properties.items():
            key = str(key)
            props[f"properties.{key}" if key in POINT_COLUMNS else key] = _property_text(value)
    geometry = feature.get("geometry")
    base = {"line": line, "part": "", "lon": "", "lat": "", "problem": ""} | props
    if not isinstance(geometry, dict):
        return [base | {"problem": "feature has no geometry"}]
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        points = [coordinates]
    elif kind == "MultiPoint" and isinstance(coordinates, list):
        if len(coordinates) > limits.max_vertices_per_feature:
            return [base | {"problem": f"MultiPoint has {len(coordinates):,} points, more than "
                                       f"the limit of {limits.max_vertices_per_feature:,}"}]
        if not coordinates:
            return [base | {"problem": "MultiPoint has no points"}]
        points = coordinates
    else:
        return [base | {"problem": f"{kind or 'unknown'} geometry: only Point and MultiPoint "
                                   "features are placed"}]
    rows = []
    for part, position in enumerate(points, start=1):
        row = base | {"part": str(part) if kind == "MultiPoint" else ""}
        lon, lat, problem = _position(position)
        rows.append(row | {"lon": lon, "lat": lat, "problem": problem})
    return rows


def _position(position) -> tuple[str, str, str]:
    if not isinstance(position, list) or len(position) < 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in position[:2]):
        return "", "", f"coordinates {json.dumps(position, ensure_ascii=False)[:80]} are not " \
                       "[longitude, latitude] numbers"
    # A third (height) value is ignored; numbers are kept as JSON wrote them (repr round-trips).
    lon, lat = _property_text(position[0]), _property_text(position[1])
    if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
        return lon, lat, f"({lon}, {lat}) is outside the longitude/latitude range"
    return lon, lat, ""


def _refuse_projected(rows: list[dict], filename: str) -> None:
    # Every coordinate out of the lon/lat range means metres of a projected system, not a few
    # bad points: say so for the file rather than listing every row.
    placed = [r for r in rows if r["lon"] != ""]
    if placed and all("outside the longitude/latitude range" in r["problem"] for r in placed):
        sample = placed[0]
        raise InputError("all coordinates are outside the longitude/latitude range: the file "
                         "looks projected (values in metres); reproject it to WGS 84 first",
                         file=filename, row=sample["line"],
                         found=f"{sample['lon']}, {sample['lat']}")


def _property_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)
