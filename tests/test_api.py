"""The public API: the README's notebook example, registries that take a new entry in one place,
and bundles that are never changed in place."""
from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import pandas as pd
import pytest

import geo
from geo.analysis import views
from tests.helpers import bundle

README = Path(__file__).resolve().parent.parent / "README.md"
OBS = [("110000", "bs5g", 100, "2025-06-30"), ("120000", "bs5g", 40, "2025-06-30"),
       ("110000", "population", 2000, "2024-12-31"), ("120000", "population", 1000, "2024-12-31"),
       ("130000", "population", 1000, "2024-12-31")]
TARGETS = [("national", "100000", "bs5g", "count", 400, 2025)]


def test_the_readme_notebook_example_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    section = text.split("## Use it from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_counts.csv").write_text(
        "省份,5G基站数,截至\n北京,120000,2025-06-30\n上海市,80000,2025-06-30\n", encoding="utf-8")
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert isinstance(namespace["m"], folium.Map)
    data = json.loads((tmp_path / "out.geojson").read_text(encoding="utf-8"))
    props = {f["id"]: f["properties"] for f in data["features"]}
    assert props["110000"]["count"] == 120000 and props["110000"]["view"] == "gap"
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("adcode,")
    assert list(namespace["codes"]) == ["110000", "310000"]


def test_a_view_registered_in_one_place_is_computed_drawn_and_exported(monkeypatch):
    doubled = geo.View("doubled", "Twice the count (derived)", True, lambda m: f"2 × {m.unit}",
                       lambda f: f["count"] * 2, lambda v: f"{v:,.0f}")
    monkeypatch.setitem(views.VIEWS, "doubled", doubled)
    v = geo.view(bundle(OBS, TARGETS), metric="bs5g", view="doubled", as_of="2025-12-31")
    rows = v.frame.set_index("adcode")
    assert rows.loc["110000", "value"] == 200 and rows.loc["110000", "unit"] == "2 × base stations"
    assert pd.isna(rows.loc["130000", "value"])
    page = geo.choropleth(v).get_root().render()
    assert "2 × base stations" in geo.to_csv(v) and "\\u003cb\\u003e200\\u003c/b\\u003e" in page  # "<b>200</b>" in a tooltip


def test_a_rule_registered_in_one_place_is_offered_and_used(monkeypatch):
    from geo.analysis import targets

    def flat(metric, all_targets, observations, when):
        return pd.DataFrame({"adcode": list(when.index), "target": 50.0,
                             "target_at": [d.strftime("%Y-%m-%d") for d in when],
                             "target_source": "flat test rule", "rule": "flat"})
    rule = geo.Rule("flat", "the same target everywhere", "count", lambda rows: True, flat)
    monkeypatch.setitem(targets.RULES, "flat", rule)
    data = bundle(OBS, TARGETS)
    assert "flat" in data.rules("bs5g")
    v = geo.view(data, metric="bs5g", view="gap", rule="flat")
    assert v.frame.set_index("adcode").loc["110000", "value"] == 50  # 100 − 50
    assert v.rule_label == "the same target everywhere"


def test_with_layer_returns_a_new_bundle_and_leaves_the_old_one_as_it_was():
    data = bundle(OBS, TARGETS)
    before = (len(data.observations), len(data.targets), dict(data.metrics))
    layer = geo.Layer.from_table("省份,数量,日期\n北京,7,2025-01-01\n".encode(), filename="mine.csv",
                                 name="Mine", targets_of="bs5g")
    more = data.with_layer(layer)
    assert (len(data.observations), len(data.targets), dict(data.metrics)) == before
    assert "upload" in more.metrics and "upload" not in data.metrics
    assert more.rules("upload") == ["population_share"]  # borrowed from bs5g
    with pytest.raises(geo.InputError, match="already has a metric 'upload'"):
        more.with_layer(layer)


def test_errors_form_one_hierarchy():
    assert issubclass(geo.InputError, geo.GeoError) and issubclass(geo.DataError, geo.GeoError)
    assert not issubclass(geo.DataError, geo.InputError)  # a broken bundled file is not the user's
    assert issubclass(geo.ProvinceNotFound, geo.InputError)
    assert not issubclass(geo.InputError, ValueError)  # so a ValueError bug is never read as input


def test_no_name_of_the_api_is_also_a_module_that_would_shadow_it():
    import pkgutil
    modules = {m.name for m in pkgutil.iter_modules(geo.__path__)}
    assert not modules & set(geo.__all__)
