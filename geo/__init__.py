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
    "AssetError": "errors", "DataError": "errors", "GeoError": "errors", "InputError": "errors",
    "DEFAULT_AS_OF": "config", "DEFAULT_CLASSES": "config", "DEFAULT_METRIC": "config",
    "DEFAULT_SCHEME": "config", "DEFAULT_TOLERANCE_MONTHS": "config", "DEFAULT_VIEW": "config",
    "FALLBACK_VIEW": "config",
    "frame_to_csv": "files", "UPLOAD_SECONDS": "config", "within_budget": "budget",
    "ProvinceNotFound": "data.regions", "REGIONS": "data.regions", "provinces": "data.regions",
    "resolve_province": "data.regions",
    "METRICS": "data.metrics", "Metric": "data.metrics",
    "CacheWarning": "data.cache",
    "ENCODING_LABELS": "ingest", "guess_columns": "ingest", "read_points": "ingest",
    "read_table": "ingest",
    "LEVELS": "spatial.join", "assign_points": "spatial.join",
    "count_by_area": "spatial.points", "place_points": "spatial.points",
    "join_points": "spatial.engines",
    "Joined": "spatial.pointsets",
    "Bundle": "analysis.bundle", "load": "analysis.bundle", "view": "analysis.bundle",
    "DEFAULT_LAYER_KEY": "analysis.layers", "Layer": "analysis.layers",
    "VIEWS": "analysis.views", "View": "analysis.views", "ViewResult": "analysis.views",
    "ViewSpec": "analysis.views", "figure_text": "analysis.views", "format_value": "analysis.views",
    "RULES": "analysis.targets", "Rule": "analysis.targets",
    "trajectory": "analysis.trajectories",
    "nowcast": "analysis.estimates", "backtest": "analysis.estimates",
    "default_view": "analysis.estimates", "backtest_summary": "analysis.backtest",
    "breadcrumb": "analysis.drilldown", "drill_down": "analysis.drilldown",
    "drillable": "analysis.drilldown",
    "Classification": "output.classify", "SCHEMES": "output.classify",
    "base_map": "output.render", "choropleth": "output.render", "classification": "output.render",
    "legend_entries": "output.render", "legend_html": "output.render",
    "map_layers": "output.render", "ranking_html": "output.render", "to_html": "output.render",
    "STREAMLIT_VENDOR_URL": "output.assets",
    "to_csv": "output.export", "to_geojson": "output.export", "to_geoparquet": "output.export",
    "trajectory_csv": "output.export", "csv_download": "output.export", "csv_bytes": "output.export",
    "to_png": "output.picture", "to_svg": "output.picture",
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
