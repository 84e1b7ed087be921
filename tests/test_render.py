import dataclasses
import json
import re

import pandas as pd

import geo
from geo.output import picture
from geo.output.classify import NO_DATA_COLOUR, classify
from geo.output.render import MAP_PROPERTIES, escape, map_features, tooltip_html
from tests.helpers import boundaries, bundle, observations

PAYLOAD = "<img src=x onerror=alert(1)>{{ 7*7 }}{% if 1 %}X{% endif %}{# c #}${1+1}`\\"
TARGETS = [("national", "100000", "bs5g", "count", 9, 2025)]


def payload_view():
    obs = observations([("110000", "bs5g", 5, "2024-01-01"), ("110000", "population", 10, "2024-12-31")])
    obs.loc[0, "source_publisher"] = PAYLOAD
    frame = boundaries()
    frame.loc[0, "name_en"] = PAYLOAD
    frame["secret_column"] = "must-not-reach-the-map"
    return geo.view(bundle(obs, TARGETS, frame), metric="bs5g", view="value")


def test_escape_neutralises_html_jinja_js_template_and_backslash():
    out = escape(PAYLOAD)
    for dangerous in ("<", ">", "{", "}", "$", "`", "\\"):
        assert dangerous not in out
    assert "&lt;img" in out


def test_payload_survives_rendering_as_inert_text():
    page = geo.choropleth(payload_view()).get_root().render()
    tooltips = [json.loads(t) for t in re.findall(r'"tooltip": ("(?:[^"\\]|\\.)*")', page)]
    # Neither Jinja pass evaluated the payload (it would read 49 / X), and it is there, escaped,
    # for the tooltip to show as text.
    assert any(escape(PAYLOAD) in t for t in tooltips), tooltips
    assert "<img src=x" not in page


def test_only_allow_listed_properties_reach_the_map():
    result = payload_view()
    data = map_features(result, classify(result.frame["value"]))
    assert all(tuple(f["properties"]) == MAP_PROPERTIES for f in data["features"])
    assert "must-not-reach-the-map" not in json.dumps(data)


def test_tooltip_shows_value_unit_once_date_and_publisher_and_no_data_without_unit():
    obs = observations([("110000", "bs5g", 5000, "2025-06-30"), ("110000", "population", 10, "2024-12-31"),
                        ("120000", "population", 10, "2024-12-31")])
    obs["source_url"] = "http://example.org/a-very-long-link"
    result = geo.view(bundle(obs, [("national", "100000", "bs5g", "count", 9, 2024)]), metric="bs5g",
                      view="attainment", as_of="2025-12-31")
    tips = {row["adcode"]: tooltip_html(row, result) for _, row in result.frame.iterrows()}
    assert "5,000</b> base stations" in tips["110000"] and "as of 2025-06-30 (6 months before 2025-12-31)" in tips["110000"]
    assert tips["110000"].count("%") == 1  # "… %": the unit once, not "% % of target"
    assert "example.org" not in tips["110000"] and "source: pub 110000 2025-06-30" in tips["110000"]
    assert tips["120000"].split("<br>")[1] == "5G base stations: no data"  # no unit after "no data"


def test_the_tooltip_keeps_the_relay_of_a_source_and_the_picture_names_the_publisher_only():
    obs = observations([("110000", "bs5g", 5000, "2025-06-30"), ("110000", "population", 10, "2024-12-31")])
    obs.loc[0, ["source_publisher", "source_title", "source_url"]] = [
        "北京市通信管理局 via Beijing municipal govt English portal (ecns)", "Beijing 5G", "https://example.org/x"]
    result = geo.view(bundle(obs, TARGETS), metric="bs5g", view="value", as_of="2025-12-31")
    tip = tooltip_html(result.frame.iloc[0], result)
    assert tip.endswith("source: 北京市通信管理局 via Beijing municipal govt English portal (ecns)")  # no title, no link
    assert picture.sources_line(result).startswith("Sources: 北京市通信管理局 (北京 2025-06-30).")


def test_qualifiers_read_as_words_in_english_and_chinese():
    obs = observations([("110000", "bs5g", 5000, "2025-06-30")])
    obs["qualifier"] = ">"
    result = geo.view(bundle(obs, TARGETS), metric="bs5g", view="value", as_of="2025-12-31")
    row = result.frame.iloc[0]
    assert "more than 5,000" in tooltip_html(row, result, "en")
    assert "超过5,000" in tooltip_html(row, result, "zh") and "北京市" in tooltip_html(row, result, "zh")


def test_a_figure_older_than_the_window_is_outlined_not_coloured_and_not_compared():
    obs = observations([("110000", "bs5g", 5, "2019-01-01"), ("120000", "bs5g", 7, "2025-06-30"),
                        ("110000", "population", 10, "2024-12-31"), ("120000", "population", 10, "2024-12-31")])
    result = geo.view(bundle(obs, TARGETS), metric="bs5g", view="gap", as_of="2025-12-31",
                      tolerance_months=24)
    features = {f["properties"]["adcode"]: f["properties"]
                for f in map_features(result, geo.classification(result))["features"]}
    assert features["110000"]["fill"] == "too_old" and features["120000"]["fill"].startswith("#")
    assert "Older than the 24-month window" in features["110000"]["tooltip"]
    assert "gap" not in features["110000"]["tooltip"].lower()
    entries = geo.legend_entries(result, geo.classification(result))
    assert entries[-1] == ("too_old", "older than 24 months: 1")


def test_map_has_legend_with_no_data_class_and_fits_selection():
    result = geo.view(payload_view_bundle(), metric="bs5g", view="value", provinces=["120000"])
    page = geo.choropleth(result).get_root().render()
    assert "no data" in page and NO_DATA_COLOUR in page
    # Province 120000 is the square 101..102 E, 30..31 N.
    assert re.search(r"fitBounds\(\s*\[\[30\.0, 101\.0\], \[31\.0, 102\.0\]\]", page)


def test_the_map_has_a_metric_scale_bar_whose_text_stays_on_one_line():
    page = geo.base_map().get_root().render()
    assert re.search(r"L\.control\.scale\(", page)
    css = re.search(r"\.leaflet-control-scale-line \{([^}]*)\}", page).group(1)
    assert "white-space: nowrap" in css
    assert ".leaflet-control-scale-line:not(:first-child) { display: none; }" in page  # no miles


def payload_view_bundle():
    obs = observations([("110000", "bs5g", 5, "2024-01-01")])
    return bundle(obs, TARGETS)


def test_facility_layer_shows_the_counted_kind_at_the_date_and_popups_are_escaped():
    facilities = pd.DataFrame([
        {"facility_id": "a", "kind": "supercomputing_centre", "name_zh": "中心<script>", "name_en": "",
         "status": "operational", "counts_from": "2020-01", "lon": 117.2, "lat": 39.1, "location_method": "m",
         "as_of": "2023-08", "source_publisher": "{{ 7*7 }}", "source_url": "http://example.org"},
        {"facility_id": "b", "kind": "supercomputing_centre", "name_zh": "新中心", "name_en": "",
         "status": "", "counts_from": "2030-01", "lon": 116.3, "lat": 39.9, "location_method": "m",
         "as_of": "2023-08", "source_publisher": "p", "source_url": ""},
        {"facility_id": "c", "kind": "high_tech_zone", "name_zh": "区", "name_en": "", "status": "",
         "counts_from": "2020-01", "lon": 116.3, "lat": 39.9, "location_method": "m", "as_of": "2022-06",
         "source_publisher": "p", "source_url": ""}])
    result = dataclasses.replace(payload_view(), metric=geo.METRICS["supercomputing_centres"],
                                 facilities=facilities)
    layers = geo.map_layers(result, geo.classification(result))
    assert len(layers) == 2  # provinces and the one kind the metric counts
    page = geo.choropleth(result).get_root().render()
    rows = [row for block in re.findall(r"var data = (\[.*?\]);", page, flags=re.S) for row in json.loads(block)]
    assert len(rows) == 1  # the centre that opens in 2030 is not drawn at the view's date
    assert escape("中心<script>") in rows[0][2] and escape("{{ 7*7 }}") in rows[0][2]


def test_a_weak_source_is_flagged_beside_its_figure():
    # Issue 20, point 12: Henan's 199,700 (2024-06) is read from a machine translation.
    import geo
    from geo.output.render import tooltip_html
    v = geo.view(geo.load(), "bs5g", "value", as_of="2025-12-31")
    rows = v.frame.set_index("adcode", drop=False)
    assert "low authority" in tooltip_html(rows.loc["410000"], v)
    assert "low authority" not in tooltip_html(rows.loc["110000"], v)
    assert "来源较弱" in tooltip_html(rows.loc["410000"], v, "zh")
    assert rows.loc["410000", "source_flags"] == "low_authority"
    assert "source_flags" in geo.to_csv(v).splitlines()[0]


def test_the_legend_does_not_say_the_unit_twice():
    # Issue 20, point 11: "5G base stations base stations".
    import re

    import geo
    b = geo.load()
    v = geo.view(b, "bs5g", "value", as_of="2025-12-31")
    c = geo.classification(v)

    def text(html: str) -> str:  # as read: without the tags
        return re.sub(r"<[^>]+>", "", html)
    assert "base stations base stations" not in text(geo.legend_html(v, c, inline=True))
    assert "5G基站 个基站" not in text(geo.legend_html(v, c, "zh", inline=True))
    gap = geo.view(b, "bs5g", "gap", as_of="2025-12-31")
    assert "(value − target)" in geo.legend_html(gap, geo.classification(gap), inline=True)  # a unit that says more stays
