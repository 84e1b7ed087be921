"""Folium map of a view. Every string that reaches the map passes `escape` first.

Why so strict: branca renders folium's page through Jinja2 and then renders the result again, so
`{{ ... }}` in any string would run on the server; tooltips and popups are inserted as HTML and
some sit inside JavaScript template literals, so `${...}` and backticks would run in the browser.
Only the properties named in MAP_PROPERTIES are sent to the map, whatever the data holds.
"""
from __future__ import annotations

import html
import json

import folium
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from . import config
from .classify import NO_DATA_COLOUR, NO_DATA_LABEL, Classification, classify
from .views import ViewResult, format_value

MAP_PROPERTIES = ("adcode", "fill", "tooltip")  # the allow-list: nothing else reaches the browser
_UNSAFE = {ord("{"): "&#123;", ord("}"): "&#125;", ord("$"): "&#36;", ord("`"): "&#96;",
           ord("\\"): "&#92;"}
CHINA_BOUNDS = [[18.0, 73.5], [53.6, 135.1]]  # the mainland, for the first zoom


def escape(text: object) -> str:
    """Make any text inert on the map: HTML-escaped, and no Jinja braces, `$`, backtick or backslash."""
    return html.escape("" if text is None else str(text), quote=True).translate(_UNSAFE)


def _is_missing(value) -> bool:
    return format_value(value, "value") == NO_DATA_LABEL


def tooltip_html(row: pd.Series, result: ViewResult) -> str:
    """The tooltip of one province, built from escaped pieces only."""
    view = result.spec.view
    names = " · ".join(escape(n) for n in (row["name_zh"], row["name_en"]) if n)  # no English below provinces
    lines = [f"<b>{names}</b> ({escape(row['adcode'])})"]
    value = format_value(row["value"], view)
    derived = " <i>(derived)</i>" if result.derived and not _is_missing(row["value"]) else ""
    lines.append(f"{escape(result.metric.label)}: <b>{escape(value)}</b> {escape(result.unit)}{derived}")
    stale = row.get("stale") == True  # noqa: E712 (object column: True, False or NaN)
    if _is_missing(row["count"]) and stale:
        lines.append(f"Its newest figure ({escape(row['as_of'])}) is stale and left out.")
    elif _is_missing(row["count"]):
        lines.append("No sourced figure for this province.")
    else:
        stale = " <b>· stale</b>" if stale else ""
        lines.append(f"as of {escape(row['as_of'])}{stale}")
        lines.append(f"source: {escape(row['source'])}")
    if not _is_missing(row.get("target")):
        lines.append(f"target {escape(row['target_year'])}: {escape(format_value(row['target'], 'target'))} "
                     f"(derived, rule: {escape(result.rule_label)})")
        if not _is_missing(row["gap"]):
            lines.append(f"gap {escape(format_value(row['gap'], 'gap'))} · attainment "
                         f"{escape(format_value(row['attainment_pct'], 'attainment'))}")
    return "<br>".join(lines)


def map_features(result: ViewResult, classification: Classification) -> dict:
    """The GeoJSON FeatureCollection sent to the browser: allow-listed, escaped properties only."""
    features = []
    for i, (_, row) in enumerate(result.frame.iterrows()):
        properties = {"adcode": escape(row["adcode"]),
                      "fill": classification.colour_of(classification.classes[i]),
                      "tooltip": tooltip_html(row, result)}
        features.append({"type": "Feature", "properties": properties,
                         "geometry": row.geometry.__geo_interface__})
    return {"type": "FeatureCollection", "features": features}


class Legend(MacroElement):
    """A Leaflet control holding the legend; its HTML is built from escaped pieces and passed as JSON."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: 'bottomright'});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create('div', 'rollout-legend');
            div.innerHTML = {{ this.html_json }};
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "Legend"
        self.html_json = json.dumps(html_text)


def legend_entries(result: ViewResult, classification: Classification) -> list[tuple[str, str]]:
    """(colour, label) per class, then the no-data class: shared by the map and the page."""
    entries = list(zip(classification.colours, classification.labels(result.view.format)))
    return entries + [(NO_DATA_COLOUR, NO_DATA_LABEL)]


def legend_html(result: ViewResult, classification: Classification) -> str:
    title = f"{escape(result.metric.label)}<br><small>{escape(result.unit)}"
    title += " · derived" if result.derived else ""
    title += "</small>"
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;background:{colour};'
        f'border:1px solid #777;margin-right:6px;vertical-align:middle"></span>{escape(label)}</div>'
        for colour, label in legend_entries(result, classification))
    return (f'<div style="background:rgba(255,255,255,.92);padding:6px 9px;font:12px/1.5 sans-serif;'
            f'border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3)"><b>{title}</b>{rows}</div>')


def classification(result: ViewResult, scheme: str = config.DEFAULT_SCHEME,
                   k: int = config.DEFAULT_CLASSES) -> Classification:
    """The classes of the view's values over all provinces (diverging around the view's centre)."""
    return classify(result.frame["value"], scheme, k, result.view.centre)


def choropleth(result: ViewResult, scheme: str = config.DEFAULT_SCHEME, k: int = config.DEFAULT_CLASSES,
               *, hubs: bool = False, basemap: bool = False,
               asset_base_url: str | None = None) -> folium.Map:
    """The map of a view: classes of `scheme` with `k` classes, legend, tooltips, the facility
    layers, zoomed to the view's selection (the mainland when nothing is selected).

    `asset_base_url` serves Leaflet from a server of your own (no CDN); None leaves folium's
    links, for `to_html`, which inlines them.
    """
    return build_map(result, classification(result, scheme, k), selected=result.selected,
                     facilities=result.facilities, hubs=result.hubs if hubs else None,
                     basemap=basemap, asset_base_url=asset_base_url)


def to_html(result: ViewResult, scheme: str = config.DEFAULT_SCHEME, k: int = config.DEFAULT_CLASSES,
            *, hubs: bool = False) -> str:
    """The map as one standalone HTML page that works offline (Leaflet inlined)."""
    from .assets import standalone_html
    return standalone_html(choropleth(result, scheme, k, hubs=hubs))


def build_map(result: ViewResult, classification: Classification, *, selected=(),
              facilities: pd.DataFrame | None = None, hubs: pd.DataFrame | None = None,
              basemap: bool = False, asset_base_url: str | None = None) -> folium.Map:
    """The choropleth of `result` with given classes, zoomed to `selected` provinces."""
    m = folium.Map(location=[35, 104], zoom_start=4, tiles=None, control_scale=True,
                   prefer_canvas=False)
    if basemap:  # optional: the map must read without tiles (no internet)
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (needs internet)", show=True).add_to(m)
    selected = set(selected)
    data = map_features(result, classification)

    def style(feature):
        chosen = feature["properties"]["adcode"] in selected
        return {"fillColor": feature["properties"]["fill"], "color": "#222" if chosen else "#666",
                "weight": 2.5 if chosen else 0.7,
                "fillOpacity": 0.85 if (chosen or not selected) else 0.45}

    folium.GeoJson(
        data, name=escape(f"{result.metric.label}: {result.unit}"), style_function=style,
        highlight_function=lambda f: {"weight": 3, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True,
                                      style="max-width: 340px; white-space: normal; font-size: 12px;"),
        zoom_on_click=False).add_to(m)
    if facilities is not None and len(facilities):
        for layer in facility_layers(facilities, shown=result.metric.facility_kinds):
            layer.add_to(m)
    if hubs is not None and len(hubs):
        hub_layer(result, hubs).add_to(m)
    m.add_child(Legend(legend_html(result, classification)))
    if (facilities is not None and len(facilities)) or (hubs is not None and len(hubs)) or basemap:
        folium.LayerControl(collapsed=True).add_to(m)
    if selected or result.level != "province":  # a selection, or a drill-down's areas
        shown = result.frame[result.frame["adcode"].isin(selected)] if selected else result.frame
        minx, miny, maxx, maxy = shown.total_bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    else:  # the mainland, not the far South China Sea islets that would shrink it
        m.fit_bounds(CHINA_BOUNDS)
    if asset_base_url is not None:
        from .assets import localise
        localise(m, asset_base_url)
    return m


FACILITY_STYLE = {  # kind -> (layer name, colour)
    "supercomputing_centre": ("National supercomputing centres", "#6a3d9a"),
    "datacentre_cluster": ("东数西算 data-centre clusters", "#e31a1c"),
    "high_tech_zone": ("National high-tech zones", "#33a02c"),
}


def facility_popup(row: pd.Series) -> str:
    parts = [f"<b>{escape(row.get('name_zh'))}</b>"]
    if row.get("name_en"):
        parts.append(escape(row["name_en"]))
    for label, key in (("kind", "kind"), ("status", "status"), ("located", "location_method"),
                       ("as of", "as_of"), ("source", "source_publisher"), ("url", "source_url")):
        if row.get(key):
            parts.append(f"{label}: {escape(row[key])}")
    return "<br>".join(parts)


# Each row of a facility layer is [lat, lon, popup html, colour, tooltip html]; the strings are
# escaped before they get here. Leaflet's own bindPopup/bindTooltip are used rather than
# folium.Popup, which needs jQuery to parse its HTML.
_FACILITY_MARKER = """function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 6, color: '#fff', weight: 1, fillColor: row[3], fillOpacity: 0.95});
    marker.bindTooltip(row[4]);
    marker.bindPopup(row[2], {maxWidth: 320});
    return marker;
}"""


def facility_layers(facilities: pd.DataFrame, shown=()) -> list:
    """One toggleable, clustered point layer per facility kind (located facilities only); the
    kinds in `shown` (those the mapped metric counts) are on at first, the others listed but off."""
    from folium.plugins import FastMarkerCluster

    layers = []
    located = facilities[pd.to_numeric(facilities["lon"], errors="coerce").notna()]
    for kind, (name, colour) in FACILITY_STYLE.items():
        rows = located[located["kind"] == kind]
        if rows.empty:
            continue
        data = [[float(r["lat"]), float(r["lon"]), facility_popup(r), colour, escape(r["name_zh"])]
                for _, r in rows.iterrows()]
        n_facilities = rows["facility_id"].nunique()
        label = f"{name} ({n_facilities})" if n_facilities == len(rows) else \
            f"{name} ({n_facilities}, at {len(rows)} sites)"
        on = kind in shown
        cluster = FastMarkerCluster(data, callback=_FACILITY_MARKER, name=escape(label), show=on)
        if not on:
            cluster.add_child(HiddenOnOpen())
        layers.append(cluster)
    return layers


class HiddenOnOpen(MacroElement):
    """Take its parent layer off the map once drawn: FastMarkerCluster ignores `show=False`."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent._parent.get_name() }}.removeLayer({{ this._parent.get_name() }});
        {% endmacro %}
    """)


def hub_layer(result: ViewResult, hubs: pd.DataFrame) -> folium.FeatureGroup:
    """The 东数西算 hub nodes as outlines of their provinces (sent only when asked for: ~100 KB)."""
    group = folium.FeatureGroup(name="东数西算 hub nodes (outlines)")
    geometry = result.frame.set_index("adcode").geometry
    for _, hub in hubs.iterrows():
        codes = [c for c in str(hub["province_adcodes"]).split(";") if c in geometry.index]
        if not codes:
            continue
        shape = geometry.loc[codes].union_all()
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": shape.__geo_interface__},
            style_function=lambda f: {"fill": False, "color": "#e31a1c", "weight": 3, "dashArray": "6 4"},
            tooltip=folium.Tooltip(escape(f"{hub['hub_zh']} · {hub['hub_en']}"))).add_to(group)
    return group
