"""Serve the map's browser libraries from this project instead of public CDNs.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and plugins from jsdelivr/cdnjs. With no
internet (CI, and many users in mainland China where those CDNs are slow or blocked) the map is
a blank box: st_folium loads every `default_js` link in turn and gives up at the first failure.
So every link is pointed at the copies vendored in static/vendor/ (see its README.md), and the
libraries a map does not use are dropped rather than loaded:

* jQuery is only used by `folium.Popup` (it parses the popup HTML with `$()`), by
  `Map.keep_in_front` and by `TimeSliderChoropleth`; it is vendored, and linked only when the
  map holds one of those;
* Leaflet.awesome-markers, Bootstrap and Font Awesome only draw `folium.Icon` glyphs, and
  folium's `leaflet.awesome.rotate.css` only rotates them: not vendored.

An element that would need a library that is not vendored (folium.Icon, the d3 that a branca
colormap legend pulls in, most plugins) raises `UnvendoredAsset` when the map is localised, so
the mistake shows up when the map is built, not as a blank map in the field.
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import branca.colormap
import folium
from branca.element import CssLink, Figure, JavascriptLink, MacroElement
from folium.plugins import MarkerCluster
from folium.template import Template

from ..config import VENDOR_DIR
from ..errors import AssetError

# The URL of VENDOR_DIR as seen from inside st_folium's component iframe. Streamlit serves
# ./static/ at <server>/app/static/ (server.enableStaticServing); the iframe's document is
# <server>/component/streamlit_folium.st_folium/index.html, so a path relative to it also
# works when the app runs under a server.baseUrlPath, where "/app/static" would not.
STREAMLIT_VENDOR_URL = "../../app/static/vendor"

# folium's resource names (the first item of each default_js / default_css pair) -> file
# under VENDOR_DIR. Names rather than URLs, so a folium release that only moves its CDN
# still maps; the vendored versions are the ones folium 0.20 links (Leaflet 1.9.3,
# Leaflet.markercluster 1.1.0, jQuery 3.7.1).
VENDORED = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    "jquery": "jquery/jquery.min.js",
}

# Linked by folium.Map for every map. jQuery is kept when _uses_jquery; the others are only
# needed by folium.Icon, which localise refuses.
DROPPED = {
    "jquery",
    "bootstrap",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers",
    "awesome_markers_css",
    "awesome_markers_font_css",
    "awesome_rotate_css",
}

# Leaflet's default marker icon images, referred to by leaflet.css and leaflet.js.
_LEAFLET_IMAGES = ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png",
                   "layers.png", "layers-2x.png")

_PLACEHOLDER = "rollout-vendor-inline"
_ICON_PATH_CHILD = "rollout_default_icon_path"


class UnvendoredAsset(AssetError):
    """The map contains an element whose browser library is not served locally."""


def localise(m: folium.Map, base_url: str) -> folium.Map:
    """Point every script and stylesheet of `m` and its children at base_url/<vendored file>.

    Call it last, after every layer and plugin has been added (a child added later keeps its
    CDN links). Links folium adds for libraries this map does not use are dropped. Raises
    `UnvendoredAsset` for an element whose library is neither vendored nor droppable.
    Mutates and returns `m`.
    """
    _ensure_max_zoom(m)
    base = base_url.rstrip("/")
    resource_names = _rewrite_links(m, base, DROPPED - {"jquery"} if _uses_jquery(m) else DROPPED)
    _set_default_icon_path(m, f"{base}/leaflet/images/")
    _forget_rendered_links(m.get_root(), resource_names)
    return m


def localise_layers(layer, base_url: str):
    """Like `localise`, for a layer that a front end adds to an already localised map later
    (st_folium's dynamic layers): its plugins' links point at base_url too. Mutates and returns it."""
    _rewrite_links(layer, base_url.rstrip("/"), DROPPED)
    return layer


def _rewrite_links(root, base: str, dropped: set[str]) -> set[str]:
    """Point the links of `root` and its children at `base`; the resource names seen."""
    resource_names = set()
    for element in _walk(root):
        blocker = _needs_unvendored_library(element)
        if blocker:
            raise UnvendoredAsset(blocker)
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if not links:
                continue
            resource_names.update(name for name, _ in links)
            # A new list on the instance: folium's lists are class attributes shared by every
            # map in the process, and add_js_link/add_css_link would edit them in place.
            setattr(element, attr, [(name, f"{base}/{_vendored_path(element, name, url)}")
                                    for name, url in links if name not in dropped])
    return resource_names


def standalone_html(m: folium.Map) -> str:
    """The whole page of `m` with Leaflet and plugins inlined: one file that works offline.

    Leaves `m`'s links as they were before the call.
    """
    saved_links = [(e, {a: vars(e)[a] for a in ("default_js", "default_css") if a in vars(e)})
                   for e in _walk(m)]
    saved_children = m._children.copy()
    try:
        localise(m, _PLACEHOLDER)
        page = m.get_root().render()
    finally:
        for element, own_links in saved_links:
            for attr in ("default_js", "default_css"):
                vars(element).pop(attr, None)
            vars(element).update(own_links)
        m._children = saved_children
        _forget_rendered_links(m.get_root(), set(VENDORED) | DROPPED)
    # Inline after rendering: branca renders header elements as Jinja templates, and minified
    # library code must not pass through Jinja.
    for relative in VENDORED.values():
        path = VENDOR_DIR / relative
        url = f"{_PLACEHOLDER}/{relative}"
        if relative.endswith(".js"):
            code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
            if relative == VENDORED["leaflet"]:
                code += _default_icon_fix()
            page = page.replace(f'<script src="{url}"></script>', f"<script>\n{code}\n</script>")
        else:
            css = _inline_images(path.read_text(encoding="utf-8")).replace("</style", "<\\/style")
            page = page.replace(f'<link rel="stylesheet" href="{url}"/>', f"<style>\n{css}\n</style>")
    # The inlined Leaflet carries its icons as data URIs (see _default_icon_fix).
    page = page.replace(json.dumps(f"{_PLACEHOLDER}/leaflet/images/"), '""')
    if _PLACEHOLDER in page:  # a tag written differently by a future branca
        raise RuntimeError("standalone_html: a vendored link was not inlined")
    return page


def vendored_files() -> list[Path]:
    """Every file the map may ask for, for checks that the vendored copy is complete."""
    files = [VENDOR_DIR / p for p in VENDORED.values()]
    files += [VENDOR_DIR / "leaflet" / "images" / name for name in _LEAFLET_IMAGES]
    return files


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def _vendored_path(element, name: str, url: str) -> str:
    if name not in VENDORED:
        raise UnvendoredAsset(
            f"{type(element).__name__} needs {url!r} (resource {name!r}), which is not served "
            f"locally; add it to static/vendor/ and geo.output.assets.VENDORED, or use another element")
    return VENDORED[name]


def _ensure_max_zoom(m: folium.Map) -> None:
    """Give a map with marker clusters a maxZoom when nothing else does.

    Leaflet.markercluster throws "Map has no maxZoom specified" when neither the map nor a
    tile layer on it sets one: the offline case (tiles=None, where folium also drops the
    `max_zoom` argument), or a basemap switched off in the layer control. The throw stops the
    map script, and st_folium then never sizes its frame: the map is an empty strip.
    """
    elements = list(_walk(m))
    if ("maxZoom" in m.options or "max_zoom" in m.options
            or not any(isinstance(e, MarkerCluster) for e in elements)):
        return
    tile_zooms = [e.options.get("max_zoom", 18) for e in elements if isinstance(e, folium.TileLayer)]
    m.options["maxZoom"] = max(tile_zooms, default=18)


def _uses_jquery(m: folium.Map) -> bool:
    return any(isinstance(e, folium.Popup) or type(e).__name__ == "TimeSliderChoropleth"
               or (isinstance(e, folium.Map) and e.objects_to_stay_in_front) for e in _walk(m))


def _needs_unvendored_library(element) -> str | None:
    """Why `element` cannot work with the vendored libraries, or None."""
    if isinstance(element, branca.colormap.ColorMap):
        return (f"{type(element).__name__} (a branca colormap legend) loads d3 from a CDN, and "
                "st_folium hard-codes that URL; draw the legend as plain HTML instead")
    if isinstance(element, folium.Icon):
        return ("folium.Icon needs Leaflet.awesome-markers, Bootstrap and Font Awesome, which are "
                "not vendored; use CircleMarker, DivIcon or the default icon")
    return None


class _DefaultIconPath(MacroElement):
    """Tells Leaflet where its default marker images are.

    Leaflet guesses the folder from leaflet.css, but st_folium runs the map script before that
    stylesheet has loaded, and Leaflet 1.9.3's fallback guess drops the "images/" folder
    (streamlit-folium issue #275), so default markers would show as broken images.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            L.Icon.Default.imagePath = {{ this.path|tojson }};
        {% endmacro %}
    """)

    def __init__(self, path: str):
        super().__init__()
        self._name = "DefaultIconPath"
        self.path = path


def _set_default_icon_path(m: folium.Map, path: str) -> None:
    # First among the map's children: a marker added straight to the map asks for its icon
    # as soon as its own script line runs.
    m.add_child(_DefaultIconPath(path), name=_ICON_PATH_CHILD)
    m._children.move_to_end(_ICON_PATH_CHILD, last=False)


def _forget_rendered_links(figure: Figure, resource_names: set[str]) -> None:
    """Drop the script/stylesheet links an earlier render left in the page header.

    JSCSSMixin adds them to the header under their resource name at every render, from
    default_js/default_css, so they come back localised; a stale CDN link (or one to a dropped
    library) would otherwise stay. Any other link to a remote URL is refused.
    """
    header = getattr(figure, "header", None)
    if header is None:
        return
    for name, child in list(header._children.items()):
        if not isinstance(child, (JavascriptLink, CssLink)):
            continue
        if name in resource_names:
            del header._children[name]
        elif re.match(r"(https?:)?//", child.url):
            raise UnvendoredAsset(f"the page header links {child.url!r} ({name!r}), which is not "
                                  "served locally")


def _inline_images(css: str) -> str:
    return re.sub(r"url\(images/([\w.-]+\.png)\)",
                  lambda match: f"url({_image_data_uri(match.group(1))})", css)


def _image_data_uri(name: str) -> str:
    png = (VENDOR_DIR / "leaflet" / "images" / name).read_bytes()
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _default_icon_fix() -> str:
    """JS run right after the inlined Leaflet so default markers show without image files.

    Leaflet builds the default icon URL as imagePath + file name; with imagePath "" and data
    URIs as the file names it needs no file beside the page.
    """
    return (
        '\n;L.Icon.Default.imagePath = "";'
        f'L.Icon.Default.mergeOptions({{iconUrl: "{_image_data_uri("marker-icon.png")}", '
        f'iconRetinaUrl: "{_image_data_uri("marker-icon-2x.png")}", '
        f'shadowUrl: "{_image_data_uri("marker-shadow.png")}"}});'
    )
