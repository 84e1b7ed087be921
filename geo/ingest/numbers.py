"""Reading numbers as people write them in Chinese statistics tables, without guessing.

`parse_number` turns one cell into a ParsedNumber with a status:
- ``ok``: an exact figure (`1,234`, `1，234`, `1 234`, `１２３４`, `1.2万`, `3亿`, `1.2E+05`, `−5`);
- ``no_data``: a missing-value marker (`-`, `—`, `/`, `暂无`, `N/A`, empty...): value None, never 0;
- ``qualified``: a number with a qualifier (`约1200`, `1200+`, `≥1000`, `1000余`): the number and a
  reason are returned and the caller decides whether to accept it;
- ``invalid_value``: anything else, with the reason.
Arithmetic is done in Decimal so that `1.2万` is exactly 12000, not 12000.000000000002.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from ..data.regions import clean_text, number_mark

OK, NO_DATA, QUALIFIED, INVALID = "ok", "no_data", "qualified", "invalid_value"

# Compared after clean_text + casefold, so `n/a`, `N/A` and `Ｎ／Ａ` are one marker.
MISSING_MARKERS = frozenset({
    "", "-", "--", "---", "—", "——", "–", "－", "/", "//", "\\", "…", "...", "……", "暂无", "暂缺",
    "无", "不详", "未知", "空", "缺", "缺失", "未公布", "未统计", "无数据", "n/a", "na", "n.a.", "#n/a",
    "null", "none", "nil", "nan", "missing", "no data", "nd", "x", "×",
})
# Multipliers written after a number. Longest first so that 万亿 is not read as 万.
UNIT_MULTIPLIERS = {
    "万亿": Decimal(10) ** 12, "千万": Decimal(10) ** 7, "百万": Decimal(10) ** 6,
    "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4, "千": Decimal(10) ** 3,
}
# Measure words that only name what is counted ("1200个", "3.2万座").
_MEASURE_WORDS = ("个", "座", "家", "处", "台", "站", "套", "项", "条")
_MEASURE = "(?:" + "|".join(_MEASURE_WORDS) + ")"
_PREFIX_QUALIFIERS = {
    "约": "approximately", "大约": "approximately", "近": "nearly", "将近": "nearly",
    "接近": "nearly", "超": "more than", "超过": "more than", "逾": "more than",
    "多于": "more than", "不少于": "at least", "不低于": "at least", "至少": "at least",
    "不足": "less than", "不到": "less than", "少于": "less than", "低于": "less than",
    "高于": "more than", "≥": "at least", ">=": "at least", ">": "more than", "≤": "at most",
    "<=": "at most", "<": "less than", "≈": "approximately", "~": "approximately",
    "about": "approximately", "approx": "approximately", "approx.": "approximately",
    "ca.": "approximately", "over": "more than", "under": "less than",
}
_SUFFIX_QUALIFIERS = {
    "+": "at least", "多": "more than", "余": "more than", "以上": "at least", "以下": "at most",
    "左右": "approximately", "上下": "approximately", "有余": "more than",
}
_MINUS = "\u2212\u2012\u2013\ufe63\uff0d"  # unicode minus, figure/en dash, small/full-width minus
_SIMPLE = re.compile(r"^-?\d{1,15}(?:\.\d{1,15})?$")
_PLAIN = re.compile(r"^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[, \u00a0\u2009\u202f]\d{3})+(?:\.\d+)?$")
_RANGE = re.compile(r"^\d[\d.,]*\s*(?:-|~|～|至|到|—)\s*\d[\d.,]*$")
_EXCEL_ERROR = re.compile(r"^#(?:div/0!|value!|ref!|name\?|num!|null!|spill!|calc!|getting_data)$")


@dataclass(frozen=True)
class ParsedNumber:
    value: float | None
    status: str  # ok | no_data | qualified | invalid_value
    reason: str = ""
    percent: bool = False  # written with %, value is the number before the sign ("12%" -> 12.0)
    exact: Decimal | None = None  # the same value as an exact decimal
    unit: str = ""  # the multiplier written in the cell ("万" in "1.2万"), already applied
    qualifier: str = ""  # for a qualified number: approximately, more than, at least...

    @property
    def symbol(self) -> str:
        """The qualifier as the figures' tables write it: "≈", ">" or "<" ("=" when exact)."""
        if not self.qualifier:
            return "="
        first = self.qualifier.split(" and ")[0]
        return {"more than": ">", "at least": ">", "less than": "<", "at most": "<"}.get(first, "≈")


def parse_number(text: object) -> ParsedNumber:
    """Read one cell as a number; see the module docstring for the statuses."""
    if text is None or (isinstance(text, float) and text != text):
        return ParsedNumber(None, NO_DATA, "empty cell")
    if isinstance(text, bool):
        return ParsedNumber(None, INVALID, f"{text!r} is a boolean, not a number")
    if isinstance(text, (int, float, Decimal)):
        return _ok(Decimal(repr(text)) if isinstance(text, float) else Decimal(text))
    raw = str(text)
    # Full-width digits, comma and percent fold to ASCII here; ideographic space and NBSP to " ".
    cell = clean_text(raw).translate({ord(c): "-" for c in _MINUS})
    folded = cell.casefold()
    if folded in MISSING_MARKERS:
        return ParsedNumber(None, NO_DATA, f"missing-value marker {raw.strip()!r}" if folded
                            else "empty cell")
    if mark := number_mark(cell):
        return ParsedNumber(None, INVALID, f"{raw.strip()!r} carries a footnote mark {mark!r} "
                            f"({unicodedata.name(mark, 'number sign').lower()}), which is not read as a "
                            "digit; remove it or put the note in its own column")
    if _EXCEL_ERROR.match(folded):
        return ParsedNumber(None, INVALID, f"{raw.strip()!r} is a spreadsheet error, not a number")
    if _SIMPLE.match(cell):  # the common case, "1234" or "12.5", needs no further reading
        return _ok(Decimal(cell))
    body, qualifier = _split_qualifier(cell)
    parsed = _parse_plain(body, raw)
    if parsed.status != OK or not qualifier:
        return parsed
    return ParsedNumber(parsed.value, QUALIFIED,
                        f"{raw.strip()!r} is qualified ({qualifier}), not an exact figure",
                        parsed.percent, parsed.exact, parsed.unit, qualifier)


_PREFIXES = sorted(_PREFIX_QUALIFIERS, key=len, reverse=True)
# "1000余万" / "1000多万": a suffix qualifier sits between the number and its unit.
_SUFFIX = re.compile(
    r"^(.*\d)\s*+(" + "|".join(map(re.escape, sorted(_SUFFIX_QUALIFIERS, key=len, reverse=True)))
    + rf")\s*+((?:万亿|千万|百万|亿|万|千)?{_MEASURE}?)\s*+$")  # possessive: no quadratic re-splits of spaces


def _split_qualifier(cell: str) -> tuple[str, str]:
    body, qualifiers = cell, []
    folded = body.casefold()
    for word in _PREFIXES:
        if folded.startswith(word) and len(body) > len(word):
            qualifiers.append(_PREFIX_QUALIFIERS[word])
            body = body[len(word):].strip()
            break
    m = _SUFFIX.match(body)
    if m:
        qualifiers.append(_SUFFIX_QUALIFIERS[m.group(2)])
        body = m.group(1) + m.group(3)
    return body, " and ".join(qualifiers)


def _parse_plain(body: str, raw: str) -> ParsedNumber:
    shown = raw.strip()
    text = body.strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    for word in _MEASURE_WORDS:
        if text.endswith(word):
            text = text[: -len(word)].strip()
            break
    multiplier, unit = Decimal(1), ""
    for word, factor in UNIT_MULTIPLIERS.items():
        if text.endswith(word):
            multiplier, unit, text = factor, word, text[: -len(word)].strip()
            break
    if percent and multiplier != 1:
        return ParsedNumber(None, INVALID, f"{shown!r} mixes a percent sign and a unit")
    if _RANGE.match(text):
        return ParsedNumber(None, INVALID, f"{shown!r} is a range, not a single number")
    if text.startswith("(") and text.endswith(")"):
        return ParsedNumber(None, INVALID, f"{shown!r} is in parentheses (an accounting negative?)")
    if _GROUPED.match(text):
        text = re.sub(r"[, \u00a0\u2009\u202f]", "", text)
    elif "," in text or " " in text:
        return ParsedNumber(None, INVALID, f"{shown!r}: separators are not in thousands positions "
                                           "(expected e.g. 1,234 or 1 234)")
    if not _PLAIN.match(text.casefold()):
        return ParsedNumber(None, INVALID, f"{shown!r} is not a number")
    try:
        number = Decimal(text)
        if abs(number) > Decimal(10) ** 18:
            return ParsedNumber(None, INVALID, f"{shown!r} is out of range")
        exact = number * multiplier
    except ArithmeticError:  # InvalidOperation, Overflow
        return ParsedNumber(None, INVALID, f"{shown!r} is not a number")
    if not exact.is_finite() or abs(exact) > Decimal(10) ** 18:
        return ParsedNumber(None, INVALID, f"{shown!r} is out of range")
    return _ok(exact, percent, unit)


def _ok(exact: Decimal, percent: bool = False, unit: str = "") -> ParsedNumber:
    if not exact.is_finite():
        return ParsedNumber(None, INVALID, f"{exact} is not a finite number")
    return ParsedNumber(float(exact), OK, "", percent, exact, unit)


def count_problem(parsed: ParsedNumber) -> str:
    """Why a parsed number cannot be a count of things, '' if it can."""
    if parsed.value is None:
        return ""
    if parsed.percent:
        return "is a percentage, not a count"
    if parsed.value < 0:
        return f"is negative ({parsed.exact}), a count cannot be"
    return ""


def unit_multiplier(text: str) -> tuple[Decimal, str] | None:
    """The multiplier named by a unit in a column header or a title row, None if none.

    `基站数（万个）` -> (10000, '万个'); `单位：万站` -> (10000, '万站'); `数量(个)` -> (1, '个');
    `占比(%)` -> (1, '%'), which a count column must refuse.
    """
    cell = clean_text(text)
    m = re.search(r"\(([^()]*)\)\s*$", cell) or re.search(r"单位\s*[:]\s*(\S+)", cell) \
        or re.search(r"\bunit\s*[:]\s*(\S+)", cell, re.IGNORECASE)
    if not m:
        return None
    unit = m.group(1).strip()
    for word, factor in UNIT_MULTIPLIERS.items():
        if unit.startswith(word):
            return factor, unit
    if unit in ("%", "percent", "百分比"):
        return Decimal(1), "%"
    if unit.startswith(_MEASURE_WORDS):
        return Decimal(1), unit
    return None
