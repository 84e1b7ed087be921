import pandas as pd
import pytest

from geo.data.observations import latest_at, period_end, validate
from geo.errors import DataError
from tests.helpers import observations


def test_latest_at_picks_newest_at_or_before_the_date_per_province():
    obs = observations([("110000", "bs5g", 10, "2021-12-31"), ("110000", "bs5g", 20, "2023-06-30"),
                        ("110000", "bs5g", 30, "2025-03-31"), ("120000", "bs5g", 5, "2024-01-01")])
    got = latest_at(obs, "bs5g", "2024-12-31")
    assert list(got["adcode"]) == ["110000", "120000"]
    assert list(got["value"]) == [20.0, 5.0]
    assert list(got["as_of"]) == ["2023-06-30", "2024-01-01"]


def test_latest_at_before_any_figure_gives_no_row_rather_than_zero():
    obs = observations([("110000", "bs5g", 10, "2022-12-31")])
    assert latest_at(obs, "bs5g", "2020-01-01").empty


def test_period_end_of_partial_dates():
    assert period_end("2016") == pd.Timestamp("2016-12-31")
    assert period_end("2023-02") == pd.Timestamp("2023-02-28")
    assert period_end("2023-08-15") == pd.Timestamp("2023-08-15")


@pytest.mark.parametrize("column, bad, message", [
    ("adcode", "11000", "bad adcode"),
    ("as_of", "c. 2021", "bad as_of"),
    ("source_publisher", "", "value without a source"),
    ("value", "1,2", "value is not a number"),
    ("value", "-3", "negative value"),
])
def test_validation_names_file_row_and_column(column, bad, message):
    frame = pd.DataFrame([{"adcode": "110000", "metric": "bs5g", "value": "1", "unit": "u",
                           "as_of": "2024-01-01", "source_publisher": "p", "source_url": ""}] * 2)
    frame.loc[1, column] = bad
    with pytest.raises(DataError) as err:
        validate(frame, "obs.csv")
    assert f"file obs.csv, row 3, column {column!r}" in str(err.value)
    assert message in str(err.value)
