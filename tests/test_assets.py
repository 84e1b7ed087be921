"""The map asks no CDN: links point at static/vendor/, the standalone page inlines everything."""
import json
import re
from urllib.parse import urljoin

import branca.colormap
import folium
import pytest
from branca.element import CssLink
from folium.plugins import FastMarkerCluster, Fullscreen, MarkerCluster

from geo.output import assets

# Every script or stylesheet the page would load, from its tags.
ASSET_TAG = re.compile(r'<script[^>]*\bsrc="([^"]*)"|<link[^>]*\bhref="([^"]*)"')

SQUARE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name": "广东"},
    "geometry": {"type": "Polygon", "coordinates": [[[110, 20], [115, 20], [115, 25], [110, 25], [110, 20]]]},
}]}


def _map(tiles=None) -> folium.Map:
    m = folium.Map(location=[23, 113], zoom_start=5, tiles=tiles)
    folium.GeoJson(SQUARE, tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
    cluster = MarkerCluster().add_to(m)
    folium.CircleMarker([23.1, 113.3]).add_to(cluster)
    return m


def _asset_urls(html: str) -> list[str]:
    return [a or b for a, b in ASSET_TAG.findall(html)]


def test_localised_page_links_only_local_assets():
    m = assets.localise(_map(), "/app/static/vendor")
    urls = _asset_urls(m.get_root().render())
    assert sorted(urls) == [
        "/app/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
        "/app/static/vendor/leaflet.markercluster/MarkerCluster.css",
        "/app/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "/app/static/vendor/leaflet/leaflet.css",
        "/app/static/vendor/leaflet/leaflet.js",
    ]


def test_with_a_tile_layer_only_the_tile_url_stays_remote():
    html = assets.localise(_map(tiles="OpenStreetMap"), "vendor").get_root().render()
    assert not [u for u in _asset_urls(html) if u.startswith(("http:", "https:", "//"))]
    remote = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert remote and all("tile.openstreetmap.org/{z}/{x}/{y}.png" in u or "openstreetmap.org/copyright" in u
                          for u in remote), remote


def test_a_map_rendered_before_localise_loses_its_cdn_links():
    m = _map()
    assert any(u.startswith("https://") for u in _asset_urls(m.get_root().render()))
    html = assets.localise(m, "v").get_root().render()
    assert all(u.startswith("v/") for u in _asset_urls(html))


def test_a_remote_link_added_by_hand_to_the_header_is_refused():
    m = _map()
    m.get_root().header.add_child(CssLink("https://cdn.example.org/x.css"), name="extra")
    with pytest.raises(assets.UnvendoredAsset, match="cdn.example.org"):
        assets.localise(m, "v")


def test_localise_leaves_foliums_shared_defaults_alone():
    assets.localise(_map(), "/x")
    assert folium.Map.default_js[0] == ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
    assert any(u.startswith("https://") for u in _asset_urls(_map().get_root().render()))


def test_default_marker_images_are_looked_up_in_the_vendored_folder():
    html = assets.localise(_map(), "../../app/static/vendor").get_root().render()
    assert 'L.Icon.Default.imagePath = "../../app/static/vendor/leaflet/images/"' in html


def test_streamlit_url_resolves_to_static_serving_from_the_component_iframe():
    # st_folium's iframe is <base>/component/streamlit_folium.st_folium/index.html
    for base in ("http://127.0.0.1:8501/", "https://example.org/rollout/"):
        frame = base + "component/streamlit_folium.st_folium/index.html?streamlitUrl=x"
        assert (urljoin(frame, assets.STREAMLIT_VENDOR_URL + "/leaflet/leaflet.js")
                == base + "app/static/vendor/leaflet/leaflet.js")


def test_st_folium_sends_only_local_links():
    from streamlit.testing.v1 import AppTest

    def app():
        import folium
        from folium.plugins import MarkerCluster
        from streamlit_folium import st_folium

        from geo.output import assets
        m = folium.Map(location=[35, 105], zoom_start=4, tiles=None)
        folium.GeoJson({"type": "FeatureCollection", "features": []}).add_to(m)
        MarkerCluster().add_to(m)
        st_folium(assets.localise(m, assets.STREAMLIT_VENDOR_URL), returned_objects=[], key="map")

    at = AppTest.from_function(app).run()
    assert not at.exception
    [component] = [e for e in at.main if getattr(e, "type", None) == "component_instance"]
    args = json.loads(component.proto.json_args)
    assert args["js_links"] == ["../../app/static/vendor/leaflet/leaflet.js",
                                "../../app/static/vendor/leaflet.markercluster/leaflet.markercluster.js"]
    assert len(args["css_links"]) == 3
    assert all(u.startswith("../../app/static/vendor/") for u in args["css_links"])
    assert not re.search(r"https?://", args["header"] + args["script"])


def test_jquery_is_linked_only_for_a_map_with_popups():
    assert not any("jquery" in u for u in _asset_urls(assets.localise(_map(), "v").get_root().render()))
    m = _map()
    folium.CircleMarker([23, 113], popup=folium.Popup("<b>x</b>")).add_to(m)
    urls = _asset_urls(assets.localise(m, "v").get_root().render())
    assert "v/jquery/jquery.min.js" in urls
    assert not [u for u in urls if not u.startswith("v/")]


@pytest.mark.parametrize("add, needs", [
    (lambda m: folium.Marker([23, 113], icon=folium.Icon()).add_to(m), "awesome-markers"),
    (lambda m: branca.colormap.LinearColormap(["red", "blue"]).add_to(m), "d3"),
    (lambda m: Fullscreen().add_to(m), "Control.FullScreen"),
])
def test_elements_needing_an_unvendored_library_are_refused(add, needs):
    m = _map()
    add(m)
    with pytest.raises(assets.UnvendoredAsset, match=needs):
        assets.localise(m, "/v")


@pytest.mark.parametrize("cluster", [MarkerCluster, lambda: FastMarkerCluster([[23, 113]])])
def test_a_cluster_on_a_map_without_tiles_gets_a_max_zoom(cluster):
    # Without one Leaflet.markercluster throws in the browser and the map script stops.
    m = folium.Map(location=[23, 113], tiles=None, max_zoom=18)  # folium drops max_zoom here
    assert "maxZoom" not in m.get_root().render()
    cluster().add_to(m)
    assert '"maxZoom": 18' in assets.localise(m, "v").get_root().render()


def test_max_zoom_already_set_is_kept():
    m = folium.Map(location=[23, 113], tiles=None, maxZoom=9)
    MarkerCluster().add_to(m)
    html = assets.localise(m, "v").get_root().render()
    assert '"maxZoom": 9' in html and '"maxZoom": 18' not in html


def test_every_vendored_file_is_present_with_its_licence():
    missing = [p for p in assets.vendored_files() if not p.is_file()]
    assert missing == []
    assert (assets.VENDOR_DIR / "leaflet" / "LICENSE").read_text().startswith("BSD 2-Clause License")
    assert "MIT" in (assets.VENDOR_DIR / "leaflet.markercluster" / "MIT-LICENCE.txt").read_text()
    assert "Permission is hereby granted" in (assets.VENDOR_DIR / "jquery" / "LICENSE.txt").read_text()


def test_standalone_html_inlines_leaflet_and_plugins():
    m = _map()
    folium.Marker([24, 112]).add_to(m)  # default icon: its images must travel inside the page
    page = assets.standalone_html(m)
    assert _asset_urls(page) == []
    assert (assets.VENDOR_DIR / "leaflet" / "leaflet.js").read_text() in page
    assert 't.version="1.9.3"' in page
    assert "MarkerClusterGroup=L.FeatureGroup.extend" in page
    assert "url(images/" not in page and "url(data:image/png;base64," in page
    assert 'iconUrl: "data:image/png;base64,' in page
    assert not re.search(r"https?://\S+\.(js|css)\b", page)


def test_standalone_html_leaves_the_map_as_it_was():
    m = assets.localise(_map(), "/app/static/vendor")
    assets.standalone_html(m)
    urls = _asset_urls(m.get_root().render())
    assert "/app/static/vendor/leaflet/leaflet.js" in urls and len(urls) == 5


def test_the_base_map_links_the_cluster_plugin_that_layers_added_later_need():
    """st_folium loads a map's scripts once, at its first render, and then only swaps the layers
    (feature_group_to_add). So a first map without clusters (5G) must already link what the
    clusters of a later metric need, or the switch throws `L.markerClusterGroup is not a function`."""
    from streamlit.testing.v1 import AppTest

    def app():
        from streamlit_folium import st_folium

        import geo
        st_folium(geo.base_map(asset_base_url=geo.STREAMLIT_VENDOR_URL), returned_objects=[], key="map")

    at = AppTest.from_function(app).run()
    assert not at.exception
    [component] = [e for e in at.main if getattr(e, "type", None) == "component_instance"]
    args = json.loads(component.proto.json_args)
    from geo.output.render import _clustered
    layer = assets.localise_layers(_clustered([[30.0, 110.0, "", "#fff", "x"]], "x"), assets.STREAMLIT_VENDOR_URL)
    needed_js = {u for e in assets._walk(layer) for _, u in getattr(e, "default_js", [])}
    needed_css = {u for e in assets._walk(layer) for _, u in getattr(e, "default_css", [])}
    assert needed_js and needed_js <= set(args["js_links"]), (needed_js, args["js_links"])
    assert needed_css and needed_css <= set(args["css_links"]), (needed_css, args["css_links"])
    assert args["js_links"].index(needed_js.pop()) > args["js_links"].index(
        "../../app/static/vendor/leaflet/leaflet.js")  # the plugin after Leaflet
