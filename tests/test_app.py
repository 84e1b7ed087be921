"""Drive the real app.py with Streamlit's AppTest.

The map component (st_folium) and the download buttons are patched at library level: the fakes
record the map's layers and the bytes offered for download; a click is what st_folium leaves in
the session state.
"""
import datetime as dt
import json
import re
from pathlib import Path

import folium
import pandas as pd
import pytest
import streamlit
import streamlit_folium
from streamlit.testing.v1 import AppTest

from geo.i18n import t


class Recorder:
    def __init__(self):
        self.maps, self.layers, self.offered, self.at = [], [], {}, None
        self.raw, self.files = {}, {}

    def st_folium(self, m, **kwargs):
        self.maps.append(m)
        self.offered, self.raw = {}, {}  # a new run: the downloads of an earlier one no longer count
        self.layers.append(kwargs.get("feature_group_to_add") or [])
        # Only clicks and the map position come back: hovering does not rerun the script.
        assert set(kwargs.get("returned_objects")) == {"last_active_drawing", "last_object_clicked",
                                                       "center", "zoom"}
        return {}

    def download_button(self, label, data, file_name=None, mime=None, **kwargs):
        data = data() if callable(data) else data
        self.files[file_name] = data  # by name, kept across runs
        self.raw[file_name.rsplit(".", 1)[1]] = data
        if isinstance(data, bytes) and file_name.endswith(".csv"):  # as a spreadsheet reads it
            data = data.decode("utf-8-sig")
        self.offered[file_name.rsplit(".", 1)[1]] = data
        return False

    @property
    def downloads(self) -> dict:
        """The files the last run offers. They sit on the lazy "Link & downloads" tab: if the last
        run did not show it, open it (one more run, as a visitor's click on the tab)."""
        if not self.offered and self.at is not None:
            self.at.session_state["tab"] = t("app.tab_share", self.at.session_state["lang"])
            self.at.run()
        return self.offered

    def geojson(self):
        return json.loads(self.downloads["geojson"])

    def map_layer(self) -> dict:
        """The province FeatureCollection the last map's layers send to the browser."""
        page = folium.Map()
        for group in self.layers[-1]:
            group.add_to(page)
        found = re.findall(r'geo_json_\w+_add\((\{"features".*?"type": "FeatureCollection"\})\);',
                           page.get_root().render())
        found = [f for f in found if '"tooltip"' in f]  # not the hatching of estimates
        assert len(found) == 1, f"{len(found)} province layers in the page"
        return json.loads(found[0])


def click(at, adcode, lat=30.0, lng=110.0):
    """What st_folium leaves in the session when a province is clicked (the app reads it first)."""
    at.session_state["map"] = {"last_active_drawing": {"properties": {"adcode": adcode}},
                               "last_object_clicked": {"lat": lat, "lng": lng}}
    return at.run()


def line_report(at) -> pd.DataFrame:
    """The line-by-line report of an upload (the dataframe with a `line` column)."""
    return next(d.value for d in at.dataframe if "line" in d.value.columns)


def ranking_rows(at) -> pd.DataFrame:
    """The ranking's bars, top to bottom: adcode, value, year (read from the page's HTML)."""
    body = next(h.proto.body for h in at.get("html") if "rollout-ranking" in h.proto.body)
    rows = re.findall(r'data-adcode="(\d{6})" data-value="([^"]+)" data-year="(\d{4})"', body)
    return pd.DataFrame(rows, columns=["adcode", "value", "year"]).astype({"value": float})


@pytest.fixture
def app(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(streamlit_folium, "st_folium", rec.st_folium)
    monkeypatch.setattr(streamlit, "download_button", rec.download_button)
    at = rec.at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, rec


def test_default_view_is_5g_with_the_national_headline_and_sources_for_all_provinces(app):
    at, rec = app
    data = rec.geojson()
    assert len(data["features"]) == 34
    props = {f["id"]: f["properties"] for f in data["features"]}
    assert props["110000"]["metric"] == "bs5g" and props["110000"]["view"] == "nowcast"
    assert all(props[a]["estimated"] is not None and props[a]["value"] is not None
               for a in props if a not in ("710000", "810000", "820000"))  # every mainland province
    assert props["110000"]["count"] > 0 and props["110000"]["as_of"] and props["110000"]["source"]
    assert props["220000"]["count"] is None  # Jilin: no sourced figure
    headline = at.markdown[1].value.replace("\\", "")  # as shown: without the markdown escapes
    assert "China: 4,838,000 at 2025-12-31: 108 % of the target in force then (4,500,000)" in headline
    assert "0 observed and 31 estimated of 31 provinces at 2025-12-31" in headline
    assert "add up to the national 4,838,000" in headline and "median" in headline
    assert "110000" in rec.downloads["csv"]
    assert rec.downloads["parquet"].startswith(b"PAR1")  # GeoParquet beside GeoJSON and CSV
    layer = rec.map_layer()  # the province layer that reaches the browser
    assert len(layer["features"]) == 34
    assert len(json.dumps(layer).encode()) <= 400_000


def test_nothing_is_coloured_by_a_figure_older_than_the_window(app):
    at, rec = app
    at.selectbox(key="view").set_value("value").run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["120000"]["in_window"] is False and props["120000"]["value"] is None  # Tianjin 2020
    fills = {f["properties"]["adcode"]: f["properties"]["fill"] for f in rec.map_layer()["features"]}
    for adcode, p in props.items():
        if p["count"] is not None and not p["in_window"]:
            assert fills[adcode] == "too_old", adcode
    at.slider(key="window").set_value(72).run()
    assert {f["id"]: f["properties"] for f in rec.geojson()["features"]}["120000"]["value"] == 33000


def test_the_date_control_changes_the_map(app):
    at, rec = app
    at.select_slider(key="as_of").set_value("2022-12").run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["110000"]["as_of"] <= "2022-12-31" and props["110000"]["count"] < 114500
    assert rec.geojson()["rollout_mapper"]["as_of_requested"] == "2022-12-31"


def test_the_ranking_sorts_provinces_by_the_views_value_coloured_by_the_figures_year(app):
    at, rec = app
    assert [c for c in at.caption if "red line" in c.value]  # 5G counts: each province's target as a tick
    at.selectbox(key="view").select("gap").run()
    rows = ranking_rows(at)
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    ranked = sorted((p["value"] for p in props.values() if p["value"] is not None), reverse=True)
    assert list(rows["value"]) == pytest.approx(ranked, rel=1e-5)  # top to bottom; downloads: 6 digits
    henan = rows[rows["adcode"] == "410000"].iloc[0]
    assert henan["year"] == "2024" and henan["value"] < 0


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
    at.session_state["tab"] = "Table"  # tabs are lazy: open it
    at.run()
    assert len(at.dataframe[0].value) == 2
    assert rec.downloads["csv"].count("\n") == 3  # the CSV button under the table: header + 2 rows


def test_regions_and_provinces_combine_as_a_union_and_an_empty_selection_says_so(app):
    at, rec = app
    at.multiselect(key="regions").select("West").run()
    at.multiselect(key="provinces").select("440000").select("120000").run()
    ids = [f["id"] for f in rec.geojson()["features"]]
    assert "440000" in ids and "120000" in ids and "650000" in ids and len(ids) == 14  # 12 western + 2
    assert not any("No province matches" in w.value for w in at.warning)


def test_a_click_selects_a_province_and_a_second_click_removes_it(app):
    at, rec = app
    click(at, "310000")
    assert not at.exception
    assert at.multiselect(key="provinces").value == ["310000"]
    assert [f["id"] for f in rec.geojson()["features"]] == ["310000"]
    click(at, "310000", lat=31.1)  # a second click on the same province
    assert at.multiselect(key="provinces").value == []


def test_the_rule_box_always_shows_the_rule_in_use(app):
    at, rec = app
    at.selectbox(key="view").select("gap").run()
    at.selectbox(key="rule").select("per_capita").run()
    at.selectbox(key="metric").select("supercomputing_centres").run()
    at.selectbox(key="metric").select("bs5g").run()
    rule = at.selectbox(key="rule").value
    assert rule in ("population_share", "per_capita") and rule == rec.geojson()["rollout_mapper"]["rule"]


def test_views_that_need_a_target_are_offered_only_where_one_exists(app):
    at, rec = app
    at.selectbox(key="metric").select("supercomputing_centres").run()
    assert not any("Gap" in o or "Attainment" in o for o in at.selectbox(key="view").options)
    at.selectbox(key="metric").select("bs5g").run()
    assert "Gap to target (derived)" in at.selectbox(key="view").options


def test_gap_view_of_5g_has_rule_target_and_diverging_meaning(app):
    at, rec = app
    at.selectbox(key="view").select("gap").run()
    data = rec.geojson()
    assert data["rollout_mapper"]["rule"] == "population_share"
    props = {f["id"]: f["properties"] for f in data["features"]}
    beijing = props["110000"]
    assert beijing["value"] == pytest.approx(beijing["count"] - beijing["target"], abs=0.01)
    assert beijing["target_at"] == beijing["as_of"]  # the target in force at the figure's own date
    assert "population" in beijing["rule"] and "4,500,000" in beijing["target_source"]
    at.selectbox(key="rule").select("per_capita").run()
    assert rec.geojson()["rollout_mapper"]["rule"] == "per_capita"


def test_digital_parks_say_no_list_and_show_the_target(app):
    at, rec = app
    at.selectbox(key="metric").select("digital_parks").run()
    assert any("no list of designated parks" in i.value for i in at.info)
    at.selectbox(key="view").select("target").run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["110000"]["count"] is None  # no parks published: no data, not 0


def test_a_link_with_parameters_opens_that_view_and_bad_ones_are_ignored_with_a_note(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(streamlit_folium, "st_folium", rec.st_folium)
    monkeypatch.setattr(streamlit, "download_button", rec.download_button)
    at = rec.at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.query_params.update({"v": "attainment", "d": "2024-06", "w": "36", "prov": "110000,410000",
                            "lang": "zh", "bogus": "1", "k": "99"})
    at.run()
    assert not at.exception
    meta = rec.geojson()["rollout_mapper"]
    assert (meta["view"], meta["as_of_requested"], meta["tolerance_months"]) == ("attainment", "2024-06-30", 36)
    assert [f["id"] for f in rec.geojson()["features"]] == ["110000", "410000"]
    assert at.slider(key="k").value == 5  # k=99 ignored
    assert any("bogus" in c.value and "k" in c.value for c in at.caption)
    assert at.query_params["v"] in ("attainment", ["attainment"]) and "bogus" not in at.query_params


def test_the_language_switch_changes_every_visible_string(app):
    from geo.i18n import MESSAGES
    at, rec = app
    english = {m["en"] for m in MESSAGES.values() if m["en"] != m["zh"]}
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    shown = ([w.label for kind in ("selectbox", "multiselect", "slider", "toggle", "radio", "select_slider")
              for w in at.get(kind)] + [t.label for t in at.tabs] + [h.value for h in at.header])
    assert shown and not [s for s in shown if s in english], [s for s in shown if s in english]
    assert at.selectbox(key="view").format_func("gap") == "与目标差距（推算）"
    notes = [i.value.replace("\\", "") for i in at.info]  # the notes under the map, unescaped
    assert notes and notes[0].startswith("各省公布的累计5G基站数") and "Cumulative" not in " ".join(notes)


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
    report = line_report(at)
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
    report = line_report(at)
    assert list(report["line"]) == [2, 3, 4, 5, 6]
    assert list(report["status"]) == ["ok", "ok", "ok", "outside", "missing_coordinates"]
    at.selectbox(key="metric").select("upload").run()
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["110000"]["value"] == 2 and props["310000"]["value"] == 1
    assert props["440000"]["value"] == 0  # a real zero: none of the user's points are there
    assert props["110000"]["source"].startswith("my GPS survey")


def test_a_click_on_a_province_opens_its_prefectures_for_a_metric_counted_from_points(app):
    at, rec = app
    at.selectbox(key="metric").select("high_tech_zones").run()
    click(at, "440000")
    assert not at.exception
    assert len(ranking_rows(at)) == 21 and not [c for c in at.caption if "red line" in c.value]  # no targets below provinces
    data = rec.geojson()
    assert data["rollout_mapper"]["level"] == "prefecture" and data["rollout_mapper"]["area"] == "440000"
    assert len(data["features"]) == 21 and all(f["id"].startswith("44") for f in data["features"])
    assert sum(f["properties"]["count"] for f in data["features"]) >= 14  # 广东's national zones
    assert at.query_params["a"] in ("440000", ["440000"])  # the link keeps the drill-down
    assert at.selectbox(key="view").disabled and at.selectbox(key="rule").disabled  # only counts down here
    at.button(key="crumb_0").click().run()  # back to China
    assert rec.geojson()["rollout_mapper"]["level"] == "province"
    assert not at.selectbox(key="view").disabled and not at.selectbox(key="rule").disabled


def test_a_click_on_5g_selects_instead_of_drilling(app):
    at, rec = app
    click(at, "440000")
    assert rec.geojson()["rollout_mapper"]["level"] == "province"
    assert at.multiselect(key="provinces").value == ["440000"]


def test_markdown_in_a_bad_file_is_shown_as_text_and_the_map_stays(app):
    at, rec = app
    header_only = b"![x](http://evil.example/pixel.png),[click](http://evil.example)\n"
    at.file_uploader(key="upload_values").set_value(("bad.csv", header_only, "text/csv")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "no data rows" in errors[0]
    assert "](http" not in errors[0] and "\\]\\(http" in errors[0]  # brackets escaped: no link, no image
    assert len(rec.map_layer()["features"]) == 34  # the map is still there


def test_approximate_values_only_with_the_switch_and_then_marked_about(app):
    at, rec = app
    upload(at, "province,value,date\n北京,约1.2万,2025-01-01\n上海,8000,2025-01-01\n".encode())
    report = line_report(at)
    assert dict(zip(report["line"], report["status"]))[2] == "invalid_value"  # not accepted by default
    at.toggle(key="up_approximate").set_value(True).run()
    assert dict(zip(line_report(at)["line"], line_report(at)["status"]))[2] == "joined"
    assert at.selectbox(key="metric").value == "upload"  # the new layer is selected by itself
    props = {f["id"]: f["properties"] for f in rec.geojson()["features"]}
    assert props["110000"]["count"] == 12000 and props["110000"]["qualifier"] == "about"
    assert props["310000"]["qualifier"] == ""  # exact
    tooltip = next(f["properties"]["tooltip"] for f in rec.map_layer()["features"]
                   if f["properties"]["adcode"] == "110000")
    assert "about 12,000" in tooltip


def shared_link(at) -> dict:
    """The query of the link the Link & downloads tab offers to copy, as a dict."""
    from urllib.parse import parse_qsl, urlsplit
    [code] = [c.value for c in at.code]
    return dict(parse_qsl(urlsplit(code).query))


def test_the_link_tab_holds_the_choices_of_this_run_not_the_previous_one(app):
    at, rec = app
    at.session_state["tab"] = t("app.tab_share", "en")
    at.run()
    assert shared_link(at)["m"] == "bs5g"
    at.selectbox(key="metric").select("datacentre_clusters").run()  # the tab stays open
    assert not at.exception
    link = shared_link(at)
    assert link["m"] == "datacentre_clusters" and link["v"] == "value", link
    at.selectbox(key="view").select("per_10k_people").run()
    assert shared_link(at)["v"] == "per_10k_people"
    # Opening that link in a new session gives the same view, with nothing ignored.
    fresh = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    fresh.query_params.update(shared_link(at))
    fresh.run()
    assert not fresh.exception
    assert fresh.session_state["metric"] == "datacentre_clusters" and fresh.session_state["view"] == "per_10k_people"
    assert not [c.value for c in fresh.caption if "ignored" in c.value.lower()]


def test_a_language_switch_sends_every_chosen_value_again_in_the_new_language(app):
    """The browser keeps a box's or a radio's choice as its label: after a switch to Chinese the
    page must send the Chinese label, or the sidebar goes on showing the English one (and a radio
    whose label is no longer an option shows no choice at all)."""
    at, rec = app
    at.selectbox(key="metric").select("high_tech_zones").run()
    at.selectbox(key="view").select("gap").run()
    at.multiselect(key="regions").select("East").run()
    at.session_state["tab"] = t("app.tab_table", "en")
    at.run()
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    sent = {key: at.selectbox(key=key).proto for key in ("metric", "view", "rule", "scheme")}
    for key, proto in sent.items():
        assert proto.set_value and proto.raw_value == at.selectbox(key=key).format_func(at.session_state[key]), key
    assert sent["metric"].raw_value == "国家级高新区"
    radio = at.radio(key="target_at").proto
    assert radio.set_value and radio.raw_value == "各数据日期当时的目标"
    regions = at.multiselect(key="regions").proto
    assert regions.set_value and list(regions.raw_values) == ["东部"]
    assert at.session_state["tab"] == t("app.tab_table", "zh")  # the open tab stays open
    # The values themselves are unchanged: the same map, in Chinese.
    assert (at.session_state["metric"], at.session_state["view"]) == ("high_tech_zones", "gap")
    at.run()  # and the next run sends nothing again
    assert not at.selectbox(key="metric").proto.set_value


def test_the_csv_download_opens_in_excel_and_says_what_view_it_is(app):
    import io
    at, rec = app
    rec.downloads  # noqa: B018 (opens the tab)
    raw = rec.raw["csv"]
    assert raw.startswith("\ufeff".encode("utf-8"))  # Excel then reads UTF-8, not the code page
    rows = pd.read_csv(io.BytesIO(raw), dtype={"adcode": str})  # no options: a plain table
    assert rows.columns[0] == "adcode" and "北京市" in set(rows["name_zh"])
    meta = json.loads(rec.raw["json"])
    assert (meta["view"], meta["as_of_requested"], meta["tolerance_months"], meta["rule"]) == (
        "nowcast", "2025-12-31", 24, "population_share")
    shared = meta["shared_by_every_row"]["target_source"]
    assert len(shared) > 200 and shared not in rec.downloads["csv"]  # stated once, not per row
    assert any(n.endswith(".csv-metadata.json") for n in rec.files)


def test_the_upload_report_is_named_once_csv(app):
    at, rec = app
    upload(at, GBK_EXPORT, name="mine.csv")
    assert "report_mine.csv" in rec.files and not [n for n in rec.files if n.endswith(".csv.csv")]
    assert rec.files["report_mine.csv"].startswith("\ufeff".encode("utf-8"))


def test_the_table_keeps_numbers_numeric_and_an_old_figure_as_old(app):
    at, rec = app
    at.selectbox(key="view").select("gap").run()
    at.session_state["tab"] = t("app.tab_table", "en")
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if t("app.col_province", "en") in d.value.columns)
    for column in (t("app.value", "en"), t("app.col_figure", "en"), t("app.col_target", "en")):
        assert pd.api.types.is_numeric_dtype(table[column]), column  # sorts by value, not as text
    gaps = table[t("app.value", "en")].dropna()
    assert list(gaps.sort_values()) == sorted(gaps) and (gaps < 0).any() and (gaps > 0).any()
    tianjin = table[table["adcode"] == "120000"].iloc[0]
    assert tianjin[t("app.col_figure", "en")] == 33000 and tianjin[t("app.as_of_col", "en")].startswith("2020")
