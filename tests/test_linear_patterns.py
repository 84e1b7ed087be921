"""The patterns that read users' cells cost time in proportion to the cell, not its square.

Each rewritten pattern is checked twice: it gives the same answers as the pattern it replaces on
every short string over the characters that matter (so the rewrite changes cost, not meaning),
and a pathological cell of 200,000 characters, which the old pattern took minutes over, ends
within a budget that is a thousand times what the new one needs (a guard against a hang, not a
measurement: bench/bench_hostile.py measures).
"""
from __future__ import annotations

import itertools
import re
import signal
from contextlib import contextmanager

import pytest

from geo.data import regions
from geo.ingest import decoding, header, numbers
from geo.spatial import points

_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
OLD = {
    "cjk": re.compile(f"[\\x00-\\x7f{_CJK}]*[{_CJK}][\\x00-\\x7f{_CJK}]*"),
    "footnote_mark": re.compile(r"[\s*＊※†‡#＃①-⑳⑴-⒇¹²³⁰-⁹]+$|[(（](注|note)?\s*\d*[)）]$"),
    "footnote": re.compile(r"^[*※#\s]*(注|备注|说明|数据来源|资料来源|来源|出处|note|notes|source|sources)"
                           r"\s*\d*\s*[:：]|^[*※#\s]*注\s*\d|^[*※]\s*\S", re.IGNORECASE),
    "plain": re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"),
    "dms": re.compile(
        r"(?P<prefix>东经|西经|北纬|南纬)?\s*(?P<h1>[NSEW])?\s*(?P<sign>[+-])?\s*"
        r"(?P<d>\d+(?:\.\d+)?)\s*(?:°|度)\s*"
        r"(?:(?P<m>\d+(?:\.\d+)?)\s*(?:'|′|’|分)\s*)?"
        r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:\"|″|”|''|′′|秒)\s*)?"
        r"(?P<h2>[NSEW])?", re.IGNORECASE),
}
OLD["suffix"] = re.compile(numbers._SUFFIX.pattern.replace("*+", "*"))


def strings(alphabet: str, longest: int):
    for n in range(longest + 1):
        for chars in itertools.product(alphabet, repeat=n):
            yield "".join(chars)


def groups(m):
    return None if m is None else (m.group(0), m.groups())


def test_the_chinese_line_check_answers_as_before():
    for text in strings("a中é，", 6):
        assert decoding.is_chinese_text(text) == bool(OLD["cjk"].fullmatch(text)), text


def test_the_footnote_mark_strip_answers_as_before():
    for text in strings("北* (注1)①", 6):
        assert regions._FOOTNOTE_MARK.sub("", text) == OLD["footnote_mark"].sub("", text), text


def test_the_footnote_line_pattern_answers_as_before():
    for text in strings("*注 1:x", 6):
        assert groups(header._FOOTNOTE.match(text)) == groups(OLD["footnote"].match(text)), text


def test_the_suffix_qualifier_pattern_answers_as_before():
    for text in strings("1 余万个x", 6):
        assert groups(numbers._SUFFIX.match(text)) == groups(OLD["suffix"].match(text)), text


def test_the_coordinate_patterns_answer_as_before():
    for text in strings("1.e- ", 6):
        assert groups(points._PLAIN.fullmatch(text)) == groups(OLD["plain"].fullmatch(text)), text
    for text in strings("1 .°'\"N", 6):
        assert groups(points._DMS.fullmatch(text)) == groups(OLD["dms"].fullmatch(text)), text
    for text in strings("东经1 °′″S", 5):
        assert groups(points._DMS.fullmatch(text)) == groups(OLD["dms"].fullmatch(text)), text


@contextmanager
def budget(seconds: int):
    """Interrupt the block after `seconds` of wall time (the old patterns took minutes here)."""
    def interrupt(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


N = 200_000
PATHOLOGICAL = {
    "a line of ideographs ending in a Latin letter": lambda: decoding.is_chinese_text("中" * N + "é"),
    "a province name with a long run of stars inside": lambda: regions._FOOTNOTE_MARK.sub("", "广东" + "*" * N + "x"),
    "an open bracket and a long run of spaces": lambda: regions._FOOTNOTE_MARK.sub("", "(" + " " * N + "x"),
    "a note line of spaces without a colon": lambda: header._FOOTNOTE.match("注" + " " * N + "x"),
    "a qualifier followed by spaces": lambda: numbers._SUFFIX.match("1余" + " " * N + "x"),
    "digits without end": lambda: points._PLAIN.fullmatch("1" * N + "x"),
    "a prefix and spaces": lambda: points._DMS.fullmatch("东经" + " " * N + "x"),
}


@pytest.mark.parametrize("case", PATHOLOGICAL)
def test_a_pathological_cell_of_200k_characters_does_not_hang(case):
    with budget(10):  # the new patterns need milliseconds, the old ones one to several minutes
        PATHOLOGICAL[case]()


def test_a_province_cell_with_a_long_run_of_stars_is_refused_in_one_line():
    with budget(10):
        with pytest.raises(regions.ProvinceNotFound):
            regions.resolve_province("广东" + "*" * N + "x")


@pytest.mark.parametrize("number", ["²", "١", "9" * 5000])
def test_a_workbooks_numbers_in_other_digits_are_no_numbers_not_a_crash(number):
    from tests import hostile
    book = hostile.workbook([("Sheet1", "visible", hostile.row_xml(1, [0, 1]) + hostile.row_xml(2, [2, "1"]))],
                            ["省份", "数量", "北京"], active=number)  # activeTab in another script's digits, or too long for int()
    table = geo_read_table(book, "a.xlsx")
    assert table.header == ["省份", "数量"]


def geo_read_table(data, name):
    import geo
    return geo.read_table(data, name)


def old_publisher(source: str) -> str:
    text = re.sub(r"\s*\((?:https?|ftp)://[^)]*\)\s*$", "", str(source)).split(" — ")[0]
    text = re.sub(r"\s*\([^()]*\)", "", text)
    text = re.split(r"\s+(?:via|repost(?:ed)? on|as translated by)\s+|,\s*repost\b", text)[0]
    return text.strip(" ,;") or str(source)


def test_a_citations_publisher_is_found_as_before_and_in_linear_time():
    from geo.output import picture
    for text in strings(" (a)", 7):
        assert picture.publisher(text) == old_publisher(text), text
    for text in ("MIIT (2024) via Sina", "MIIT, reposted on x", "A — b (https://x.example/a)",
                 "A  (https://x.example/a)  ", "A ,  repost x", "a (b) (c) as translated by d"):
        assert picture.publisher(text) == old_publisher(text), text
    with budget(10):
        picture.publisher("MIIT" + " " * N + "x")
