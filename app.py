"""The rollout mapper: China's digital-infrastructure rollout by province, against its targets.

A thin Streamlit shell: widgets, caching and layout. All the work happens in `geo/`.
Run:  streamlit run app.py
"""
from __future__ import annotations

import datetime as dt

import streamlit as st
from streamlit_folium import st_folium

from geo import datasets, export, regions
from geo.assets import STREAMLIT_VENDOR_URL
from geo.classify import SCHEMES, classify
from geo.metrics import METRICS, VIEWS
from geo.render import build_map, format_value, legend_entries
from geo.targets import RULES, rules_for
from geo.view import ViewSpec, build_view, select, sum_over_provinces

# Leaflet is served by the app itself (static/vendor): no CDN, the map works offline.
ASSET_BASE_URL = STREAMLIT_VENDOR_URL
TABLE_COLUMNS = ["adcode", "name_zh", "name_en", "region", "value", "unit", "count", "as_of", "stale",
                 "target", "target_year", "gap", "attainment", "source"]

st.set_page_config(page_title="China digital-infrastructure rollout mapper", layout="wide")


@st.cache_resource(show_spinner="Loading boundaries and data…")
def inputs() -> datasets.Inputs:
    return datasets.load_inputs()


@st.cache_data(show_spinner=False, max_entries=64)
def view(metric: str, view_key: str, as_of: str, rule: str | None, stale_months: int):
    data = inputs()
    return build_view(ViewSpec(metric, view_key, as_of, rule, stale_months), boundaries=data.boundaries,
                      observations=data.observations, targets=data.targets)


def province_label(adcode: str) -> str:
    p = regions.by_adcode()[adcode]
    return f"{p.name_zh} · {p.name_en}"


def take_map_click() -> None:
    """A click on the map adds that province to the selection (applied before the widget exists)."""
    clicked = st.session_state.pop("clicked_adcode", None)
    if clicked and clicked not in st.session_state.get("provinces", []):
        st.session_state["provinces"] = [*st.session_state.get("provinces", []), clicked]


data = inputs()
take_map_click()

with st.sidebar:
    st.header("What to map")
    metric = st.selectbox("Infrastructure", list(METRICS), format_func=lambda k: METRICS[k].label, key="metric")
    view_key = st.selectbox("View", list(VIEWS), format_func=lambda k: VIEWS[k].label, key="view")
    as_of = st.date_input("Figures as of", dt.date(2025, 12, 31), min_value=dt.date(2019, 1, 1),
                          max_value=dt.date(2030, 12, 31), key="as_of")
    stale_months = st.slider("Mark figures older than this as stale (months)", 3, 72, 24, key="stale_months")
    available = rules_for(data.targets, metric)
    rule = st.selectbox("Target allocation rule", available or [None],
                        format_func=lambda r: f"{r}: {RULES[r].label}" if r else "no quantitative target",
                        key="rule", disabled=not available)
    st.header("Classes")
    scheme = st.selectbox("Classification", list(SCHEMES), format_func=lambda k: SCHEMES[k][0], key="scheme")
    k = st.slider("Number of classes", 3, 7, 5, key="k")
    st.header("Filter")
    picked_regions = st.multiselect("Regions", list(regions.REGIONS), key="regions")
    picked = st.multiselect("Provinces (or click the map)", [p.adcode for p in regions.provinces()],
                            format_func=province_label, key="provinces")
    st.header("Layers")
    show_hubs = st.toggle("东数西算 hub nodes (outlines)", value=False, key="show_hubs")
    basemap = st.toggle("Basemap tiles (needs internet)", value=False, key="basemap")

result = view(metric, view_key, as_of.isoformat(), rule, stale_months)
shown = select(result.frame, picked, picked_regions)
selected = list(shown["adcode"]) if (picked or picked_regions) else []
centre = {"gap": 0.0, "attainment": 100.0}.get(view_key)
classification = classify(result.frame["value"], scheme, k, centre)

st.title("China's digital-infrastructure rollout, by province")
st.caption(f"{result.metric.label} · {VIEWS[view_key].label} · figures as of {as_of.isoformat()} or earlier "
           f"(each province shows its own date; older than {stale_months} months is marked stale) · "
           f"unit: {result.unit}")
if result.rule:
    st.caption(f"Target rule `{result.rule}`: {result.rule_label}. Targets per province, gaps and "
               "attainment are derived.")

left, right = st.columns([3, 2])
with left:
    m = build_map(result, classification, selected=selected, facilities=data.facilities,
                  hubs=data.hubs if show_hubs else None, basemap=basemap, asset_base_url=ASSET_BASE_URL)
    # Only the clicked feature comes back: panning and zooming do not rerun the script.
    out = st_folium(m, key="map", height=560, use_container_width=True,
                    returned_objects=["last_active_drawing"])
    drawing = (out or {}).get("last_active_drawing") or {}
    clicked = (drawing.get("properties") or {}).get("adcode")
    if clicked and clicked != st.session_state.get("last_clicked") and clicked not in picked:
        st.session_state["last_clicked"] = clicked
        st.session_state["clicked_adcode"] = clicked
        st.rerun()
    st.caption("Legend: " + " · ".join(label for _, label in legend_entries(result, classification))
               + f" ({result.unit}). Grey = no data: no sourced figure, not zero.")
with right:
    national = result.national
    total, n_with = sum_over_provinces(shown)
    c1, c2 = st.columns(2)
    c1.metric("National figure", format_value(national["value"], "value") if national else "no data",
              help=f"as of {national['as_of']}; {national['source']}" if national else "no national figure")
    c2.metric(f"Sum of {n_with} of {len(shown)} provinces", format_value(total, "value") if total else "no data",
              help="Only provinces with a sourced figure are summed.")
    st.dataframe(shown[TABLE_COLUMNS], hide_index=True, width="stretch", height=380,
                 column_config={"value": st.column_config.NumberColumn(result.unit, format="%.2f"),
                                "attainment": st.column_config.NumberColumn("attainment", format="percent"),
                                "stale": st.column_config.CheckboxColumn("stale")})
    stem = f"rollout_{metric}_{view_key}_{as_of.isoformat()}"
    d1, d2 = st.columns(2)
    with d1:
        st.download_button("Download GeoJSON", export.to_geojson(result, shown), f"{stem}.geojson",
                           "application/geo+json", key="download_geojson")
    with d2:
        st.download_button("Download CSV", export.to_csv(result, shown), f"{stem}.csv", "text/csv",
                           key="download_csv")

for note in result.notes:
    st.info(note, icon="ℹ️")
if national and total is not None:
    st.caption("Why the national figure and the sum over provinces differ: provincial figures have "
               "different as-of dates (many are years old), several provinces publish no figure (no "
               "data, not 0), and MIIT reports the national total separately.")

with st.expander("Sources, targets and facilities"):
    st.dataframe(shown[["adcode", "name_en", "as_of", "source", "target_source"]], hide_index=True,
                 width="stretch")
    unlocated = data.facilities[data.facilities["lon"].isna()]
    if len(unlocated):
        st.write(f"{len(unlocated)} facilities could not be located and are not on the map or in the counts:")
        st.dataframe(unlocated[["kind", "name_zh", "location_method"]], hide_index=True)
