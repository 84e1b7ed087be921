"""One frame per view: own dates, the tolerance window, targets in force at a figure's date,
the national benchmark and projections, with expected values worked out by hand."""
import math

import pytest

import geo
from geo.analysis.views import select, sum_over_provinces
from tests.helpers import bundle

OBS = [("110000", "bs5g", 100, "2024-06-30"), ("120000", "bs5g", 40, "2020-12-31"),
       ("100000", "bs5g", 1000, "2025-12-31"), ("100000", "bs5g", 600, "2024-06-30"),
       ("110000", "population", 2000, "2024-12-31"), ("120000", "population", 1000, "2020-12-31"),
       ("120000", "population", 1100, "2024-12-31"), ("130000", "population", 1000, "2024-12-31"),
       ("110000", "land_area", 20000, "2016"), ("120000", "land_area", 10000, "2016"),
       ("130000", "land_area", 5000, "2016")]
TARGETS = [("national", "100000", "bs5g", "count", 200, 2023), ("national", "100000", "bs5g", "count", 400, 2025)]


def run(view, **kw):
    return geo.view(bundle(OBS, TARGETS), metric="bs5g", view=view, **kw)


def test_each_province_keeps_its_own_date_and_an_old_figure_is_outside_the_window():
    r = run("value", tolerance_months=24)
    f = r.frame.set_index("adcode")
    assert f.loc["110000", "value"] == 100 and f.loc["110000", "as_of"] == "2024-06-30"
    assert f.loc["110000", "age_months"] == 18.0 and f.loc["110000", "in_window"] == True  # noqa: E712
    # Tianjin's 2020 figure is 60 months old: kept with its date, but no value and no colour.
    assert f.loc["120000", "count"] == 40 and f.loc["120000", "in_window"] == False  # noqa: E712
    assert math.isnan(f.loc["120000", "value"])
    assert math.isnan(f.loc["130000", "value"]) and math.isnan(f.loc["130000", "count"])  # no data, not 0
    assert r.outside_window == 1 and r.national["value"] == 1000
    assert run("value", tolerance_months=72).frame.set_index("adcode").loc["120000", "value"] == 40


def test_per_10k_people_uses_population_of_the_figures_year():
    f = run("per_10k_people", tolerance_months=72).frame.set_index("adcode")
    assert f.loc["110000", "value"] == pytest.approx(100 / 2000)
    assert f.loc["120000", "value"] == pytest.approx(40 / 1000)  # 2020 population, not 2024
    assert f.loc["120000", "population_year"] == "2020"


def test_per_10k_km2():
    f = run("per_10k_km2", tolerance_months=72).frame.set_index("adcode")
    assert f.loc["120000", "value"] == pytest.approx(40 / 10000 * 10000)


def test_gap_compares_a_figure_with_the_target_in_force_at_its_own_date():
    f = run("gap").frame.set_index("adcode")
    # 2024-06-30 lies 182 of 731 days from end-2023 (200) to end-2025 (400); Beijing's share of
    # the 2024 population is 2000 / (2000 + 1100 + 1000).
    in_force = 200 + 200 * 182 / 731
    assert f.loc["110000", "target"] == pytest.approx(in_force * 2000 / 4100)
    assert f.loc["110000", "target_at"] == "2024-06-30"
    assert f.loc["110000", "value"] == pytest.approx(100 - in_force * 2000 / 4100)
    assert math.isnan(f.loc["120000", "value"])  # too old: no gap
    assert math.isnan(f.loc["130000", "value"])  # target but no figure: no gap
    fixed = run("gap", target_at="target_year", target_year=2025).frame.set_index("adcode")
    assert fixed.loc["110000", "target"] == pytest.approx(400 * 2000 / 4100)
    att = run("attainment").frame.set_index("adcode")
    assert att.loc["110000", "value"] == pytest.approx(100 * 100 / (in_force * 2000 / 4100))


def test_vs_national_divides_per_10k_by_the_nations_at_the_same_date():
    f = run("vs_national").frame.set_index("adcode")
    # At 2024-06-30 the nation has 600 stations (a dated point) for 4100 (10k persons, 2024).
    assert f.loc["110000", "value"] == pytest.approx((100 / 2000) / (600 / 4100))


def test_national_headline_against_the_target_in_force():
    r = run("value")
    assert r.national["target"] == pytest.approx(400) and r.national["attainment_pct"] == pytest.approx(250)


def test_select_is_a_union_of_regions_and_provinces_and_sum_over_provinces():
    frame = run("value", tolerance_months=72).frame
    assert list(select(frame, ["120000", "110000"])["adcode"]) == ["110000", "120000"]
    assert len(select(frame, regions=["Central"])) == 0
    # Tianjin and the (empty) Central region: Tianjin, not nothing.
    assert list(select(frame, ["120000"], ["Central"])["adcode"]) == ["120000"]
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
        run("value", tolerance_months=-5)
    with pytest.raises(geo.InputError, match="target comparison"):
        run("gap", target_at="someday")


def test_figures_after_the_chosen_date_are_not_shown_and_a_note_says_so():
    r = run("value", as_of="2022-12-31", tolerance_months=72)
    assert math.isnan(r.frame.set_index("adcode").loc["110000", "count"])
    assert any(n.startswith("1 figure dated after 2022-12-31 is not shown: 北京市 (2024-06-30)") for n in r.notes)


def test_figures_dated_after_the_view_date_are_named_in_a_note():
    obs = OBS + [("120000", "bs5g", 77, "2027"), ("130000", "bs5g", 5, "2026-03-31")]
    r = geo.view(bundle(obs, TARGETS), metric="bs5g", view="value", as_of="2025-12-31", tolerance_months=72)
    f = r.frame.set_index("adcode")
    assert f.loc["120000", "value"] == 40 and math.isnan(f.loc["130000", "value"])
    later = [n for n in r.notes if "after 2025-12-31" in n]
    assert len(later) == 1 and "天津市 (2027)" in later[0] and "河北省 (2026-03-31)" in later[0]
    assert "2 figures" in later[0]
    assert not [n for n in run("value").notes if "after" in n]  # none later: no note
