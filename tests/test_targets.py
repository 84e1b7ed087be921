"""Targets as a path over time, allocated to provinces by a named rule at a date."""
import math

import pandas as pd
import pytest

from geo.analysis import targets as t
from tests.helpers import observations, targets

POP = [("110000", "population", 2000, "2024-12-31"), ("120000", "population", 6000, "2024-12-31"),
       ("110000", "population", 1000, "2020-12-31"), ("120000", "population", 1000, "2020-12-31")]


def test_population_share_reads_the_national_path_at_the_date_and_splits_it_by_that_years_population():
    tg = targets([("national", "100000", "bs5g", "count", 400, 2022),
                  ("national", "100000", "bs5g", "count", 800, 2024)])
    when = pd.Series(pd.to_datetime(["2023-12-31", "2020-12-31"]), index=["110000", "120000"])
    got = t.allocate("population_share", "bs5g", tg, observations(POP), when).set_index("adcode")
    # 2023-12-31 is halfway (in days: 365 of 731) between end-2022 (400) and end-2024 (800); 2023
    # has no population yet, so 2020's is used (1000 / 2000 of it).
    assert got.loc["110000", "target"] == pytest.approx((400 + 400 * 365 / 731) * 1000 / 2000)
    assert math.isnan(got.loc["120000", "target"])  # before the first dated target: none in force
    assert got.loc["110000", "target_at"] == "2023-12-31"


def test_after_the_last_target_it_holds_and_the_newest_issued_of_one_date_wins():
    tg = targets([("national", "100000", "bs5g", "count", 800, 2025),
                  ("national", "100000", "bs5g", "count", 600, 2025)])
    tg["issued"] = ["2025-01-23", "2021-11-17"]  # the seed's 800 supersedes the older 600
    got = t.allocate("population_share", "bs5g", tg, observations(POP), "2027-06-30").set_index("adcode")
    assert got.loc["110000", "target"] == pytest.approx(800 * 2000 / 8000)


def test_per_capita_is_the_rate_path_times_population_in_10k():
    tg = targets([("national", "100000", "bs5g", "per_10k_people", 26, 2025),
                  ("national", "100000", "bs5g", "per_10k_people", 38, 2027)])
    got = t.allocate("per_capita", "bs5g", tg, observations(POP), "2025-12-31").set_index("adcode")
    assert got.loc["110000", "target"] == pytest.approx(26 * 2000)
    later = t.allocate("per_capita", "bs5g", tg, observations(POP), "2027-12-31").set_index("adcode")
    assert later.loc["110000", "target"] == pytest.approx(38 * 2000)


def test_published_is_each_provinces_own_path_and_no_data_elsewhere():
    tg = targets([("province", "110000", "bs5g", "count", 50, 2022),
                  ("province", "110000", "bs5g", "count", 90, 2024),
                  ("province", "120000", "bs5g", "per_10k_people", 3, 2020)])
    got = t.allocate("published", "bs5g", tg, observations(POP), "2024-12-31").set_index("adcode")
    assert got.loc["110000", "target"] == 90
    assert got.loc["120000", "target"] == pytest.approx(3 * 1000)  # rate × 2020 population, held after
    assert "derived" in got.loc["120000", "target_source"]
    assert "130000" not in got.index
    middle = t.allocate("published", "bs5g", tg, observations(POP), "2023-12-31").set_index("adcode")
    assert middle.loc["110000", "target"] == pytest.approx(50 + 40 * 365 / 731)


def test_rules_for_lists_only_rules_with_a_numeric_target():
    tg = targets([("national", "100000", "digital_parks", "count", 200, 2027)])
    assert t.rules_for(tg, "digital_parks") == ["population_share"]
    assert t.rules_for(tg, "high_tech_zones") == []


def test_gap_and_attainment_keep_missing_as_missing():
    value = pd.Series([50.0, float("nan"), 10.0])
    target = pd.Series([100.0, 100.0, float("nan")])
    assert list(t.gap(value, target)[[0]]) == [-50.0]
    att = t.attainment(value, target)
    assert att[0] == 0.5 and math.isnan(att[1]) and math.isnan(att[2])


def test_bundled_targets_carry_citations_the_seed_figures_and_the_national_path():
    tg = t.load_targets()
    seed = tg[tg["target_id"].str.startswith("seed-")].set_index("metric")
    assert seed.loc["bs5g", "target_value"] == 4_500_000
    assert seed.loc["digital_parks", "target_value"] == 200
    assert tg["source_url"].str.len().gt(0).all()
    path = t.national_path(tg, "bs5g", "count")
    assert list(zip(path.points["target_date"].dt.strftime("%Y-%m-%d"), path.points["value"])) == [
        ("2020-12-31", 500_000), ("2022-12-31", 2_000_000), ("2023-12-31", 2_900_000),
        ("2025-12-31", 4_500_000)]  # the seed's 4.5 M supersedes the 3.64 M of 2021 for end-2025
