"""The streamed text reader (geo.ingest.stream) gives the placements, reasons and line numbers of
the careful reader on a file that mixes every kind of row, wherever the rows fall: in the head
that decides the header, far below it, across the reader's blocks and chunks.

The expected rows below were written down from the record-by-record reader (csv module, one
Python step per line) before the body was read in blocks; they are literal on purpose, so that
any drift of the block reader shows as a changed row.
"""
from __future__ import annotations

import csv
import io

import pytest

from geo.files import frame_to_csv
from geo.ingest import stream
from geo.spatial import points, pointsets

FILLER_BEFORE = 1_100  # good rows under the header: the quirks come after the head records
FILLER_AFTER = 300

# (raw record with its own line ending). CRLF mostly, some LF, one lone CR, quotes of every
# kind, multi-line cells (CRLF and LF inside), blank and whitespace-only lines, short and long rows.
QUIRKS = [
    "q1,北京,116.4074,39.9042,ok\r\n",
    "q2,bad,abc,39.9,\r\n",
    'q3,comma,"116,4",39.9,\r\n',
    "q4,dms,116°23'17\"E,39°54'27\"N,\r\n",
    "q5,short,116.4,39.9\r\n",
    "q6,long,116.4,39.9,x,extra\r\n",
    "q7,trailing,116.4,39.9,x,\r\n",
    'q8,"quoted, name",116.4,39.9,"say ""hi"""\r\n',
    'q9,"multi\r\nline",113.2644,23.1291,"a\nb"\r\n',
    "\r\n",
    "   \r\n",
    ",,,,\r\n",
    "孤,,,,\r\n",
    'q14,"  ",  116.5 , 39.8,\r\n',
    "q15,\u200b,116.4,39.9,\r\n",
    "q16,零,0,0,\r\n",
    "q17,far,200,39.9,\n",
    "q18,sea,125.0,30.0,\n",
    "q19,swap,39.9,116.4,\r\n",
    'q20,"ab"c,116.4,39.9,\r\n',
    "q21,full,１１６．４,３９．９,\r\n",
    'q22,"",116.4,39.9,""\r\n',
    "q23,nan,nan,inf,\r\n",
    "q24,dash,-,无,\r\n",
    "q25,tab\tinside,116.4,39.9,=cmd\r\n",
    "q26,a\rb,116.4,39.9,\r\n",
    "q27,minus,\u2212116.4,39.9,\r\n",
    "q28,x,116.4,39.9,y,  \r\n",
    'q29,"first\nq30,x,116.4,39.9,\nend",116.4,39.9,\r\n',
    '"q31","quoted all","114.0579","22.5431","z"\r\n',
    '"q32","quoted, short","114.0579","22.5431"\r\n',
    "q33,北京,116.4074,39.9042,\"open\r\n",
    "still open\",\r\n",
    "q34,空格, ,39.9,\r\n",
]
TAIL = [
    "注：不含港澳台\r\n",
    "说明\r\n",
    "q40,after,116.4,39.9,\r\n",
    "孤2,,,,\r\n",
    "q41,end,116.4,39.9,last",
]


def filler(start: int, n: int) -> list[str]:
    # Beijing and Guangzhou alternately, each with its own id.
    return [f"f{i},城{i % 7},{116.4 + i % 10 / 1000:.4f},39.9042,n{i}\r\n" if i % 2 else
            f"f{i},城{i % 7},113.2644,23.1291,\r\n" for i in range(start, start + n)]


def mixed_file() -> bytes:
    records = (["基站清单\r\n", "id,name,lng,lat,note\r\n"] + filler(0, FILLER_BEFORE) + QUIRKS
               + filler(FILLER_BEFORE, FILLER_AFTER) + TAIL)
    return "".join(records).encode("utf-8")


def rows_of(src, tmp_path, chunk_rows):
    out = tmp_path / f"rows{chunk_rows}.csv"
    joined = pointsets.join_points(src, lon_col="lng", lat_col="lat", datum="wgs84",
                                   level="province", chunk_rows=chunk_rows, assignments=out)
    text = out.read_bytes().decode("utf-8")  # as written: line endings inside cells kept
    rows = list(csv.DictReader(io.StringIO(text)))
    return joined, text, [(int(r["line"]), r["status"], r["adcode"], r["reason"], r["id"], r["name"],
                           r["lon"], r["lat"], r["note"]) for r in rows]


# Line numbers: title 1, header 2, filler lines 3..1102, quirks from 1103.
EXPECTED_QUIRKS = [
    (1103, 'ok', '110000', '', 'q1', '北京', '116.4074', '39.9042', 'ok'),
    (1104, 'unparseable', '', 'longitude \'abc\' is not a number (expected decimal degrees such as 116.397 or DMS such as 116°23\'17"E)', 'q2', 'bad', 'abc', '39.9', ''),
    (1105, 'unparseable', '', "longitude '116,4' has a decimal comma; write it with a point (e.g. 116.397)", 'q3', 'comma', '116,4', '39.9', ''),
    (1106, 'ok', '110000', '', 'q4', 'dms', '116°23\'17"E', '39°54\'27"N', ''),
    (1107, 'ok', '110000', '', 'q5', 'short', '116.4', '39.9', ''),
    (1108, 'invalid_feature', '', 'row has 6 cells, the header 5: columns may have shifted', 'q6', 'long', '116.4', '39.9', 'x'),
    (1109, 'ok', '110000', '', 'q7', 'trailing', '116.4', '39.9', 'x'),
    (1110, 'ok', '110000', '', 'q8', 'quoted, name', '116.4', '39.9', 'say "hi"'),
    (1111, 'ok', '440000', '', 'q9', 'multi\nline', '113.2644', '23.1291', 'a\nb'),
    (1117, 'missing_coordinates', '', 'no longitude and no latitude', '孤', '', '', '', ''),
    (1118, 'ok', '110000', '', 'q14', '  ', '  116.5 ', ' 39.8', ''),
    (1119, 'ok', '110000', '', 'q15', '\u200b', '116.4', '39.9', ''),
    (1120, 'out_of_range', '', '(0, 0) is a placeholder, not a location', 'q16', '零', '0', '0', ''),
    (1121, 'out_of_range', '', '(200.0, 39.9) is not a longitude/latitude (|lon| <= 180, |lat| <= 90)', 'q17', 'far', '200', '39.9', ''),
    (1122, 'outside', '', "valid coordinate in no province (outside China's land areas)", 'q18', 'sea', '125.0', '30.0', ''),
    (1123, 'swapped_lat_lon', '', "this row looks swapped: longitude in China's latitude range and latitude in its longitude range; fix the row or re-run with fix_swapped=True (--fix-swapped)", 'q19', 'swap', '39.9', '116.4', ''),
    (1124, 'ok', '110000', '', 'q20', 'abc', '116.4', '39.9', ''),
    (1125, 'ok', '110000', '', 'q21', 'full', '１１６．４', '３９．９', ''),
    (1126, 'ok', '110000', '', 'q22', '', '116.4', '39.9', ''),
    (1127, 'missing_coordinates', '', 'no longitude', 'q23', 'nan', 'nan', 'inf', ''),
    (1128, 'missing_coordinates', '', 'no longitude and no latitude', 'q24', 'dash', "'-", '无', ''),
    (1129, 'ok', '110000', '', 'q25', 'tab\tinside', '116.4', '39.9', "'=cmd"),
    (1130, 'missing_coordinates', '', 'no longitude and no latitude', 'q26', 'a', '', '', ''),
    (1131, 'missing_coordinates', '', 'no latitude', 'b', '116.4', '39.9', '', ''),
    (1132, 'outside', '', "valid coordinate in no province (outside China's land areas)", 'q27', 'minus', '−116.4', '39.9', ''),
    (1133, 'ok', '110000', '', 'q28', 'x', '116.4', '39.9', 'y'),
    (1134, 'ok', '110000', '', 'q29', 'first\nq30,x,116.4,39.9,\nend', '116.4', '39.9', ''),
    (1137, 'ok', '440000', '', 'q31', 'quoted all', '114.0579', '22.5431', 'z'),
    (1138, 'ok', '440000', '', 'q32', 'quoted, short', '114.0579', '22.5431', ''),
    (1139, 'ok', '110000', '', 'q33', '北京', '116.4074', '39.9042', 'open\nstill open'),
    (1141, 'missing_coordinates', '', 'no longitude', 'q34', '空格', ' ', '39.9', ''),
]
EXPECTED_TAIL = [
    (1444, 'ok', '110000', '', 'q40', 'after', '116.4', '39.9', ''),
    (1446, 'ok', '110000', '', 'q41', 'end', '116.4', '39.9', 'last'),
]


def check(rows):
    first_quirk = 3 + FILLER_BEFORE
    before = [r for r in rows if r[0] < first_quirk]
    assert [r[0] for r in before] == list(range(3, first_quirk))
    for line, status, adcode, reason, ident, *_ in before:
        i = line - 3
        assert (status, adcode, reason, ident) == ("ok", "110000" if i % 2 else "440000", "", f"f{i}")
    after = [r for r in rows if r[0] >= first_quirk and r[4].startswith("f")]
    assert len(after) == FILLER_AFTER and all(r[1] == "ok" for r in after)
    quirks = [r for r in rows if not r[4].startswith("f")]
    assert quirks == EXPECTED_QUIRKS + EXPECTED_TAIL


@pytest.mark.parametrize("chunk_rows", [7, 200_000])
@pytest.mark.parametrize("block_chars", [None, 64, 1000])
def test_the_streamed_reader_gives_the_careful_readers_rows(tmp_path, monkeypatch, chunk_rows,
                                                            block_chars):
    if block_chars is not None:  # small blocks: records and quirks straddle their ends
        monkeypatch.setattr(stream, "_TEXT_BLOCK", block_chars, raising=False)
    src = tmp_path / "mixed.csv"
    src.write_bytes(mixed_file())
    joined, text, rows = rows_of(src, tmp_path, chunk_rows)
    check(rows)
    # And the file read whole, as an upload is, gives the same assignments, byte for byte.
    _, whole = points.join_points_file(src, lon_col="lng", lat_col="lat", datum="wgs84",
                                       max_bytes=10_000_000)
    assert text == frame_to_csv(whole)
    assert joined.rows == len(rows)
