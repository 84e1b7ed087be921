"""The rollout mapper: China's digital-infrastructure rollout by province, against its targets.

A thin Streamlit shell over the `geo` library: widgets, the link (query parameters), caching and
layout. All the work happens in `geo/`.
Run:  streamlit run app.py
"""
from __future__ import annotations

import json
import re
from functools import partial
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import geo
from geo.i18n import LANGUAGES, in_language, label
from geo.i18n import t as message

st.set_page_config(page_title="China digital-infrastructure rollout mapper", layout="wide",
                   initial_sidebar_state="auto")

PROVINCES = {p.adcode: p for p in geo.provinces()}
LAYERS: list = []  # this run's layers from the user's files
MONTHS = [d.strftime("%Y-%m") for d in pd.date_range("2019-01-01", "2027-12-31", freq="ME")]
MAP_HEIGHT = 540
# Link parameters: widget key -> query parameter. Every choice that shapes the view is here.
LINK = {"lang": "lang", "metric": "m", "view": "v", "as_of": "d", "window": "w", "rule": "r",
        "target_at": "t", "target_year": "ty", "pace": "p", "estimates": "e", "regions": "reg", "provinces": "prov",
        "scheme": "s", "k": "k", "hubs": "hubs", "basemap": "tiles", "area": "a"}
LISTS = {"regions", "provinces"}
# Choices whose options are shown in the chosen language (set without a default index, so setting
# them from the session raises no warning), and the tabs.
RELABELLED = ("metric", "view", "rule", "target_at", "regions", "provinces", "scheme",
              "upload_kind", "up_datum", "up_targets_of", "ut_applies_to")
TABS = ("app.tab_ranking", "app.tab_trajectory", "app.tab_table", "app.tab_sources", "app.tab_data",
        "app.tab_share")
FLAGS = {"pace", "estimates", "hubs", "basemap"}
# The whole numbers the link may set, as the widgets fed by them offer them (bounds and step): the
# sidebar builds its widgets from these ranges and the link's parser checks against the same ones,
# so a link can never give a widget a value it would refuse (an exception on the page).
NUMBERS = {"window": range(0, 73, 3), "k": range(3, 8), "target_year": range(2019, 2031)}
MAX_ZOOM = 18  # the map's own limit (geo.base_map)
LINK_MAX_CHARS = 4096  # a longer link is not read at all: no link of this app needs 1 KB
# Only ASCII: str.isdigit and str.isdecimal accept superscripts and other scripts' digits.
WHOLE = re.compile(r"[0-9]{1,6}")
COORD = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,8})?")
# An unknown parameter's name is repeated in the note only if it is a plain word: anything else
# (a URL, Markdown, HTML, direction overrides) could be shown as a link by the page.
PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,19}")


def md(text: object) -> str:
    """Any text made literal for st.markdown/st.caption/st.error (no links, emphasis, images or HTML)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>$~:])", r"\\\1", str(text))


@st.cache_resource(show_spinner="Loading boundaries and data…")
def bundled() -> geo.Bundle:
    """The bundled data, loaded once and shared by every visitor (a Bundle is never changed)."""
    return geo.load()


# cache_resource, not cache_data: a view is never changed after it is made, so every visitor can
# share the same object instead of unpickling a copy (geometry and all) at every run.
@st.cache_resource(show_spinner=False, max_entries=128)
def bundled_view(spec: geo.ViewSpec) -> geo.ViewResult:
    return geo.view(bundled(), spec=spec)


@st.cache_resource(show_spinner="Counting the areas…", max_entries=32)
def bundled_drill(area: str, spec: geo.ViewSpec) -> geo.ViewResult:
    return geo.drill_down(bundled(), area, spec=spec)


@st.cache_resource(show_spinner=False, max_entries=16)
def bundled_trajectory(metric: str, rule: str | None) -> pd.DataFrame:
    return geo.trajectory(bundled(), metric, rule=rule)


# ---------------------------------------------------------------------------- the link

def read_link() -> list[tuple[str, dict]]:
    """On a session's first run, take the choices from the link; return notes on what was ignored,
    as message keys with their values (shown in the visitor's language). No value of the link is
    ever repeated, only the names of the parameters, and an unknown name only if it is a plain word."""
    if st.session_state.get("_link_read"):
        return st.session_state.get("_link_notes", [])
    st.session_state["_link_read"] = True
    params, notes = st.query_params, []
    st.session_state["_link_notes"] = notes
    size = sum(len(name) + sum(len(v) for v in params.get_all(name)) for name in params)
    if size > LINK_MAX_CHARS:
        notes.append(("app.link_too_long", {"kb": LINK_MAX_CHARS // 1024}))
        return notes  # nothing of it is read; the next write_link replaces it
    known = set(LINK.values()) | {"c", "z"}
    unknown = [name for name in params if name not in known]
    plain = [name for name in unknown if PLAIN_NAME.fullmatch(name)]
    if plain:
        notes.append(("app.link_unknown", {"names": ", ".join(plain[:5]) + (" …" if len(plain) > 5 else "")}))
    if len(unknown) > len(plain):
        notes.append(("app.link_unreadable", {"n": len(unknown) - len(plain)}))

    def listed(value: str, allowed) -> bool:  # every item known, none repeated (a multiselect's rule)
        items = value.split(",")
        return len(set(items)) == len(items) and all(x in allowed for x in items)

    checks = {
        "lang": lambda v: v in LANGUAGES, "metric": lambda v: v in bundled().metrics,
        "view": lambda v: v in geo.VIEWS, "as_of": lambda v: v in MONTHS,
        "rule": lambda v: v in geo.RULES, "target_at": lambda v: v in ("figure_date", "target_year"),
        "scheme": lambda v: v in geo.SCHEMES,
        "regions": lambda v: listed(v, geo.REGIONS), "provinces": lambda v: listed(v, PROVINCES),
        "area": lambda v: bool(re.fullmatch(r"[0-9]{6}", v)),
        **{key: (lambda v, r=r: bool(WHOLE.fullmatch(v)) and int(v) in r) for key, r in NUMBERS.items()},
    }
    for key, name in LINK.items():
        if name not in params:
            continue
        value = params[name]  # a repeated parameter: its last value, checked like any other
        if key in FLAGS and value in ("0", "1"):
            st.session_state[key] = value == "1"
        elif key not in FLAGS and checks[key](value):
            st.session_state[key] = (value.split(",") if key in LISTS else int(value) if key in NUMBERS else value)
        else:
            notes.append(("app.link_invalid", {"name": name}))
    if "c" in params or "z" in params:
        position = map_position(params.get("c", ""), params.get("z", ""))
        if position:
            st.session_state["_map_view"] = position
        else:
            notes.append(("app.link_invalid", {"name": "c/z"}))
    return notes


def map_position(centre: str, zoom: str) -> tuple[list[float], float] | None:
    """A link's map centre ("lat,lon") and zoom, or None: plain decimals on the globe only (float()
    would take "nan", "inf", "1e999" and other scripts' digits)."""
    parts = centre.split(",")
    if len(parts) != 2 or not all(COORD.fullmatch(x) for x in parts) or not COORD.fullmatch(zoom):
        return None
    lat, lon, z = float(parts[0]), float(parts[1]), float(zoom)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= z <= MAX_ZOOM):
        return None
    return [lat, lon], z


def link_params() -> dict[str, str]:
    """The link of the choices on screen (only this app's parameters, only values it wrote itself)."""
    params = {}
    for key, name in LINK.items():
        value = st.session_state.get(key)
        if value in (None, [], False, ""):
            continue
        params[name] = ",".join(value) if key in LISTS else "1" if value is True else str(value)
    state = st.session_state.get("map") or {}
    center, zoom = state.get("center"), state.get("zoom")
    if center and zoom:
        params["c"] = f"{center['lat']:.3f},{center['lng']:.3f}"
        params["z"] = f"{zoom:g}"
    elif "_map_view" in st.session_state:
        (lat, lon), zoom = st.session_state["_map_view"]
        params["c"], params["z"] = f"{lat:.3f},{lon:.3f}", f"{zoom:g}"
    return params


def write_link() -> None:
    """Keep the link in step with the choices, so that copying it shares exactly this view."""
    params = link_params()
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def take_map_click() -> None:
    """A click on a province adds it to the selection, a second click removes it; for a metric
    counted from points it opens the province's prefectures, and a prefecture's click its
    counties. Applied at the top of the run, before the widgets exist, so one rerun shows it."""
    state = st.session_state.get("map") or {}
    clicked = ((state.get("last_active_drawing") or {}).get("properties") or {}).get("adcode")
    where = state.get("last_object_clicked")
    event = json.dumps([clicked, where], sort_keys=True)
    if not clicked or event == st.session_state.get("_last_click"):
        return
    st.session_state["_last_click"] = event
    if st.session_state.get("_drillable") and st.session_state.get("_level") in ("province", "prefecture"):
        st.session_state["area"] = clicked  # a province opens its prefectures, a prefecture its counties
    elif clicked in PROVINCES and not st.session_state.get("area"):
        picked = list(st.session_state.get("provinces", []))
        st.session_state["provinces"] = [a for a in picked if a != clicked] if clicked in picked else picked + [clicked]


def relabel_choices(lang: str) -> None:
    """After a language switch, send every choice again so that the browser shows it in the new
    language. The browser keeps a choice as its label: left alone, a box keeps showing the
    English label, and a radio whose label is no longer among its options shows no choice.
    Reading a value before its widget gives the option itself; writing it back makes the widget
    send its new label. The open tab, kept as its label too, is carried over the same way."""
    before = st.session_state.get("_lang_shown")
    st.session_state["_lang_shown"] = lang
    if before is None or before == lang:
        return
    for key in RELABELLED:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    old_tabs = [message(k, before) for k in TABS]
    if st.session_state.get("tab") in old_tabs:
        st.session_state["tab"] = message(TABS[old_tabs.index(st.session_state["tab"])], lang)


# ---------------------------------------------------------------------------- your data

@st.cache_data(show_spinner="Reading your file…", max_entries=8)
def read_upload(content: bytes, filename: str):
    # Every upload's work runs in a worker with a time budget: a file that would hold this
    # interpreter for a minute would freeze every visitor's page, not only its sender's.
    return geo.within_budget(geo.read_table, content, filename, file=filename, seconds=geo.UPLOAD_SECONDS)


@st.cache_data(show_spinner="Placing your points…", max_entries=4)
def point_layer(content: bytes, filename: str, name: str, lon_col: str, lat_col: str, datum: str,
                fix_swapped: bool, as_of: str, source: str) -> geo.Layer:
    return geo.within_budget(geo.Layer.from_points, content, file=filename, seconds=geo.UPLOAD_SECONDS,
                             filename=filename, name=name, lon_col=lon_col, lat_col=lat_col,
                             datum=datum, fix_swapped=fix_swapped, as_of=as_of, source_text=source)


def column_choice(text: str, header: list[str], guess: str | None, key: str, required: bool) -> str | None:
    options = [None, *header]
    return st.selectbox(text + ("" if required else f" ({tr('app.optional')})"), options,
                        index=options.index(guess) if guess in header else 0,
                        format_func=lambda c: tr("app.choose") if c is None else c, key=key)


def report_panel(layer: geo.Layer, key: str) -> None:
    """Every input line with its status: nothing is dropped silently."""
    counts = layer.summary
    st.text(f"{layer.source_name}: {len(layer.report)} lines — " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for note in layer.notes:
        st.text(f"note: {note}")
    if set(counts) - {"joined", "ok", "skipped", "no_data", "aggregate_row"}:
        st.warning(tr("app.not_joined"))
    st.dataframe(layer.report, hide_index=True, width="stretch", height=220)
    st.download_button(tr("app.download_report"), geo.csv_bytes(layer.report),
                       f"report_{layer.source_name.rsplit('.', 1)[0]}.csv", "text/csv", key=f"download_report_{key}")


def your_data_panel() -> list[geo.Layer]:
    """Upload a counts table or point file and/or a targets table: the layers that joined."""
    kind = st.radio(tr("app.values_are"), ["table", "points"], horizontal=True, key="upload_kind",
                    format_func=lambda k: tr(f"app.kind_{k}"))
    values_file = st.file_uploader(tr("app.your_values"), key="upload_values")
    targets_file = st.file_uploader(tr("app.your_targets"), key="upload_targets")
    layers = []
    try:
        if values_file is not None:
            layer = points_panel(values_file) if kind == "points" else table_panel(values_file)
            if layer is not None:
                layers.append(layer)
        if targets_file is not None:
            targets = targets_panel(targets_file, has_values=bool(layers))
            if targets is not None:
                layers.append(targets)
    except geo.GeoError as e:  # one line, escaped: the rest of the page (the map) stays
        st.error(md(e))
    return layers


def table_panel(file) -> geo.Layer | None:
    table = read_upload(file.getvalue(), file.name)
    st.text(f"Read {file.name}: {geo.ENCODING_LABELS.get(table.encoding, table.encoding)}, "
            f"header on line {table.header_line}, {len(table.rows)} data rows")
    guessed = geo.guess_columns(table.header)
    c1, c2 = st.columns(2)
    with c1:
        province_col = column_choice(tr("app.province_col"), table.header, guessed["name"] or guessed["adcode"],
                                     "up_province", True)
        value_col = column_choice(tr("app.value_col"), table.header, guessed["value"], "up_value", True)
        as_of_col = column_choice(tr("app.date_col"), table.header, guessed["as_of"], "up_as_of", False)
        source_col = column_choice(tr("app.source_col"), table.header, guessed["source"], "up_source", False)
    with c2:
        name = st.text_input(tr("app.layer_name"), file.name.rsplit(".", 1)[0], key="up_name")
        unit = st.text_input(tr("app.unit"), "count", key="up_unit")
        default_as_of = st.date_input(tr("app.default_as_of"), value=None, key="up_default_as_of")
        default_source = st.text_input(tr("app.default_source"), key="up_default_source")
        targets_of = st.selectbox(tr("app.targets_of"), [None, *geo.METRICS], key="up_targets_of",
                                  format_func=lambda k: tr("app.no_target") if k is None else metric_label(k))
        approximate = st.toggle(tr("app.accept_approximate"), key="up_approximate")
    missing = [text for text, ok in ((tr("app.need_province"), province_col), (tr("app.need_value"), value_col),
                                     (tr("app.need_date"), as_of_col or default_as_of),
                                     (tr("app.need_source"), source_col or default_source.strip()))
               if not ok]
    if missing:
        st.warning(tr("app.give", what=", ".join(missing)))
        return None
    layer = geo.within_budget(
        geo.Layer.from_table, table, file=file.name, seconds=geo.UPLOAD_SECONDS,
        name=name, unit=unit, province_col=province_col, value_col=value_col,
        as_of_col=as_of_col, source_col=source_col,
        default_as_of=default_as_of.isoformat() if default_as_of else None,
        default_source=default_source.strip() or None, targets_of=targets_of, allow_qualified=approximate)
    report_panel(layer, "values")
    return layer


def points_panel(file) -> geo.Layer | None:
    """A point file counted per province by the spatial join."""
    frame, _ = geo.within_budget(geo.read_points, file.getvalue(), file.name, file=file.name,
                                 seconds=geo.UPLOAD_SECONDS)
    columns = [c for c in frame.columns if c not in ("line", "part", "problem")]
    guessed = geo.guess_columns(columns)
    c1, c2 = st.columns(2)
    with c1:
        lon_col = column_choice(tr("app.lon_col"), columns, guessed["lon"], "up_lon", True)
        lat_col = column_choice(tr("app.lat_col"), columns, guessed["lat"], "up_lat", True)
        datum = st.selectbox(tr("app.datum"), [None, "wgs84", "gcj02", "bd09"], key="up_datum",
                             format_func=lambda d: tr(f"app.datum_{d}") if d else tr("app.choose"))
        fix_swapped = st.checkbox(tr("app.fix_swapped"), key="up_fix_swapped")
    with c2:
        name = st.text_input(tr("app.layer_name"), file.name.rsplit(".", 1)[0], key="up_points_name")
        as_of = st.date_input(tr("app.points_as_of"), value=None, key="up_points_as_of")
        source = st.text_input(tr("app.source"), key="up_points_source")
    missing = [text for text, ok in ((tr("app.need_lon"), lon_col), (tr("app.need_lat"), lat_col),
                                     (tr("app.need_datum"), datum), (tr("app.need_date"), as_of),
                                     (tr("app.need_source"), source.strip())) if not ok]
    if missing:
        st.warning(tr("app.give", what=", ".join(missing)))
        return None
    layer = point_layer(file.getvalue(), file.name, name, lon_col, lat_col, datum, fix_swapped,
                        as_of.isoformat(), source.strip())
    placed = layer.placed
    st.text(f"{file.name}: {len(placed)} points — " + ", ".join(f"{k} {v}" for k, v in layer.summary.items()))
    if (placed["status"] != "ok").any():
        st.warning(tr("app.not_placed"))
    st.dataframe(placed, hide_index=True, width="stretch", height=220)
    st.download_button(tr("app.download_report"), geo.csv_bytes(placed),
                       f"report_{file.name.rsplit('.', 1)[0]}.csv", "text/csv", key="download_report_points")
    return layer


def targets_panel(file, has_values: bool) -> geo.Layer | None:
    table = read_upload(file.getvalue(), file.name)
    guessed = geo.guess_columns(table.header)
    c1, c2 = st.columns(2)
    with c1:
        province_col = column_choice(tr("app.province_col"), table.header,
                                     guessed["name"] or guessed["adcode"], "ut_province", True)
        target_col = column_choice(tr("app.target_col"), table.header, guessed["target"] or guessed["value"],
                                   "ut_target", True)
        year_col = column_choice(tr("app.target_year_col"), table.header, guessed["target_year"], "ut_year", False)
    with c2:
        default_year = st.number_input(tr("app.default_target_year"), 2000, 2100, value=None, key="ut_default_year")
        default_source = st.text_input(tr("app.default_source"), key="ut_default_source")
        applies_to = st.selectbox(tr("app.targets_for"), [geo.DEFAULT_LAYER_KEY if has_values else None, *geo.METRICS],
                                  key="ut_applies_to",
                                  format_func=lambda k: tr("app.your_values_short") if k == geo.DEFAULT_LAYER_KEY
                                  else (metric_label(k) if k else tr("app.choose")))
    if not (province_col and target_col and (year_col or default_year) and default_source.strip() and applies_to):
        st.warning(tr("app.give_targets"))
        return None
    layer = geo.within_budget(geo.Layer.from_targets, table, file=file.name, seconds=geo.UPLOAD_SECONDS,
                              applies_to=applies_to, province_col=province_col,
                              target_col=target_col, target_year_col=year_col,
                              default_target_year=default_year, default_source=default_source.strip())
    report_panel(layer, "targets")
    return layer


# ---------------------------------------------------------------------------- labels

def tr(key: str, **values) -> str:
    return message(key, lang, **values)  # this run's language (a widget's labels may be formatted after the run)


def metric_label(key: str) -> str:
    """A metric's label in the chosen language; a user's layer keeps the name it was given."""
    metric = geo.METRICS.get(key) or next((x.metric for x in LAYERS if x.key == key), None)
    return label("metric", key, lang, metric.label if metric else key)


def province_name(adcode: str) -> str:
    p = PROVINCES[adcode]
    return p.name_zh if lang == "zh" else f"{p.name_en} · {p.name_zh}"


def area_names(frame) -> list[str]:
    """The names of a view's areas (provinces, or a drill-down's prefectures and counties, which
    have Chinese names only)."""
    zh = lang == "zh"
    return [z if zh or not isinstance(e, str) or not e else f"{e} · {z}"
            for z, e in zip(frame["name_zh"], frame["name_en"])]


def number(value, kind: str = "value") -> str:
    return geo.format_value(value, kind)


# ---------------------------------------------------------------------------- the page

link_notes = read_link()
take_map_click()
lang = st.session_state.setdefault("lang", "en")
relabel_choices(lang)

header, language_box = st.columns([6, 1])
language_box.segmented_control("Language / 语言", list(LANGUAGES), format_func=LANGUAGES.get, key="lang",
                               label_visibility="collapsed")
lang = st.session_state.get("lang") or "en"
header.markdown(f"#### {tr('app.title')}")
headline = st.container()
left, right = st.columns([3, 2], gap="medium")
with right:
    tabs = st.tabs([tr(k) for k in TABS], key="tab", on_change="rerun")
with tabs[4]:  # read first: a new layer becomes a choice of the sidebar below
    layers = LAYERS = your_data_panel()
bundle = bundled()
for layer in layers:
    bundle = bundle.with_layer(layer)
new_layer = next((x.key for x in layers if x.key), None)
if new_layer and st.session_state.get("_selected_layer") != new_layer:
    st.session_state["_selected_layer"] = new_layer  # select an upload once, when it arrives
    st.session_state["metric"] = new_layer

with st.sidebar:
    st.header(tr("app.what_to_map"))
    metrics = list(bundle.metrics)
    if st.session_state.get("metric") not in metrics:
        st.session_state["metric"] = geo.DEFAULT_METRIC if geo.DEFAULT_METRIC in metrics else metrics[0]
    metric = st.selectbox(tr("app.infrastructure"), metrics, format_func=metric_label, key="metric")
    drillable = geo.drillable(bundle, metric)
    area = st.session_state.get("area") if drillable else None
    # Below the provinces only the count exists: the view and target choices wait, greyed out.
    counts_only = {"disabled": True, "help": tr("app.counts_only")} if area else {}
    views = bundle.views(metric)  # no target views where there is no target
    if st.session_state.get("view") not in views:
        st.session_state["view"] = geo.default_view(bundle, metric)
    view_key = st.selectbox(tr("app.view"), views, key="view",
                            format_func=lambda k: label("view", k, lang, geo.VIEWS[k].label), **counts_only)
    st.session_state.setdefault("as_of", geo.DEFAULT_AS_OF[:7])
    as_of = st.select_slider(tr("app.as_of"), MONTHS, key="as_of")
    window = st.slider(tr("app.window"), NUMBERS["window"][0], NUMBERS["window"][-1], geo.DEFAULT_TOLERANCE_MONTHS,
                       NUMBERS["window"].step, key="window",
                       help=tr("app.window_help"))
    rules = bundle.rules(metric)
    if rules and st.session_state.get("rule") not in rules:
        st.session_state["rule"] = rules[0]  # the box always shows the rule in use
    rule = st.selectbox(tr("app.rule"), rules, key="rule", format_func=lambda r: label('rule', r, lang, geo.RULES[r].label),
                        **counts_only) if rules else None
    if rules:
        target_at = st.radio(tr("app.target_at"), ["figure_date", "target_year"], key="target_at",
                             format_func=lambda k: label("target_at", k, lang), horizontal=False, **counts_only)
        target_year = (st.number_input(tr("app.target_year"), NUMBERS["target_year"][0], NUMBERS["target_year"][-1],
                                       2025, key="target_year", **counts_only)
                       if target_at == "target_year" else None)
    else:
        target_at, target_year = "figure_date", None
    # A metric with a model projects by its estimates (one way of estimating): the pace is moot.
    pace = st.toggle(tr("app.pace"), key="pace", help=tr("app.pace_help"), disabled=bool(area) or "nowcast" in views)
    # Views of estimates always use them; the others compare figures unless asked (off by default).
    estimates = st.toggle(tr("app.estimates"), key="estimates", help=tr("app.estimates_help"),
                          disabled=bool(area) or "nowcast" not in views or geo.VIEWS[view_key].uses_estimates)
    st.header(tr("app.filter"))
    picked_regions = st.multiselect(tr("app.regions"), list(geo.REGIONS), key="regions",
                                    format_func=lambda r: label("region", r, lang), placeholder=tr("app.all"))
    picked = st.multiselect(tr("app.provinces"), list(PROVINCES), format_func=province_name, key="provinces",
                            placeholder=tr("app.all"))
    st.header(tr("app.classes"))
    scheme = st.selectbox(tr("app.scheme"), list(geo.SCHEMES), key="scheme",
                          format_func=lambda k: label("scheme", k, lang))
    k = st.slider(tr("app.k"), NUMBERS["k"][0], NUMBERS["k"][-1], geo.DEFAULT_CLASSES, NUMBERS["k"].step, key="k")
    st.header(tr("app.layers"))
    hubs = st.toggle(tr("app.hubs"), key="hubs")
    basemap = st.toggle(tr("app.basemap"), key="basemap")

month_end = (pd.Timestamp(as_of + "-01") + pd.offsets.MonthEnd(0)).date().isoformat()
spec = geo.ViewSpec(metric, view_key, month_end, rule, window, target_at,
                    int(target_year) if target_year else None, pace, bool(estimates), tuple(picked),
                    tuple(picked_regions))
stem = f"rollout_{metric}_{view_key}_{month_end}"  # the downloads' file names
# Users' layers are not cached across sessions; they are small enough to compute at each rerun.
result = geo.view(bundle, spec=spec) if layers else bundled_view(spec)
if area:  # a drill-down: the prefectures of a province, or the counties of a prefecture
    try:
        counted = geo.ViewSpec(metric, "value", month_end, None, window)
        result = geo.drill_down(bundle, area, spec=counted) if layers else bundled_drill(area, counted)
    except geo.InputError as e:
        st.session_state["area"] = area = None
        st.warning(md(e))
st.session_state["_drillable"], st.session_state["_level"] = drillable, result.level
classification = geo.classification(result, scheme, k)
shown = result.selection

with headline:
    national = result.national
    if link_notes:
        st.caption(md(tr("app.link_ignored", what="; ".join(tr(key, **values) for key, values in link_notes))))
    parts = []
    if national:
        figure = geo.figure_text(national["value"], national.get("qualifier"), lang)
        parts.append(tr("app.national", figure=figure, as_of=national["as_of"]))
        if national.get("target"):  # one sentence with the figure it measures
            parts[-1] += tr("app.national_target", target=number(national["target"], "target"),
                            pct=f"{national['attainment_pct']:.0f}")
    outside = result.outside_window
    with_figure = int(result.frame["count"].notna().sum())
    if result.estimated:
        summary = result.estimates
        parts.append(tr("app.estimate_status", observed=summary["observed"], estimated=summary["estimated"],
                        total=summary["observed"] + summary["estimated"], as_of=month_end,
                        national=number(round(summary["national_footing"])), error=f"{summary['typical_error_pct']:.0f}"))
    else:
        parts.append(tr("app.window_status", n=with_figure - outside, total=with_figure, months=window,
                        old=outside, areas=tr(f"app.areas_{result.level}")))
    st.markdown(" · ".join(md(p) for p in parts))

with left:
    point_rows = next((x.placed for x in layers if x.key == metric and x.placed is not None), None)
    if area:  # the way back
        steps = geo.breadcrumb(result)
        crumbs = st.columns(len(steps) + 2)
        for i, step in enumerate(steps):
            current = i == len(steps) - 1
            crumbs[i].button(("▸ " if current else "") + step["label"], key=f"crumb_{i}", disabled=current,
                             on_click=st.session_state.__setitem__, args=("area", step["area"]))
        st.caption(md(tr("app.drill_note", level=tr(f"app.level_{result.level}"))))
    elif drillable:
        st.caption(md(tr("app.drill_hint")))
    base = geo.base_map(basemap=basemap, asset_base_url=geo.STREAMLIT_VENDOR_URL, lang=lang)
    groups = geo.map_layers(result, classification, lang=lang, hubs=hubs and not area, points=point_rows,
                            legend=False, selection_key=f"{area}|{sorted(picked)}|{sorted(picked_regions)}",
                            asset_base_url=geo.STREAMLIT_VENDOR_URL)
    start = st.session_state.pop("_map_view", None)  # a shared link's map position, once
    st_folium(base, key="map", height=MAP_HEIGHT, use_container_width=True, feature_group_to_add=groups,
              center=start[0] if start else None, zoom=start[1] if start else None,
              returned_objects=["last_active_drawing", "last_object_clicked", "center", "zoom"])
    st.html(geo.legend_html(result, classification, lang, inline=True))  # below the map: it covers no land
    for note in result.notes:  # what the map cannot say: always shown
        st.info(md(in_language(note, lang)), icon="ℹ️")
    if not len(shown):
        st.warning(tr("app.empty_selection"))

def ranking_tab() -> None:
    ranked = geo.ranking_html(result, lang, names=area_names(shown))
    if not ranked:
        st.info(tr("app.nothing_to_rank"))
    else:
        st.html(ranked)  # plain HTML bars: no chart library to load before the first screen
        if result.view.centre is not None or shown["target"].notna().any():  # a line or ticks drawn
            st.caption(md(tr("app.ranking_line")))
    old = shown[shown["in_window"] == False]  # noqa: E712
    if len(old):
        st.caption(md(tr("app.not_ranked", months=window, list=", ".join(
            f"{n} ({d})" for n, d in zip(area_names(old), old["as_of"])))))


def trajectory_tab() -> None:
    if not result.metric.dated_series:
        st.info(tr("app.no_trajectory"))
    else:
        table = bundled_trajectory(metric, result.rule) if not layers else geo.trajectory(bundle, metric, rule=result.rule)
        chosen = list(picked) or list(
            shown[shown["vs_national"].notna()].sort_values("vs_national")["adcode"].head(3))
        lines = table[table["adcode"].isin(chosen + ["100000"])].copy()
        population = {a: v for a, v in zip(result.frame["adcode"], result.frame["population_10k"])}
        lines["name"] = [tr("app.china") if a == "100000" else province_name(a) for a in lines["adcode"]]
        national_pop = float(sum(v for a, v in population.items() if pd.notna(v)))
        lines["per_10k"] = [v / (national_pop if a == "100000" else population.get(a, float("nan")))
                            for a, v in zip(lines["adcode"], lines["value"])]
        lines["target_per_10k"] = [v / (national_pop if a == "100000" else population.get(a, float("nan")))
                                   for a, v in zip(lines["adcode"], lines["target"])]
        for column in ("low", "high"):
            lines[f"{column}_per_10k"] = [v / population.get(a, float("nan"))
                                          for a, v in zip(lines["adcode"], lines[column])]
        lines["date"] = pd.to_datetime(lines["date"])
        base_chart = alt.Chart(lines).encode(x=alt.X("date:T", title=None),
                                             color=alt.Color("name:N", title=None))
        observed = base_chart.transform_filter("datum.kind == 'observed' || datum.kind == 'interpolated'").mark_line(
            point=True).encode(y=alt.Y("per_10k:Q", title=tr("app.per_10k_axis")),
                               tooltip=["name", "date:T", "kind", alt.Tooltip("value:Q", format=",.0f")])
        # Estimates: a band (their 80 % interval) under a thin dashed line, never dots like figures.
        band = base_chart.transform_filter("datum.kind == 'estimated'").mark_area(opacity=0.18).encode(
            y="low_per_10k:Q", y2="high_per_10k:Q")
        estimated = base_chart.transform_filter("datum.kind == 'estimated'").mark_line(
            strokeDash=[4, 3], strokeWidth=1.2).encode(
            y="per_10k:Q", tooltip=["name", "date:T", "kind", alt.Tooltip("value:Q", format=",.0f"),
                                    alt.Tooltip("low:Q", format=",.0f"), alt.Tooltip("high:Q", format=",.0f")])
        projected = base_chart.transform_filter("datum.kind == 'projected'").mark_line(
            strokeDash=[5, 4], point=alt.OverlayMarkDef(shape="triangle-up")).encode(
            y="per_10k:Q", tooltip=["name", "date:T", "kind", alt.Tooltip("value:Q", format=",.0f"),
                                    alt.Tooltip("low:Q", format=",.0f"), alt.Tooltip("high:Q", format=",.0f")])
        # The national target path in red, as the caption says: its colour is its own, not a
        # province's (the shared colour channel would paint it the nation's series colour).
        target = alt.Chart(lines).transform_filter("datum.adcode == '100000'").mark_line(
            strokeDash=[2, 2]).encode(x="date:T", y="target_per_10k:Q", color=alt.value("#b30000"))
        # The month the view is at, so the chart and the map are read at the same date.
        chosen_date = alt.Chart(pd.DataFrame({"date": [pd.Timestamp(month_end)]})).mark_rule(
            color="#555", strokeDash=[1, 3]).encode(x="date:T")
        st.altair_chart((band + estimated + observed + projected + target + chosen_date).properties(height=360),
                        width="stretch")
        st.caption(md(tr("app.trajectory_note")))


def table_tab() -> None:
    columns = {"adcode": "adcode", "name": tr("app.col_province"), "shown": tr("app.value"),
               "count": tr("app.col_figure"), "as_of": tr("app.as_of_col"), "age_months": tr("app.col_age"),
               "target": tr("app.col_target"), "attainment": tr("app.col_attainment"),
               "estimate": tr("app.col_estimate"), "interval": tr("app.col_interval"),
               "projected": tr("app.col_projected"), "source": tr("app.col_source")}
    table = pd.DataFrame({
        "adcode": shown["adcode"], "name": area_names(shown),
        # Numbers stay numbers, formatted by the column, so that a click on a header sorts them
        # by value (as text, +6,147 came after +37,423). A figure older than the window keeps its
        # count and date here; only the view's value is empty, as on the map.
        "shown": pd.to_numeric(shown["value"], errors="coerce"),
        "count": pd.to_numeric(shown["count"], errors="coerce"),
        "as_of": shown["as_of"].fillna(""), "age_months": shown["age_months"],
        "target": pd.to_numeric(shown["target"], errors="coerce"),
        "attainment": pd.to_numeric(shown["attainment_pct"], errors="coerce"),
        "estimate": pd.to_numeric(shown["estimate"], errors="coerce").where(shown["estimated"] == True)  # noqa: E712
        if "estimated" in shown else pd.Series(float("nan"), index=shown.index),
        "interval": [tr("app.interval_cell", low=number(lo), high=number(hi)) if est is True else ""
                     for est, lo, hi in zip(shown.get("estimated", [None] * len(shown)),
                                            shown.get("low80", shown["count"]), shown.get("high80", shown["count"]))],
        "projected": pd.to_numeric(shown["projected"], errors="coerce"),
        "source": shown["source"].fillna("")}).rename(columns=columns)
    numbers = {tr(f"app.{k}"): st.column_config.NumberColumn(format="localized")
               for k in ("value", "col_figure", "col_target", "col_estimate", "col_projected")}
    numbers[tr("app.col_attainment")] = st.column_config.NumberColumn(format="%.0f %%")
    numbers[tr("app.col_age")] = st.column_config.NumberColumn(format="%.0f")
    st.dataframe(table, hide_index=True, width="stretch", height=380, column_config=numbers)
    total, n_with = result.provincial_sum()
    st.caption(md(tr("app.sum", n=n_with, total=len(shown), sum=number(total) if total else tr("app.no_data"))))
    csv_download("download_csv_table")  # the same file as on the Link & downloads tab


def csv_download(key: str) -> None:
    st.download_button(tr("app.download_csv"), lambda: geo.csv_download(result, lang)[0], f"{stem}.csv",
                       "text/csv", key=key)
    # Beside it: the date, window, rule and view it was made with, and what each column holds.
    st.download_button(tr("app.download_csv_metadata"), lambda: geo.csv_download(result, lang)[1],
                       f"{stem}.csv-metadata.json", "application/json", key=f"{key}_metadata")


def sources_tab() -> None:
    sources = shown[shown["source"].notna()]
    for name, as_of_, source in zip(area_names(sources), sources["as_of"], sources["source"]):
        url = re.search(r"\((https?://[^)\s]+)\)\s*$", source)
        text = md(source[: url.start()] if url else source)
        link = f" [{md(url.group(1))}]({url.group(1)})" if url else ""
        st.markdown(f"**{md(name)}** ({md(as_of_)}): {text}{link}")
    if result.rule:
        st.markdown(f"**{md(tr('app.targets'))}**: {md(result.frame['target_source'].dropna().iloc[0] if result.frame['target_source'].notna().any() else '')}")
    unlocated = bundle.facilities[bundle.facilities["lon"].isna()]
    if len(unlocated):
        st.caption(md(tr("app.unlocated", n=len(unlocated))))
        st.dataframe(unlocated[["kind", "name_zh", "listed_province_adcode", "location_method"]], hide_index=True)


def share_tab() -> None:
    link = st.context.url or ""
    # This run's choices, never the raw link (it may be hostile, and it is one run behind).
    query = urlencode(link_params(), safe=",")
    st.caption(tr("app.copy_link"))
    st.code(f"{link.split('?')[0]}?{query}" if query else link, language=None)
    st.download_button(tr("app.download_geojson"), partial(geo.to_geojson, result, lang=lang), f"{stem}.geojson",
                       "application/geo+json", key="download_geojson")
    csv_download("download_csv")
    st.download_button(tr("app.download_geoparquet"), partial(geo.to_geoparquet, result, lang=lang),
                       f"{stem}.parquet", "application/vnd.apache.parquet", key="download_geoparquet")
    st.download_button(tr("app.download_png"), partial(geo.to_png, result, None, scheme, k, lang=lang), f"{stem}.png",
                       "image/png", key="download_png")
    st.download_button(tr("app.download_svg"), partial(geo.to_svg, result, None, scheme, k, lang=lang),
                       f"{stem}.svg", "image/svg+xml", key="download_svg")


# Lazy tabs: only the open one is computed and sent, so a new visitor's browser loads the code of
# the map and the ranking only (the link box's highlighter alone took 0.2 s of its main thread).
# "Your data" (above) always runs: an upload must not be forgotten.
for tab, fill in ((tabs[0], ranking_tab), (tabs[1], trajectory_tab), (tabs[2], table_tab),
                  (tabs[3], sources_tab), (tabs[5], share_tab)):
    if tab.open:
        with tab:
            fill()

write_link()
