import math

import pandas as pd
import pytest

from geo import targets as t
from tests.helpers import observations, targets

POP = [("110000", "population", 2000, "2024-12-31"), ("120000", "population", 6000, "2024-12-31"),
       ("110000", "population", 1000, "2020-12-31"), ("120000", "population", 1000, "2020-12-31")]


def test_population_share_splits_the_national_target_by_population_of_the_target_year():
    tg = targets([("national", "100000", "bs5g", "count", 800, 2025)])
    got = t.allocate("population_share", "bs5g", tg, observations(POP)).set_index("adcode")
    # 2025 has no population yet: the newest (2024) is used: 2000/8000 and 6000/8000 of 800.
    assert got.loc["110000", "target"] == pytest.approx(200)
    assert got.loc["120000", "target"] == pytest.approx(600)
    assert "2024" in got.loc["110000", "target_source"]


def test_per_capita_is_rate_times_population_in_10k():
    tg = targets([("national", "100000", "bs5g", "per_10k_people", 26, 2025)])
    got = t.allocate("per_capita", "bs5g", tg, observations(POP)).set_index("adcode")
    assert got.loc["110000", "target"] == pytest.approx(26 * 2000)


def test_per_capita_prefers_the_target_of_the_seed_year_over_a_later_one():
    tg = targets([("national", "100000", "bs5g", "count", 800, 2025),
                  ("national", "100000", "bs5g", "per_10k_people", 26, 2025),
                  ("national", "100000", "bs5g", "per_10k_people", 38, 2027)])
    got = t.allocate("per_capita", "bs5g", tg, observations(POP)).set_index("adcode")
    assert got.loc["110000", "target"] == pytest.approx(26 * 2000)


def test_published_uses_each_provinces_newest_target_and_leaves_others_without():
    tg = targets([("province", "110000", "bs5g", "count", 50, 2022),
                  ("province", "110000", "bs5g", "count", 90, 2025),
                  ("province", "120000", "bs5g", "per_10k_people", 3, 2020)])
    got = t.allocate("published", "bs5g", tg, observations(POP)).set_index("adcode")
    assert got.loc["110000", "target"] == 90
    assert got.loc["120000", "target"] == pytest.approx(3 * 1000)  # rate × 2020 population
    assert "derived" in got.loc["120000", "target_source"]
    assert "130000" not in got.index


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


def test_bundled_targets_carry_citations_and_the_seed_figures():
    tg = t.load_targets()
    seed = tg[tg["target_id"].str.startswith("seed-")].set_index("metric")
    assert seed.loc["bs5g", "target_value"] == 4_500_000
    assert seed.loc["digital_parks", "target_value"] == 200
    assert tg["source_url"].str.len().gt(0).all()
