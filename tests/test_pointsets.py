"""geo.spatial.pointsets and geo.ingest.stream: datasets read in chunks give the rows of a file read whole.

Real boundaries at province level; expected areas are written by hand (city centres), and the
chunked results are compared with geo.spatial.points.join_points_file, which reads the file at once.
"""
import csv
import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from geo.__main__ import main
from geo.errors import InputError
from geo.files import frame_to_csv
from geo.spatial import points, pointsets

# Every kind of row: a title, a multi-line quoted cell, a blank line, a formula-like cell, a
# short row, a ragged row, a point at sea, no coordinates, a swapped row, footnotes.
QUIRKS = """基站清单
name,lng,lat,note
北京,116.4074,39.9042,a
广州,113.2644,23.1291,"two
lines"

深圳,114.0579,22.5431,=cmd
拉萨,91.1721,29.6520
香港,114.1694,22.3193,x,extra
海上,125.0,30.0,
空,,,
swap,39.9,116.4,
注：不含港澳台
说明
"""


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 1000])
def test_a_file_in_chunks_gives_the_rows_and_counts_of_the_file_read_whole(tmp_path, chunk_rows):
    src = tmp_path / "quirks.csv"
    src.write_bytes(QUIRKS.encode("gb18030"))
    counts, whole = points.join_points_file(src, lon_col="lng", lat_col="lat", datum="wgs84")
    out = tmp_path / "rows.csv"
    joined = pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="wgs84",
                                   chunk_rows=chunk_rows, assignments=out)
    assert out.read_text(encoding="utf-8") == frame_to_csv(whole)
    pd.testing.assert_frame_equal(joined.counts, counts)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["line"], r["status"]) for r in rows] == [
        ("3", "ok"), ("4", "ok"), ("7", "ok"), ("8", "ok"), ("9", "invalid_feature"),
        ("10", "outside"), ("11", "missing_coordinates"), ("12", "swapped_lat_lon")]
    assert [r["adcode"] for r in rows[:4]] == ["110000", "440000", "440000", "540000"]
    assert rows[2]["note"] == "'=cmd"  # neutralised for spreadsheets
    assert joined.rows == 8 and joined.statuses == {"ok": 4, "invalid_feature": 1, "outside": 1,
                                                    "missing_coordinates": 1, "swapped_lat_lon": 1}


def test_a_swapped_file_in_chunks_is_swapped_as_a_whole_and_quotes_the_whole_file(tmp_path):
    src = tmp_path / "swapped.csv"
    rows = ["lng,lat"] + ["39.9042,116.4074"] * 5 + ["23.1291,113.2644"] * 4 + ["116.4,39.9"]
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _, whole = points.join_points_file(src, lon_col="lng", lat_col="lat", datum="gcj02")
    out = tmp_path / "rows.csv"
    pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="gcj02", chunk_rows=3,
                          assignments=out)
    assert out.read_text(encoding="utf-8") == frame_to_csv(whole)
    placed = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(placed["status"]) == {"swapped_lat_lon"}  # 9 of 10 look swapped: the file is
    assert "(9 of 10 rows with numbers)" in placed.loc[0, "reason"]
    fixed = pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="gcj02", chunk_rows=3,
                                  fix_swapped=True)
    # The one row that was right, swapped, has a latitude of 116.4.
    assert fixed.statuses == {"ok": 9, "out_of_range": 1}


def _sites(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"site_id": [f"S{seed}-{i}" for i in range(n)],
                         "lng": np.round(rng.uniform(73.5, 135.1, n), 6),
                         "lat": np.round(rng.uniform(18, 53.6, n), 6)})


def test_a_directory_of_csv_and_parquet_is_counted_as_its_files_are_one_by_one(tmp_path):
    data = tmp_path / "sites"
    data.mkdir()
    _sites(700, 1).to_csv(data / "a.csv", index=False)
    _sites(900, 2).astype({"lng": str, "lat": str}).to_parquet(data / "b.parquet", row_group_size=200)
    joined = pointsets.join_points(data, lon_col="lng", lat_col="lat", datum="wgs84", chunk_rows=150,
                                   assignments=tmp_path / "parts")
    # Independently: each file's rows placed whole, counted, summed.
    a = points.place_points(pd.read_csv(data / "a.csv", dtype=str), lon_col="lng", lat_col="lat", datum="wgs84")
    b = points.place_points(pd.read_parquet(data / "b.parquet"), lon_col="lng", lat_col="lat",
                            datum="wgs84", first_line=1)
    expected = pd.concat([a, b]).query("status == 'ok'")["adcode"].value_counts()
    got = joined.counts.set_index("adcode")["count"]
    assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()
    parts = gpd.read_parquet(tmp_path / "parts")
    assert len(parts) == 1600 and parts.crs.to_epsg() == 4326
    assert list(parts["file"].unique()) == [str(data / "a.csv"), str(data / "b.parquet")]
    by_file = parts.groupby("file")["line"].agg(["min", "max"])
    assert by_file.loc[str(data / "a.csv")].tolist() == [2, 701]  # file lines under a header
    assert by_file.loc[str(data / "b.parquet")].tolist() == [1, 900]  # Parquet row numbers
    ok = parts[parts["status"] == "ok"]
    placed = parts["status"].isin(["ok", "outside"])
    assert parts[placed].geometry.notna().all() and parts[~placed].geometry.isna().all()
    # The geometry is the point in WGS 84: the input coordinates (to ~1e-9 degrees).
    first = ok[ok["file"] == str(data / "a.csv")].iloc[0]
    assert abs(first.geometry.x - float(first["lon"])) < 1e-9
    assert abs(first.geometry.y - float(first["lat"])) < 1e-9


def test_geoparquet_points_are_read_like_geojson(tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["北京", "multi", "none", "line"]},
        geometry=gpd.GeoSeries.from_wkt(["POINT (116.4074 39.9042)",
                                         "MULTIPOINT ((121.47 31.23), (113.26 23.13))", None,
                                         "LINESTRING (100 30, 101 31)"]), crs="EPSG:4326")
    path = tmp_path / "pts.parquet"
    frame.to_parquet(path)
    joined = pointsets.join_points(path, lon_col="lon", lat_col="lat", datum="wgs84",
                                   assignments=tmp_path / "rows.csv")
    rows = list(csv.DictReader((tmp_path / "rows.csv").open(encoding="utf-8")))
    assert [(r["line"], r["part"], r["adcode"], r["status"]) for r in rows] == [
        ("1", "", "110000", "ok"), ("2", "1", "310000", "ok"), ("2", "2", "440000", "ok"),
        ("3", "", "", "invalid_feature"), ("4", "", "", "invalid_feature")]
    assert rows[4]["reason"].startswith("LineString geometry")
    assert joined.statuses == {"ok": 3, "invalid_feature": 2}


@pytest.mark.parametrize("crs", ["EPSG:4326", "OGC:CRS84", "EPSG:4490", None])
def test_geoparquet_in_lon_lat_crs_or_none_is_read(tmp_path, crs):
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([116.4074], [39.9042]), crs=crs)
    frame.to_parquet(tmp_path / "p.parquet")
    joined = pointsets.join_points(tmp_path / "p.parquet", lon_col="lon", lat_col="lat", datum="wgs84")
    assert joined.statuses == {"ok": 1}


def test_geoparquet_in_a_projected_crs_is_refused_with_its_file(tmp_path):
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([500000], [4000000]), crs="EPSG:32650")
    path = tmp_path / "utm.parquet"
    frame.to_parquet(path)
    with pytest.raises(InputError, match="not WGS 84") as error:
        pointsets.join_points(path, lon_col="lon", lat_col="lat", datum="wgs84")
    assert str(path) in str(error.value)


def test_caps_are_off_unless_asked_for(tmp_path):
    src = tmp_path / "big.csv"
    _sites(120_000, 3).to_csv(src, index=False)  # more rows than the app's upload cap
    joined = pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="wgs84", chunk_rows=50_000)
    assert joined.rows == 120_000
    with pytest.raises(InputError, match="more than 100,000 data rows"):
        pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="wgs84", max_rows=100_000)
    with pytest.raises(InputError, match="more than the limit of 1,000"):
        pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="wgs84", max_bytes=1000)


def test_cli_joins_a_file_larger_than_the_upload_cap(tmp_path, capsys):
    src = tmp_path / "all.csv"
    sites = _sites(200_000, 4)
    sites.loc[7, "lng"] = np.nan  # an empty cell
    sites.to_csv(src, index=False)
    assert src.stat().st_size > 5_000_000
    out, rows = tmp_path / "counts.csv", tmp_path / "rows.csv"
    assert main(["join-points", str(src), "--lon", "lng", "--lat", "lat", "--datum", "wgs84",
                 "--out", str(out), "--assignments", str(rows)]) == 0
    captured = capsys.readouterr()
    assert "of 200000 rows" in captured.out
    assert "missing_coordinates: 1 rows (lines 9)" in captured.err  # row 7 is line 9
    with rows.open(encoding="utf-8") as f:
        assert sum(1 for _ in f) == 200_001
    assert main(["join-points", str(src), "--lon", "lng", "--lat", "lat", "--datum", "wgs84",
                 "--out", str(out), "--max-rows", "1000"]) == 2
    assert "more than 1,000 data rows" in capsys.readouterr().err


def test_a_broken_line_names_its_file_and_line(tmp_path):
    src = tmp_path / "broken.csv"
    src.write_bytes(b"lng,lat\n116.4,39.9\n" + b"116.4,39.9\n" * 5 + b"\xff\xfe\xfd,1\n")
    with pytest.raises(InputError, match="not valid text") as error:
        pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="wgs84")
    assert str(src) in str(error.value)
    control = tmp_path / "control.csv"
    control.write_text("lng,lat\n116.4,39.9\n116.4,39\x01.9\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 3") as error:
        pointsets.join_points(control, lon_col="lng", lat_col="lat", datum="wgs84")
    assert str(control) in str(error.value)


def test_a_damaged_parquet_file_is_named(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100)
    with pytest.raises(InputError, match="not a readable Parquet file") as error:
        pointsets.join_points(path, lon_col="lng", lat_col="lat", datum="wgs84")
    assert str(path) in str(error.value)


def test_assignment_parts_replace_an_earlier_run_but_not_other_files(tmp_path):
    src = tmp_path / "s.csv"
    _sites(10, 5).to_csv(src, index=False)
    parts = tmp_path / "parts"
    for _ in range(2):
        pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="wgs84", assignments=parts)
    assert [p.name for p in parts.iterdir()] == ["part.00000.00000.parquet"]
    (parts / "mine.txt").write_text("keep me")
    with pytest.raises(InputError, match="holds other files"):
        pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="wgs84", assignments=parts)
    assert (parts / "mine.txt").read_text() == "keep me"


def test_a_users_geometry_column_is_kept_beside_the_placed_point(tmp_path):
    src = tmp_path / "s.csv"
    src.write_text("lng,lat,geometry\n116.4074,39.9042,POINT (0 0)\n", encoding="utf-8")
    pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="wgs84", assignments=tmp_path / "out")
    back = gpd.read_parquet(tmp_path / "out")
    assert back["input: geometry"].tolist() == ["POINT (0 0)"]
    assert abs(back.geometry.iloc[0].x - 116.4074) < 1e-9


def test_plain_parquet_keeps_its_types_and_renames_a_line_column(tmp_path):
    table = pa.table({"line": [7, 8], "lng": [116.4074, 121.47], "lat": [39.9042, 31.23],
                      "height": [30.5, None]})
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    parts = tmp_path / "out"
    pointsets.join_points(path, lon_col="lng", lat_col="lat", datum="wgs84", assignments=parts)
    back = pd.read_parquet(parts)
    assert back["line"].tolist() == [1, 2] and back["line (column)"].tolist() == [7, 8]
    assert back["adcode"].tolist() == ["110000", "310000"]
    assert back["height"].iloc[0] == 30.5 and pd.isna(back["height"].iloc[1])


def test_assignments_inside_the_input_directory_are_refused(tmp_path):
    data = tmp_path / "sites"
    data.mkdir()
    _sites(10, 6).to_csv(data / "a.csv", index=False)
    with pytest.raises(InputError, match="inside the input directory"):
        pointsets.join_points(data, lon_col="lng", lat_col="lat", datum="wgs84", assignments=data / "out")
    assert [p.name for p in data.iterdir()] == ["a.csv"]
