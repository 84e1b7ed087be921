"""Users' own tables: reading bytes, recognising columns, and accounting for every line."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

import openpyxl
import pytest

from geo.errors import InputError
from geo.ingest import (
    Limits,
    guess_columns,
    ingest_counts,
    ingest_targets,
    parse_as_of,
    read_points,
    read_table,
    summary,
)


def _csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def _counts(text: str, encoding: str = "utf-8", **kwargs):
    table = read_table(_csv(text, encoding), "t.csv")
    return ingest_counts(table, province_col=kwargs.pop("province_col", "省份"),
                         value_col=kwargs.pop("value_col", "基站数"), **kwargs)


def _by_line(report):
    return {row.line: row for row in report.itertuples()}


def _xlsx(rows, formats=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref, fmt in (formats or {}).items():
        sheet[ref].number_format = fmt
    book.create_sheet("second").append(["省份", "基站数"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- encodings and delimiters

SIMPLE = "省份,基站数\r\n北京,12\r\n广东,34\r\n"


@pytest.mark.parametrize("data, encoding", [
    (SIMPLE.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + SIMPLE.encode("utf-8"), "utf-8-sig"),
    (SIMPLE.encode("gbk"), "gb18030"),
    (SIMPLE.encode("gb18030"), "gb18030"),
    (b"\xff\xfe" + SIMPLE.replace(",", "\t").encode("utf-16-le"), "utf-16"),
    (b"\xfe\xff" + SIMPLE.replace(",", "\t").encode("utf-16-be"), "utf-16"),
])
def test_encodings_are_decoded_strictly_and_named(data, encoding):
    table = read_table(data, "t.csv")
    assert table.encoding == encoding
    assert table.header == ["省份", "基站数"]
    assert table.rows == [(2, ["北京", "12"]), (3, ["广东", "34"])]


def test_gbk_text_is_not_misread_as_utf8_with_replacements():
    table = read_table("省份,基站数\n陕西,1\n".encode("gbk"), "t.csv")
    assert table.rows[0][1][0] == "陕西"
    assert "\ufffd" not in "".join(table.header)


@pytest.mark.parametrize("data, words", [
    (b"", "empty"), (b"   \r\n\r\n", "empty"), (b"\xef\xbb\xbf", "empty"),
    (b"a,b\x00c\n1,2\n", "NUL"), (b"\x01\x02\x03\x04,\x05\n\x06,\x07\n", "control character"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".xls"), (b"%PDF-1.4", "PDF"),
    (b"<OGRVRTDataSource><OGRVRTLayer/></OGRVRTDataSource>", "XML"),
    ("省份,基站数\n".encode("utf-8"), "no data rows"),
    ("标题\n\n省份,基站数,\n\n注：无\n".encode("gbk"), "no data rows"),
    (b"just one column\nanother\n", "no header row"),
    (b'{"type": "FeatureCollection"}', "JSON"),
])
def test_unreadable_files_get_a_clear_message(data, words):
    with pytest.raises(InputError) as err:
        read_table(data, "upload.csv")
    assert words in str(err.value)
    assert "upload.csv" in str(err.value)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_are_sniffed(delimiter):
    text = f"省份{delimiter}基站数{delimiter}来源\n北京{delimiter}\"1,234\"{delimiter}a\n天津{delimiter}5{delimiter}b\n"
    table = read_table(text.encode(), "t.csv")
    assert table.delimiter == delimiter
    assert table.rows[0][1] == ["北京", "1,234", "a"]


def test_trailing_delimiter_on_every_row_does_not_shift_columns():
    result = _counts("省份,基站数,\n北京,12,\n广东,34,\n")
    assert list(result.values["value"]) == [12.0, 34.0]
    assert list(result.values["adcode"]) == ["110000", "440000"]
    assert (result.report["status"] == "joined").sum() == 2


def test_trailing_delimiter_on_data_rows_only_is_harmless():
    table = read_table(b"a,b\n1,2,\n3,4,\n", "t.csv")
    assert table.header == ["a", "b"] and table.ragged == {}
    assert table.rows == [(2, ["1", "2"]), (3, ["3", "4"])]


def test_ragged_rows_are_kept_and_flagged():
    result = _counts("省份,基站数,年份\n北京,1,234,2023\n天津,5\n河北,6,2023\n", as_of_col="年份")
    rows = _by_line(result.report)
    assert rows[2].status == "invalid_value" and "4 cells" in rows[2].reason
    assert rows[3].status == "joined" and "2 cells" in rows[3].reason
    assert rows[4].status == "joined" and rows[4].reason == ""
    assert list(result.values["line"]) == [3, 4]


def test_quoted_multiline_cell_keeps_line_numbers():
    table = read_table(b'a,b\n"x\ny",1\nz,2\n', "t.csv")
    assert table.rows == [(2, ["x\ny", "1"]), (4, ["z", "2"])]


# ---------------------------------------------------------------- title, total and footnote rows

def test_title_rows_blank_lines_and_footnotes_are_skipped_with_their_kind():
    text = ("2023年各省5G基站数,,\n单位：个,,\n\n省份,基站数,\n北京,12,\n\n"
            "注：不含港澳台,,\n数据来源：工信部,,\n1. 截至年底,,\n")
    table = read_table(text.encode("gbk"), "t.csv")
    assert table.header_line == 4
    assert [(line, kind) for line, kind, _ in table.skipped] == [
        (1, "title"), (2, "title"), (3, "blank"), (6, "blank"), (7, "footnote"), (8, "footnote"),
        (9, "footnote")]


def test_header_is_found_below_a_two_cell_preamble_when_it_names_known_columns():
    text = "填报单位：某局,填报日期：2024-01-05\n省份,基站数\n北京,1\n"
    table = read_table(text.encode(), "t.csv")
    assert table.header == ["省份", "基站数"] and table.header_line == 2


def test_a_data_cell_that_reads_like_a_column_name_does_not_move_the_header():
    text = "A,B\n甲,1\n乙,2\n丙,3\n名称,4\n"
    table = read_table(text.encode(), "t.csv")
    assert table.header == ["A", "B"] and [line for line, _ in table.rows] == [2, 3, 4, 5]


@pytest.mark.parametrize("name", ["合计", "全国", "总计", "Total", "national", "全国合计", "100000",
                                  "东部地区", "其中：西部"])
def test_totals_are_aggregate_rows_not_provinces(name):
    result = _counts(f"省份,基站数\n北京,1\n{name},99\n")
    assert _by_line(result.report)[3].status == "aggregate_row"
    assert list(result.values["adcode"]) == ["110000"]


def test_a_national_total_is_compared_with_the_joined_sum():
    result = _counts("省份,基站数\n北京,1\n天津,2\n合计,4\n")
    assert any("is 4" in note and "sum to 3" in note for note in result.notes)


# ---------------------------------------------------------------- names and codes in a table

@pytest.mark.parametrize("name, adcode", [
    ("北京市", "110000"), ("Beijing", "110000"), ("内蒙古", "150000"), ("Inner Mongolia", "150000"),
    ("廣西", "450000"), ("\u3000西藏\u200b", "540000"), ("Shanxi", "140000"), ("Shaanxi", "610000"),
    ("110000", "110000"), ("110000.0", "110000"), ("11", "110000"), ("110000000000", "110000"),
    ("CN-BJ", "110000"),
])
def test_name_variants_join(name, adcode):
    result = _counts(f"省份,基站数\n{name},7\n")
    assert list(result.values["adcode"]) == [adcode]


@pytest.mark.parametrize("name, words, suggestion", [
    ("吉林市", "city", "吉林省 (220000)"), ("兵团", "not a province-level unit", ""),
    ("其他", "not a province-level unit", ""), ("中央", "not a province-level unit", ""),
    ("440100", "prefecture or county code", "广东省 (440000)"), ("广东省广州市", "not a known", ""),
    ("", "no province name", ""),
])
def test_non_provinces_are_unmatched_with_a_reason_and_suggestions_never_applied(
        name, words, suggestion):
    result = _counts(f"省份,基站数\n{name},7\n北京,1\n")
    row = _by_line(result.report)[2]
    assert row.status == "unmatched"
    assert words in row.reason
    assert suggestion in row.suggestions
    assert list(result.values["adcode"]) == ["110000"]


def test_duplicates_after_normalisation_mark_every_line_and_join_none():
    result = _counts("省份,基站数\n陕西,1\n北京,2\nShaanxi,1\n陝西省,1\n")
    rows = _by_line(result.report)
    assert {rows[n].status for n in (2, 4, 5)} == {"duplicate"}
    assert "4, 5" in rows[2].reason and "2, 5" in rows[4].reason and "2, 4" in rows[5].reason
    assert list(result.values["adcode"]) == ["110000"]
    conflicting = _by_line(_counts("省份,基站数\n陕西,1\n北京,2\nShaanxi,3\n陝西省,4\n").report)
    assert {conflicting[n].status for n in (2, 4, 5)} == {"conflict"}
    assert "3 on line 4, 4 on line 5" in conflicting[2].reason


def test_same_province_at_different_dates_is_not_a_duplicate():
    result = _counts("省份,基站数,日期\n北京,1,2022\n北京,2,2023年底\n", as_of_col="日期")
    assert list(result.values["as_of"]) == ["2022", "2023-12-31"]


# ---------------------------------------------------------------- values

def test_values_in_every_shape_and_missing_markers():
    text = ("省份,基站数\n北京,\"1,234\"\n天津,1，234\n河北,１２３４\n山西,0.1234万\n内蒙古,1.234E+03\n"
            "辽宁,-\n吉林,—\n黑龙江,暂无\n上海,N/A\n江苏,\n")
    result = _counts(text)
    assert list(result.values["value"]) == [1234.0] * 5
    statuses = _by_line(result.report)
    assert [statuses[n].status for n in range(7, 12)] == ["no_data"] * 5
    assert all(statuses[n].value != statuses[n].value for n in range(7, 12))  # NaN, not 0


@pytest.mark.parametrize("raw, words", [("-5", "negative"), ("\u22125", "negative"),
                                        ("12%", "percentage"), ("abc", "not a number"),
                                        ("1000-2000", "range")])
def test_invalid_counts_name_the_row(raw, words):
    result = _counts(f"省份,基站数\n北京,1\n广东,{raw}\n")
    row = _by_line(result.report)[3]
    assert row.status == "invalid_value"
    assert words in row.reason and "line 3" in row.reason
    assert list(result.values["adcode"]) == ["110000"]


def test_qualified_values_need_an_explicit_yes():
    text = "省份,基站数\n北京,约1200\n广东,1200+\n"
    refused = _counts(text)
    assert summary(refused.report)["invalid_value"] == 2 and refused.values.empty
    accepted = _counts(text, allow_qualified=True)
    assert list(accepted.values["value"]) == [1200.0, 1200.0]
    assert "qualified" in _by_line(accepted.report)[2].reason


def test_unit_in_header_is_applied_and_said():
    result = _counts("省份,基站数（万个）\n北京,1.2\n", value_col="基站数（万个）")
    assert list(result.values["value"]) == [12000.0]
    assert "10,000" in result.notes[0] and "万个" in _by_line(result.report)[2].reason
    as_written = _counts("省份,基站数（万个）\n北京,1.2\n", value_col="基站数（万个）", multiplier=1)
    assert list(as_written.values["value"]) == [1.2]


def test_percent_column_is_not_a_count():
    result = _counts("省份,占比(%)\n北京,12\n", value_col="占比(%)")
    assert _by_line(result.report)[2].status == "invalid_value"


def test_defaults_and_columns_for_as_of_and_source():
    result = _counts("省份,基站数,来源\n北京,1,\n天津,2,统计局\n", source_col="来源",
                     default_as_of="2023-12", default_source="用户上传")
    assert list(result.values.columns) == ["adcode", "value", "as_of", "source", "line", "qualifier"]
    assert list(result.values["source"]) == ["用户上传", "统计局"]
    assert list(result.values["as_of"]) == ["2023-12", "2023-12"]


@pytest.mark.parametrize("text, iso", [("2023", "2023"), ("2023年", "2023"), ("2023-6", "2023-06"),
                                       ("2023年6月", "2023-06"), ("2023/6/30", "2023-06-30"),
                                       ("2023年6月30日", "2023-06-30"), ("2023年底", "2023-12-31")])
def test_as_of_shapes(text, iso):
    assert parse_as_of(text) == (iso, "")


@pytest.mark.parametrize("text", ["2023-13", "2023-02-30", "去年", "Q2"])
def test_bad_as_of(text):
    assert parse_as_of(text)[0] is None and "not a date" in parse_as_of(text)[1]


def test_a_missing_column_is_an_error_that_lists_the_header():
    table = read_table(SIMPLE.encode(), "mine.csv")
    with pytest.raises(InputError) as err:
        ingest_counts(table, province_col="省份", value_col="数量")
    assert "mine.csv" in str(err.value) and "'基站数'" in str(err.value)


def test_targets_table():
    table = read_table("地区,目标值,目标年份,来源\n北京,3万,2025年,规划\n全国,360万,2025,规划\n天津,x1,2025,规划\n"
                       .encode(), "t.csv")
    roles = guess_columns(table.header)
    result = ingest_targets(table, province_col=roles["name"], target_col=roles["target"],
                            target_year_col=roles["target_year"], source_col=roles["source"])
    assert list(result.values.columns) == ["adcode", "target", "target_year", "source", "line", "qualifier"]
    assert result.values.to_dict("records") == [
        {"adcode": "110000", "target": 30000.0, "target_year": "2025", "source": "规划", "line": 2, "qualifier": "="}]
    assert list(result.report["status"]) == ["skipped", "joined", "aggregate_row", "invalid_value"]


# ---------------------------------------------------------------- column roles

@pytest.mark.parametrize("header, expected", [
    (["省份", "基站数", "日期", "数据来源"], {"name": "省份", "value": "基站数", "as_of": "日期",
                                         "source": "数据来源"}),
    (["Province", "Value", "As of"], {"name": "Province", "value": "Value", "as_of": "As of"}),
    (["省（区、市）", "5G基站数（万个）"], {"name": "省（区、市）", "value": "5G基站数（万个）"}),
    (["行政区划代码", "数量"], {"adcode": "行政区划代码", "value": "数量"}),
    (["名称", "经度", "纬度"], {"name": "名称", "lon": "经度", "lat": "纬度"}),
    (["name", "lng", "lat"], {"name": "name", "lon": "lng", "lat": "lat"}),
    (["NAME", "X", "Y"], {"name": "NAME", "lon": "X", "lat": "Y"}),
    (["地区", "目标", "目标年份"], {"name": "地区", "target": "目标", "target_year": "目标年份"}),
])
def test_columns_are_recognised_by_exact_synonyms(header, expected):
    guessed = guess_columns(header)
    assert {role: col for role, col in guessed.items() if col} == expected


@pytest.mark.parametrize("header", [["A", "B", "C"], ["省份名字", "基站个数啊"], ["col1", "col2"]])
def test_unrecognised_columns_are_none_never_positional(header):
    assert set(guess_columns(header).values()) == {None}


def test_two_columns_for_one_role_is_left_to_the_user():
    guessed = guess_columns(["省份", "地区", "数量"])
    assert guessed["name"] is None and guessed["value"] == "数量"


# ---------------------------------------------------------------- xlsx and types by content

def test_xlsx_active_sheet_values_only_with_row_numbers():
    data = _xlsx([["2023年"], [], ["省份", "代码", "基站数", "占比", "日期"],
                  ["北京", 110000, 1234.0, 0.12, datetime(2023, 12, 31)],
                  ["广东", 440000.0, "=1+1", None, None]], formats={"D4": "0%"})
    table = read_table(data, "upload.csv")  # the extension says csv; the content says xlsx
    assert table.encoding == "xlsx" and table.header_line == 3
    assert table.rows[0] == (4, ["北京", "110000", "1234", "12%", "2023-12-31"])
    assert table.rows[1][0] == 5 and table.rows[1][1][:2] == ["广东", "440000"]
    # Row 2 is not in the file at all (an empty row is not stored), so it is not listed.
    assert table.skipped == [(1, "title", "2023年")]
    assert table.notes == ["read sheet 'Sheet' (the active sheet); other sheets, not read: 'second'"]


def test_xlsx_over_the_uncompressed_cap_is_refused_before_reading():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 3_000_000)
    data = buffer.getvalue()
    assert len(data) < 100_000
    with pytest.raises(InputError) as err:
        read_table(data, "bomb.xlsx", limits=Limits(max_uncompressed_bytes=1_000_000))
    assert "unpacks to 3,0" in str(err.value)


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    with pytest.raises(InputError, match="not an Excel"):
        read_table(buffer.getvalue(), "data.xlsx")


def test_a_csv_named_xlsx_is_read_as_csv():
    assert read_table(SIMPLE.encode(), "data.xlsx").encoding == "utf-8"


# ---------------------------------------------------------------- caps

def test_caps_on_bytes_and_rows():
    with pytest.raises(InputError, match="more than the limit"):
        read_table(SIMPLE.encode(), "t.csv", limits=Limits(max_bytes=10))
    many = "省份,基站数\n" + "北京,1\n" * 50
    with pytest.raises(InputError, match="50 data rows"):
        read_table(many.encode(), "t.csv", limits=Limits(max_rows=20))
    with pytest.raises(InputError, match="columns"):
        read_table(("a," * 30 + "\n" + "1," * 30 + "\n").encode(), "t.csv",
                   limits=Limits(max_columns=10))


# ---------------------------------------------------------------- the whole export

def test_gbk_excel_export_with_title_units_total_and_footnote_accounts_for_every_line():
    text = ("2023年末各省（区、市）5G基站数,,,\r\n"
            "单位：万个,,,\r\n"
            "省份,5G基站数,排名,\r\n"
            "北京,3.2,5,\r\n"
            "广东,\"32.0\",1,\r\n"
            "陕西,5.5,,\r\n"
            "山西,—,,\r\n"
            "吉林市,0.3,,\r\n"
            "新疆生产建设兵团,0.2,,\r\n"
            "Shaanxi,5.6,,\r\n"
            "河南,-1,,\r\n"
            "合计,337.7,,\r\n"
            ",,,\r\n"
            "注：不含港澳台数据。,,,\r\n"
            "数据来源：工业和信息化部,,,\r\n")
    data = text.encode("gbk")
    table = read_table(data, "export.csv")
    assert table.encoding == "gb18030" and table.header == ["省份", "5G基站数", "排名"]
    result = ingest_counts(table, province_col="省份", value_col="5G基站数",
                           default_as_of="2023-12-31", default_source="工信部")
    report = result.report
    assert list(report["line"]) == list(range(1, 16))  # one row per input line, in order
    by_line = _by_line(report)
    assert [by_line[n].status for n in range(1, 16)] == [
        "skipped", "skipped", "skipped", "joined", "joined", "conflict", "no_data", "unmatched",
        "unmatched", "conflict", "invalid_value", "aggregate_row", "skipped", "skipped", "skipped"]
    assert result.values.to_dict("records") == [
        {"adcode": "110000", "value": 32000.0, "as_of": "2023-12-31", "source": "工信部", "line": 4, "qualifier": "="},
        {"adcode": "440000", "value": 320000.0, "as_of": "2023-12-31", "source": "工信部", "line": 5, "qualifier": "="}]
    assert summary(report) == {"joined": 2, "no_data": 1, "unmatched": 2, "aggregate_row": 1,
                               "invalid_value": 1, "duplicate": 0, "conflict": 2, "skipped": 6}


# ---------------------------------------------------------------- points

def _geojson(features, **extra) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features, **extra}).encode()


def _feature(geometry, **properties):
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def test_points_csv_goes_through_read_table():
    frame, kind = read_points("名称,经度,纬度\n甲,116.4,39.9\n".encode("gbk"), "p.geojson")
    assert kind == "csv"
    assert frame.to_dict("records") == [{"line": 2, "名称": "甲", "经度": "116.4", "纬度": "39.9",
                                         "problem": ""}]


def test_geojson_points_rows_and_reasons():
    data = _geojson([
        _feature({"type": "Point", "coordinates": [116.4, 39.9, 12.0]}, name="甲",
                 tags=["a", 1], info={"k": "v"}, line=7, ok=True, none=None),
        _feature({"type": "MultiPoint", "coordinates": [[113.2, 23.1], [200, 10]]}, name="乙"),
        _feature({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}),
        _feature(None),
        _feature({"type": "Point", "coordinates": ["116", 39]}),
    ])
    frame, kind = read_points(data, "p.csv")
    assert kind == "geojson"
    assert list(frame["line"]) == [1, 2, 2, 3, 4, 5]
    first = frame.iloc[0]
    assert (first["lon"], first["lat"], first["problem"]) == ("116.4", "39.9", "")
    assert (first["tags"], first["info"], first["properties.line"], first["ok"], first["none"]) == (
        '["a", 1]', '{"k": "v"}', "7", "true", "")
    assert list(frame["part"]) == ["", "1", "2", "", "", ""]
    problems = list(frame["problem"])
    assert problems[1] == "" and "outside" in problems[2]
    assert "Polygon" in problems[3] and "no geometry" in problems[4] and "not" in problems[5]
    assert all(isinstance(v, str) for v in frame.drop(columns="line").to_numpy().ravel())


@pytest.mark.parametrize("crs", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"])
def test_wgs84_crs_member_is_accepted(crs):
    data = _geojson([_feature({"type": "Point", "coordinates": [116, 39]})],
                    crs={"type": "name", "properties": {"name": crs}})
    assert read_points(data, "p.geojson")[0]["problem"].tolist() == [""]


@pytest.mark.parametrize("data, words", [
    (_geojson([], crs={"type": "name", "properties": {"name": "EPSG:3857"}}), "EPSG:3857"),
    (_geojson([_feature({"type": "Point", "coordinates": [12958000.0, 4852000.0]})]), "projected"),
    (b'{"type": "FeatureCollection", "features": [NaN]}', "NaN"),
    (b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
    (b"[" * 50_000 + b"]" * 50_000, "not valid JSON"),
    (b'{"type": "Polygon", "coordinates": []}', "Polygon"),
    (_geojson([]), "no features"),
    (b"<OGRVRTDataSource/>", "XML"),
])
def test_bad_geojson_is_refused_clearly(data, words):
    with pytest.raises(InputError) as err:
        read_points(data, "p.geojson")
    assert words in str(err.value)


def test_utf16_geojson_is_recognised_by_content():
    text = json.dumps({"type": "Point", "coordinates": [116, 39]})
    frame, kind = read_points(b"\xff\xfe" + text.encode("utf-16-le"), "p.txt")
    assert kind == "geojson" and frame[["lon", "lat"]].values.tolist() == [["116", "39"]]


def test_feature_and_vertex_caps():
    point = _feature({"type": "Point", "coordinates": [116, 39]})
    with pytest.raises(InputError, match="3 features"):
        read_points(_geojson([point] * 3), "p.geojson", limits=Limits(max_features=2))
    many = _feature({"type": "MultiPoint", "coordinates": [[116, 39]] * 5})
    frame, _ = read_points(_geojson([many, point]), "p.geojson",
                           limits=Limits(max_vertices_per_feature=4))
    assert "5 points" in frame.iloc[0]["problem"] and frame.iloc[1]["problem"] == ""


# ---------------------------------------------------------------- exact or not at all

@pytest.mark.parametrize("raw, mark", [("1234¹", "¹"), ("1234①", "①"), ("10²", "²")])
def test_a_value_with_a_footnote_mark_is_invalid_and_the_row_names_the_mark(raw, mark):
    result = _counts(f"省份,基站数\n北京,{raw}\n天津,5\n")
    row = _by_line(result.report)[2]
    assert row.status == "invalid_value" and repr(mark) in row.reason and "line 2" in row.reason
    assert list(result.values["adcode"]) == ["120000"]


def test_a_date_with_a_footnote_mark_is_not_read_as_another_year():
    assert parse_as_of("202①")[0] is None
    assert parse_as_of("2024²")[0] is None


def test_a_name_with_a_footnote_mark_still_joins():
    result = _counts("省份,基站数\n北京①,5\n天津¹,6\n")
    assert list(result.values["adcode"]) == ["110000", "120000"]


def test_a_split_thousands_separator_under_a_trailing_comma_header_is_shifted_not_joined():
    # The header's trailing comma makes an empty third column; "1,234" unquoted spills into it.
    result = _counts("省份,基站数,\n北京,1,234,\n上海,5,\n", default_as_of="2024")
    rows = _by_line(result.report)
    assert rows[2].status == "invalid_value" and "shifted" in rows[2].reason
    assert rows[3].status == "joined"
    assert list(result.values["adcode"]) == ["310000"]


def test_a_leading_unnamed_index_column_is_kept_as_a_column():
    table = read_table(b",\xe7\x9c\x81\xe4\xbb\xbd,v\n0,a,1\n1,b,2\n", "t.csv")
    assert table.header == ["column 1", "省份", "v"] and table.ragged == {}


def test_a_unit_written_in_the_cell_and_in_the_header_is_applied_once_and_said():
    result = _counts("省份,基站数（万）\n北京,1.2万\n天津,3\n河北,1.2亿\n", value_col="基站数（万）")
    rows = _by_line(result.report)
    assert rows[2].status == "joined" and rows[2].value == 12_000
    assert "cell" in rows[2].reason and "once" in rows[2].reason
    assert rows[3].status == "joined" and rows[3].value == 30_000 and "header" in rows[3].reason
    assert rows[4].status == "invalid_value" and "'亿'" in rows[4].reason and "'万'" in rows[4].reason
    assert list(result.values["value"]) == [12_000.0, 30_000.0]


def test_a_unit_written_only_in_the_cell_is_said_in_the_report():
    row = _by_line(_counts("省份,基站数\n北京,1.2万\n").report)[2]
    assert row.value == 12_000 and "'万'" in row.reason and "cell" in row.reason


@pytest.mark.parametrize("first, second", [("2024", "2024-12-31"), ("2024年底", "2024"),
                                           ("2024-06", "2024-06-30"), ("2024", "2024")])
def test_conflicting_values_for_one_province_and_period_are_both_reported_and_neither_joined(first, second):
    result = _counts(f"省份,基站数,日期\n北京,100,{first}\n北京,999,{second}\n天津,5,2024\n", as_of_col="日期")
    rows = _by_line(result.report)
    assert rows[2].status == rows[3].status == "conflict"
    assert "100" in rows[2].reason and "999" in rows[2].reason and "line 3" in rows[2].reason
    assert list(result.values["adcode"]) == ["120000"]
    assert summary(result.report)["conflict"] == 2


def test_the_same_value_twice_for_one_period_is_a_duplicate_not_a_conflict():
    result = _counts("省份,基站数,日期\n北京,100,2024\n北京,100,2024-12-31\n", as_of_col="日期")
    assert {r.status for r in result.report.itertuples() if r.line > 1} == {"duplicate"}


@pytest.mark.parametrize("cell", ["0000", "0202", "9999", "0000-00-00", "1800-01-01"])
def test_a_date_cell_out_of_range_is_one_invalid_row_not_a_failed_file(cell):
    result = _counts(f"省份,基站数,日期\n北京,1,{cell}\n天津,2,2024\n", as_of_col="日期")
    row = _by_line(result.report)[2]
    assert row.status == "invalid_value" and repr(cell) in row.reason
    assert row.reason.startswith("line 2, column '日期'")
    assert list(result.values["adcode"]) == ["120000"]


# ---------------------------------------------------------------- hostile workbooks

def test_xlsx_reads_the_visible_active_sheet_and_names_the_others():
    from tests.hostile import decoy_workbook
    table = read_table(decoy_workbook(), "book.xlsx")
    assert table.sheet == "real" and table.rows == [(2, ["北京", "5", "2024"])]
    assert len(table.notes) == 1
    assert "'real' (the active sheet)" in table.notes[0]
    assert "'decoy' (hidden)" in table.notes[0] and "'notes'" in table.notes[0]
    result = ingest_counts(table, province_col="省份", value_col="基站数", as_of_col="日期")
    assert list(result.values["value"]) == [5.0] and "'decoy' (hidden)" in result.notes[0]


def test_a_hidden_active_sheet_is_not_read():
    from tests.hostile import HEADER, row_xml, workbook
    data = workbook([("secret", "hidden", row_xml(1, [0, 1]) + row_xml(2, [3, "9"])),
                     ("shown", "visible", row_xml(1, [0, 1]) + row_xml(2, [4, "1"]))], HEADER, active=0)
    table = read_table(data, "b.xlsx")
    assert table.sheet == "shown" and "first visible sheet" in table.notes[0]


def test_a_shared_string_longer_than_a_cell_can_hold_is_refused_before_the_cells_are_read():
    import tracemalloc

    from tests.hostile import huge_shared_string_workbook
    data = huge_shared_string_workbook()
    assert len(data) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="32,767"):
            read_table(data, "big.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 400e6  # the 40 MB string once, never 200 copies of it


def test_a_long_text_repeated_in_many_cells_is_capped_in_all():
    from tests.hostile import huge_shared_string_workbook
    data = huge_shared_string_workbook(chars=30_000, cells=2_000)  # 60 M characters in all
    with pytest.raises(InputError, match="characters in all"):
        read_table(data, "rep.xlsx")


def test_a_blank_cell_in_the_last_column_of_every_row_does_not_widen_the_rows():
    import tracemalloc

    from tests.hostile import wide_rows_workbook
    tracemalloc.start()
    try:
        table = read_table(wide_rows_workbook(rows=5_000), "wide.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.header == ["省份", "基站数", "日期"] and len(table.rows) == 5_000
    assert table.rows[0] == (2, ["北京", "5", ""]) and table.ragged == {}
    assert peak < 200e6  # 5,000 rows of 16,384 cells would be 655 MB of pointers alone


def test_too_many_cell_styles_are_refused_in_one_line():
    from tests.hostile import many_styles_workbook
    with pytest.raises(InputError, match="64,000 cell formats"):
        read_table(many_styles_workbook(), "styles.xlsx")


def test_a_cell_over_excels_limit_names_its_row_and_column():
    from tests.hostile import HEADER, workbook
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            f'<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="inlineStr"><is><t>{"9" * 40_000}</t></is></c></row>')
    with pytest.raises(InputError) as err:
        read_table(workbook([("S", "visible", rows)], HEADER), "cell.xlsx")
    assert "row 2" in str(err.value) and "'B2'" in str(err.value) and "32,767" in str(err.value)


def test_xlsx_dates_percentages_booleans_and_formulas_read_as_shown():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["省份", "值", "日期", "比例", "真", "公式"])
    sheet.append(["北京", 3, datetime(2024, 6, 30), 0.125, True, "=1+1"])
    sheet["D2"].number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    table = read_table(out.getvalue(), "types.xlsx")
    assert table.rows == [(2, ["北京", "3", "2024-06-30", "12.5%", "TRUE", ""])]


@pytest.mark.parametrize("length", [32_768, 140_000])
def test_a_csv_cell_over_excels_limit_names_its_row_and_column(length):
    for cell in ("1" * length, '"' + "x" * length + '"'):
        with pytest.raises(InputError) as err:
            read_table(f"省份,基站数,日期\n北京,{cell},2024\n".encode(), "long.csv")
        message = str(err.value)
        assert "file long.csv, row 2, column 'column 2'" in message and "32,767" in message


# ---------------------------------------------------------------- hostile GeoJSON

@pytest.mark.parametrize("properties", ["EPSG:4326", None, 7, ["name"]])
def test_a_crs_whose_properties_are_not_an_object_is_one_clear_error(properties):
    data = _geojson([_feature({"type": "Point", "coordinates": [116, 39]})],
                    crs={"type": "name", "properties": properties})
    with pytest.raises(InputError) as err:
        read_points(data, "p.geojson")
    assert "file p.geojson, column 'crs'" in str(err.value) and "WGS 84" in str(err.value)


def test_distinct_property_names_are_capped_before_a_frame_is_built():
    import tracemalloc

    from tests.hostile import geojson_with_distinct_keys
    data = geojson_with_distinct_keys()
    assert len(data) < 5_000_000
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as err:
            read_points(data, "keys.geojson")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "200 distinct property names" in str(err.value) and "row 67" in str(err.value)
    assert peak < 300e6  # json.loads of the file, not features x keys


def test_a_feature_with_too_many_properties_is_one_unplaced_row():
    crowded = _feature({"type": "Point", "coordinates": [116, 39]}, **{f"p{i}": i for i in range(5)})
    fine = _feature({"type": "Point", "coordinates": [117, 39]}, name="甲")
    frame, _ = read_points(_geojson([crowded, fine]), "p.geojson", limits=Limits(max_property_keys=3))
    assert "5 properties" in frame.iloc[0]["problem"] and frame.iloc[1]["problem"] == ""
    assert list(frame.columns) == ["line", "part", "lon", "lat", "problem", "name"]


def test_points_times_property_names_is_capped_as_a_table_is():
    features = [_feature({"type": "Point", "coordinates": [116, 39]}, **{f"k{i}": 1}) for i in range(50)]
    with pytest.raises(InputError, match="cells"):
        read_points(_geojson(features), "p.geojson", limits=Limits(max_cells=1_000))


def test_a_property_longer_than_a_cell_can_hold_makes_the_feature_unplaced():
    data = _geojson([_feature({"type": "Point", "coordinates": [116, 39]}, note="x" * 40_000),
                     _feature({"type": "Point", "coordinates": [117, 39]}, note="ok")])
    frame, _ = read_points(data, "p.geojson")
    assert "'note'" in frame.iloc[0]["problem"] and "32,767" in frame.iloc[0]["problem"]
    assert frame.iloc[0]["note"] == "" and frame.iloc[1]["note"] == "ok"


def test_suggestions_are_computed_once_per_distinct_name_and_capped(monkeypatch):
    from geo.data import regions
    calls = []
    real = regions.suggest
    monkeypatch.setattr(regions, "suggest", lambda text, *a, **k: calls.append(text) or real(text, *a, **k))
    names = [f"未知地{i}" for i in range(1_200)] * 2 + ["山东省份"] * 3
    result = _counts("省份,基站数\n" + "".join(f"{n},1\n" for n in names))
    assert len(calls) == len(set(calls)) == 1_000  # once per distinct name, 1,000 at most
    rows = result.report[result.report["status"] == "unmatched"]
    assert len(rows) == len(names)
    late = rows[rows["raw_name"] == "山东省份"].iloc[0]
    assert late["suggestions"] == "" and "not computed" in late["reason"]
    early = _counts("省份,基站数\n山东省份,1\n").report.iloc[1]
    assert early["suggestions"].startswith("山东省 (370000)")


def test_a_utf8_file_with_a_gbk_line_is_refused_with_the_line_and_an_encoding_hint():
    data = "省份,基站数\n北京,1\n".encode() + "上海,2\n".encode("gbk") + "天津,3\n".encode()
    with pytest.raises(InputError) as err:
        read_table(data, "mixed.csv")
    message = str(err.value)
    assert message.startswith("file mixed.csv, row 3:") and "UTF-8" in message
    assert "'上海,2'" in message and "GB18030" in message


def test_a_gbk_file_is_still_read_as_gbk_even_when_a_line_happens_to_be_valid_utf8():
    # "中文" in GBK is D6 D0 CE C4: not UTF-8. A line of only ASCII is valid in both.
    data = "省份,基站数\n北京,1\n".encode("gbk") + b"Beijing,2\n" + "上海,3\n".encode("gbk")
    table = read_table(data, "gbk.csv")
    assert table.encoding == "gb18030" and table.rows[2] == (4, ["上海", "3"])


def test_xlsx_rich_text_inline_strings_and_cells_without_references():
    from tests.hostile import workbook
    shared = ["省份", "<r><t>基站</t></r><r><t>数</t></r><rPh><t>きち</t></rPh>"]  # a phonetic reading
    rows = ('<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>'
            '<row><c t="inlineStr"><is><t>北京</t></is></c><c><v>12</v></c></row>')
    table = read_table(workbook([("S", "visible", rows)], shared), "rich.xlsx")
    assert table.header == ["省份", "基站数"] and table.rows == [(2, ["北京", "12"])]


def test_a_damaged_workbook_part_is_one_input_error():
    from tests.hostile import decoy_workbook
    data = bytearray(decoy_workbook())
    start = data.find(b"xl/worksheets/sheet2.xml", data.find(b"PK\x03\x04", 0))
    data[start + 80:start + 120] = b"\x00" * 40  # inside the compressed sheet
    with pytest.raises(InputError, match="file bad.xlsx"):
        read_table(bytes(data), "bad.xlsx")


def test_a_workbook_part_with_a_dtd_is_refused_before_it_is_parsed():
    from tests.hostile import HEADER, workbook
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
              '"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    data = workbook([("S", "visible", '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>')],
                    HEADER)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = laughs.encode() + content
            target.writestr(info, content)
    with pytest.raises(InputError, match="declares a DTD"):
        read_table(buffer.getvalue(), "lol.xlsx")
