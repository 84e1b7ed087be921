"""Province identity: every spelling and code shape a user table may use, and what is not a province."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.data import regions
from geo.data.regions import ProvinceNotFound, resolve_province


@pytest.mark.parametrize("text, adcode", [
    # full and short names
    ("内蒙古自治区", "150000"), ("内蒙古", "150000"), ("广西壮族自治区", "450000"), ("广西", "450000"),
    ("北京市", "110000"), ("北京", "110000"),
    # English, pinyin, old postal spellings from the registry
    ("Inner Mongolia", "150000"), ("Nei Mongol", "150000"), ("Neimenggu", "150000"),
    ("Tibet", "540000"), ("Xizang", "540000"), ("Peking", "110000"),
    # pinyin and English with their official suffixes
    ("Guangdong Sheng", "440000"), ("Guangdong Province", "440000"), ("Beijing Shi", "110000"),
    ("Beijing Municipality", "110000"), ("Nei Mongol Zizhiqu", "150000"),
    ("Guangxi Zhuangzu Zizhiqu", "450000"), ("Guangxi Zhuang Autonomous Region", "450000"),
    ("Xinjiang Uygur Autonomous Region", "650000"), ("Hong Kong SAR", "810000"),
    ("Xianggang Tebie Xingzhengqu", "810000"), ("Guǎngdōng Shěng", "440000"),
    # traditional characters, including forms the registry does not list
    ("廣西", "450000"), ("內蒙古", "150000"), ("臺灣", "710000"), ("廣東省", "440000"),
    ("遼寧省", "210000"), ("黑龍江省", "230000"), ("寧夏回族自治區", "640000"), ("澳門特別行政區", "820000"),
    # full-width, invisible characters, odd spaces, case
    ("\u3000北京\u3000", "110000"), ("\u00a0上海 ", "310000"), ("北\u200b京", "110000"),
    ("\ufeff天津", "120000"), ("ＢＥＩＪＩＮＧ", "110000"), ("inner-mongolia", "150000"),
    ("⻄藏", "540000"),  # CJK radical code point that PDF copies produce
    # footnote marks on a name
    ("广东①", "440000"), ("北京*", "110000"),
])
def test_names_resolve(text, adcode):
    assert resolve_province(text) == adcode


@pytest.mark.parametrize("text, adcode", [
    ("Shanxi", "140000"), ("Shaanxi", "610000"), ("山西", "140000"), ("陕西", "610000"),
    ("陝西", "610000"), ("Shānxī", "140000"), ("Shǎnxī", "610000"), ("Shanxi Province", "140000"),
    ("Shaanxi Sheng", "610000"),
])
def test_shanxi_and_shaanxi_never_confused(text, adcode):
    assert resolve_province(text) == adcode


def test_pinyin_shanxi_without_telling_tone_is_ambiguous():
    with pytest.raises(ProvinceNotFound) as err:
        resolve_province("Shanxī")
    assert err.value.kind == "ambiguous"
    assert set(err.value.suggestions) == {"山西省 (140000)", "陕西省 (610000)"}


@pytest.mark.parametrize("code, adcode", [
    (110000, "110000"), ("110000", "110000"), ("110000.0", "110000"), (110000.0, "110000"),
    ("11", "110000"), ("110000000000", "110000"), ("CN-BJ", "110000"), ("cn_gd", "440000"),
    ("CN-44", "440000"), (" 440000 ", "440000"), ("４４００００", "440000"),
])
def test_codes_in_every_shape(code, adcode):
    assert resolve_province(code) == adcode


def test_national_code_is_the_national_adcode():
    # Kept for callers of the registry; user-table ingestion turns it into an aggregate row.
    assert resolve_province("10") == regions.NATIONAL_ADCODE
    assert resolve_province("100000") == regions.NATIONAL_ADCODE


@pytest.mark.parametrize("text, kind, province", [
    ("440100", "sub_province_code", "440000"),
    ("440100000000", "sub_province_code", "440000"),
    ("1100", "unknown_code", None),
    ("99", "unknown_code", None),
    ("吉林市", "city", "220000"),
    ("Jilin City", "city", "220000"),
    ("兵团", "not_province_level", None),
    ("新疆生产建设兵团", "not_province_level", None),
    ("其他", "not_province_level", None),
    ("中央", "not_province_level", None),
    ("全国", "aggregate", None),
    ("合计", "aggregate", None),
    ("全國合計", "aggregate", None),
    ("Total", "aggregate", None),
    ("其中：东部地区", "aggregate", None),
    ("", "empty", None),
    ("\u200b ", "empty", None),
])
def test_what_is_not_a_province_says_what_it_is(text, kind, province):
    with pytest.raises(ProvinceNotFound) as err:
        resolve_province(text)
    assert err.value.kind == kind
    assert err.value.province == province


def test_jilin_city_suggests_the_province_but_does_not_apply_it():
    with pytest.raises(ProvinceNotFound) as err:
        resolve_province("吉林市")
    assert err.value.suggestions == ("吉林省 (220000)",)
    assert resolve_province("吉林") == "220000"


@pytest.mark.parametrize("text", ["广西省", "Beijing Province", "Guangzhou", "广州市", "京"])
def test_near_misses_are_not_matched(text):
    with pytest.raises(ProvinceNotFound) as err:
        resolve_province(text)
    assert err.value.kind == "unknown_name"


def test_public_api_is_unchanged():
    assert len(regions.provinces()) == 34
    assert regions.by_adcode()["610000"].name_zh == "陕西省"
    assert regions.normalise_text("\u3000Inner-Mongolia\u200b") == "innermongolia"
    assert set(regions.REGIONS) == {"East", "Central", "West", "Northeast"}
    exc = ProvinceNotFound("x", "because", ("a",))
    assert (exc.text, exc.reason, exc.suggestions, exc.kind) == ("x", "because", ("a",),
                                                                "unknown_name")


# ---------------------------------------------------------------- property: spelling variants

_ALIASES = [(alias, p.adcode) for p in regions.provinces() for alias in p.aliases]
_SPACES = ["", " ", "\u3000", "\u00a0"]
_INVISIBLE = ["", "\u200b", "\u200d", "\ufeff", "\u2060"]


def _full_width(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch


@st.composite
def _variant(draw):
    alias, adcode = draw(st.sampled_from(_ALIASES))
    out = [draw(st.sampled_from(_SPACES))]
    for ch in alias:
        if ch == " ":
            ch = draw(st.sampled_from([" ", "\u3000", "\u00a0", "  "]))
        else:
            if draw(st.booleans()):
                ch = ch.upper() if draw(st.booleans()) else ch.lower()
            if draw(st.booleans()):
                ch = _full_width(ch)
        out.append(ch + draw(st.sampled_from(_INVISIBLE)))
    out.append(draw(st.sampled_from(_SPACES)))
    return "".join(out), adcode


@settings(max_examples=300, deadline=None)
@given(_variant())
def test_any_spelling_variant_of_an_alias_resolves_to_its_province(variant):
    text, adcode = variant
    assert resolve_province(text) == adcode
