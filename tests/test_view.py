import math

import pytest

import geo
from geo.views import select, sum_over_provinces
from tests.helpers import bundle

OBS = [("110000", "bs5g", 100, "2024-06-30"), ("120000", "bs5g", 40, "2020-12-31"),
       ("100000", "bs5g", 1000, "2025-12-31"),
       ("110000", "population", 2000, "2024-12-31"), ("120000", "population", 1000, "2020-12-31"),
       ("120000", "population", 1100, "2024-12-31"), ("130000", "population", 1000, "2024-12-31"),
       ("110000", "land_area", 20000, "2016"), ("120000", "land_area", 10000, "2016"),
       ("130000", "land_area", 5000, "2016")]
TARGETS = [("national", "100000", "bs5g", "count", 400, 2025)]


def run(view, **kw):
    return geo.view(bundle(OBS, TARGETS), metric="bs5g", view=view, **kw)


def test_value_view_keeps_each_provinces_own_date_and_no_data_for_missing():
    r = run("value")
    f = r.frame.set_index("adcode")
    assert f.loc["110000", "value"] == 100 and f.loc["110000", "as_of"] == "2024-06-30"
    assert math.isnan(f.loc["130000", "value"])  # no figure: no data, not 0
    assert f.loc["120000", "stale"] and not f.loc["110000", "stale"]
    assert r.national["value"] == 1000 and r.national["as_of"] == "2025-12-31"
    assert not r.derived


def test_per_10k_people_uses_population_of_the_figures_year():
    f = run("per_10k_people").frame.set_index("adcode")
    assert f.loc["110000", "value"] == pytest.approx(100 / 2000)
    assert f.loc["120000", "value"] == pytest.approx(40 / 1000)  # 2020 population, not 2024
    assert f.loc["120000", "population_year"] == "2020"


def test_per_10k_km2():
    f = run("per_10k_km2").frame.set_index("adcode")
    assert f.loc["120000", "value"] == pytest.approx(40 / 10000 * 10000)


def test_gap_and_attainment_against_population_share_target():
    gap = run("gap")
    f = gap.frame.set_index("adcode")
    # 2024 populations 2000, 1100, 1000 share 400.
    assert f.loc["110000", "target"] == pytest.approx(400 * 2000 / 4100)
    assert f.loc["110000", "value"] == pytest.approx(100 - 400 * 2000 / 4100)
    assert math.isnan(f.loc["130000", "value"])  # target but no figure: no gap
    assert gap.derived and gap.rule == "population_share"
    att = run("attainment").frame.set_index("adcode")
    assert att.loc["110000", "value"] == pytest.approx(100 * 100 / (400 * 2000 / 4100))


def test_select_by_region_and_province_and_sum_over_provinces():
    frame = run("value").frame
    assert list(select(frame, ["120000", "110000"])["adcode"]) == ["110000", "120000"]
    assert len(select(frame, regions=["Central"])) == 0
    assert sum_over_provinces(frame) == (140.0, 2)


def test_bad_arguments_are_input_errors_that_name_them():
    with pytest.raises(geo.InputError, match="unknown view 'density'"):
        run("density")
    with pytest.raises(geo.InputError, match="'2025-13-45' is not a date"):
        run("value", as_of="2025-13-45")
    with pytest.raises(geo.InputError, match="unknown region 'Middle'"):
        run("value", regions=["Middle"])
    with pytest.raises(geo.ProvinceNotFound):
        run("value", provinces=["Atlantis"])
    with pytest.raises(geo.InputError, match="months"):
        run("value", stale_after_months=-5)


def test_stale_figures_can_be_shown_as_no_data_keeping_their_date():
    f = run("gap", stale_as_no_data=True).frame.set_index("adcode")
    assert math.isnan(f.loc["120000", "value"]) and math.isnan(f.loc["120000", "count"])
    assert f.loc["120000", "as_of"] == "2020-12-31" and f.loc["120000", "stale"] == True  # noqa: E712
    assert f.loc["110000", "count"] == 100  # not stale: kept


def test_figures_dated_after_the_view_date_are_named_in_a_note():
    obs = OBS + [("120000", "bs5g", 77, "2027"), ("130000", "bs5g", 5, "2026-03-31")]
    r = geo.view(bundle(obs, TARGETS), metric="bs5g", view="value", as_of="2025-12-31")
    f = r.frame.set_index("adcode")
    assert f.loc["120000", "value"] == 40 and math.isnan(f.loc["130000", "value"])
    later = [n for n in r.notes if "after 2025-12-31" in n]
    assert len(later) == 1 and "天津市 (2027)" in later[0] and "河北省 (2026-03-31)" in later[0]
    assert "2 figures" in later[0]
    assert not [n for n in run("value").notes if "after" in n]  # none later: no note
