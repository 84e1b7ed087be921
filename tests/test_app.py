"""Drive the real app.py with Streamlit's AppTest.

The map component (st_folium) and the download buttons are patched at library level: the fakes
record the folium map and the bytes offered for download, and the fake map can report a click.
"""
import datetime as dt
import json
import re
from pathlib import Path

import pytest
import streamlit
import streamlit_folium
from streamlit.testing.v1 import AppTest


class Recorder:
    def __init__(self):
        self.maps, self.downloads, self.click = [], {}, None

    def st_folium(self, m, **kwargs):
        self.maps.append(m)
        assert kwargs.get("returned_objects") == ["last_active_drawing"]  # cheap reruns
        if self.click:
            return {"last_active_drawing": {"properties": {"adcode": self.click}}}
        return {"last_active_drawing": None}

    def download_button(self, label, data, file_name=None, mime=None, **kwargs):
        self.downloads[file_name.rsplit(".", 1)[1]] = data() if callable(data) else data
        return False

    def geojson(self):
        return json.loads(self.downloads["geojson"])

    def map_layer(self) -> dict:
        """The province FeatureCollection in the page the last map renders (what the browser gets)."""
        page = self.maps[-1].get_root().render()
        found = re.findall(r'geo_json_\w+_add\((\{"features".*?"type": "FeatureCollection"\})\);', page)
        assert len(found) == 1, f"{len(found)} province layers in the page"
        return json.loads(found[0])


@pytest.fixture
def app(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(streamlit_folium, "st_folium", rec.st_folium)
    monkeypatch.setattr(streamlit, "download_button", rec.download_button)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, rec


def test_default_view_is_5g_counts_with_sources_for_all_provinces(app):
    at, rec = app
    data = rec.geojson()
    assert len(data["features"]) == 34
    props = {f["id"]: f["properties"] for f in data["features"]}
    assert props["110000"]["metric"] == "bs5g" and props["110000"]["view"] == "value"
    assert props["110000"]["value"] > 0 and props["110000"]["as_of"] and props["110000"]["source"]
    assert props["220000"]["value"] is None  # Jilin: no sourced figure
    assert any("National figure" in m.label for m in at.metric)
    assert "110000" in rec.downloads["csv"]
    # The province layer that reaches the browser.
    layer = rec.map_layer()
    assert len(layer["features"]) == 34
    assert len(json.dumps(layer).encode()) <= 400_000


def test_switching_metric_and_view_changes_what_is_downloaded(app):
    at, rec = app
    at.selectbox(key="metric").select("high_tech_zones").run()
    at.selectbox(key="view").select("per_10k_people").run()
    assert not at.exception
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["320000"]["metric"] == "high_tech_zones" and props["320000"]["view"] == "per_10k_people"
    assert props["320000"]["derived"] is True
    assert props["320000"]["value"] == pytest.approx(props["320000"]["count"] / props["320000"]["population_10k"], rel=1e-5)


def test_province_filter_limits_table_and_downloads(app):
    at, rec = app
    at.multiselect(key="provinces").select("440000").select("110000").run()
    assert [f["id"] for f in rec.geojson()["features"]] == ["110000", "440000"]
    assert len(at.dataframe[0].value) == 2
    assert rec.downloads["csv"].count("\n") == 3  # header + 2 rows


def test_region_filter(app):
    at, rec = app
    at.multiselect(key="regions").select("Northeast").run()
    assert [f["id"] for f in rec.geojson()["features"]] == ["210000", "220000", "230000"]


def test_click_on_the_map_selects_the_province(app):
    at, rec = app
    rec.click = "310000"
    at.run()
    assert not at.exception
    assert at.multiselect(key="provinces").value == ["310000"]
    assert [f["id"] for f in rec.geojson()["features"]] == ["310000"]


def test_gap_view_of_5g_has_rule_target_and_diverging_meaning(app):
    at, rec = app
    at.selectbox(key="view").select("gap").run()
    data = rec.geojson()
    assert data["rollout_mapper"]["rule"] == "population_share"
    props = {f["id"]: f["properties"] for f in data["features"]}
    beijing = props["110000"]
    assert beijing["value"] == pytest.approx(beijing["count"] - beijing["target"])
    assert "population" in beijing["rule"]
    assert "2025 National Industrial and Information Technology Work Conference" in beijing["target_source"]
    mainland = [p["target"] for p in props.values() if p["region"]]
    assert len(mainland) == 31 and sum(mainland) == pytest.approx(4_500_000, rel=1e-6)  # shares sum to 1
    at.selectbox(key="rule").select("per_capita").run()
    assert rec.geojson()["rollout_mapper"]["rule"] == "per_capita"


def test_digital_parks_say_no_list_and_show_the_allocated_target(app):
    at, rec = app
    at.selectbox(key="metric").select("digital_parks").run()
    assert any("no list of designated parks" in i.value for i in at.info)
    at.selectbox(key="view").select("target").run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["110000"]["count"] is None  # no parks published: no data, not 0
    assert props["110000"]["value"] > 0 and props["110000"]["target_year"] == "2027"


def test_metric_without_a_target_says_so_in_gap_view(app):
    at, rec = app
    at.selectbox(key="metric").select("computing_centres").run()
    at.selectbox(key="view").select("gap").run()
    assert any("No quantitative target" in i.value for i in at.info)
    assert all(f["properties"]["value"] is None for f in rec.geojson()["features"])


GBK_EXPORT = ("2024年各省5G基站数\n省份,5G基站（万个）,截至\n北京,11.45,2024-04-30\n上海市,\"7.1\",2024-06\n"
              "陕西,暂无,\n吉林市,3,2024\n合计,18.55,\n注：数据来源于各省通信管理局\n").encode("gb18030")


def upload(at, content, name="mine.csv", source="my survey"):
    at.file_uploader(key="upload_values").set_value((name, content, "text/csv")).run()
    at.text_input(key="up_default_source").input(source).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_upload_of_a_gbk_export_with_title_units_total_and_footnote(app):
    at, rec = app
    upload(at, GBK_EXPORT)
    report = at.dataframe[0].value
    assert list(report["line"]) == list(range(1, 9))  # every line of the file accounted for
    assert dict(zip(report["line"], report["status"]))[6] == "unmatched"  # 吉林市 is a city
    at.selectbox(key="metric").select("upload").run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["110000"]["value"] == 114500 and props["110000"]["as_of"] == "2024-04-30"
    assert props["110000"]["source"] == "my survey" and props["110000"]["metric"] == "upload"
    assert props["610000"]["value"] is None  # 暂无: no data, never 0
    assert props["220000"]["value"] is None  # the city row did not land on the province


def test_upload_measured_against_bundled_targets(app):
    at, rec = app
    upload(at, "province,value,date\nBeijing,100000,2025-06-30\nInner Mongolia,5,2025-06-30\n".encode())
    at.selectbox(key="up_targets_of").select("bs5g").run()
    at.selectbox(key="metric").select("upload").run()
    at.selectbox(key="view").select("gap").run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["150000"]["count"] == 5
    assert props["110000"]["value"] == pytest.approx(100000 - props["110000"]["target"])


def test_payloads_in_an_upload_stay_inert_on_the_map_and_verbatim_in_downloads(app):
    at, rec = app
    payload = "<img src=x onerror=alert(1)>{{ 7*7 }}${1+1}"
    formula = "=HYPERLINK(\"http://evil\")"
    content = (f"province,value,date,source\n北京,10,2025-01-01,{payload}\n上海,20,2025-01-01,\"{formula}\"\n"
               .replace('"=HYPERLINK("http://evil")"', '"=HYPERLINK(""http://evil"")"').encode())
    upload(at, content)
    at.selectbox(key="metric").select("upload").run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["110000"]["source"] == payload  # raw in the GeoJSON download
    assert props["310000"]["source"] == formula
    assert "'=HYPERLINK" in rec.downloads["csv"] and ",=HYPERLINK" not in rec.downloads["csv"]
    tooltip = next(f["properties"]["tooltip"] for f in rec.map_layer()["features"]
                   if f["properties"]["adcode"] == "110000")
    assert "&lt;img src=x" in tooltip and "&#123;&#123; 7*7 &#125;&#125;" in tooltip and "<img" not in tooltip


def test_unrecognised_columns_are_asked_for_not_guessed(app):
    at, rec = app
    at.file_uploader(key="upload_values").set_value(("x.csv", b"a,b\nBeijing,1\n", "text/csv")).run()
    assert any("Nothing is guessed" in w.value for w in at.warning)
    assert "upload" not in at.selectbox(key="metric").options


def test_upload_of_a_gps_point_list_is_counted_per_province(app):
    at, rec = app
    # WGS-84 (GPS) points: two in Beijing, one in Shanghai, one at sea, one without coordinates.
    content = ("name,lng,lat\nTiananmen,116.3913,39.9075\nZhongguancun,116.3100,39.9830\n"
               "People's Square,121.4737,31.2304\nSea,125.0,30.0\nUnknown,,\n").encode()
    at.radio(key="upload_kind").set_value("points").run()
    at.file_uploader(key="upload_values").set_value(("sites.csv", content, "text/csv")).run()
    at.selectbox(key="up_datum").select("wgs84").run()
    at.date_input(key="up_points_as_of").set_value(dt.date(2025, 6, 30)).run()
    at.text_input(key="up_points_source").input("my GPS survey").run()
    assert not at.exception, [e.value for e in at.exception]
    report = at.dataframe[0].value
    assert list(report["line"]) == [2, 3, 4, 5, 6]
    assert list(report["status"]) == ["ok", "ok", "ok", "outside", "missing_coordinates"]
    at.selectbox(key="metric").select("upload").run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["110000"]["value"] == 2 and props["310000"]["value"] == 1
    assert props["440000"]["value"] == 0  # a real zero: none of the user's points are there
    assert props["110000"]["source"].startswith("my GPS survey")


def test_stale_figures_can_be_left_out(app):
    at, rec = app
    at.checkbox(key="hide_stale").check().run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["120000"]["value"] is None and props["120000"]["as_of"] == "2020-12-31"  # Tianjin, end-2020
    assert props["210000"]["value"] == 152000  # Liaoning, 2025-11: kept
    assert rec.geojson()["rollout_mapper"]["stale_as_no_data"] is True
