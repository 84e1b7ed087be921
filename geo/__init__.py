"""The rollout mapper's library: China's digital-infrastructure rollout by province, against its
targets. The app (app.py), the command line (python -m geo) and a notebook use this API:

    import geo
    bundle = geo.load()            # bundled boundaries, observations, targets, facilities
    layer = geo.Layer.from_table("mine.xlsx", name="My 5G", default_as_of="2025-06-30")
    bundle = bundle.with_layer(layer)
    v = geo.view(bundle, metric="bs5g", view="gap", as_of="2025-12-31", rule="population_share")
    m = geo.choropleth(v, scheme="quantiles", k=5)        # a folium.Map
    geo.to_geojson(v, "out.geojson"); geo.to_csv(v, "out.csv")
    codes = geo.assign_points(lon, lat, level="county", datum="wgs84")

Never imports Streamlit and does no I/O at import time.
"""
from importlib import import_module

# name -> module: the API is imported on first use, so `import geo` (and a small command-line
# call) does not pay for folium, geopandas and the join engine it does not need.
_API = {
    "Bundle": "bundle", "load": "bundle", "view": "bundle",
    "SCHEMES": "classify", "Classification": "classify",
    "DEFAULT_AS_OF": "config", "DEFAULT_METRIC": "config", "DEFAULT_VIEW": "config", "DEFAULT_CLASSES": "config", "DEFAULT_SCHEME": "config",
    "DEFAULT_TOLERANCE_MONTHS": "config",
    "AssetError": "errors", "DataError": "errors", "GeoError": "errors", "InputError": "errors",
    "CacheWarning": "cache",
    "to_csv": "export", "to_geojson": "export", "to_geoparquet": "export", "frame_to_csv": "files",
    "trajectory_csv": "export",
    "join_points": "engines", "Joined": "pointsets",
    "ENCODING_LABELS": "ingest", "guess_columns": "ingest", "read_points": "ingest",
    "read_table": "ingest",
    "STREAMLIT_VENDOR_URL": "assets", "DEFAULT_LAYER_KEY": "layers",
    "provinces": "regions", "legend_entries": "render", "legend_html": "render", "ranking_html": "render",
    "LEVELS": "join", "assign_points": "join",
    "Layer": "layers",
    "METRICS": "metrics", "Metric": "metrics",
    "count_by_area": "points", "place_points": "points",
    "REGIONS": "regions", "ProvinceNotFound": "regions", "resolve_province": "regions",
    "choropleth": "render", "classification": "render", "to_html": "render", "base_map": "render",
    "map_layers": "render",
    "RULES": "targets", "Rule": "targets", "trajectory": "trajectories",
    "VIEWS": "views", "View": "views", "ViewResult": "views", "ViewSpec": "views",
    "format_value": "views", "figure_text": "views",
    "breadcrumb": "drilldown", "drill_down": "drilldown", "drillable": "drilldown",
    "to_png": "picture", "to_svg": "picture",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(import_module(f".{_API[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_API))
