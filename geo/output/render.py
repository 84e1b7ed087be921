"""Folium map of a view. Every string that reaches the map passes `escape` first.

Why so strict: branca renders folium's page through Jinja2 and then renders the result again, so
`{{ ... }}` in any string would run on the server; tooltips and popups are inserted as HTML and
some sit inside JavaScript template literals, so `${...}` and backticks would run in the browser.
Only the properties named in MAP_PROPERTIES are sent to the map, whatever the data holds.
"""
from __future__ import annotations

import html
import json
from functools import lru_cache

import folium
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from branca.element import Element, MacroElement
from jinja2 import Template

from .. import config
from ..analysis.views import ViewResult, figure_text, format_value, is_missing
from ..data.metrics import METRICS
from ..i18n import DEFAULT_LANGUAGE, in_language, label, t
from .classify import NO_DATA_COLOUR, Classification, classify, classify_fixed

MAP_PROPERTIES = ("adcode", "fill", "estimated", "tooltip")  # the allow-list: nothing else reaches the browser
_UNSAFE = {ord("{"): "&#123;", ord("}"): "&#125;", ord("$"): "&#36;", ord("`"): "&#96;",
           ord("\\"): "&#92;"}
CHINA_BOUNDS = [[18.0, 73.5], [53.6, 135.1]]  # the mainland, for the first zoom


def escape(text: object) -> str:
    """Make any text inert on the map: HTML-escaped, and no Jinja braces, `$`, backtick or backslash."""
    return html.escape("" if text is None else str(text), quote=True).translate(_UNSAFE)


def unit_in(result: ViewResult, lang: str) -> str:
    """The view's unit in `lang`."""
    if lang == DEFAULT_LANGUAGE or result.metric.key not in METRICS:
        return result.unit
    base = label("unit", result.metric.unit, lang)
    if result.spec.view in ("value", "target"):
        return base
    return t(f"view_unit.{result.spec.view}", lang, unit=base)


def legend_unit(result: ViewResult, lang: str = DEFAULT_LANGUAGE) -> str:
    """The unit under a legend's title, left out where the title already says it ("5G base
    stations" over "base stations", "5G基站" over "个基站")."""
    unit = unit_in(result, lang)
    metric = label("metric", result.metric.key, lang, result.metric.label)
    return "" if unit.removeprefix("个") in metric else unit


def _source_without_link(source: str) -> str:
    """A citation's publisher part as written, asides and relays included ("… via …": where the
    figure was read is part of its provenance; and a user's own wording is shown as given), without
    the title and the link (links live in the Sources tab). A printed picture, short of room,
    names publishers only (geo.output.picture.publisher)."""
    text = str(source or "").split(" (http")[0].split(" — ")[0].strip()
    return text if len(text) <= 90 else text[:89] + "…"


def tooltip_html(row: pd.Series, result: ViewResult, lang: str = DEFAULT_LANGUAGE) -> str:
    """The tooltip of one province, built from escaped pieces only: the figure with its
    qualifier and date, the view's value with its unit once, the target in force, the projection
    (derived), and the publisher."""
    view, spec = result.view, result.spec
    names = (row["name_zh"],) if lang == "zh" else (row["name_en"], row["name_zh"])
    names = [n for n in names if isinstance(n, str) and n]  # no English names below provinces
    lines = [f"<b>{' · '.join(escape(n) for n in names)}</b> ({escape(row['adcode'])})"]
    metric = label("metric", result.metric.key, lang, result.metric.label)
    base_unit = label("unit", result.metric.unit, lang, result.metric.unit)
    if is_missing(row["count"]):
        lines.append(f"{escape(metric)}: {escape(t('no_data', lang))}")
        lines.append(escape(t("no_figure", lang)))
    else:
        lines.append(f"{escape(metric)}: <b>{escape(figure_text(row['count'], row.get('qualifier'), lang))}</b> {escape(base_unit)}")
        lines.append(escape(t("as_of_age", lang, date=row["as_of"], age=f"{row['age_months']:.0f}",
                              as_of=spec.as_of)))
        if row.get("in_window") == False and not _estimated(row):  # noqa: E712 (True, False or NA)
            lines.append(f"<i>{escape(t('too_old', lang, months=spec.tolerance_months))}</i>")
    if _estimated(row):
        lines.append(f"<b><i>{escape(t('estimate_line', lang, as_of=spec.as_of, value=_round(row['estimate']), low=_round(row['low80']), high=_round(row['high80'])))}</i></b>")
    elif row.get("estimated") == False:  # noqa: E712 - a figure of the month, in a view of estimates
        lines.append(escape(t("observed_line", lang)))
    if spec.view != "value" and not is_missing(row["value"]):
        unit = f" {escape(unit_in(result, lang))}" if view.shows_unit else ""
        lines.append(f"{escape(label('view', spec.view, lang, view.label))}: "
                     f"<b>{escape(format_value(row['value'], spec.view))}</b>{unit}")
    if not is_missing(row.get("target")) and row.get("in_window") == True:  # noqa: E712
        rule = label("rule", result.rule, lang, result.rule_label)
        lines.append(escape(t("target_line", lang, date=row["target_at"],
                              target=format_value(row["target"], "target"), rule=rule)))
    if not is_missing(row.get("chance_met_pct")) and spec.view != "target_probability":
        lines.append(escape(t("chance_line", lang, chance=f"{row['chance_met_pct']:.0f}")))
    if _estimated(row) and not is_missing(row.get("rank_low")):
        lines.append(escape(t("rank_line", lang, low=f"{row['rank_low']:.0f}", high=f"{row['rank_high']:.0f}",
                              n=int(result.frame["value"].notna().sum()))))
    if _estimated(row):
        lines.append(f"<small>{escape(t('basis_line', lang, basis=in_language(row['basis'], lang)))}<br>"
                     f"{escape(in_language(row['method'], lang))}</small>")
    if not is_missing(row.get("projected")) and not _estimated(row):  # an estimate says it once
        lines.append(f"<i>{escape(t('projected_line', lang, as_of=spec.as_of, value=_round(row['projected']), low=_round(row['projected_low']), high=_round(row['projected_high'])))}</i>")
    if row.get("target_reached_how") in ("observed", "projected", "estimated") and row.get("target_reached"):
        year = spec.target_year or (str(row["target_at"])[:4] if spec.target_at == "target_year" else "")
        year = year or _target_year(result)
        lines.append(escape(t(f"reached_{row['target_reached_how']}", lang, year=year,
                              date=row["target_reached"])))
    if not is_missing(row["count"]):
        lines.append(escape(t("source_line", lang, source=_source_without_link(row["source"]))))
        if "low_authority" in str(row.get("source_flags") or ""):
            lines.append(f"<i>{escape(t('low_authority_line', lang))}</i>")
    return "<br>".join(lines)


def _rank_range(row) -> str:
    """An estimate's rank range ("#3–7"), as SAIPE publishes ranks with their uncertainty."""
    if not _estimated(row) or is_missing(row.get("rank_low")):
        return ""
    low, high = int(row["rank_low"]), int(row["rank_high"])
    text = f"#{low}" if low == high else f"#{low}–{high}"
    return f'<br><small class="rank-range" style="color:#555">{escape(text)}</small>'


def _estimated(row) -> bool:
    return row.get("estimated") == True  # noqa: E712 - True, False or missing (no model)


def _round(value) -> str:
    return f"{value:,.0f}" if not is_missing(value) else "?"


def _target_year(result: ViewResult) -> str:
    path = result.target_path
    return str(path["target_date"].max().year) if path is not None and len(path) else ""


# An estimate: a lighter fill under hatching in a darker shade of its class colour and a dashed
# edge, so that it cannot be taken for an observation even in a grey-scale print.
ESTIMATED_STYLE = {"fillOpacity": 0.55, "dashArray": "3 2"}
HATCH_SPACING_DEG = 0.45


def darker(colour: str, factor: float = 0.6) -> str:
    """`colour` (#rrggbb) darkened: the hatching of an estimate in its class's hue."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{int(c * factor):02x}" for c in (r, g, b))


def hatch_features(result: ViewResult, classification: Classification) -> dict:
    """Diagonal lines clipped to each estimated area (a FeatureCollection of MultiLineStrings,
    one per area, each with the stroke colour of its class)."""
    features = []
    for i, (_, row) in enumerate(result.frame.iterrows()):
        if not (_estimated(row) and not is_missing(row["value"])):
            continue
        lines = _hatch_of(shapely.to_wkb(row["geometry"]))
        if lines is not None:
            stroke = darker(classification.colour_of(classification.classes[i]))
            features.append({"type": "Feature", "properties": {"stroke": stroke}, "geometry": lines})
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=256)
def _hatch_of(wkb: bytes) -> dict | None:
    shape = shapely.from_wkb(wkb)
    minx, miny, maxx, maxy = shape.bounds
    span = (maxx - minx) + (maxy - miny)
    spacing = min(HATCH_SPACING_DEG, max(span / 8, 0.05))  # a small area still gets a few lines
    starts = np.arange(minx - (maxy - miny), maxx + spacing, spacing)
    lines = shapely.multilinestrings([[(x, miny), (x + (maxy - miny), maxy)] for x in starts])
    clipped = shapely.intersection(lines, shape)
    if clipped.is_empty:
        return None
    parts = [g for g in getattr(clipped, "geoms", [clipped]) if g.geom_type == "LineString"]
    return shapely.geometry.mapping(shapely.multilinestrings(parts)) if parts else None


TOO_OLD_STYLE = {"fillColor": "#ffffff", "fillOpacity": 0.9, "color": "#555", "weight": 1.2,
                 "dashArray": "4 3"}
TOO_OLD_SWATCH = "background:#fff;border:1.5px dashed #555"


def map_features(result: ViewResult, classification: Classification, lang: str = DEFAULT_LANGUAGE) -> dict:
    """The GeoJSON FeatureCollection sent to the browser: allow-listed, escaped properties only.
    A figure older than the window gets the too-old style, never a class colour."""
    features = []
    shapes = _geometries(result.frame.geometry.values)
    for i, (_, row) in enumerate(result.frame.iterrows()):
        too_old = row.get("in_window") == False and is_missing(row["value"])  # noqa: E712
        properties = {"adcode": escape(row["adcode"]),
                      "fill": "too_old" if too_old else classification.colour_of(classification.classes[i]),
                      "estimated": _estimated(row) and not is_missing(row["value"]),
                      "tooltip": tooltip_html(row, result, lang)}
        features.append({"type": "Feature", "properties": properties, "geometry": shapes[i]})
    return {"type": "FeatureCollection", "features": features}


def _geometries(geometries) -> tuple[dict, ...]:
    """The GeoJSON geometry of each area, made once per set of shapes: every view of the same
    areas sends the same shapes, only the colours and tooltips change."""
    wkb = tuple(shapely.to_wkb(geometries))
    return _geometries_of(wkb)


@lru_cache(maxsize=64)
def _geometries_of(wkb: tuple[bytes, ...]) -> tuple[dict, ...]:
    return tuple(shapely.geometry.mapping(shapely.from_wkb(w)) for w in wkb)


class Legend(MacroElement):
    """A box on the map as a Leaflet control (the legend, or a standalone page's title card); its
    HTML is built from escaped pieces and passed as JSON. It replaces the box of the same name of
    an earlier view (the app swaps the layers, not the map)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var name = {{ this.slot_json }};
            window.rolloutBoxes = window.rolloutBoxes || {};
            if (window.rolloutBoxes[name]) { window.rolloutBoxes[name].remove(); }
            var legend = L.control({position: {{ this.position_json }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'rollout-legend');
                div.innerHTML = {{ this.html_json }};
                return div;
            };
            legend.addTo(map);
            window.rolloutBoxes[name] = legend;
        })({{ this.map_name }});
        {% endmacro %}
    """)

    def render(self, **kwargs):
        self.map_name = _map_of(self).get_name()
        super().render(**kwargs)

    def __init__(self, html_text: str, position: str = "bottomleft", slot: str = "legend"):
        super().__init__()
        self._name = "Legend"
        self.html_json = json.dumps(html_text)
        self.position_json, self.slot_json = json.dumps(position), json.dumps(slot)


def _map_of(element):
    """The map an element is on (its parent, or its layer's parent)."""
    while not isinstance(element, folium.Map):
        element = element._parent
    return element


class FitSelection(MacroElement):
    """Fit the map to bounds when the selection changed, and only then: switching the view
    keeps the user's zoom."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            if (window.rolloutSelection !== {{ this.key_json }}) {
                window.rolloutSelection = {{ this.key_json }};
                map.fitBounds({{ this.bounds_json }});
            }
        })({{ this.map_name }});
        {% endmacro %}
    """)

    def render(self, **kwargs):
        self.map_name = _map_of(self).get_name()
        super().render(**kwargs)

    def __init__(self, key: str, bounds):
        super().__init__()
        self._name = "FitSelection"
        self.key_json, self.bounds_json = json.dumps(key), json.dumps(bounds)


def legend_entries(result: ViewResult, classification: Classification,
                   lang: str = DEFAULT_LANGUAGE) -> list[tuple[str, str]]:
    """(colour, label) per class, then no data and, when any, the figures too old to colour:
    shared by the map, the page and the pictures (colour "too_old" is drawn outlined)."""
    entries = list(zip(classification.colours, classification.labels(result.view.format, lang)))
    entries.append((NO_DATA_COLOUR, t("no_data", lang)))
    if result.estimated:
        entries.append(("estimated", t("legend_estimated", lang, n=result.estimated,
                                       total=int(result.frame["value"].notna().sum()))))
    if result.outside_window:
        entries.append(("too_old", t("legend_too_old", lang, months=result.spec.tolerance_months,
                                     n=result.outside_window)))
    return entries


def legend_html(result: ViewResult, classification: Classification, lang: str = DEFAULT_LANGUAGE,
                *, inline: bool = False) -> str:
    """The legend as HTML from escaped pieces: a box on the map, or `inline` one row for a page."""
    metric = label("metric", result.metric.key, lang, result.metric.label)
    title = f"{escape(metric)}{'' if inline else '<br>'}<small> {escape(legend_unit(result, lang))}"
    title += f"{' · ' if legend_unit(result, lang) else ''}{escape(t('derived', lang))}" if result.derived else ""
    title += f"{' · ' if inline else '<br>'}{escape(t('legend_as_of', lang, as_of=result.spec.as_of))}</small>"
    item = "span" if inline else "div"
    rows = "".join(
        f'<{item} style="margin-right:10px;white-space:nowrap"><span style="display:inline-block;width:14px;height:12px;'
        f'{_swatch(colour)};'
        f'margin-right:5px;vertical-align:middle"></span>{escape(text)}</{item}>'
        for colour, text in legend_entries(result, classification, lang))
    if inline:
        return (f'<div style="font:13px/1.8 sans-serif"><b>{title}</b><br>{rows}</div>')
    return (f'<div style="background:rgba(255,255,255,.94);padding:5px 8px;font:12px/1.45 sans-serif;'
            f'max-width:min(230px,45vw);border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3)">'
            f'<b>{title}</b>{rows}</div>')


ESTIMATED_SWATCH = ("background:repeating-linear-gradient(135deg,#6baed6 0 2px,#c6dbef 2px 5px);"
                    "border:1.5px dashed #555")
HATCH_CSS = "repeating-linear-gradient(135deg,rgba(0,0,0,.45) 0 1.5px,transparent 1.5px 5px)"


def _swatch(colour: str) -> str:
    if colour == "too_old":
        return TOO_OLD_SWATCH
    if colour == "estimated":
        return ESTIMATED_SWATCH
    return f"background:{colour};border:1px solid #777"


YEAR_COLOURS = {  # the year of a figure, 2019 to 2027: light to dark, as in the ranking's key
    "2019": "#fde725", "2020": "#b5de2b", "2021": "#6ece58", "2022": "#35b779", "2023": "#1f9e89",
    "2024": "#26828e", "2025": "#31688e", "2026": "#3e4989", "2027": "#482878"}


def ranking_html(result: ViewResult, lang: str = DEFAULT_LANGUAGE, names=None) -> str:
    """The areas with a value ranked by it, as plain HTML bars (no chart library: it draws at
    once): each bar coloured by the year of its figure, the view's centre (zero gap, 100 %, the
    nation) or each area's target as a red mark. `names`: the label of each row of the
    selection (default: the Chinese names). Built from escaped pieces only."""
    frame = result.selection
    have = frame[frame["value"].notna()].sort_values("value", ascending=False)
    if have.empty:
        return ""
    labels = dict(zip(frame["adcode"], names if names is not None else frame["name_zh"]))
    centre = result.view.centre
    marks = have["target"] if result.spec.view == "value" else pd.Series(dtype=float)
    whiskers = [c for c in ("value_low80", "value_high80") if c in have]
    ends = [*have["value"], centre if centre is not None else 0.0, *marks.dropna(),
            *(v for c in whiskers for v in have[c].dropna())]
    low, high = min(ends), max(ends)
    span = (high - low) or 1.0

    def at(v):
        return 100 * (v - low) / span

    base = at(centre if centre is not None else 0.0)
    rows = []
    for _, row in have.iterrows():
        year = str(row["as_of"])[:4]
        start, end = sorted((base, at(row["value"])))
        estimated = _estimated(row)
        fill = YEAR_COLOURS.get(year, "#888")
        if estimated:  # hatched, like the map's estimates, over a lighter shade
            fill = f"{HATCH_CSS},#9ecae1"
        bar = (f'<span style="position:absolute;left:{start:.2f}%;width:{max(end - start, 0.4):.2f}%;top:2px;'
               f'bottom:2px;background:{fill}"></span>')
        if estimated and not is_missing(row.get("value_low80")):
            lo_at, hi_at = sorted((at(row["value_low80"]), at(row["value_high80"])))
            bar += (f'<span class="rank-interval" title="80 %" style="position:absolute;left:{lo_at:.2f}%;'
                    f'width:{max(hi_at - lo_at, 0.3):.2f}%;top:8px;height:2px;background:#111"></span>')
        mark = ""
        if centre is not None:
            mark = f'<span style="position:absolute;left:{base:.2f}%;width:1px;top:0;bottom:0;background:#b30000"></span>'
        elif pd.notna(row.get("target")) and result.spec.view == "value":
            mark = (f'<span title="target" style="position:absolute;left:{at(row["target"]):.2f}%;width:2px;top:0;'
                    f'bottom:0;background:#b30000"></span>')
        rows.append(
            f'<div class="rank-row" data-adcode="{escape(row["adcode"])}" data-value="{row["value"]!r}" '
            f'data-year="{escape(year)}" style="display:grid;grid-template-columns:minmax(70px,30%) 1fr 78px;'
            f'gap:6px;align-items:center;font:12px/1.5 sans-serif;margin:0">'
            f'<span style="overflow:hidden;white-space:nowrap;text-overflow:ellipsis">{escape(labels.get(row["adcode"], row["name_zh"]))}</span>'
            f'<span style="position:relative;height:18px;background:#f4f5f7">{bar}{mark}</span>'
            f'<span style="text-align:right;white-space:nowrap">{escape(format_value(row["value"], result.spec.view))}'
            f'{_rank_range(row)}</span></div>')
    years = sorted({str(a)[:4] for a in have.loc[~have.apply(_estimated, axis=1), "as_of"]}) if len(have) else []
    key = " ".join(f'<span style="white-space:nowrap;margin-right:8px"><span style="display:inline-block;width:10px;'
                   f'height:10px;background:{YEAR_COLOURS.get(y, "#888")};margin-right:3px"></span>{escape(y)}</span>'
                   for y in years)
    return (f'<div class="rollout-ranking">{"".join(rows)}'
            f'<div style="font:11px/1.6 sans-serif;color:#555;margin-top:6px">{escape(t("year_key", lang))} {key}'
            f'{_estimated_key(have, lang)}</div></div>')


def _estimated_key(have: pd.DataFrame, lang: str) -> str:
    n = int(have.apply(_estimated, axis=1).sum()) if len(have) else 0
    if not n:
        return ""
    return (f'<br><span style="display:inline-block;width:10px;height:10px;background:{HATCH_CSS},#9ecae1;'
            f'margin-right:3px"></span>{escape(t("legend_estimated", lang, n=n, total=len(have)))}')


def classification(result: ViewResult, scheme: str = config.DEFAULT_SCHEME,
                   k: int = config.DEFAULT_CLASSES) -> Classification:
    """The classes of the view's values (figures within the window; diverging around the view's
    centre)."""
    if result.spec.view == "target_probability":
        return classify_fixed(result.frame["value"])
    return classify(result.frame["value"], scheme, k, result.view.centre)


# The page: no grey behind the map (grey is "no data"), tooltips that wrap and fit a phone.
PAGE_CSS = """<style>
.leaflet-container { background: #f7f9fb !important; }
/* The scale bar: metric only, its text on one line inside its box (Web Mercator: it holds at the
   map's centre latitude; Leaflet redraws it on every move). */
.leaflet-control-scale-line { white-space: nowrap; font-size: 11px; line-height: 1.3; padding: 0 4px;
  box-sizing: content-box; overflow: visible; }
.leaflet-control-scale-line:not(:first-child) { display: none; }
.leaflet-tooltip.rollout-tip { width: max-content; max-width: min(300px, 72vw); white-space: normal;
  font-size: 12px; line-height: 1.35; overflow-wrap: break-word; }
@media (max-width: 600px) {  /* a phone: the title card goes to the empty top of the frame */
  .rollout-card { position: fixed; top: 8px; left: 56px; right: 8px; max-width: none !important; }
}
</style>"""


class KeepTooltipsInside(MacroElement):
    """Shift an open tooltip back inside the map: on a phone a tooltip beside a province would
    otherwise run off the screen."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on('tooltipopen', function (e) {
            var el = e.tooltip.getElement();
            if (!el) { return; }
            el.style.marginLeft = '0px'; el.style.marginTop = '0px';
            var box = this.getContainer().getBoundingClientRect(), r = el.getBoundingClientRect();
            var dx = r.left < box.left + 4 ? box.left + 4 - r.left : (r.right > box.right - 4 ? box.right - 4 - r.right : 0);
            var dy = r.top < box.top + 4 ? box.top + 4 - r.top : (r.bottom > box.bottom - 4 ? box.bottom - 4 - r.bottom : 0);
            el.style.marginLeft = dx + 'px'; el.style.marginTop = dy + 'px';
        });
        {% endmacro %}
    """)


def base_map(*, basemap: bool = False, asset_base_url: str | None = None,
             lang: str = DEFAULT_LANGUAGE) -> folium.Map:
    """The map without the view's layers, fitted to the mainland; the same for every view, so a
    front end can keep it and swap only the layers (`map_layers`)."""
    m = folium.Map(location=[35, 104], zoom_start=4, tiles=None, control_scale=True,
                   prefer_canvas=False, zoom_snap=0.25, zoom_delta=0.5)
    m.options["maxZoom"] = 18  # clusters added later need it (folium drops max_zoom without tiles)
    # The map links the cluster plugin even when this view has no clusters: st_folium loads a
    # map's scripts once, at its first render, and later swaps only the layers, so clusters
    # arriving with a metric switch would find no L.markerClusterGroup. Own lists: folium's are
    # class attributes shared by every map.
    from folium.plugins import MarkerCluster
    m.default_js = [*m.default_js, *MarkerCluster.default_js]
    m.default_css = [*m.default_css, *MarkerCluster.default_css]
    m.get_root().header.add_child(Element(PAGE_CSS), name="rollout_css")
    if basemap:  # optional: the map must read without tiles (no internet)
        folium.TileLayer("OpenStreetMap", name=t("basemap_layer", lang), show=True).add_to(m)
        m.get_root().html.add_child(Element(
            f'<div style="position:absolute;top:8px;left:50px;z-index:1000;background:#fff;padding:2px 6px;'
            f'font:12px sans-serif;border-radius:3px">{escape(t("basemap_note", lang))}</div>'))
    m.add_child(KeepTooltipsInside())
    m.fit_bounds(CHINA_BOUNDS)  # the mainland, not the far South China Sea islets that would shrink it
    if asset_base_url is not None:
        from .assets import localise
        localise(m, asset_base_url)
    return m


def map_layers(result: ViewResult, classification: Classification, *, lang: str = DEFAULT_LANGUAGE,
               hubs: bool = False, points: pd.DataFrame | None = None, selection_key: str | None = None,
               legend: bool = True, asset_base_url: str | None = None) -> list[folium.FeatureGroup]:
    """The view's layers: provinces (classes, too-old style, selection, tooltips, legend), the
    facilities the metric counts (as of the view's date) or a user's placed points (in a
    drill-down, those inside its areas), and the hub outlines when asked. `selection_key` changes
    when the map should fit the selection again."""
    selected = set(result.selected)
    provinces = folium.FeatureGroup(name=escape(label("metric", result.metric.key, lang, result.metric.label)))

    def style(feature):
        chosen = feature["properties"]["adcode"] in selected
        fill = feature["properties"]["fill"]
        base = dict(TOO_OLD_STYLE) if fill == "too_old" else {
            "fillColor": fill, "fillOpacity": 0.85, "color": "#666", "weight": 0.7}
        if feature["properties"].get("estimated"):
            base.update(ESTIMATED_STYLE)
        if chosen:  # outlined, never faded: a faded red would read as another class
            base.update(color="#111", weight=2.8, dashArray=None)
        return base

    folium.GeoJson(
        map_features(result, classification, lang), style_function=style,
        highlight_function=lambda f: {"weight": 3, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=False,
                                      class_name="rollout-tip", direction="auto"),
        zoom_on_click=False).add_to(provinces)
    hatch = hatch_features(result, classification)
    if hatch["features"]:  # estimates: hatched in a darker shade of their class colour
        folium.GeoJson(hatch, style_function=lambda f: {"color": f["properties"]["stroke"], "weight": 1.1,
                                                        "opacity": 0.9},
                       interactive=False, name="estimated").add_to(provinces)
    if legend:  # a page can show it beside the map instead, where it covers no land
        provinces.add_child(Legend(legend_html(result, classification, lang)))
    bounds = _bounds(result)
    key = selection_key if selection_key is not None else ",".join(sorted(selected))
    provinces.add_child(FitSelection(key, bounds))
    layers = [provinces]
    if points is not None and len(points):
        from ..analysis.drilldown import points_inside
        layers.append(point_layer(points_inside(result, points),
                                  label("metric", result.metric.key, lang, result.metric.label)))
    elif result.facilities is not None and len(result.facilities) and result.metric.facility_kinds:
        layers += facility_layers(result.facilities, kinds=result.metric.facility_kinds,
                                  as_of=result.spec.as_of, lang=lang)
    if hubs and result.hubs is not None and len(result.hubs):
        layers.append(hub_layer(result, result.hubs, lang))
    if asset_base_url is not None:
        from .assets import localise_layers
        for layer in layers:
            localise_layers(layer, asset_base_url)
    return layers


def _bounds(result: ViewResult):
    """What the map fits: the selection, a drill-down's areas, or the mainland."""
    if result.selected:
        minx, miny, maxx, maxy = result.frame[result.frame["adcode"].isin(result.selected)].total_bounds
    elif result.level != "province":
        minx, miny, maxx, maxy = result.frame.total_bounds
    else:  # the mainland, not the far South China Sea islets that would shrink it
        return CHINA_BOUNDS
    return [[miny, minx], [maxy, maxx]]


def choropleth(result: ViewResult, scheme: str = config.DEFAULT_SCHEME, k: int = config.DEFAULT_CLASSES,
               *, lang: str = DEFAULT_LANGUAGE, hubs: bool = False, basemap: bool = False,
               points: pd.DataFrame | None = None, asset_base_url: str | None = None) -> folium.Map:
    """The map of a view: classes of `scheme` with `k` classes, legend, tooltips, the facilities
    the metric counts, fitted to the view's selection (the mainland when nothing is selected).

    `asset_base_url` serves Leaflet from a server of your own (no CDN); None leaves folium's
    links, for `to_html`, which inlines them.
    """
    m = base_map(basemap=basemap, lang=lang)
    layers = map_layers(result, classification(result, scheme, k), lang=lang, hubs=hubs, points=points)
    for layer in layers:
        layer.add_to(m)
    if len(layers) > 1 or basemap:
        folium.LayerControl(collapsed=True).add_to(m)
    if result.selected or result.level != "province":
        m.fit_bounds(_bounds(result))
    if asset_base_url is not None:
        from .assets import localise
        localise(m, asset_base_url)
    return m


def title_text(result: ViewResult, lang: str = DEFAULT_LANGUAGE) -> str:
    """"<metric> · <view>, as of <date>": the name of a map wherever it goes (page, picture)."""
    metric = label("metric", result.metric.key, lang, result.metric.label)
    view = label("view", result.spec.view, lang, result.view.label)
    return t("map_title", lang, metric=metric, view=view, as_of=result.spec.as_of)


def caption_lines(result: ViewResult, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """What a map shown outside the app must say under its title: the time rule, the target rule,
    the sources of the figures shown, and the boundaries."""
    spec = result.spec
    summary = result.estimates
    if summary:  # every province answered: say which are figures and which are estimates, and how
        lines = [t("caption_estimates", lang, observed=summary["observed"], estimated=summary["estimated"],
                   as_of=spec.as_of, error=f"{summary['typical_error_pct']:.0f}")]
    else:
        lines = [t("caption_window", lang, months=spec.tolerance_months, n=result.outside_window)]
    if result.rule:
        rule = label("rule", result.rule, lang, result.rule_label)
        lines.append(t("caption_rule", lang, rule=rule, compared=label("target_at", spec.target_at, lang)))
    publishers = sorted({_source_without_link(s) for s in result.selection["source"].dropna()})
    if publishers:
        shown = "; ".join(publishers[:6]) + (f"; +{len(publishers) - 6}" if len(publishers) > 6 else "")
        lines.append(t("caption_sources", lang, sources=shown))
    lines.append(t("caption_boundaries", lang))
    return lines


def to_html(result: ViewResult, scheme: str = config.DEFAULT_SCHEME, k: int = config.DEFAULT_CLASSES,
            *, lang: str = DEFAULT_LANGUAGE, hubs: bool = False) -> str:
    """The map as one standalone HTML page that works offline (Leaflet inlined), with a <title>
    and a title card that says what, when, by which rule and from which sources."""
    from .assets import standalone_html
    m = choropleth(result, scheme, k, lang=lang, hubs=hubs)
    title = title_text(result, lang)
    m.get_root().title = escape(title)
    card = (f'<div class="rollout-card" style="background:rgba(255,255,255,.94);padding:6px 9px;font:12px/1.4 sans-serif;'
            f'max-width:min(340px,60vw);border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3)">'
            f'<b style="font-size:14px">{escape(title)}</b><br>'
            + "<br>".join(f"<small>{escape(line)}</small>" for line in caption_lines(result, lang)) + "</div>")
    m.add_child(Legend(card, position="bottomright", slot="title"))  # the sea east of Taiwan
    return standalone_html(m)


FACILITY_COLOURS = {"supercomputing_centre": "#6a3d9a", "datacentre_cluster": "#e31a1c",
                    "high_tech_zone": "#33a02c"}
POINT_COLOUR = "#ff7f00"


def facility_popup(row: pd.Series) -> str:
    parts = [f"<b>{escape(row.get('name_zh'))}</b>"]
    if row.get("name_en"):
        parts.append(escape(row["name_en"]))
    for name, key in (("kind", "kind"), ("status", "status"), ("counts from", "counts_from"),
                      ("located", "location_method"), ("as of", "as_of"),
                      ("source", "source_publisher"), ("url", "source_url")):
        if row.get(key):
            parts.append(f"{name}: {escape(row[key])}")
    return "<br>".join(parts)


# Each row of a point layer is [lat, lon, popup html, colour, tooltip html]; the strings are
# escaped before they get here. Leaflet's own bindPopup/bindTooltip are used rather than
# folium.Popup, which needs jQuery to parse its HTML.
_POINT_MARKER = """function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]),
        {radius: 6, color: '#fff', weight: 1, fillColor: row[3], fillOpacity: 0.95});
    marker.bindTooltip(row[4]);
    if (row[2]) { marker.bindPopup(row[2], {maxWidth: 300}); }
    return marker;
}"""


def _clustered(rows: list, name: str) -> folium.FeatureGroup:
    from folium.plugins import FastMarkerCluster
    group = folium.FeatureGroup(name=escape(name))
    FastMarkerCluster(rows, callback=_POINT_MARKER).add_to(group)
    return group


def facility_layers(facilities: pd.DataFrame, *, kinds=(), as_of: str | None = None,
                    lang: str = DEFAULT_LANGUAGE) -> list[folium.FeatureGroup]:
    """A clustered point layer per facility kind in `kinds`: the located facilities that count at
    `as_of` (designated or operating by then)."""
    from ..data.observations import period_end
    located = facilities[pd.to_numeric(facilities["lon"], errors="coerce").notna()]
    if as_of is not None and "counts_from" in located:
        date = pd.Timestamp(as_of)
        starts = located["counts_from"].map(lambda c: period_end(c) if c else pd.NaT)
        located = located[starts.notna() & (starts <= date)]
    layers = []
    for kind in kinds:
        rows = located[located["kind"] == kind]
        if rows.empty:
            continue
        data = [[float(r["lat"]), float(r["lon"]), facility_popup(r), FACILITY_COLOURS.get(kind, POINT_COLOUR),
                 escape(r["name_zh"])] for _, r in rows.iterrows()]
        n = rows["facility_id"].nunique()
        name = label("facility", kind, lang, kind)
        layers.append(_clustered(data, f"{name} ({n})" if n == len(rows) else f"{name} ({n}, {len(rows)} sites)"))
    return layers


def point_layer(placed: pd.DataFrame, name: str) -> folium.FeatureGroup:
    """A user's placed points (those with a place), clustered; the tooltip is the line number and
    the first of the user's own columns."""
    ok = placed[placed["status"] == "ok"]
    own = [c for c in placed.columns if c not in ("line", "lon", "lat", "lon_gcj02", "lat_gcj02",
                                                  "adcode", "status", "reason", "part")]
    rows = [[float(r["lat_gcj02"]), float(r["lon_gcj02"]), "", POINT_COLOUR,
             escape(f"line {r['line']}" + (f": {r[own[0]]}" if own else ""))] for _, r in ok.iterrows()]
    return _clustered(rows, f"{name} ({len(rows)})")


def hub_layer(result: ViewResult, hubs: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> folium.FeatureGroup:
    """The 东数西算 hub nodes as outlines of their provinces (sent only when asked for: ~100 KB)."""
    group = folium.FeatureGroup(name=t("hubs_layer", lang))
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
