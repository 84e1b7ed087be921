"""The province registry: adcode, Chinese and English names, region, and name normalisation.

Every province-level unit is keyed by its 6-digit GB/T 2260 adcode *as a string*. Names are
matched exactly after normalisation (width, case, spacing, invisible characters); nothing is
matched fuzzily, because Shanxi (140000) and Shaanxi (610000) differ by one letter.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PROVINCES_CSV = DATA_DIR / "provinces.csv"
NATIONAL_ADCODE = "100000"
REGIONS = ("East", "Central", "West", "Northeast")

# Characters that survive NFKC but carry no meaning in a name: zero-width space/joiners, BOM,
# word joiner, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[\s\u3000\u00a0]+")


@dataclass(frozen=True)
class Province:
    adcode: str
    name_zh: str
    short_zh: str
    name_en: str
    region: str  # East / Central / West / Northeast, or "" for Taiwan, Hong Kong, Macau
    iso_3166_2: str
    aliases: tuple[str, ...]


def normalise_text(text: str) -> str:
    """Fold width, case, spacing and invisible characters so that variants compare equal."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_INVISIBLE)
    text = _SPACES.sub(" ", text).strip().casefold()
    # "Inner-Mongolia", "Inner_Mongolia", "Nei Mongol" and "NeiMongol" are the same name.
    return re.sub(r"[\s\-_'’.·]", "", text)


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
                raise ValueError(f"alias {alias!r} is ambiguous between {index[key]} and {p.adcode}")
            index[key] = p.adcode
    return index


class ProvinceNotFound(LookupError):
    """A name or code that is not a province-level unit; `reason` says why."""

    def __init__(self, text: str, reason: str, suggestions: tuple[str, ...] = ()):
        self.text, self.reason, self.suggestions = text, reason, suggestions
        super().__init__(f"{text!r}: {reason}")


_CODE = re.compile(r"^(\d{2})(\d{4})?(\d{6})?(?:\.0+)?$")


def resolve_code(text: str) -> str | None:
    """The province adcode for a code-shaped string, None if it is not code-shaped.

    Accepts 2-, 6- and 12-digit codes (``11``, ``110000``, ``110000.0``, ``110000000000``).
    A prefecture or county code where a province is expected raises ProvinceNotFound.
    """
    m = _CODE.match(normalise_text(text))
    if not m:
        return None
    prefix, rest6, rest12 = m.group(1), m.group(2) or "", m.group(3) or ""
    adcode = prefix + "0000"
    if adcode not in by_adcode() and adcode != NATIONAL_ADCODE:
        raise ProvinceNotFound(text, "no province-level unit has this code")
    if rest6.strip("0") or rest12.strip("0"):
        raise ProvinceNotFound(
            text, f"is a prefecture or county code (in {adcode}), not a province code")
    return adcode


def resolve_province(text: object) -> str:
    """The 6-digit adcode of a province-level unit named or coded by `text`.

    Raises ProvinceNotFound with a reason (and suggestions, never applied) otherwise.
    """
    if text is None or (isinstance(text, float) and text != text):
        raise ProvinceNotFound("", "empty name")
    raw = str(text)
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        raw = str(int(text)) if float(text).is_integer() else raw
    key = normalise_text(raw)
    if not key:
        raise ProvinceNotFound(raw, "empty name")
    code = resolve_code(raw)
    if code is not None:
        return code
    index = _alias_index()
    if key in index:
        return index[key]
    if key.startswith("cn") and key[2:] in index:  # "CNBJ" from "CN BJ"/"CN_BJ"
        return index[key[2:]]
    raise ProvinceNotFound(raw, "not a known province-level name", suggest(raw))


def suggest(text: str, limit: int = 3) -> tuple[str, ...]:
    """Province names that share the longest start with `text`: hints only, never applied."""
    key = normalise_text(text)
    scored = []
    for alias, adcode in _alias_index().items():
        shared = len(_common_prefix(alias, key))
        if shared >= 2 or (shared >= 1 and not key.isascii()):
            scored.append((-shared, adcode))
    seen = dict.fromkeys(adcode for _, adcode in sorted(scored))
    return tuple(f"{by_adcode()[a].name_zh} ({a})" for a in list(seen)[:limit])


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]
