import csv
import io
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon

import geo
from geo.files import frame_to_csv, neutralise_formula
from geo.output.export import to_csv, to_geojson
from tests.helpers import boundaries, bundle, observations


def view(frame=None, source="pub", **choices):
    obs = observations([("110000", "bs5g", 7, "2024-01-01"), ("110000", "population", 10, "2024-12-31")])
    obs.loc[0, "source_publisher"] = source
    data = bundle(obs, [("national", "100000", "bs5g", "count", 9, 2023)], frame)
    return geo.view(data, metric="bs5g", view=choices.pop("view", "gap"), **choices)


def test_geojson_is_rfc7946_sorted_deterministic_with_nulls_and_metadata(tmp_path):
    frame = boundaries(("130000", "110000", "120000"))
    # A clockwise exterior ring: RFC 7946 wants counter-clockwise.
    frame.loc[0, "geometry"] = Polygon([(100, 30), (100, 31), (101, 31), (101, 30)])
    result = view(frame)
    text = to_geojson(result)
    assert text == to_geojson(view(frame))
    data = json.loads(text)
    assert "crs" not in data
    assert [f["properties"]["adcode"] for f in data["features"]] == ["110000", "120000", "130000"]
    props = {f["properties"]["adcode"]: f["properties"] for f in data["features"]}
    assert props["110000"]["value"] == -2 and props["110000"]["target"] == 9
    assert props["110000"]["as_of"] == "2024-01-01" and props["110000"]["source"].startswith("pub")
    assert props["120000"]["value"] is None and props["120000"]["count"] is None
    assert data["rollout_mapper"]["rule"] == "population_share" and data["rollout_mapper"]["derived"]
    for f in data["features"]:
        ring = shapely.geometry.shape(f["geometry"]).exterior
        assert ring.is_ccw
    path = tmp_path / "out.geojson"
    path.write_text(text, encoding="utf-8")
    back = gpd.read_file(path)
    assert list(back["adcode"]) == ["110000", "120000", "130000"]
    # 110000 was built second: the square 101..102 E, 30..31 N (GCJ-02), lon first; in WGS 84
    # it lies a few hundred metres off (GCJ-02 shifts points in China by up to ~700 m).
    minx, miny, maxx, maxy = back.geometry.iloc[0].bounds
    assert minx == pytest.approx(101, abs=0.01) and miny == pytest.approx(30, abs=0.01)
    assert (minx, miny) != (101.0, 30.0)
    assert data["rollout_mapper"]["geometry"].endswith("WGS 84")


def test_selection_exports_only_the_selected_provinces():
    result = view(provinces=["120000"])
    data = json.loads(to_geojson(result))
    assert [f["id"] for f in data["features"]] == ["120000"]
    assert to_csv(result).count("\n") == 2  # header + 1 row


def test_csv_neutralises_formulas_but_geojson_keeps_raw_values():
    payload = "=HYPERLINK(\"http://evil\",\"x\")"
    result = view(source=payload)
    csv_text = to_csv(result)
    assert "'=HYPERLINK" in csv_text
    assert json.loads(to_geojson(result))["features"][0]["properties"]["source"].startswith(payload)


def test_neutralise_formula_cases():
    assert neutralise_formula("+1") == "'+1"
    assert neutralise_formula("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_formula("\tx") == "'\tx"
    assert neutralise_formula("Beijing") == "Beijing"
    assert neutralise_formula(-5.0) == -5.0  # numbers are numbers, not formulas


@pytest.mark.parametrize("cell", ["8\r=1+1", "8\r\n=1+1", "8\n=1+1", "\r=1+1", "\n=1+1", "a\r\r@SUM(A1)"])
def test_a_line_break_inside_a_cell_cannot_start_a_row_in_a_spreadsheet(cell):
    text = frame_to_csv(pd.DataFrame({"raw": [cell, "next"], "n": [1, 2]}))
    # Any line break counts for a spreadsheet program, which may not honour quotes on CR.
    for line in re.split(r"\r\n|\r|\n", text):
        assert not line.lstrip('"').startswith(("=", "+", "-", "@")), text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 3 and rows[2] == ["next", "2"]
    assert rows[1][0].replace("'", "").replace("\n", "") == cell.replace("\r", "").replace("\n", "")


def test_geoparquet_holds_the_geojson_rows_in_wgs84_with_nulls_raw_values_and_metadata(tmp_path):
    import pyarrow.parquet as pq
    frame = boundaries(("130000", "110000", "120000"))
    result = view(frame, source="=HYPERLINK(1)")
    path = tmp_path / "out.parquet"
    data = geo.to_geoparquet(result, path)
    assert path.read_bytes() == data == geo.to_geoparquet(view(frame, source="=HYPERLINK(1)"))
    back = gpd.read_parquet(path)
    assert back.crs.to_epsg() == 4326
    assert back["adcode"].tolist() == ["110000", "120000", "130000"]
    assert back.loc[0, "value"] == -2 and back.loc[0, "target"] == 9
    assert back.loc[0, "source"].startswith("=HYPERLINK")  # raw, as in the GeoJSON
    assert back["value"].isna().tolist() == [False, True, True]  # no data is null, not 0
    features = json.loads(to_geojson(result))["features"]
    for row, feature in zip(back.itertuples(), features):  # the GeoJSON's WGS 84 geometry
        assert row.geometry.equals(shapely.geometry.shape(feature["geometry"]))
    # 110000 is the square 101-102 E, 30-31 N in GCJ-02: in WGS 84 a few hundred metres away.
    assert 0.001 < abs(back.geometry.iloc[0].bounds[0] - 101) < 0.01
    meta = json.loads(pq.read_schema(path).metadata[b"rollout_mapper"])
    assert meta["view"] == "gap" and meta["rule"] == "population_share"
