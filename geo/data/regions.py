"""The province registry: adcode, Chinese and English names, region, and name normalisation.

Every province-level unit is keyed by its 6-digit GB/T 2260 adcode *as a string*. Names are
matched exactly after normalisation (width, case, spacing, invisible characters, traditional
characters); nothing is matched fuzzily, because Shanxi (140000) and Shaanxi (610000) differ by one
letter. Names that look like a province but are not one (`吉林市`, `兵团`, `全国`, `合计`) raise
ProvinceNotFound with a `kind` that says what they are, so a caller can list them honestly.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ..config import DATA_DIR
from ..errors import InputError

PROVINCES_CSV = DATA_DIR / "provinces.csv"
NATIONAL_ADCODE = "100000"
REGIONS = ("East", "Central", "West", "Northeast")

_SPACES = re.compile(r"[\s\u3000\u00a0]+")
# Punctuation that users put inside names without changing them: "Inner-Mongolia", "Nei_Mongol".
_NAME_PUNCT = re.compile(r"[\s\-_'’‘`.·・]")

# Traditional forms of every character that occurs in a province name or its suffix. The list is
# closed on purpose: a general converter would also fold characters that distinguish place names.
_TRADITIONAL = str.maketrans({
    "廣": "广", "東": "东", "內": "内", "遼": "辽", "寧": "宁", "甯": "宁", "龍": "龙", "蘇": "苏",
    "臺": "台", "灣": "湾", "壯": "壮", "區": "区", "慶": "庆", "貴": "贵", "雲": "云", "陝": "陕",
    "陜": "陕", "肅": "肃", "維": "维", "爾": "尔", "門": "门", "別": "别", "黒": "黑",
    # characters of totals, regions and non-province units, so "全國合計" is recognised too
    "團": "团", "國": "国", "計": "计", "總": "总", "華": "华", "產": "产", "設": "设", "匯": "汇",
    "彙": "汇", "級": "级", "屬": "属", "長": "长", "濱": "滨", "滬": "沪",
    "閩": "闽", "瓊": "琼", "贛": "赣", "晉": "晋", "隴": "陇",
})
# CJK radical code points that PDF text extraction emits instead of ordinary characters
# (NFKC folds the Kangxi radicals block but not the radicals supplement).
_RADICALS = str.maketrans({
    "\u2ec4": "西", "\u2ed4": "龙", "\u2ed7": "门", "\u2ec5": "见", "\u2ed8": "青", "\u2ee2": "马",
    "\u2ed3": "长", "\u2ee9": "黄", "\u2ecb": "车", "\u2ebb": "东",
})
_COMBINING = re.compile(r"[\u0300-\u036f]")


@dataclass(frozen=True)
class Province:
    adcode: str
    name_zh: str
    short_zh: str
    name_en: str
    region: str  # East / Central / West / Northeast, or "" for Taiwan, Hong Kong, Macau
    iso_3166_2: str
    aliases: tuple[str, ...]


@lru_cache(maxsize=1)
def _invisible_table() -> dict[int, None]:
    # Format characters (zero-width space/joiners, BOM, word joiner, soft hyphen, bidi marks,
    # Mongolian vowel separator) and variation selectors carry no meaning in a name or a number.
    table = dict.fromkeys(c for c in range(0x20000) if unicodedata.category(chr(c)) == "Cf")
    table.update(dict.fromkeys(range(0xFE00, 0xFE10)))
    table.update(dict.fromkeys(range(0xE0000, 0xE0080)))  # tag characters
    return table


def _drop_invisible(text: str) -> str:
    return text if text.isascii() else text.translate(_invisible_table())


@lru_cache(maxsize=1)
def _number_marks() -> re.Pattern:
    # Superscript, subscript, circled and parenthesised digits, fractions ("other numbers",
    # category No). NFKC would fold 1234¹ into 12341 and 1234① into 12341: these are footnote
    # marks, so they are kept as written for the parsers to refuse, never turned into digits.
    marks = "".join(re.escape(chr(c)) for c in range(0x20000) if unicodedata.category(chr(c)) == "No")
    return re.compile(f"([{marks}]+)")


def number_mark(text: str) -> str | None:
    """The first footnote mark, superscript or circled digit in `text` (`¹`, `①`, `⑴`), or None."""
    if text.isascii():
        return None
    m = _number_marks().search(text)
    return m.group()[0] if m else None


def _nfkc(text: str) -> str:
    """NFKC (width folding) of everything but the number marks, which it would turn into digits."""
    if unicodedata.is_normalized("NFKC", text):  # most text: nothing to fold, no mark to keep
        return text
    parts = _number_marks().split(text)
    if len(parts) == 1:
        return unicodedata.normalize("NFKC", text)
    # split() with a group alternates: text, marks, text, ...
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


def clean_text(text: object) -> str:
    """Width-folded (NFKC), invisible characters removed, runs of any space collapsed, stripped.

    Footnote marks (`¹`, `①`) are kept as written, not folded into digits. Case and inner
    punctuation are kept: this is the form for displaying and parsing a cell, `normalise_text`
    is the form for comparing names.
    """
    text = str(text)
    if not text.isascii():
        text = _drop_invisible(_nfkc(text.translate(_RADICALS)))
    return _SPACES.sub(" ", text).strip()


def normalise_text(text: str) -> str:
    """Fold width, case, spacing, invisible characters and traditional forms of province
    characters, so that variants of one name compare equal."""
    text = clean_text(text).translate(_TRADITIONAL).casefold()
    return _NAME_PUNCT.sub("", text)


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    with PROVINCES_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        names = [row["name_zh"], row["short_zh"], row["name_en"], row["iso_3166_2"]]
        names += [v for v in row["latin_variants"].split(";")]
        names += [v for v in row["traditional_variants"].split(";")]
        aliases = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
        out.append(Province(row["adcode"], row["name_zh"], row["short_zh"], row["name_en"],
                            row["nbs_region"], row["iso_3166_2"], aliases))
    return tuple(out)


@lru_cache(maxsize=1)
def by_adcode() -> dict[str, Province]:
    return {p.adcode: p for p in provinces()}


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for p in provinces():
        for alias in p.aliases:
            key = normalise_text(alias)
            if index.get(key, p.adcode) != p.adcode:
                raise ValueError(
                    f"alias {alias!r} is ambiguous between {index[key]} and {p.adcode}")
            index[key] = p.adcode
    return index


# Which kind of unit each province is decides which official suffix it may carry in pinyin or
# English ("Beijing Shi", "Guangdong Sheng", "Xizang Zizhiqu", "Hong Kong SAR").
_MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
_AUTONOMOUS = {"150000", "450000", "540000", "640000", "650000"}
_SARS = {"810000", "820000"}
_LATIN_SUFFIXES = (
    # (suffix after normalisation, adcodes that may carry it)
    ("specialadministrativeregion", _SARS), ("tebiexingzhengqu", _SARS), ("sar", _SARS),
    ("autonomousregion", _AUTONOMOUS), ("zizhiqu", _AUTONOMOUS),
    ("municipality", _MUNICIPALITIES), ("city", _MUNICIPALITIES), ("shi", _MUNICIPALITIES),
    ("province", None), ("sheng", None),
)
_ETHNIC_INFIXES = ("zhuangzu", "huizu", "weiwuer", "weiwuerzu", "zhuang", "hui", "uygur", "uyghur",
                   "uighur")

# Rows that sum several provinces. National totals and the NBS / planning regions are listed;
# they are reported as aggregates, never joined to a province.
_AGGREGATES = {
    "national": (
        "全国", "全国合计", "全国总计", "全国总量", "全国总数", "合计", "总计", "总数", "总量", "共计", "小计",
        "汇总", "总和", "全部", "中国", "全中国", "中华人民共和国", "全国汇总", "全国小计",
        "total", "totals", "grandtotal", "subtotal", "sum", "all", "national", "nationwide",
        "nationaltotal", "china", "allchina", "wholecountry", "prc",
    ),
    "regional": (
        "东部", "东部地区", "中部", "中部地区", "西部", "西部地区", "东北", "东北地区", "东北部",
        "华北", "华北地区", "华东", "华东地区", "华南", "华南地区", "华中", "华中地区", "西南", "西南地区",
        "西北", "西北地区", "京津冀", "长三角", "长江三角洲", "珠三角", "珠江三角洲", "粤港澳大湾区",
        "大湾区", "成渝", "成渝地区", "港澳台", "港澳台地区", "直辖市", "东中西部",
        "east", "eastern", "eastregion", "easternregion", "central", "centralregion", "west",
        "western", "westregion", "westernregion", "northeast", "northeastern", "northeastregion",
    ),
}
_NOT_PROVINCE_LEVEL = {
    ("兵团", "新疆兵团", "新疆生产建设兵团", "生产建设兵团", "xpcc", "bingtuan",
     "xinjiangproductionandconstructioncorps"):
        "the Xinjiang Production and Construction Corps (兵团) is reported separately from the "
        "provinces and is not a province-level unit",
    ("中央", "中央本级", "中央级", "中央企业", "央企", "中央单位", "中央直属", "central government"):
        "central-government level (中央) is not a province-level unit",
    ("其他", "其它", "其他地区", "其它地区", "other", "others", "未知", "不详", "不分地区", "未分地区",
     "境外", "国外", "abroad", "unknown"):
        "not a province-level unit (a catch-all category)",
}
# Prefecture-level cities whose names a reader could take for a province.
_CITIES = {"吉林市": "220000", "jilincity": "220000", "jilinshi": "220000",
           "海南州": "630000", "海南藏族自治州": "630000"}
# The lookbehind lets a run of marks be tried from its first character only: without it, a long
# run of stars not at the end of the cell was rescanned from each of its characters (quadratic).
_FOOTNOTE_MARK = re.compile(r"(?<![\s*＊※†‡#＃①-⑳⑴-⒇¹²³⁰-⁹])[\s*＊※†‡#＃①-⑳⑴-⒇¹²³⁰-⁹]+$"
                            r"|[(（](注|note)?\s*+\d*+[)）]$")


class ProvinceNotFound(InputError):
    """A name or code that is not a province-level unit; `reason` says why.

    `kind` is one of: empty, aggregate, not_province_level, city, sub_province_code,
    unknown_code, ambiguous, unknown_name. For sub_province_code and city, `province` is the
    adcode of the province that contains it (a hint for an opt-in aggregation, never applied).
    `suggestions` are hints for a person, never applied.
    """

    def __init__(self, text: str, reason: str, suggestions: tuple[str, ...] = (), *,
                 kind: str = "unknown_name", province: str | None = None):
        self.text, self.reason, self.suggestions = text, reason, suggestions
        self.kind, self.province = kind, province
        super().__init__(f"{text!r}: {reason}")  # an InputError with no file or row


_CODE = re.compile(r"^(\d{2})(\d{4})?(\d{6})?(?:\.0+)?$")


def resolve_code(text: str) -> str | None:
    """The province adcode for a code-shaped string, None if it is not code-shaped.

    Accepts 2-, 6- and 12-digit codes (``11``, ``110000``, ``110000.0``, ``110000000000``).
    ``10`` / ``100000`` give NATIONAL_ADCODE: callers reading user tables treat it as a total.
    A prefecture or county code where a province is expected raises ProvinceNotFound.
    """
    key = re.sub(r"\s", "", clean_text(text))
    if re.fullmatch(r"\d+(\.0+)?", key) and not _CODE.match(key):
        digits = len(key.split(".")[0])
        raise ProvinceNotFound(
            str(text), f"is a {digits}-digit code; a province code has 2, 6 or 12 digits",
            kind="unknown_code")
    m = _CODE.match(key)
    if not m:
        return None
    prefix, rest6, rest12 = m.group(1), m.group(2) or "", m.group(3) or ""
    adcode = prefix + "0000"
    if adcode not in by_adcode() and adcode != NATIONAL_ADCODE:
        raise ProvinceNotFound(str(text), "no province-level unit has this code",
                               kind="unknown_code")
    if rest6.strip("0") or rest12.strip("0"):
        raise ProvinceNotFound(
            str(text), f"is a prefecture or county code (in {adcode}), not a province code",
            (f"{by_adcode()[adcode].name_zh} ({adcode})",) if adcode in by_adcode() else (),
            kind="sub_province_code", province=adcode)
    return adcode


def resolve_province(text: object, *, suggestions: bool = True) -> str:
    """The 6-digit adcode of a province-level unit named or coded by `text`.

    Raises ProvinceNotFound with a reason and kind (and suggestions, never applied, unless
    `suggestions` is False) otherwise.
    """
    if text is None or (isinstance(text, float) and text != text):
        raise ProvinceNotFound("", "empty name", kind="empty")
    raw = str(text)
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        raw = str(int(text)) if float(text).is_integer() else raw
    key = normalise_text(raw)
    if not key:
        raise ProvinceNotFound(raw, "empty name", kind="empty")
    code = resolve_code(raw)
    if code is not None:
        return code
    found = _resolve_key(raw, key)
    if found is None:
        # "广东*", "北京①": a footnote mark on the name is not part of it.
        stripped = _FOOTNOTE_MARK.sub("", raw.strip())
        if stripped and stripped != raw.strip():
            found = _resolve_key(raw, normalise_text(stripped))
    if found is None:
        raise ProvinceNotFound(raw, "not a known province-level name",
                               suggest(raw) if suggestions else ())
    return found


def _resolve_key(raw: str, key: str) -> str | None:
    """Adcode for a normalised key, None if unknown; raises for known non-provinces."""
    index = _alias_index()
    if key in index:
        return index[key]
    if key.startswith("cn") and key[2:] in index:  # "CNBJ" from "CN BJ"/"CN_BJ"
        return index[key[2:]]
    if key.startswith("cn") and re.fullmatch(r"[0-9]{2,12}", key[2:]):  # pre-2017 ISO 3166-2 codes: "CN-11"
        return resolve_code(key[2:])
    _raise_if_not_province(raw, key)
    if _COMBINING.search(unicodedata.normalize("NFD", key)):
        return _resolve_pinyin_with_tones(raw, key)
    if key.isascii():
        return _resolve_with_suffix(key)
    return None


@lru_cache(maxsize=1)
def _special_index() -> dict[str, tuple[str, str]]:
    """Normalised name -> (kind, reason) for totals and units that are not provinces."""
    index = {}
    for which, names in _AGGREGATES.items():
        what = "a national total" if which == "national" else "a regional subtotal"
        index.update((normalise_text(n), ("aggregate", f"is {what}, not a province"))
                     for n in names)
    for names, reason in _NOT_PROVINCE_LEVEL.items():
        index.update((normalise_text(n), ("not_province_level", reason)) for n in names)
    return index


def _raise_if_not_province(raw: str, key: str) -> None:
    # "其中：东部地区" is a breakdown row in NBS tables; the prefix does not change what it is.
    bare = re.sub(r"^(其中|incl|including)[:：]?", "", key)
    if bare in _special_index():
        kind, reason = _special_index()[bare]
        raise ProvinceNotFound(raw, reason, kind=kind)
    if bare in _CITIES:
        adcode = _CITIES[bare]
        name = by_adcode()[adcode].name_zh
        raise ProvinceNotFound(
            raw, f"is a prefecture-level city or prefecture in {name} ({adcode}), not a province",
            (f"{name} ({adcode})",), kind="city", province=adcode)


def _resolve_pinyin_with_tones(raw: str, key: str) -> str | None:
    # Tone marks are the only thing that tells Shānxī (山西) from Shǎnxī (陕西) in pinyin, so they
    # are read, not stripped, for that pair; elsewhere they can be dropped safely.
    decomposed = unicodedata.normalize("NFD", key)
    bare = _COMBINING.sub("", decomposed)
    if bare.startswith("shanxi"):
        first_a = decomposed[decomposed.index("a") + 1: decomposed.index("a") + 2]
        tone = {"\u0304": "140000", "\u030c": "610000"}.get(first_a)
        if tone is None:
            raise ProvinceNotFound(
                raw, "pinyin 'Shanxi' without a first or third tone is ambiguous between 山西 and "
                     "陕西 (write Shanxi or Shaanxi)", ("山西省 (140000)", "陕西省 (610000)"),
                kind="ambiguous")
        rest = bare[len("shanxi"):]
        return tone if rest in ("", "sheng", "province") else None
    return _resolve_key(raw, bare)


def _resolve_with_suffix(key: str) -> str | None:
    index = _alias_index()
    for suffix, allowed in _LATIN_SUFFIXES:
        if not key.endswith(suffix) or len(key) == len(suffix):
            continue
        stem = key[: -len(suffix)]
        for infix in ("",) + _ETHNIC_INFIXES:
            if infix and not stem.endswith(infix):
                continue
            base = stem[: len(stem) - len(infix)]
            adcode = index.get(base)
            if adcode is None and base.startswith("cn"):
                adcode = index.get(base[2:])
            if adcode is None:
                continue
            if allowed is None:  # province / sheng: ordinary provinces and Taiwan
                allowed_ok = adcode not in _MUNICIPALITIES | _AUTONOMOUS | _SARS
            else:
                allowed_ok = adcode in allowed
            return adcode if allowed_ok else None
    return None


def suggest(text: str, limit: int = 3) -> tuple[str, ...]:
    """Province names that share the longest start with `text`: hints only, never applied."""
    key = normalise_text(text)
    scored = []
    # Only aliases that start like the name can share a start with it.
    for alias, adcode in _aliases_by_first_character().get(key[:1], ()):
        shared = len(_common_prefix(alias, key))
        if shared >= 2 or (shared >= 1 and not key.isascii()):
            scored.append((-shared, adcode))
    seen = dict.fromkeys(adcode for _, adcode in sorted(scored))
    return tuple(f"{by_adcode()[a].name_zh} ({a})" for a in list(seen)[:limit])


@lru_cache(maxsize=1)
def _aliases_by_first_character() -> dict[str, list[tuple[str, str]]]:
    index: dict[str, list[tuple[str, str]]] = {}
    for alias, adcode in _alias_index().items():
        index.setdefault(alias[:1], []).append((alias, adcode))
    return index


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]
