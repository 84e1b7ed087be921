"""Classes that respect the data: known answers for ties, whole numbers, few values, diverging."""
import pytest

from geo.output.classify import NO_DATA_COLOUR, SHORTFALL, SURPLUS, classify


def labels(c, fmt=lambda v: f"{v:,.0f}"):
    return c.labels(fmt)


def test_equal_interval_known_answer_and_no_data_class():
    c = classify([0, 10, 20, 30, 40, float("nan")], "equal_interval", k=4)
    assert labels(c) == ["0 – 10", "11 – 20", "21 – 30", "31 – 40"]  # whole numbers: no shared edge
    assert c.classes == (0, 0, 1, 2, 3, -1)
    assert c.colour_of(-1) == NO_DATA_COLOUR


def test_quantiles_put_equal_numbers_in_each_class():
    c = classify(list(range(1, 11)), "quantiles", k=5)
    assert [c.classes.count(i) for i in range(5)] == [2, 2, 2, 2, 2]
    assert labels(c) == ["1 – 2", "3 – 4", "5 – 6", "7 – 8", "9 – 10"]


def test_two_values_are_two_classes_never_one():
    c = classify([0] * 24 + [1] * 10, "quantiles", k=5)
    assert labels(c) == ["0", "1"] and c.classes.count(0) == 24 and c.classes.count(1) == 10
    assert classify([0] * 24 + [1] * 10, "natural_breaks", k=5).bins == c.bins


def test_few_distinct_counts_each_get_their_own_class():
    c = classify([0, 1, 1, 2, 3, 0, 0, 1], "quantiles", k=5)  # computing centres per province
    assert labels(c) == ["0", "1", "2", "3"]


def test_count_classes_have_whole_number_edges_and_do_not_overlap():
    c = classify([2, 3, 3, 7, 9, 12, 15, 20, 30], "quantiles", k=4)
    assert labels(c) == ["2 – 3", "4 – 9", "10 – 15", "16 – 30"]


def test_continuous_classes_say_which_side_an_edge_is_on():
    c = classify([0.5, 1.25, 2.0, 3.5], "equal_interval", k=2)
    assert labels(c, lambda v: f"{v:.2f}") == ["0.50 – 2.00", "> 2.00 – 3.50"]


def test_natural_breaks_separate_obvious_groups():
    c = classify([1, 2, 3, 100, 101, 102], "natural_breaks", k=2)
    assert c.classes == (0, 0, 0, 1, 1, 1)


def test_diverging_classes_are_symmetric_around_the_centre_without_slivers():
    values = [40.5, 70.2, 99.1, 100.0, 101.3, 130.0, 200.0, 250.2]
    c = classify(values, "quantiles", k=5, centre=100)
    pct = lambda v: f"{v:,.0f} %"  # noqa: E731
    assert labels(c, pct) == ["40 % – < 70 %", "70 % – < 100 %", "100 % – 130 %", "> 130 % – 160 %",
                              "> 160 % – 250 %"]
    assert 100.0 in c.edges  # the centre is an edge: at or above it is "met"
    below = {c.colours[i] for i, v in zip(c.classes, values) if v < 100}
    above = {c.colours[i] for i, v in zip(c.classes, values) if v >= 100}
    assert below <= set(SHORTFALL) and above <= set(SURPLUS)
    # The same band of distance from the centre gets the same depth of colour on both sides:
    # 70.2 (29.8 below) and 101.3 (1.3 above) are both in the nearest band.
    assert SHORTFALL.index(c.colour_of(c.classes[1])) == SURPLUS.index(c.colour_of(c.classes[4])) == 0
    # 40.5 (59.5 below) and 130.0 (30 above) are both in the second band.
    assert SHORTFALL.index(c.colour_of(c.classes[0])) == SURPLUS.index(c.colour_of(c.classes[5])) == 2


def test_a_value_exactly_on_the_centre_is_target_met():
    c = classify([-5.0, 0.0, 5.0], "quantiles", k=3, centre=0)
    assert c.colour_of(c.classes[1]) in SURPLUS and c.colour_of(c.classes[0]) in SHORTFALL


def test_all_missing_gives_only_the_no_data_class():
    c = classify([float("nan")] * 3)
    assert c.classes == (-1, -1, -1) and c.colours == ()


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="natural_breaks"):
        classify([1, 2], "jenks")


def test_a_tie_at_the_minimum_keeps_a_class_of_its_own():
    # Small counts with many zeros (facilities per province or prefecture): quantile breaks put
    # the first upper bound on the minimum; 0 and 1 must still get different colours.
    values = [0] * 20 + list(range(1, 16))
    c = classify(values, "quantiles", k=5)
    zero, one, fifteen = c.classes[0], c.classes[20], c.classes[-1]
    assert zero == 0 and one == 1 and fifteen == len(c.colours) - 1
    assert c.bins[0].lo == c.bins[0].hi == 0
    assert c.labels()[0] == "0"


def test_one_distinct_value_is_one_class():
    c = classify([4, 4, 4], "quantiles", k=5)
    assert c.classes == (0, 0, 0) and len(c.colours) == 1


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_no_more_values_than_classes_gives_a_class_per_value(scheme):
    c = classify([1, 0, 1, 1, 0, 2, float("nan")], scheme, k=5)
    assert c.classes == (1, 0, 1, 1, 0, 2, -1)
    assert c.labels() == ["0", "1", "2"] and len(set(c.colours)) == 3
