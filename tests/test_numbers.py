"""Numbers as written in Chinese statistics tables: exact, missing, qualified or invalid."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.ingest.numbers import count_problem, parse_number, unit_multiplier


@pytest.mark.parametrize("text, value", [
    ("1234", 1234), ("1,234", 1234), ("1，234", 1234), ("1 234", 1234), ("1\u00a0234", 1234),
    ("1\u2009234", 1234), ("１２３４", 1234), ("１，２３４．５", 1234.5), ("1,234,567", 1234567),
    ("1.2万", 12000), ("3亿", 300000000), ("1.2万亿", 1_200_000_000_000), ("0.35万", 3500),
    ("1.2E+05", 120000), ("1.2e5", 120000), ("\u22125", -5), ("－5", -5), ("-5", -5),
    ("  12  ", 12), ("\u300012\u3000", 12), ("+12", 12), ("12.50", 12.5), (".5", 0.5),
    ("1200个", 1200), ("3.2万座", 32000), ("1\u200b234", 1234),
])
def test_exact_numbers(text, value):
    parsed = parse_number(text)
    assert (parsed.status, parsed.value) == ("ok", value)


def test_unit_arithmetic_is_exact():
    assert parse_number("1.2万").exact == Decimal("12000")
    assert parse_number("0.0003亿").value == 30000.0
    assert parse_number("33.77万").value == 337700.0


@pytest.mark.parametrize("text", [
    "", " ", "-", "--", "—", "——", "–", "/", "暂无", "无", "不详", "N/A", "n/a", "NA", "null", "NULL",
    "…", "#N/A", "\u3000", None, float("nan"),
])
def test_missing_markers_are_no_data_never_zero(text):
    parsed = parse_number(text)
    assert parsed.status == "no_data"
    assert parsed.value is None


@pytest.mark.parametrize("text, value, words", [
    ("约1200", 1200, "approximately"), ("1200+", 1200, "at least"), ("≥1000", 1000, "at least"),
    (">1000", 1000, "more than"), ("＞1000", 1000, "more than"), ("超1000", 1000, "more than"),
    ("超过1000", 1000, "more than"), ("1000余", 1000, "more than"), ("1000多", 1000, "more than"),
    ("1000多万", 10_000_000, "more than"), ("近5万", 50000, "nearly"), ("1000左右", 1000,
                                                                   "approximately"),
    ("1000以上", 1000, "at least"), ("~1200", 1200, "approximately"),
])
def test_qualified_values_are_flagged_with_their_number(text, value, words):
    parsed = parse_number(text)
    assert (parsed.status, parsed.value) == ("qualified", value)
    assert words in parsed.reason and text in parsed.reason


@pytest.mark.parametrize("text, words", [
    ("abc", "not a number"), ("1,23", "thousands"), ("12 34", "thousands"), ("1.234.567", "not a number"),
    ("1000-2000", "range"), ("1000~2000", "range"), ("#DIV/0!", "spreadsheet error"),
    ("(123)", "parentheses"), ("一千", "not a number"), ("12%万", "not a number"),
    ("1e400", "out of range"), ("inf", "not a number"), ("NaN%", "not a number"), ("1..2", "not a number"),
])
def test_garbage_is_invalid_with_a_reason(text, words):
    parsed = parse_number(text)
    assert parsed.status == "invalid_value"
    assert parsed.value is None
    assert words in parsed.reason


def test_percent_is_read_and_marked_so_counts_can_refuse_it():
    parsed = parse_number("12%")
    assert (parsed.value, parsed.percent) == (12.0, True)
    assert "percentage" in count_problem(parsed)
    assert "negative" in count_problem(parse_number("-3"))
    assert count_problem(parse_number("3")) == ""
    assert count_problem(parse_number("-")) == ""


@pytest.mark.parametrize("header, factor, unit", [
    ("基站数（万个）", 10_000, "万个"), ("基站数(万个)", 10_000, "万个"), ("单位：万站", 10_000, "万站"),
    ("单位:亿元", 100_000_000, "亿元"), ("数量（个）", 1, "个"), ("占比（%）", 1, "%"),
])
def test_units_in_headers(header, factor, unit):
    assert unit_multiplier(header) == (Decimal(factor), unit)


@pytest.mark.parametrize("header", ["基站数", "省份", "value (2023)"])
def test_headers_without_a_unit(header):
    assert unit_multiplier(header) is None


# ---------------------------------------------------------------- property: formats round-trip

_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def _grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**15),
       st.sampled_from([",", "，", " ", "\u00a0", ""]), st.booleans())
def test_grouped_integers_parse_back_to_themselves(n, sep, full_width):
    text = _grouped(n, sep)
    if full_width:
        text = text.translate(_FULL)
    parsed = parse_number(text)
    assert parsed.status == "ok"
    assert parsed.value == n


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**15), st.sampled_from([("万", 4), ("亿", 8)]))
def test_integers_written_in_wan_or_yi_parse_back_to_themselves(n, unit):
    word, power = unit
    whole, frac = divmod(n, 10**power)
    text = f"{whole}.{frac:0{power}d}".rstrip("0").rstrip(".") + word
    parsed = parse_number(text)
    assert parsed.status == "ok"
    assert parsed.value == n


# ---------------------------------------------------------------- footnote marks are not digits

@pytest.mark.parametrize("text, mark", [
    ("1234¹", "¹"), ("1234①", "①"), ("10²", "²"), ("1,234³", "³"), ("56⑴", "⑴"), ("7₂", "₂"),
    ("1.2万①", "①"), ("⑩", "⑩"), ("1234❶", "❶"),
])
def test_footnote_marks_superscripts_and_circled_digits_are_flagged_not_read_as_digits(text, mark):
    parsed = parse_number(text)
    assert parsed.status == "invalid_value" and parsed.value is None
    assert "footnote mark" in parsed.reason and repr(mark) in parsed.reason


def test_clean_text_keeps_footnote_marks_but_still_folds_full_width_digits():
    from geo.data.regions import clean_text
    assert clean_text("１２３４¹") == "1234¹"
    assert clean_text("北京①") == "北京①"
    assert clean_text("2024⑵") == "2024⑵"
