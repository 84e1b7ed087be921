"""geo.spatial.points: statuses, line numbers, swapped files, reading CSV files. Synthetic areas only."""
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo.errors import InputError
from geo.spatial import join, points


@pytest.fixture(autouse=True)
def two_provinces(monkeypatch):
    """Two made-up provinces side by side: 100001 = 100-110 E, 100002 = 110-120 E, 20-30 N."""
    areas = gpd.GeoDataFrame(
        {"adcode": ["100001", "100002"], "province": ["甲省", "乙省"]},
        geometry=[box(100, 20, 110, 30), box(110, 20, 120, 30)], crs="EPSG:4326")
    index = join.AreaIndex.from_frame(areas, cell_size=1 / 4, tile_depth=3)
    monkeypatch.setattr(join, "area_index", lambda level="province": index)


def place(rows, **kwargs):
    frame = pd.DataFrame(rows, columns=["lon", "lat"], dtype=object)
    kwargs.setdefault("datum", "gcj02")
    return points.place_points(frame, lon_col="lon", lat_col="lat", **kwargs)


def test_every_row_gets_a_status_and_its_line():
    rows = [
        ("105.5", "25.5"),      # ok, 100001
        (115.0, 22.0),          # ok as numbers, 100002
        ("80.0", "45.0"),       # valid, in no area
        ("", "25.0"),           # missing longitude
        ("105", "—"),           # missing marker
        ("abc", "25"),          # not a number
        ("105,5", "25"),        # decimal comma
        ("inf", "25"),          # "inf" is not a coordinate
        ("200", "25"),          # longitude out of range
        ("0", "0"),             # placeholder
        ("25.5", "105.5"),      # this row alone looks swapped
        ("105°30'0\"E", "25°30′N"),   # DMS
        ("１０５．５", "２５．５"),       # full-width digits
        ("105°30'E", "25°30'E"),      # E in the latitude column
    ]
    placed = place(rows, first_line=2)
    assert len(placed) == len(rows)
    assert list(placed["line"]) == list(range(2, 2 + len(rows)))
    assert list(placed["status"]) == [
        "ok", "ok", "outside", "missing_coordinates", "missing_coordinates", "unparseable",
        "unparseable", "unparseable", "out_of_range", "out_of_range", "swapped_lat_lon",
        "ok", "ok", "unparseable"]
    assert list(placed["adcode"]) == ["100001", "100002", "", "", "", "", "", "", "", "", "",
                                      "100001", "100001", ""]
    assert placed.loc[3, "reason"] == "no longitude"
    assert "decimal comma" in placed.loc[6, "reason"]
    assert placed.loc[11, "lon_gcj02"] == 105.5 and placed.loc[11, "lat_gcj02"] == 25.5
    assert "other axis" in placed.loc[13, "reason"]
    # the raw values are kept exactly as given
    assert placed.loc[12, "lon"] == "１０５．５" and placed.loc[1, "lon"] == 115.0
    assert placed["reason"][placed["status"] != "ok"].str.len().gt(0).all()


def test_dms_with_seconds_and_hemispheres():
    placed = place([("105°30'36\"E", "25°6'0\"N"), ("东经105度30分36秒", "北纬25度6分"),
                    ("105°30'E", "25°6'S")])
    assert placed.loc[0, "lon_gcj02"] == pytest.approx(105.51)
    assert placed.loc[0, "lat_gcj02"] == pytest.approx(25.1)
    assert placed.loc[1, "lon_gcj02"] == pytest.approx(105.51)
    assert placed.loc[2, "status"] == "outside"  # 25.1 S
    assert placed.loc[2, "lat_gcj02"] == pytest.approx(-25.1)


def test_swapped_file_is_reported_row_by_row_without_the_option():
    rows = [("25.5", "105.5"), ("22.0", "115.0"), ("", "1"), ("26", "104")]
    placed = place(rows)
    assert list(placed["status"]) == ["swapped_lat_lon", "swapped_lat_lon", "missing_coordinates",
                                      "swapped_lat_lon"]
    assert (placed["adcode"] == "").all()
    assert placed.loc[0, "reason"].count("fix_swapped=True") == 1
    assert "whole file" in placed.loc[0, "reason"]


def test_swapped_file_is_fixed_with_the_option():
    rows = [("25.5", "105.5"), ("22.0", "115.0"), ("", "1")]
    placed = place(rows, fix_swapped=True)
    assert list(placed["status"]) == ["ok", "ok", "missing_coordinates"]
    assert list(placed["adcode"]) == ["100001", "100002", ""]
    assert list(placed["lon_gcj02"][:2]) == [105.5, 115.0]
    assert placed.loc[0, "reason"].startswith("longitude and latitude were swapped")
    assert list(placed["lon"][:2]) == ["25.5", "22.0"]  # as given


def test_one_swapped_row_in_a_good_file_is_only_that_row():
    rows = [("105.5", "25.5"), ("106", "26"), ("107", "27"), ("25.5", "105.5")]
    assert list(place(rows)["status"]) == ["ok", "ok", "ok", "swapped_lat_lon"]
    fixed = place(rows, fix_swapped=True)
    assert list(fixed["status"]) == ["ok"] * 4 and fixed.loc[3, "adcode"] == "100001"


def test_wgs84_points_are_converted_before_the_test():
    placed = place([("105.5", "25.5")], datum="wgs84")
    shift = placed.loc[0, "lon_gcj02"] - 105.5
    assert 0.001 < abs(shift) < 0.01  # GCJ-02 moves points by a few hundred metres


def test_count_by_area_lists_every_area_with_real_zeros():
    placed = place([("105.5", "25.5"), ("106", "26"), ("80", "45"), ("x", "1")])
    counts = points.count_by_area(placed, "province")
    assert counts.to_dict("list") == {"adcode": ["100001", "100002"], "name": ["甲省", "乙省"],
                                      "count": [2, 0]}


def test_join_points_file_reads_gbk_with_chinese_headers(tmp_path):
    path = tmp_path / "pts.csv"
    path.write_bytes("名称,经度,纬度\n甲站,105.5,25.5\n乙站,115,22\n丙站,,\n".encode("gbk"))
    counts, placed = points.join_points_file(path, lon_col="经度", lat_col="纬度", datum="gcj02",
                                             level="province", fix_swapped=False)
    assert list(placed["status"]) == ["ok", "ok", "missing_coordinates"]
    assert list(placed["line"]) == [2, 3, 4]
    assert list(counts["count"]) == [1, 1]


def test_join_points_file_utf8_bom_and_trailing_commas(tmp_path):
    path = tmp_path / "pts.csv"
    path.write_bytes("\ufefflon,lat\n105.5,25.5,\n115,22,\n".encode("utf-8"))
    _, placed = points.join_points_file(path, lon_col="lon", lat_col="lat", datum="gcj02")
    assert list(placed["adcode"]) == ["100001", "100002"]


def test_missing_column_names_the_file_and_the_columns_found(tmp_path):
    path = tmp_path / "pts.csv"
    path.write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        points.join_points_file(path, lon_col="lon", lat_col="y", datum="gcj02")
    message = str(error.value)
    assert str(path) in message and "'lon'" in message and "x, y" in message


def test_empty_and_header_only_files_are_clear_errors(tmp_path):
    empty, header = tmp_path / "empty.csv", tmp_path / "header.csv"
    empty.write_text("", encoding="utf-8")
    header.write_text("lon,lat\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        points.join_points_file(empty, lon_col="lon", lat_col="lat", datum="gcj02")
    with pytest.raises(InputError, match="no data rows"):
        points.join_points_file(header, lon_col="lon", lat_col="lat", datum="gcj02")


def test_rows_longer_than_the_header_are_kept_and_not_placed(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("lon,lat\n105.5,25.5\n115,22,oops\n", encoding="utf-8")
    _, placed = points.join_points_file(path, lon_col="lon", lat_col="lat", datum="gcj02")
    assert list(placed["line"]) == [2, 3]
    assert list(placed["status"]) == ["ok", "invalid_feature"]
    assert "shifted" in placed.loc[1, "reason"]


def test_geojson_points_keep_feature_numbers_and_problems(tmp_path):
    path = tmp_path / "pts.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ['
                    '{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [105.5, 25.5]}},'
                    '{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", '
                    '"coordinates": [[105, 25], [106, 26]]}}]}', encoding="utf-8")
    _, placed = points.join_points_file(path, lon_col="lon", lat_col="lat", datum="gcj02")
    assert list(placed["line"]) == [1, 2]
    assert list(placed["status"]) == ["ok", "invalid_feature"]


def test_a_point_workbook_says_which_sheet_was_read(tmp_path):
    from tests.hostile import row_xml, workbook
    rows = row_xml(1, [0, 1]) + row_xml(2, ["105.5", "25.5"])
    src = tmp_path / "p.xlsx"
    src.write_bytes(workbook([("hidden one", "hidden", rows), ("pts", "visible", rows)], ["lon", "lat"],
                             active=1))
    counts, placed = points.join_points_file(src, lon_col="lon", lat_col="lat", datum="gcj02")
    assert list(placed["adcode"]) == ["100001"]
    assert placed.attrs["notes"] == ["read sheet 'pts' (the active sheet); other sheets, not read: "
                                     "'hidden one' (hidden)"]
