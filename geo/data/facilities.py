"""Facilities as points: national supercomputing centres, 东数西算 data-centre clusters and
national high-tech zones, and how many of each lie in every province at a date.

The bundled table data/facilities.csv (built by data/build_facilities.py) holds one row per
located site: a supercomputing centre or a high-tech zone is one site; a data-centre cluster
whose start area names several counties has one row per county, all sharing its facility_id.
Province counts are not copied from any list: they come from a spatial join of the points with
the full-resolution province boundaries, so the join runs on real data whenever counts are shown.

Facilities are dated: `counts_from` is the date from which a facility counts (a zone's
designation, a centre's opening, a cluster's approval; empty: it does not count, e.g. a centre
still under construction). data/facility_lists.csv says per kind from when the list is complete
and up to when it was checked; count_at() counts as of a date with both.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import CHINA_LAT, CHINA_LON, DATA_DIR
from ..errors import DataError
from . import regions
from .observations import AS_OF_FORMAT, period_end

FACILITIES_CSV = DATA_DIR / "facilities.csv"
HUBS_CSV = DATA_DIR / "computing_hubs.csv"
FACILITY_LISTS_CSV = DATA_DIR / "facility_lists.csv"

KINDS = ("supercomputing_centre", "datacentre_cluster", "high_tech_zone")
LOCATION_LEVELS = ("county", "prefecture", "province")
DATUM = "gcj02"  # points are representative points of AMap-derived (GCJ-02) polygons
NOT_LOCATED = "not located: "
FACILITY_COLUMNS = (
    "facility_id", "site_id", "kind", "name_zh", "name_en", "site_name_zh", "status",
    "counts_from", "count_basis",
    "listed_province_adcode", "located_area_adcode", "located_area_name", "location_level",
    "location_method", "lon", "lat", "datum", "source_publisher", "source_title", "source_url",
    "as_of", "as_of_note", "confidence", "quote", "note")
HUB_COLUMNS = ("hub_zh", "hub_en", "province_adcodes", "source", "as_of")
LIST_COLUMNS = ("kind", "complete_from", "verified_as_of", "official_total", "official_total_as_of",
                "counted_at_total_date", "source_publisher", "source_url", "note")

_ADCODE = re.compile(r"^\d{6}$")
_COUNTS_FROM = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")  # YYYY-MM or YYYY-MM-DD
_URL = re.compile(r"^https?://\S+$")


# ----------------------------------------------------------------------------- loading

def load_facilities(path: str | Path | None = None) -> pd.DataFrame:
    """The facility table, validated; lon/lat as floats (NaN where the site is not located).

    Raises DataError naming the file, row (the header is row 1) and column of
    the first broken cell.
    """
    return _load_facilities(str(path or FACILITIES_CSV)).copy()


def load_facility_lists(path: str | Path | None = None) -> pd.DataFrame:
    """Per facility kind: complete_from (the first date the list is complete; empty: always),
    verified_as_of (the date up to which it was checked), the official total, sources, note."""
    return _load_lists(str(path or FACILITY_LISTS_CSV)).copy()


def load_hubs(path: str | Path | None = None) -> pd.DataFrame:
    """The 8 national computing hub nodes: hub_zh, hub_en, province_adcodes (';'-separated)."""
    return _load_hubs(str(path or HUBS_CSV)).copy()


@lru_cache(maxsize=4)
def _load_facilities(path: str) -> pd.DataFrame:
    frame = _read_text_table(path, FACILITY_COLUMNS)
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        _check_facility_row(row._asdict(), path, i)
    duplicated = frame["site_id"].duplicated(keep=False)
    if duplicated.any():
        rows = [int(i) + 2 for i in np.flatnonzero(duplicated)]
        raise DataError("site_id is not unique", file=path, row=rows[0], column="site_id",
                        expected="one row per site", found=f"same site_id on rows {rows}")
    frame["lon"] = pd.to_numeric(frame["lon"].replace("", np.nan)).astype(float)
    frame["lat"] = pd.to_numeric(frame["lat"].replace("", np.nan)).astype(float)
    return frame


@lru_cache(maxsize=4)
def _load_lists(path: str) -> pd.DataFrame:
    frame = _read_text_table(path, LIST_COLUMNS)
    for i, row in enumerate(frame.to_dict("records"), start=2):
        if row["kind"] not in KINDS:
            raise DataError("unknown kind", file=path, row=i, column="kind",
                            expected=" | ".join(KINDS), found=row["kind"])
        for column in ("verified_as_of", "complete_from", "official_total_as_of"):
            if (row[column] or column == "verified_as_of") and not AS_OF_FORMAT.match(row[column]):
                raise DataError("bad date", file=path, row=i, column=column,
                                expected="YYYY, YYYY-MM or YYYY-MM-DD", found=row[column])
        if not row["source_publisher"].strip():
            raise DataError("a list without a source", file=path, row=i, column="source_publisher",
                            expected="the source as given")
    if frame["kind"].duplicated().any():
        raise DataError("kind is not unique", file=path, column="kind", expected="one row per kind")
    return frame


@lru_cache(maxsize=4)
def _load_hubs(path: str) -> pd.DataFrame:
    frame = _read_text_table(path, HUB_COLUMNS)
    for i, row in enumerate(frame.to_dict("records"), start=2):
        for column in HUB_COLUMNS:
            if not row[column].strip():
                raise DataError("empty cell", file=path, row=i, column=column, expected="a value")
        for code in row["province_adcodes"].split(";"):
            _check_province_code(code, path, i, "province_adcodes")
        _check_as_of(row["as_of"], path, i)
    return frame


def _read_text_table(path: str, columns: tuple[str, ...]) -> pd.DataFrame:
    # Every cell as text: adcodes must stay 6-digit strings and blanks must stay blank.
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError("not valid UTF-8", file=path, expected="a UTF-8 CSV file") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError("missing column", file=path, row=1, column=missing[0],
                        expected=f"columns {', '.join(columns)}", found=list(frame.columns))
    return frame[list(columns)]


def _check_facility_row(row: dict, path: str, i: int) -> None:
    for column in ("facility_id", "site_id", "name_zh", "location_method"):
        if not row[column].strip():
            raise DataError("empty cell", file=path, row=i, column=column, expected="a value")
    if row["kind"] not in KINDS:
        raise DataError("unknown kind", file=path, row=i, column="kind",
                        expected=" | ".join(KINDS), found=row["kind"])
    _check_province_code(row["listed_province_adcode"], path, i, "listed_province_adcode")
    for column in ("source_publisher", "source_title"):
        if not row[column].strip():
            raise DataError("a facility without a source is not shown", file=path, row=i,
                            column=column, expected="the source as given")
    for url in filter(None, (u.strip() for u in row["source_url"].split(";"))):
        if not _URL.match(url):
            raise DataError("not a web link", file=path, row=i, column="source_url",
                            expected="http(s) URLs separated by ';'", found=url)
    _check_as_of(row["as_of"], path, i)
    if row["counts_from"] and not _COUNTS_FROM.match(row["counts_from"]):
        raise DataError("bad counts_from", file=path, row=i, column="counts_from",
                        expected="YYYY-MM or YYYY-MM-DD, or empty (does not count)",
                        found=row["counts_from"])
    if not row["count_basis"].strip():
        raise DataError("empty cell", file=path, row=i, column="count_basis",
                        expected="how the facility is counted, or why not")
    located = row["lon"] != "" or row["lat"] != ""
    if located:
        _check_located(row, path, i)
    else:
        if not row["location_method"].startswith(NOT_LOCATED):
            raise DataError("site without coordinates", file=path, row=i, column="location_method",
                            expected=f"'{NOT_LOCATED}<reason>'", found=row["location_method"])
        for column in ("located_area_adcode", "location_level", "datum"):
            if row[column]:
                raise DataError("a site that is not located has no area, level or datum",
                                file=path, row=i, column=column, expected="empty", found=row[column])


def _check_located(row: dict, path: str, i: int) -> None:
    for column, (low, high) in (("lon", CHINA_LON), ("lat", CHINA_LAT)):
        try:
            value = float(row[column])
        except ValueError:
            raise DataError("not a number", file=path, row=i, column=column,
                            expected="decimal degrees (both lon and lat, or neither)",
                            found=row[column]) from None
        if not low <= value <= high:
            raise DataError("outside China's extent", file=path, row=i, column=column,
                            expected=f"{low} to {high}", found=row[column])
    if not _ADCODE.match(row["located_area_adcode"]):
        raise DataError("bad adcode", file=path, row=i, column="located_area_adcode",
                        expected="a 6-digit string", found=row["located_area_adcode"])
    if row["location_level"] not in LOCATION_LEVELS:
        raise DataError("unknown location level", file=path, row=i, column="location_level",
                        expected=" | ".join(LOCATION_LEVELS), found=row["location_level"])
    if row["datum"] != DATUM:
        raise DataError("unexpected datum", file=path, row=i, column="datum",
                        expected=DATUM, found=row["datum"])
    if row["location_method"].startswith(NOT_LOCATED):
        raise DataError("a located site says it is not located", file=path, row=i,
                        column="location_method", expected="how the point was found")


def _check_province_code(code: str, path: str, i: int, column: str) -> None:
    if not _ADCODE.match(code) or code not in regions.by_adcode():
        raise DataError("bad province adcode", file=path, row=i, column=column,
                        expected="the 6-digit string code of a province-level unit", found=code)


def _check_as_of(as_of: str, path: str, i: int) -> None:
    if not AS_OF_FORMAT.match(as_of):
        raise DataError("a facility without an as-of date is not shown", file=path, row=i,
                        column="as_of", expected="YYYY, YYYY-MM or YYYY-MM-DD", found=as_of)


# ----------------------------------------------------------------------------- counting

def count_joined(facilities: pd.DataFrame, joined: pd.Series, kinds=KINDS, areas=None) -> pd.DataFrame:
    """Count facilities per province from the provinces their sites were joined to.

    `areas`: count in these prefectures or counties instead (adcodes of the level `joined` holds,
    as geo.analysis.drilldown does); their listed_not_located is NA, since a facility without a point is
    listed by province only.

    A facility counts once in each province where at least one of its sites lies: a data-centre
    cluster with three start areas in one province is one cluster there. Returns one row per
    province-level unit: adcode, count, as_of (the newest as_of among the facilities counted, or
    of the whole list where none is), listed_not_located (facilities the source lists in that
    province whose sites there could not be located: the count may be that much too low).
    The lists are of mainland programmes, so Taiwan, Hong Kong and Macau get no count (NA),
    not 0; so does every province when `facilities` holds no facility of `kinds`.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; expected some of {', '.join(KINDS)}")
    frame = facilities.assign(joined=joined.reindex(facilities.index).fillna(""))
    frame = frame[frame["kind"].isin(kinds)]
    counted = frame[frame["joined"] != ""].drop_duplicates(["facility_id", "joined"])
    count = counted.groupby("joined")["facility_id"].size()
    as_of = counted.groupby("joined")["as_of"].max()
    # A facility is "listed but not located" in a province when none of its sites listed there
    # was located (sites of one cluster can sit in different provinces).
    listed = frame.groupby(["listed_province_adcode", "facility_id"])["joined"]
    unlocated = listed.apply(lambda s: bool((s == "").all()))
    listed_not_located = unlocated[unlocated].groupby(level=0).size()
    list_as_of = frame["as_of"].max() if len(frame) else pd.NA

    provincial = areas is None
    out = pd.DataFrame({"adcode": [p.adcode for p in regions.provinces()] if provincial else list(areas)})
    # No facility of these kinds at all means no list to count from: no data, not zeros.
    mainland = (out["adcode"].map(lambda a: regions.by_adcode()[a[:2] + "0000"].region != "")
                & (len(frame) > 0))
    out["count"] = out["adcode"].map(count).fillna(0).astype("Int64").where(mainland)
    out["as_of"] = out["adcode"].map(as_of).fillna(list_as_of).where(mainland)
    out["listed_not_located"] = (
        out["adcode"].map(listed_not_located).fillna(0).astype("Int64").where(mainland & provincial))
    return out


def count_at(facilities: pd.DataFrame, joined: pd.Series, kinds, date,
             lists: pd.DataFrame | None = None) -> pd.DataFrame:
    """Facilities of `kinds` per province as of `date`.

    `joined` is the province each site's point was joined to (joined_provinces(), computed once
    by the caller; "" for a site without a point). A facility counts from its `counts_from`
    (inclusive; a YYYY-MM date counts from the end of that month) and never when `counts_from`
    is empty. It counts once in each province where one of its sites lies; a site with no point
    counts in the province the source lists (listed_province_adcode).

    Returns one row per province-level unit (34): adcode, count, as_of, listed_not_located.
    `as_of` is `date` (YYYY-MM-DD), but not later than the kinds' verified_as_of in `lists`
    (data/facility_lists.csv by default): the list is not known beyond it. `listed_not_located`
    says how many of the count have no point and were counted by their listed province.
    Taiwan, Hong Kong and Macau are NA (the lists are of mainland programmes), not 0; so is every
    province before the kinds' complete_from (the list cannot say what counted then), and when
    `facilities` holds no facility of `kinds`.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; expected some of {', '.join(KINDS)}")
    date = pd.Timestamp(date)
    lists = (load_facility_lists() if lists is None else lists).set_index("kind")
    missing = [k for k in kinds if k not in lists.index]
    if missing:
        raise ValueError(f"no list date for {missing} in the facility lists")
    complete_from = [period_end(c) for c in lists.loc[list(kinds), "complete_from"] if c]
    verified = min(lists.loc[list(kinds), "verified_as_of"], key=period_end)

    frame = facilities[facilities["kind"].isin(kinds)]
    out = pd.DataFrame({"adcode": [p.adcode for p in regions.provinces()]})
    known = len(frame) > 0 and not (complete_from and date < max(complete_from))
    mainland = out["adcode"].map(lambda a: regions.by_adcode()[a].region != "") & known

    starts = frame["counts_from"].map(lambda c: period_end(c) if c else pd.NaT)
    frame = frame[starts.notna() & (starts <= date)]
    has_point = frame["lon"].notna() & frame["lat"].notna()
    province = joined.reindex(frame.index).fillna("").where(has_point, frame["listed_province_adcode"])
    counted = frame.assign(province=province, unlocated=~has_point)
    counted = counted[counted["province"] != ""]
    per_province = counted.drop_duplicates(["facility_id", "province"])
    count = per_province.groupby("province")["facility_id"].size()
    # A facility of which no site has a point in that province was counted by its listing there.
    by_listing = counted.groupby(["province", "facility_id"])["unlocated"].all()
    listed_not_located = by_listing[by_listing].groupby(level=0).size()

    as_of = date.strftime("%Y-%m-%d") if date < period_end(verified) else verified
    out["count"] = out["adcode"].map(count).fillna(0).astype("Int64").where(mainland)
    out["as_of"] = pd.Series(as_of, index=out.index, dtype=object).where(mainland)
    out["listed_not_located"] = (
        out["adcode"].map(listed_not_located).fillna(0).astype("Int64").where(mainland))
    return out
