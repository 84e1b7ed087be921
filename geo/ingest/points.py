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
        table = read_table(data, filename, limits=limits)
        frame = table_points(table)
        frame.attrs["notes"] = list(table.notes)  # which sheet of a workbook was read
        return frame, "xlsx" if kind == "xlsx" else "csv"
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
    # One entry per point, the feature's properties shared by its points (not copied); the
    # caps are checked as the features are read, before any table is built: property names
    # per feature and in all, points, and points x names (a table's cells: names missing from a
    # feature cost nothing in the file, but a cell each in the table).
    keys: dict[str, None] = {}
    entries: list[tuple] = []
    for line, feature in enumerate(features, start=1):
        properties, points = _feature_points(feature, limits)
        for key in properties:
            if key not in keys:
                keys[key] = None
                if len(keys) > limits.max_property_keys:
                    raise InputError(f"the features carry more than {limits.max_property_keys} "
                                     f"distinct property names in all (this feature adds {key!r}); "
                                     f"a table holds at most {limits.max_property_keys} columns",
                                     file=filename, row=line)
        entries += [(line, *point, properties) for point in points]
        if len(entries) > limits.max_rows:
            raise InputError(f"more than {limits.max_rows:,} points", file=filename, row=line)
        if len(entries) * len(keys) > limits.max_cells:
            raise InputError(f"{len(entries):,} points with {len(keys)} property names would make "
                             f"more than {limits.max_cells:,} cells", file=filename, row=line)
    _refuse_projected(entries, filename)
    columns = {name: [e[i] for e in entries] for i, name in enumerate(POINT_COLUMNS)}
    columns.update((key, [e[-1].get(key, "") for e in entries]) for key in keys)
    frame = pd.DataFrame(columns, dtype=object)
    frame["line"] = frame["line"].astype("int64")
    return frame


def _check_crs(crs, filename: str) -> None:
    if crs is None:
        return
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    if isinstance(name, str) and name.strip().casefold() in _WGS84_CRS:
        return
    said = name if isinstance(name, str) and name else json.dumps(crs, ensure_ascii=False)[:120]
    raise InputError(f"coordinates are in {said}, not WGS 84 longitude/latitude; reproject the "
                     "file to WGS 84 (EPSG:4326) first", file=filename, column="crs")


def _feature_points(feature, limits: Limits) -> tuple[dict[str, str], list[tuple[str, str, str, str]]]:
    """(properties as text, [(part, lon, lat, problem)] per point) of one feature."""
    if not isinstance(feature, dict):
        return {}, [("", "", "", "not a GeoJSON Feature")]
    properties = feature.get("properties")
    props, problem = {}, ""
    if isinstance(properties, dict):
        if len(properties) > limits.max_property_keys:
            properties, problem = {}, (f"feature has {len(properties):,} properties, more than "
                                       f"{limits.max_property_keys} (a table holds at most "
                                       f"{limits.max_property_keys} columns)")
        for key, value in properties.items():
            key, text = str(key), _property_text(value)
            if len(text) > limits.max_cell_chars:
                problem = problem or (f"property {key!r} has {len(text):,} characters, more than "
                                      f"{limits.max_cell_chars:,} (Excel's limit for a cell)")
                text = ""
            props[f"properties.{key}" if key in POINT_COLUMNS else key] = text
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        return props, [("", "", "", problem or "feature has no geometry")]
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        positions = [coordinates]
    elif kind == "MultiPoint" and isinstance(coordinates, list):
        if len(coordinates) > limits.max_vertices_per_feature:
            return props, [("", "", "", f"MultiPoint has {len(coordinates):,} points, more than "
                                        f"the limit of {limits.max_vertices_per_feature:,}")]
        if not coordinates:
            return props, [("", "", "", "MultiPoint has no points")]
        positions = coordinates
    else:
        return props, [("", "", "", f"{kind or 'unknown'} geometry: only Point and MultiPoint "
                                    "features are placed")]
    points = []
    for part, position in enumerate(positions, start=1):
        lon, lat, where_wrong = _position(position)
        points.append((str(part) if kind == "MultiPoint" else "", lon, lat, problem or where_wrong))
    return props, points


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


def _refuse_projected(entries: list[tuple], filename: str) -> None:
    # Every coordinate out of the lon/lat range means metres of a projected system, not a few
    # bad points: say so for the file rather than listing every row. (line, part, lon, lat,
    # problem, properties) per entry.
    placed = [e for e in entries if e[2] != ""]
    if placed and all("outside the longitude/latitude range" in e[4] for e in placed):
        line, _, lon, lat, *_ = placed[0]
        raise InputError("all coordinates are outside the longitude/latitude range: the file "
                         "looks projected (values in metres); reproject it to WGS 84 first",
                         file=filename, row=line, found=f"{lon}, {lat}")


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
