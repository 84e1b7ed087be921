"""The floor under the app's first screen: the same default map through the same library calls and
the same component, and nothing else (no sidebar, headline, legend, ranking or tabs).

bench_app.py --floor serves it beside the app: the difference is what the app's own page costs;
what remains is Streamlit's page and the map component.
"""
import streamlit as st
from streamlit_folium import st_folium

import geo


@st.cache_resource
def default_map():
    result = geo.view(geo.load())
    return result, geo.classification(result)


result, classification = default_map()
st_folium(geo.base_map(asset_base_url=geo.STREAMLIT_VENDOR_URL), key="map", height=540,
          use_container_width=True, returned_objects=[],
          feature_group_to_add=geo.map_layers(result, classification, legend=False,
                                              asset_base_url=geo.STREAMLIT_VENDOR_URL))
