"""The rollout mapper: China's digital-infrastructure rollout by province, against its targets.

A thin Streamlit shell: widgets, caching and layout. All the work happens in `geo/`.
Run:  streamlit run app.py
"""
from __future__ import annotations

import datetime as dt
import re
from functools import partial

import streamlit as st
from streamlit_folium import st_folium

import geo

PROVINCES = {p.adcode: p for p in geo.provinces()}
TABLE_COLUMNS = ["adcode", "name_zh", "name_en", "region", "value", "unit", "count", "as_of", "stale",
                 "target", "target_year", "gap", "attainment_pct", "source"]

st.set_page_config(page_title="China digital-infrastructure rollout mapper", layout="wide")


@st.cache_resource(show_spinner="Loading boundaries and data…")
def bundled() -> geo.Bundle:
    """The bundled data, loaded once and shared by every visitor (a Bundle is never changed)."""
    return geo.load()


@st.cache_data(show_spinner=False, max_entries=64)
def bundled_view(spec: geo.ViewSpec) -> geo.ViewResult:
    return geo.view(bundled(), spec=spec)


def md(text: object) -> str:
    """User text made literal for st.markdown/st.caption (no links, emphasis or HTML)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>$~])", r"\\\1", str(text))


@st.cache_data(show_spinner="Reading your file…", max_entries=8)
def read_upload(content: bytes, filename: str) -> "geo.ingest.RawTable":
    return geo.read_table(content, filename)


def column_choice(label: str, header: list[str], guess: str | None, key: str, required: bool) -> str | None:
    options = [None, *header]
    return st.selectbox(label + ("" if required else " (optional)"), options,
                        index=options.index(guess) if guess in header else 0,
                        format_func=lambda c: "— choose —" if c is None else c, key=key)


def report_panel(layer: geo.Layer, key: str) -> None:
    """Every input line with its status: nothing is dropped silently."""
    counts = layer.summary
    st.text(f"{layer.source_name}: {len(layer.report)} lines — " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for note in layer.notes:
        st.text(f"note: {note}")
    if set(counts) - {"joined", "ok", "skipped", "no_data", "aggregate_row"}:
        st.warning("Some lines were not joined: see the report below (reasons and suggestions; "
                   "suggestions are never applied).")
    st.dataframe(layer.report, hide_index=True, width="stretch", height=240)
    st.download_button("Download the line-by-line report (CSV)", geo.frame_to_csv(layer.report),
                       f"report_{layer.source_name}.csv", "text/csv", key=f"download_report_{key}")


def your_data_panel() -> list[geo.Layer]:
    """Upload a counts table or point file and/or a targets table: the layers that joined."""
    values_kind = st.radio("Your values are", ["table", "points"], horizontal=True, key="upload_kind",
                           format_func={"table": "a per-province table (CSV, TSV, XLSX)",
                                        "points": "points with coordinates (CSV, XLSX, GeoJSON)"}.get)
    values_file = st.file_uploader("Your values", key="upload_values")
    targets_file = st.file_uploader("Your targets (optional): per-province targets", key="upload_targets")
    layers = []
    if values_file is not None and values_kind == "points":
        layers.append(points_panel(values_file))
    elif values_file is not None:
        try:
            table = read_upload(values_file.getvalue(), values_file.name)
        except geo.InputError as e:
            st.error(md(e))
            return []
        st.text(f"Read {values_file.name}: {geo.ENCODING_LABELS.get(table.encoding, table.encoding)}, "
                f"header on line {table.header_line}, {len(table.rows)} data rows")
        guessed = geo.guess_columns(table.header)
        c1, c2 = st.columns(2)
        with c1:
            province_col = column_choice("Province column", table.header, guessed["name"] or guessed["adcode"],
                                         "up_province", True)
            value_col = column_choice("Value column", table.header, guessed["value"], "up_value", True)
            as_of_col = column_choice("Date column", table.header, guessed["as_of"], "up_as_of", False)
            source_col = column_choice("Source column", table.header, guessed["source"], "up_source", False)
        with c2:
            name = st.text_input("Name of this layer", values_file.name.rsplit(".", 1)[0], key="up_name")
            unit = st.text_input("Unit", "count", key="up_unit")
            default_as_of = st.date_input("As of (for rows without a date)", value=None, key="up_default_as_of")
            default_source = st.text_input("Source (for rows without one)", key="up_default_source")
            targets_of = st.selectbox("Measure against the targets of", [None, *geo.METRICS], key="up_targets_of",
                                      format_func=lambda k: "no target" if k is None else geo.METRICS[k].label)
        missing = [label for label, ok in (("the province column", province_col), ("the value column", value_col),
                                           ("a date (column or default)", as_of_col or default_as_of),
                                           ("a source (column or default)", source_col or default_source.strip()))
                   if not ok]
        if missing:
            st.warning("To use this file, give " + ", ".join(missing) + ". Nothing is guessed.")
        else:
            layer = geo.Layer.from_table(
                table, name=name, unit=unit, province_col=province_col, value_col=value_col,
                as_of_col=as_of_col, source_col=source_col,
                default_as_of=default_as_of.isoformat() if default_as_of else None,
                default_source=default_source.strip() or None, targets_of=targets_of)
            report_panel(layer, "values")
            layers.append(layer)
    layers = [layer for layer in layers if layer is not None]
    if targets_file is not None:
        targets = targets_panel(targets_file, has_values=bool(layers))
        if targets is not None:
            layers.append(targets)
    return layers


@st.cache_data(show_spinner="Placing your points…", max_entries=4)
def point_layer(content: bytes, filename: str, name: str, lon_col: str, lat_col: str, datum: str,
                fix_swapped: bool, as_of: str, source: str) -> geo.Layer:
    return geo.Layer.from_points(content, filename=filename, name=name, lon_col=lon_col, lat_col=lat_col,
                                 datum=datum, fix_swapped=fix_swapped, as_of=as_of, source_text=source)


def points_panel(file) -> geo.Layer | None:
    """A point file counted per province by the spatial join."""
    try:
        frame, kind = geo.read_points(file.getvalue(), file.name)
    except geo.InputError as e:
        st.error(md(e))
        return None
    columns = [c for c in frame.columns if c not in ("line", "part", "problem")]
    guessed = geo.guess_columns(columns)
    c1, c2 = st.columns(2)
    with c1:
        lon_col = column_choice("Longitude column", columns, guessed["lon"], "up_lon", True)
        lat_col = column_choice("Latitude column", columns, guessed["lat"], "up_lat", True)
        datum = st.selectbox("Datum of the coordinates", [None, "wgs84", "gcj02", "bd09"], key="up_datum",
                             format_func={None: "— choose —", "wgs84": "WGS-84 (GPS, OpenStreetMap)",
                                          "gcj02": "GCJ-02 (AMap, Tencent)", "bd09": "BD-09 (Baidu)"}.get)
        fix_swapped = st.checkbox("Swap longitude and latitude back if the whole file is swapped",
                                  key="up_fix_swapped")
    with c2:
        name = st.text_input("Name of this layer", file.name.rsplit(".", 1)[0], key="up_points_name")
        as_of = st.date_input("As of (the date the points describe)", value=None, key="up_points_as_of")
        source = st.text_input("Source", key="up_points_source")
    missing = [label for label, ok in (("the longitude column", lon_col), ("the latitude column", lat_col),
                                       ("the datum", datum), ("a date", as_of), ("a source", source.strip()))
               if not ok]
    if missing:
        st.warning("To use this file, give " + ", ".join(missing) + ". Nothing is guessed.")
        return None
    layer = point_layer(file.getvalue(), file.name, name, lon_col, lat_col, datum, fix_swapped,
                        as_of.isoformat(), source.strip())
    placed = layer.placed
    st.text(f"{file.name}: {len(placed)} points — " + ", ".join(f"{k} {v}" for k, v in layer.summary.items()))
    if (placed["status"] != "ok").any():
        st.warning("Some points were not placed: see the report below (every row is listed).")
    st.dataframe(placed, hide_index=True, width="stretch", height=240)
    st.download_button("Download the point-by-point report (CSV)", geo.frame_to_csv(placed),
                       f"report_{file.name}.csv", "text/csv", key="download_report_points")
    return layer


def targets_panel(file, has_values: bool) -> geo.Layer | None:
    try:
        table = read_upload(file.getvalue(), file.name)
    except geo.InputError as e:
        st.error(md(e))
        return None
    guessed = geo.guess_columns(table.header)
    c1, c2 = st.columns(2)
    with c1:
        province_col = column_choice("Target file: province column", table.header,
                                     guessed["name"] or guessed["adcode"], "ut_province", True)
        target_col = column_choice("Target column", table.header, guessed["target"] or guessed["value"],
                                   "ut_target", True)
        year_col = column_choice("Target year column", table.header, guessed["target_year"], "ut_year", False)
    with c2:
        default_year = st.number_input("Target year (for rows without one)", 2000, 2100, value=None,
                                       key="ut_default_year")
        default_source = st.text_input("Target source (for rows without one)", key="ut_default_source")
        applies_to = st.selectbox("These are targets for", [geo.DEFAULT_LAYER_KEY if has_values else None, *geo.METRICS],
                                  key="ut_applies_to",
                                  format_func=lambda k: "your values" if k == geo.DEFAULT_LAYER_KEY else
                                  (geo.METRICS[k].label if k else "— choose —"))
    if not (province_col and target_col and (year_col or default_year) and default_source.strip() and applies_to):
        st.warning("To use the targets, give the province and target columns, a target year, a source "
                   "and what they are targets for. Nothing is guessed.")
        return None
    layer = geo.Layer.from_targets(table, applies_to=applies_to, province_col=province_col,
                                   target_col=target_col, target_year_col=year_col,
                                   default_target_year=default_year, default_source=default_source.strip())
    report_panel(layer, "targets")
    return layer


def province_label(adcode: str) -> str:
    p = PROVINCES[adcode]
    return f"{p.name_zh} · {p.name_en}"


def take_map_click() -> None:
    """A click on the map adds that province to the selection (applied before the widget exists)."""
    clicked = st.session_state.pop("clicked_adcode", None)
    if clicked and clicked not in st.session_state.get("provinces", []):
        st.session_state["provinces"] = [*st.session_state.get("provinces", []), clicked]


take_map_click()
st.title("China's digital-infrastructure rollout, by province")
with st.expander("Bring your own data: upload a table of values or targets",
                 expanded=bool(st.session_state.get("upload_values") or st.session_state.get("upload_targets"))):
    layers = your_data_panel()
bundle = bundled()
for layer in layers:
    bundle = bundle.with_layer(layer)
choices = bundle.metrics

with st.sidebar:
    st.header("What to map")
    metric = st.selectbox("Infrastructure", list(choices), format_func=lambda k: choices[k].label, key="metric")
    view_key = st.selectbox("View", list(geo.VIEWS), format_func=lambda k: geo.VIEWS[k].label, key="view")
    as_of = st.date_input("Figures as of", dt.date(2025, 12, 31), min_value=dt.date(2019, 1, 1),
                          max_value=dt.date(2030, 12, 31), key="as_of")
    stale_months = st.slider("Mark figures older than this as stale (months)", 3, 72, 24, key="stale_months")
    hide_stale = st.checkbox("Show stale figures as no data", key="hide_stale")
    available = bundle.rules(metric)
    rule = st.selectbox("Target allocation rule", available or [None],
                        format_func=lambda r: f"{r}: {geo.RULES[r].label}" if r else "no quantitative target",
                        key="rule", disabled=not available)
    st.header("Classes")
    scheme = st.selectbox("Classification", list(geo.SCHEMES), format_func=lambda k: geo.SCHEMES[k][0],
                          key="scheme")
    k = st.slider("Number of classes", 3, 7, geo.DEFAULT_CLASSES, key="k")
    st.header("Filter")
    picked_regions = st.multiselect("Regions", list(geo.REGIONS), key="regions")
    picked = st.multiselect("Provinces (or click the map)", list(PROVINCES),
                            format_func=province_label, key="provinces")
    st.header("Layers")
    show_hubs = st.toggle("东数西算 hub nodes (outlines)", value=False, key="show_hubs")
    basemap = st.toggle("Basemap tiles (needs internet)", value=False, key="basemap")

spec = geo.ViewSpec(metric, view_key, as_of.isoformat(), rule, stale_months, hide_stale,
                    tuple(picked), tuple(picked_regions))
# Users' layers are not cached across sessions; they are small enough to compute at each rerun.
result = geo.view(bundle, spec=spec) if layers else bundled_view(spec)
shown = result.selection
classification = geo.classification(result, scheme, k)

st.caption(f"{md(result.metric.label)} · {result.view.label} · figures as of {as_of.isoformat()} or earlier "
           f"(each province shows its own date; older than {stale_months} months is marked stale) · "
           f"unit: {md(result.unit)}")
if result.rule:
    st.caption(f"Target rule `{result.rule}`: {result.rule_label}. Targets per province, gaps and "
               "attainment are derived.")

left, right = st.columns([3, 2])
with left:
    m = geo.choropleth(result, scheme, k, hubs=show_hubs, basemap=basemap,
                       asset_base_url=geo.STREAMLIT_VENDOR_URL)
    # Only the clicked feature comes back: panning and zooming do not rerun the script.
    out = st_folium(m, key="map", height=560, use_container_width=True,
                    returned_objects=["last_active_drawing"])
    drawing = (out or {}).get("last_active_drawing") or {}
    clicked = (drawing.get("properties") or {}).get("adcode")
    if clicked and clicked != st.session_state.get("last_clicked") and clicked not in picked:
        st.session_state["last_clicked"] = clicked
        st.session_state["clicked_adcode"] = clicked
        st.rerun()
    st.caption("Legend: " + " · ".join(label for _, label in geo.legend_entries(result, classification))
               + f" ({md(result.unit)}). Grey = no data: no sourced figure, not zero.")
with right:
    national = result.national
    total, n_with = result.provincial_sum()
    c1, c2 = st.columns(2)
    c1.metric("National figure", geo.format_value(national["value"], "value") if national else "no data",
              help=f"as of {national['as_of']}; {national['source']}" if national else "no national figure")
    c2.metric(f"Sum of {n_with} of {len(shown)} provinces", geo.format_value(total, "value") if total else "no data",
              help="Only provinces with a sourced figure are summed.")
    st.dataframe(shown[TABLE_COLUMNS], hide_index=True, width="stretch", height=380,
                 column_config={"value": st.column_config.NumberColumn(result.unit, format="%.2f"),
                                "attainment_pct": st.column_config.NumberColumn("attainment %", format="%.0f"),
                                "stale": st.column_config.CheckboxColumn("stale")})
    stem = f"rollout_{metric}_{view_key}_{as_of.isoformat()}"
    d1, d2 = st.columns(2)
    with d1:
        # Built when clicked, not at every rerun (partial binds this run's view).
        st.download_button("Download GeoJSON", partial(geo.to_geojson, result), f"{stem}.geojson",
                           "application/geo+json", key="download_geojson")
    with d2:
        st.download_button("Download CSV", partial(geo.to_csv, result), f"{stem}.csv", "text/csv",
                           key="download_csv")

for note in result.notes:
    st.info(md(note), icon="ℹ️")
if national and total is not None:
    st.caption("Why the national figure and the sum over provinces differ: provincial figures have "
               "different as-of dates (many are years old), several provinces publish no figure (no "
               "data, not 0), and MIIT reports the national total separately.")

with st.expander("Sources, targets and facilities"):
    st.dataframe(shown[["adcode", "name_en", "as_of", "source", "target_source"]], hide_index=True,
                 width="stretch")
    unlocated = bundle.facilities[bundle.facilities["lon"].isna()]
    if len(unlocated):
        st.write(f"{len(unlocated)} facilities could not be located and are not on the map or in the counts:")
        st.dataframe(unlocated[["kind", "name_zh", "location_method"]], hide_index=True)
