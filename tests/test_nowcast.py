"""Estimates (geo.analysis.nowcast / estimates / backtest): known answers on a synthetic country,
exact raking, the bundled backtest against its baselines, and estimates everywhere a value goes."""
import json

import numpy as np
import pandas as pd
import pytest

import geo
from geo.analysis import backtest, estimates, nowcast
from geo.data.regions import REGIONS

# ----------------------------------------------------------------------------- a synthetic country
# Two provinces per region; the second of the Northeast never reports. Regional shares of the
# nation are fixed, each region's first province grows its share from 60 % to 70 % over the
# months, and every province reports on a footing 10 % above the national figures (as China's
# provinces do, against MIIT's totals).
SHARES = dict(zip(REGIONS, (0.4, 0.3, 0.2, 0.1)))
FOOTING = 1.1
SILENT = "993200"


def _truth(month: pd.Timestamp) -> dict:
    months = (month - pd.Timestamp("2019-12-31")).days / 30.44
    national = 100_000 * np.exp(0.05 * months)
    first = 0.6 + 0.1 * min(months, 72) / 72
    out = {}
    for i, region in enumerate(REGIONS):
        total = national * SHARES[region]
        out[f"99{i}100"] = total * first * FOOTING
        out[f"99{i}200"] = total * (1 - first) * FOOTING
    return out


def _synthetic():
    provinces = pd.DataFrame({"adcode": [f"99{i}{j}00" for i in range(4) for j in (1, 2)],
                              "region": [r for r in REGIONS for _ in (1, 2)],
                              "name_zh": [f"P{i}{j}" for i in range(4) for j in (1, 2)]})
    rows = []

    def add(adcode, metric, value, as_of):
        rows.append({"adcode": adcode, "metric": metric, "value": float(value), "as_of": as_of,
                     "as_of_date": pd.Timestamp(as_of), "qualifier": "=", "flags": ""})
    for month in pd.date_range("2019-12-31", "2025-12-31", freq="3ME"):
        months = (month - pd.Timestamp("2019-12-31")).days / 30.44
        add("100000", "bs5g", 100_000 * np.exp(0.05 * months), month.date().isoformat())
    # Sparse provincial figures: each reporting province every 14 months, offset by province.
    for k, adcode in enumerate(provinces["adcode"]):
        if adcode == SILENT:
            continue
        for month in pd.date_range("2020-03-31", "2025-06-30", freq="ME")[k * 3::14]:
            add(adcode, "bs5g", _truth(month)[adcode], month.date().isoformat())
    for adcode in provinces["adcode"]:
        add(adcode, "population", 1000, "2024")
    regional = []
    for month in pd.date_range("2022-02-28", "2024-09-30", freq="6ME"):
        months = (month - pd.Timestamp("2019-12-31")).days / 30.44
        for region in REGIONS:
            regional.append({"region": region, "metric": "bs5g", "as_of": month.date().isoformat(),
                             "value": 100_000 * np.exp(0.05 * months) * SHARES[region]})
    return pd.DataFrame(rows), pd.DataFrame(regional), provinces


@pytest.fixture(scope="module")
def synthetic():
    observations, regional, provinces = _synthetic()
    ev = nowcast.evidence(observations, regional, provinces)
    return ev, estimates.Estimates(ev, estimates.calibrate(ev))


def test_estimates_recover_a_known_country(synthetic):
    _, model = synthetic
    errors = []
    for month in pd.date_range("2021-01-31", "2025-12-31", freq="5ME"):
        truth = _truth(month)
        at = model.at(month).set_index("adcode")
        errors += [abs(at.at[a, "estimate"] / truth[a] - 1) for a in truth]
    print(f"synthetic: median error {np.median(errors):.3%}, worst {max(errors):.3%}")
    assert np.median(errors) < 0.05
    assert max(errors) < 0.25


def test_raked_estimates_add_up_to_every_regional_and_national_total(synthetic):
    ev, model = synthetic
    for month in ("2022-08-31", "2023-05-31", "2024-09-30"):  # inside the splits: each region
        at = model.at(month).merge(ev.provinces, on="adcode")
        i = ev.month_index(month)
        for region in REGIONS:
            total = float(np.exp(ev.log_region(region)[i]))
            assert at.loc[at["region"] == region, "national_footing"].sum() == pytest.approx(total, rel=1e-9)
    for month in ("2021-03-31", "2025-11-30"):  # outside them: the nation
        i = ev.month_index(month)
        total = float(np.exp(ev.log_national[i]))
        assert model.at(month)["national_footing"].sum() == pytest.approx(total, rel=1e-9)


def test_a_province_without_figures_gets_its_regions_remainder(synthetic):
    ev, model = synthetic
    month = "2023-06-30"
    at = model.at(month).set_index("adcode")
    i = ev.month_index(month)
    northeast = float(np.exp(ev.log_region("Northeast")[i]))
    other = at.at["993100", "national_footing"]
    assert at.at[SILENT, "national_footing"] == pytest.approx(northeast - other, rel=1e-9)
    truth = _truth(pd.Timestamp(month))[SILENT]
    assert at.at[SILENT, "estimate"] == pytest.approx(truth, rel=0.15)
    assert "no figure of its own" in at.at[SILENT, "basis"]


def test_a_figure_of_the_month_is_observed_and_held(synthetic):
    ev, model = synthetic
    figure = ev.figures.iloc[5]
    month = ev.months[int(figure["month"])]
    at = model.at(month).set_index("adcode")
    assert not at.at[figure["adcode"], "estimated"]
    assert at.at[figure["adcode"], "estimate"] == pytest.approx(figure["value"], rel=1e-6)
    assert np.isnan(at.at[figure["adcode"], "low80"])


def test_a_bound_that_already_holds_changes_nothing(synthetic):
    ev, _ = synthetic
    base = nowcast.fit(ev, (0.25, 0.4, 0.02))
    low = ev.figures.iloc[[3]].assign(qualifier=">", value=ev.figures.iloc[3]["value"] * 0.5)
    with_bound = nowcast.Evidence(ev.months, ev.log_national, ev.national_sd, ev.last_national,
                                  ev.region_share, ev.split_start, ev.split_end, ev.provinces,
                                  pd.concat([ev.figures, low], ignore_index=True))
    assert np.allclose(nowcast.fit(with_bound, (0.25, 0.4, 0.02)).mean, base.mean)


def test_no_model_without_regional_splits():
    observations, _, provinces = _synthetic()
    assert nowcast.evidence(observations, None, provinces) is None


# ----------------------------------------------------------------------------- the bundled data

@pytest.fixture(scope="module")
def bundle():
    return geo.load()


@pytest.fixture(scope="module")
def rows(bundle):
    return geo.backtest(bundle)


def test_backtest_beats_its_baselines_and_its_intervals_hold(rows):
    table = geo.backtest_summary(rows)
    print("\n" + table.round(1).to_string(index=False))
    loo = table[table["test"] == backtest.LOO].set_index("gap")
    assert set(backtest.COLUMNS) <= set(rows.columns)
    for bucket, row in loo.iterrows():  # every gap bucket with at least 5 cases
        if bucket in ("0-6", "6-12", "12-24", "24+") and row["cases"] >= 5:
            assert row["model"] < row["carry_forward"], bucket
    assert loo.at["12+", "model"] < loo.at["12+", "carry_forward"]
    assert loo.at["all", "model"] < loo.at["all", "region_share"]
    assert loo.at["12+", "model"] < loo.at["12+", "region_share"]
    assert 70 <= loo.at["all", "inside80_pct"] <= 90
    assert loo.at["all", "inside95_pct"] >= 85


def test_the_committed_calibration_is_the_backtests(bundle, rows):
    stored = json.loads(estimates.CALIBRATION_JSON.read_text(encoding="utf-8"))
    model = bundle.estimates("bs5g")
    assert stored["digest"] == estimates.digest(model.evidence), \
        "data changed: run `python -m geo backtest --out /tmp/b.csv --write-calibration`"
    fresh = backtest.calibration(rows)
    assert stored["k80"] == pytest.approx(fresh["k80"])
    assert stored["cases"] == fresh["cases"]


def test_every_mainland_province_has_a_value_at_the_end_of_2025(bundle):
    v = geo.view(bundle, "bs5g", "nowcast", as_of="2025-12-31")
    mainland = v.frame[v.frame["region"].isin(list(REGIONS))]
    assert len(mainland) == 31 and mainland["value"].notna().all()
    assert mainland["estimated"].map(lambda e: e in (True, False)).all()
    assert mainland["national_footing"].sum() == pytest.approx(4_838_000, rel=1e-9)
    assert v.frame.loc[~v.frame["region"].isin(list(REGIONS)), "value"].isna().all()  # Taiwan, Hong Kong, Macau: no data
    assert (mainland["low80"] < mainland["estimate"]).all() and (mainland["estimate"] < mainland["high80"]).all()
    assert (mainland["low95"] < mainland["low80"]).all()


def test_a_figure_of_the_month_is_shown_as_observed(bundle):
    v = geo.view(bundle, "bs5g", "nowcast", as_of="2025-10-31")
    frame = v.frame.set_index("adcode")
    for adcode, figure in (("420000", 182_500), ("520000", 126_000)):  # Hubei, Guizhou at 2025-10-31
        assert frame.at[adcode, "estimated"] == False  # noqa: E712
        assert frame.at[adcode, "value"] == figure
    assert v.estimated == 29


def test_views_default_to_estimates_where_a_model_exists(bundle):
    assert geo.default_view(bundle, "bs5g") == "nowcast"
    assert geo.default_view(bundle, "high_tech_zones") == "value"
    assert "target_probability" in bundle.views("bs5g")
    assert "nowcast" not in bundle.views("high_tech_zones")


def test_gap_views_use_estimates_only_when_asked(bundle):
    plain = geo.view(bundle, "bs5g", "gap", as_of="2025-12-31")
    assert plain.estimated == 0 and "estimated" not in plain.frame
    switched = geo.view(bundle, "bs5g", "gap", as_of="2025-12-31", estimates=True)
    assert switched.estimated == 31
    row = switched.frame.set_index("adcode").loc["440000"]
    assert row["value"] == pytest.approx(row["estimate"] - row["target"])
    assert row["value_low80"] == pytest.approx(row["low80"] - row["target"])
    assert row["rank_low"] <= row["rank_high"]


def test_the_chance_view_has_its_own_fixed_legend(bundle):
    v = geo.view(bundle, "bs5g", "target_probability", as_of="2025-12-31")
    chance = v.frame["value"].dropna()
    assert chance.between(0, 100).all() and len(chance) == 31
    labels = [text for _, text in geo.legend_entries(v, geo.classification(v))]
    assert labels[:5] == ["very likely not met (< 10 %)", "likely not met (10-33 %)", "uncertain (33-67 %)",
                          "likely met (67-90 %)", "very likely met (≥ 90 %)"]
    zh = [text for _, text in geo.legend_entries(v, geo.classification(v), "zh")]
    assert zh[0] == "很可能未达成（< 10%）"


def test_estimates_are_drawn_so_that_no_one_takes_them_for_figures(bundle):
    from geo.output.render import hatch_features, map_features
    v = geo.view(bundle, "bs5g", "nowcast", as_of="2025-10-31")
    c = geo.classification(v)
    features = map_features(v, c)["features"]
    flags = {f["properties"]["adcode"]: f["properties"]["estimated"] for f in features}
    assert flags["420000"] is False and flags["440000"] is True
    hatch = hatch_features(v, c)["features"]
    assert len(hatch) == 29 and all(f["geometry"]["type"] == "MultiLineString" for f in hatch)
    guangdong = next(f for f in features if f["properties"]["adcode"] == "440000")["properties"]["tooltip"]
    assert "ESTIMATED at 2025-10-31" in guangdong and "80 % interval" in guangdong and "basis:" in guangdong
    assert "Older than" not in guangdong  # an old figure's province is coloured by its estimate
    legend = dict((text, colour) for colour, text in geo.legend_entries(v, c))
    assert legend["hatched: estimated (29 of 31)"] == "estimated"
    html = geo.choropleth(v).get_root().render()
    assert "MultiLineString" in html


def test_the_ranking_shows_intervals_and_rank_ranges(bundle):
    v = geo.view(bundle, "bs5g", "nowcast", as_of="2025-12-31")
    html = geo.ranking_html(v)
    assert html.count('class="rank-interval"') == 31
    assert "#1–" in html or "#1<" in html
    assert "hatched: estimated (31 of 31)" in html


def test_every_download_carries_the_estimate_columns(bundle, tmp_path):
    v = geo.view(bundle, "bs5g", "nowcast", as_of="2025-12-31")
    data = json.loads(geo.to_geojson(v))
    shanxi = next(f["properties"] for f in data["features"] if f["properties"]["adcode"] == "140000")
    assert shanxi["estimated"] is True and shanxi["derived"] == "estimated"
    assert shanxi["low80"] < shanxi["estimate"] < shanxi["high80"]
    assert "own figures" in shanxi["basis"] and "model-based" in shanxi["method"]
    table = pd.read_csv(pd.io.common.StringIO(geo.to_csv(v)), dtype={"adcode": str})
    assert {"estimated", "low80", "high80", "method", "basis"} <= set(table.columns)
    plain = json.loads(geo.to_geojson(geo.view(bundle, "bs5g", "value", as_of="2025-12-31")))
    assert plain["features"][0]["properties"]["estimated"] is None  # no estimates used: not claimed
    assert geo.to_png(v, None, dpi=60)[:4] == b"\x89PNG"


def test_the_command_line_backtests_and_exports_estimates(tmp_path, capsys):
    from geo.__main__ import main
    out = tmp_path / "backtest.csv"
    assert main(["backtest", "--metric", "bs5g", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "leave-one-out" in printed and "region_share" in printed
    written = pd.read_csv(out, dtype={"adcode": str})
    assert {"adcode", "as_of", "observed", "estimate", "low80", "high80", "low95", "high95", "gap_months",
            "method", "carry_forward", "region_share"} <= set(written.columns)
    geojson = tmp_path / "gap.geojson"
    assert main(["export", "--view", "gap", "--estimates", "--out", str(geojson)]) == 0
    assert json.loads(geojson.read_text())["features"][0]["properties"]["estimated"] is True
    default = tmp_path / "default.geojson"
    assert main(["export", "--out", str(default)]) == 0
    assert json.loads(default.read_text())["features"][0]["properties"]["view"] == "nowcast"


def test_outside_the_models_months_there_is_no_estimate_and_a_note(bundle):
    v = geo.view(bundle, "bs5g", "nowcast", as_of="2019-06-30")  # the app's slider reaches 2019-01
    assert v.frame["value"].isna().all() and v.estimated == 0
    assert any("Estimates exist from 2019-12 to 2027-12 only" in str(n) for n in v.notes)
    assert geo.nowcast(bundle, "2028-06-30")["estimate"].isna().all()
    assert json.loads(geo.to_geojson(v))["features"][0]["properties"]["value"] is None
