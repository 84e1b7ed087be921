import dataclasses
import json
import re

import geo
from geo.classify import NO_DATA_COLOUR, classify
from geo.render import MAP_PROPERTIES, build_map, escape, map_features
from tests.helpers import boundaries, bundle, observations

PAYLOAD = "<img src=x onerror=alert(1)>{{ 7*7 }}{% if 1 %}X{% endif %}{# c #}${1+1}`\\"


def payload_view():
    obs = observations([("110000", "bs5g", 5, "2024-01-01"), ("110000", "population", 10, "2024-12-31")])
    obs.loc[0, "source_publisher"] = PAYLOAD
    frame = boundaries()
    frame.loc[0, "name_en"] = PAYLOAD
    frame["secret_column"] = "must-not-reach-the-map"
    return geo.view(bundle(obs, [("national", "100000", "bs5g", "count", 9, 2025)], frame),
                    metric="bs5g", view="value")


def test_escape_neutralises_html_jinja_js_template_and_backslash():
    out = escape(PAYLOAD)
    for dangerous in ("<", ">", "{", "}", "$", "`", "\\"):
        assert dangerous not in out
    assert "&lt;img" in out


def test_payload_survives_rendering_as_inert_text():
    result = payload_view()
    c = classify(result.frame["value"])
    page = build_map(result, c).get_root().render()
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


def test_tooltip_shows_value_unit_as_of_and_source_and_no_data():
    result = payload_view()
    data = map_features(result, classify(result.frame["value"]))
    by_code = {f["properties"]["adcode"]: f["properties"]["tooltip"] for f in data["features"]}
    assert "as of 2024-01-01" in by_code["110000"] and "base stations" in by_code["110000"]
    assert "no data" in by_code["120000"]


def test_map_has_legend_with_no_data_class_and_fits_selection():
    result = payload_view()
    page = build_map(result, classify(result.frame["value"]), selected=["120000"]).get_root().render()
    assert "no data" in page and NO_DATA_COLOUR in page
    # Province 120000 is the square 101..102 E, 30..31 N.
    assert re.search(r"fitBounds\(\s*\[\[30\.0, 101\.0\], \[31\.0, 102\.0\]\]", page)


def test_tooltip_says_when_a_figure_is_stale():
    obs = observations([("110000", "bs5g", 5, "2019-01-01"), ("120000", "bs5g", 7, "2025-06-30")])
    data = bundle(obs, [("national", "100000", "bs5g", "count", 9, 2025)])
    result = geo.view(data, metric="bs5g", view="value", as_of="2025-12-31", stale_after_months=24)
    tips = {f["properties"]["adcode"]: f["properties"]["tooltip"]
            for f in map_features(result, classify(result.frame["value"]))["features"]}
    assert "stale" in tips["110000"] and "stale" not in tips["120000"]
    hidden = geo.view(data, metric="bs5g", view="value", as_of="2025-12-31", stale_after_months=24,
                      stale_as_no_data=True)
    tip = map_features(hidden, classify(hidden.frame["value"]))["features"][0]["properties"]["tooltip"]
    assert "2019-01-01" in tip and "left out" in tip


def test_facility_layers_are_on_for_the_metric_that_counts_them_and_popups_are_escaped():
    import pandas as pd

    from geo.metrics import METRICS
    facilities = pd.DataFrame([
        {"facility_id": "a", "kind": "supercomputing_centre", "name_zh": "中心<script>", "name_en": "",
         "status": "operational", "lon": 117.2, "lat": 39.1, "location_method": "m", "as_of": "2023-08",
         "source_publisher": "{{ 7*7 }}", "source_url": "http://example.org"},
        {"facility_id": "b", "kind": "high_tech_zone", "name_zh": "区", "name_en": "", "status": "",
         "lon": 116.3, "lat": 39.9, "location_method": "m", "as_of": "2022-06",
         "source_publisher": "p", "source_url": ""}])
    result = payload_view()
    page = build_map(result, classify(result.frame["value"]), facilities=facilities).get_root().render()
    assert page.count(".removeLayer(") == 2  # 5G map: both facility layers listed but off
    result = dataclasses.replace(result, metric=METRICS["computing_centres"])
    page = build_map(result, classify(result.frame["value"]), facilities=facilities).get_root().render()
    assert page.count(".removeLayer(") == 1  # the centres are on, the zones off
    rows = [row for block in re.findall(r"var data = (\[.*?\]);", page, flags=re.S) for row in json.loads(block)]
    popup = next(row[2] for row in rows if "7*7" in row[2])
    assert escape("中心<script>") in popup and escape("{{ 7*7 }}") in popup
