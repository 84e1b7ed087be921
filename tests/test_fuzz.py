"""Fuzzing users' files: every generated table is joined exactly or reported line by line, every
GeoJSON is placed feature by feature or refused in one InputError, never a traceback, and memory
stays within a bound set by the caps, not by what the file multiplies.

Expected values are computed here from the generated numbers, never by the parser under test.
"""
from __future__ import annotations

import csv
import io
import json
import tracemalloc
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.data import regions
from geo.errors import InputError
from geo.ingest import Limits, ingest_counts, read_points, read_table

PROVINCES = [p for p in regions.provinces()]
MARKS = "¹²³⁴⁰①②③⑴⑵₁₂❶⒈"
MISSING = ["", "-", "—", "暂无", "N/A", "/"]
FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


@st.composite
def values(draw):
    """(cell text, expected): expected is an exact Decimal, "no_data", or ("invalid", words)."""
    n = draw(st.integers(min_value=0, max_value=10**12))
    shape = draw(st.sampled_from(["plain", "grouped", "full_width", "wan", "mark", "missing",
                                  "qualified", "negative", "split"]))
    if shape == "plain":
        return str(n), Decimal(n)
    if shape == "grouped":
        return f"{n:,}", Decimal(n)
    if shape == "full_width":
        return f"{n:,}".translate(FULL_WIDTH), Decimal(n)
    if shape == "wan":  # n / 10^4 written with 万: exactly n
        whole, frac = divmod(n, 10**4)
        return (f"{whole}.{frac:04d}".rstrip("0").rstrip(".") + "万"), Decimal(n)
    if shape == "mark":
        mark = draw(st.sampled_from(MARKS))
        return f"{n}{mark}", ("invalid", repr(mark))
    if shape == "missing":
        return draw(st.sampled_from(MISSING)), "no_data"
    if shape == "qualified":
        return f"约{n}", ("invalid", "qualified")
    if shape == "negative":
        return f"-{n + 1}", ("invalid", "negative")
    high, low = n % 999 + 1, n // 999 % 1000
    return f"{high},{low:03d}", ("split", Decimal(high * 1000 + low))  # unquoted below


@st.composite
def tables(draw):
    """(bytes, {file line: (province adcode, expected)}, encoding label) of a counts table."""
    chosen = draw(st.lists(st.sampled_from(PROVINCES), min_size=1, max_size=12,
                           unique_by=lambda p: p.adcode))
    name_header = draw(st.sampled_from(["省份", "地区", "Province", "省份名称"]))
    value_header = draw(st.sampled_from(["数量", "基站数", "value", "Count"]))
    delimiter = draw(st.sampled_from([",", "\t"]))
    trailing = draw(st.booleans())  # a trailing delimiter on every line, header included
    titles = draw(st.lists(st.sampled_from(["2024年各省5G基站", "填报单位：某局"]), max_size=2))
    lines = [*titles, delimiter.join([name_header, value_header, "日期"]) + (delimiter if trailing else "")]
    expected = {}
    for province in chosen:
        name = draw(st.sampled_from([province.name_zh, province.short_zh, province.name_en, province.adcode]))
        text, want = draw(values())
        if isinstance(want, tuple) and want[0] == "split":
            # Unquoted, "1,234" spills into the next cell of a comma-separated line: shifted.
            want = ("invalid", "shifted") if delimiter == "," else want[1]
        elif delimiter == "," and "," in text:
            text = f'"{text}"'
        lines.append(delimiter.join([name, text, "2024-12-31"]) + (delimiter if trailing else ""))
        expected[len(lines)] = (province.adcode, want)
    text = "\r\n".join(lines) + "\r\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # a footnote mark GBK cannot hold
        encoding, data = "utf-8", text.encode("utf-8")
    return data, expected, encoding


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_every_generated_table_is_joined_exactly_or_reported(generated):
    data, expected, _ = generated
    table = read_table(data, "fuzz.csv")
    result = ingest_counts(table, province_col=table.header[0], value_col=table.header[1],
                           as_of_col="日期")
    report = {row.line: row for row in result.report.itertuples()}
    joined = {row.line: row for row in result.values.itertuples()}
    for line, (adcode, want) in expected.items():
        row = report[line]
        if isinstance(want, Decimal):
            assert row.status == "joined" and row.adcode == adcode, (line, row)
            assert Decimal(repr(joined[line].value)) == want, (line, row)  # exactly, no float noise
        elif want == "no_data":
            assert row.status == "no_data" and line not in joined
        else:
            assert row.status == "invalid_value" and want[1] in row.reason and line not in joined, row
    # Every line of the file is in the report, once.
    assert sorted(report) == list(range(1, max(report) + 1))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=15),
       st.sampled_from([",", "\t", ";"]))
def test_any_grid_of_text_is_read_or_refused_in_one_input_error(grid, delimiter):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(grid)
    try:
        table = read_table(buffer.getvalue().encode("utf-8"), "grid.csv")
    except InputError as exc:
        assert "\n" not in str(exc).strip("\n")  # one line
        return
    for name_col in table.header[:2]:
        result = ingest_counts(table, province_col=name_col, value_col=table.header[-1],
                               default_as_of="2024")
        assert set(result.report["status"]) <= {"joined", "no_data", "unmatched", "aggregate_row",
                                                "invalid_value", "duplicate", "conflict", "skipped"}
        assert result.report["line"].is_unique


# ---------------------------------------------------------------- GeoJSON

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                      st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=10)
position = st.one_of(st.tuples(st.floats(70, 140), st.floats(0, 60)).map(list),
                     st.lists(json_leaf, max_size=3))
geometry = st.recursive(
    st.one_of(st.none(), st.builds(lambda p: {"type": "Point", "coordinates": p}, position),
              st.builds(lambda ps: {"type": "MultiPoint", "coordinates": ps}, st.lists(position, max_size=4)),
              st.builds(lambda ps: {"type": "Polygon", "coordinates": [ps]}, st.lists(position, max_size=4)),
              json_value),
    lambda inner: st.builds(lambda gs: {"type": "GeometryCollection", "geometries": gs},
                            st.lists(inner, max_size=3)), max_leaves=6)
feature = st.one_of(
    st.builds(lambda g, p: {"type": "Feature", "geometry": g, "properties": p}, geometry,
              st.one_of(st.none(), st.dictionaries(st.text(max_size=6), json_value, max_size=6))),
    json_value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(feature, min_size=1, max_size=20), st.integers(1, 8))
def test_any_geojson_is_placed_feature_by_feature_or_refused_in_one_input_error(features, keys_cap):
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    try:
        frame, kind = read_points(data, "fuzz.geojson", limits=Limits(max_property_keys=keys_cap))
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert kind == "geojson"
    assert sorted(set(frame["line"])) == list(range(1, len(features) + 1))  # every feature listed
    assert len(frame.columns) <= 5 + keys_cap
    assert all(isinstance(v, str) for v in frame.drop(columns="line").to_numpy().ravel())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4000), st.integers(1, 60))
def test_memory_for_points_with_their_own_property_names_is_bounded_by_the_caps(features, keys_per_feature):
    data = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116, 39]},
         "properties": {f"k{i}_{j}": j for j in range(keys_per_feature)}} for i in range(features)]}).encode()
    limits = Limits()
    tracemalloc.start()
    try:
        try:
            read_points(data, "keys.geojson", limits=limits)
        except InputError:
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The parsed JSON, plus at most max_cells cells of the table (pointers and row lists).
    assert peak < 60 * len(data) + limits.max_cells * 8 * 4
