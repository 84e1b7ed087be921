"""Time on synthetic series (interpolation, the target path, projections) and on the real data."""
import math

import numpy as np
import pandas as pd
import pytest

import geo
from geo.analysis import timeline
from geo.analysis.trajectories import trajectory


def series(rows):
    frame = pd.DataFrame(rows, columns=["as_of", "value"])
    frame["as_of_date"] = pd.to_datetime(frame["as_of"])
    return frame


def test_interpolation_is_linear_in_time_and_never_beyond_the_ends():
    got = timeline.interpolate(pd.to_datetime(["2020-01-01", "2020-01-11"]), [0, 100],
                               pd.to_datetime(["2019-12-31", "2020-01-04", "2020-01-12"]))
    assert math.isnan(got[0]) and got[1] == pytest.approx(30) and math.isnan(got[2])
    held = timeline.interpolate(pd.to_datetime(["2020-01-01", "2020-01-11"]), [0, 100],
                                pd.to_datetime(["2020-02-01"]), hold_after=True)
    assert held[0] == 100


def test_own_trend_is_the_least_squares_line_of_recent_figures_with_the_national_pace_as_interval():
    points = series([("2024-01-01", 100), ("2024-01-11", 110), ("2024-01-21", 120)])  # +1 a day
    national = series([("2024-01-21", 1000), ("2024-01-31", 1500)])
    p = timeline.project(points, "2024-01-31", national=national)
    assert p.value == pytest.approx(130) and p.method == "own_trend"
    # National pace: 120 × 1500 / 1000 = 180; the interval runs from the trend to it.
    assert (p.low, p.high) == (pytest.approx(130), pytest.approx(180))
    assert timeline.project(points, "2024-01-15") is None  # not before the last figure
    assert timeline.project(points, "2026-02-01") is None  # beyond the 24-month horizon


def test_one_figure_is_projected_only_at_the_national_pace_and_only_when_asked():
    points = series([("2024-01-21", 120)])
    national = series([("2024-01-21", 1000), ("2024-01-31", 1500)])
    assert timeline.project(points, "2024-01-31", national=national) is None
    p = timeline.project(points, "2024-01-31", national=national, method=timeline.NATIONAL_PACE)
    assert p.value == pytest.approx(180) and p.low == p.high == p.value


def test_reach_date_observed_then_projected():
    points = series([("2024-01-31", 100), ("2024-03-31", 160)])  # about +1 a day
    assert timeline.reach_date(timeline.Trend(points), 150) == (pd.Timestamp("2024-03-31"), "observed")
    date, how = timeline.reach_date(timeline.Trend(points), 200)
    assert how == "projected" and date == pd.Timestamp("2024-05-31")  # 2024-04-30: 190 < 200; 05-31: 221
    assert timeline.reach_date(timeline.Trend(points), 10**9)[0] is None


@pytest.fixture(scope="module")
def bundle():
    return geo.load()


def test_real_data_at_the_default_date_tianjin_is_outside_the_window_and_not_compared(bundle):
    v = geo.view(bundle, metric="bs5g", view="gap")
    tianjin = v.frame.set_index("adcode").loc["120000"]
    assert tianjin["in_window"] == False and math.isnan(tianjin["value"]) and math.isnan(tianjin["gap"])  # noqa: E712
    # Not compared means no "reaches its target about ..." either (its 2019-2020 trend says 2021-07).
    assert pd.isna(tianjin["target_reached"]) and pd.isna(tianjin["target_reached_how"])
    assert geo.view(bundle, metric="bs5g", view="gap", tolerance_months=72).frame.set_index(
        "adcode").loc["120000", "target_reached_how"] == "estimated"  # the model reaches it (one way of estimating)
    assert (v.frame["in_window"] == False).sum() == v.outside_window > 0  # noqa: E712
    coloured = v.frame[v.frame["value"].notna()]
    assert (coloured["age_months"] <= 24).all()  # nothing coloured by a figure older than the window


def test_real_data_beijing_vs_national_by_hand(bundle):
    v = geo.view(bundle, metric="bs5g", view="vs_national")
    beijing = v.frame.set_index("adcode").loc["110000"]
    assert beijing["count"] == 114_500 and beijing["as_of"] == "2024-04-30"
    # Beijing: 114,500 / 2,183 (10k people, NBS 2024). Nation: 3,748,000 at 2024-04-30 (MIIT) /
    # 140,628 (the 31 provinces' NBS 2024 population, 10k people).
    assert beijing["value"] == pytest.approx((114_500 / 2_183) / (3_748_000 / 140_628), rel=1e-9)


def test_real_data_national_headline_is_108_percent_of_the_target_in_force(bundle):
    national = geo.view(bundle, metric="bs5g").national
    assert national["value"] == 4_838_000 and national["as_of"] == "2025-12-31"
    assert national["target"] == 4_500_000 and round(national["attainment_pct"]) == 108


def test_real_data_high_tech_zones_are_counted_as_of_the_date(bundle):
    def hebei(as_of):
        return geo.view(bundle, metric="high_tech_zones", as_of=as_of).frame.set_index("adcode").loc["130000", "count"]
    assert hebei("2025-12-31") == 5 and hebei("2026-06-30") == 6  # 雄安 from 2026-02


def test_trajectory_marks_every_row_and_estimates_with_the_model(bundle):
    # 5G has a model: between and after the figures, one way of estimating (no trend projection).
    table = trajectory(bundle, "bs5g")
    assert set(table["kind"]) == {"observed", "estimated"}
    estimated = table[table["kind"] == "estimated"]
    assert (estimated["low"] < estimated["value"]).all() and (estimated["value"] < estimated["high"]).all()
    assert estimated["method"].str.startswith("model-based").all()
    assert (estimated["adcode"] == "220000").any()  # Jilin: no figure, still estimated
    guizhou = table[(table["adcode"] == "520000") & table["date"].str.startswith("2022-12")]
    # Its figure of 2022-12 (84,300, exact; a quarter-end) is that month's value: no estimate beside it.
    assert set(guizhou["kind"]) == {"observed"}
    assert len(table[(table["adcode"] == "520000") & table["date"].str.startswith("2022-09")]) == 1
    assert np.isfinite(table.loc[table["adcode"] == "100000", "target"]).any()
