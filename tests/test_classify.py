
import pytest

from geo.classify import NO_DATA_COLOUR, SHORTFALL, SURPLUS, classify


def test_equal_interval_known_answer_and_no_data_class():
    c = classify([0, 10, 20, 30, 40, float("nan")], "equal_interval", k=4)
    assert c.edges == pytest.approx((0, 10, 20, 30, 40))
    assert c.classes == (0, 0, 1, 2, 3, -1)
    assert c.colour_of(-1) == NO_DATA_COLOUR


def test_quantiles_put_equal_numbers_in_each_class():
    c = classify(list(range(1, 11)), "quantiles", k=5)
    assert [c.classes.count(i) for i in range(5)] == [2, 2, 2, 2, 2]


def test_natural_breaks_separate_obvious_groups():
    c = classify([1, 2, 3, 100, 101, 102], "natural_breaks", k=2)
    assert c.classes == (0, 0, 0, 1, 1, 1)


def test_diverging_view_has_the_centre_as_an_edge_and_two_palettes():
    c = classify([-50, -20, -5, 10, 40], "equal_interval", k=3, centre=0)
    assert 0.0 in c.edges
    below = [c.colours[i] for i in set(c.classes) if c.edges[i + 1] <= 0]
    above = [c.colours[i] for i in set(c.classes) if c.edges[i + 1] > 0]
    assert below and set(below) <= set(SHORTFALL)
    assert above and set(above) <= set(SURPLUS)


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
    assert c.edges[0] == c.edges[1] == 0
    assert c.labels()[0] == "0" and not c.discrete


def test_one_distinct_value_is_one_class():
    c = classify([4, 4, 4], "quantiles", k=5)
    assert c.classes == (0, 0, 0) and len(c.colours) == 1


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_no_more_values_than_classes_gives_a_class_per_value(scheme):
    c = classify([1, 0, 1, 1, 0, 2, float("nan")], scheme, k=5)
    assert c.classes == (1, 0, 1, 1, 0, 2, -1)
    assert c.labels() == ["0", "1", "2"] and len(set(c.colours)) == 3
