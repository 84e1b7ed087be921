"""The bundled data keep their provenance: every file documented, every value sourced and dated,
and every table rebuilt from the vendored sources exactly as committed."""
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from geo.data import regions
from geo.data.observations import latest_at, load_observations

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SOURCES = DATA / "sources"


def test_every_data_file_has_a_provenance_section():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^## (\S+)", readme, flags=re.M))
    files = {p.name for p in DATA.glob("*.csv")}
    assert files, "no data files found"
    assert files <= documented, f"no provenance section in data/README.md for {sorted(files - documented)}"


def test_every_observation_has_a_source_and_an_as_of():
    obs = load_observations()  # validates adcode, as_of format, numeric value, publisher
    assert (obs["source_publisher"].str.strip() != "").all()
    assert (obs["as_of"].str.strip() != "").all()
    assert ((obs["source_url"].str.strip() != "") | (obs["source_title"].str.strip() != "")).all()


def test_observations_use_string_adcodes_of_known_units():
    raw = pd.read_csv(DATA / "observations.csv", dtype=str, keep_default_na=False)
    known = set(regions.by_adcode()) | {regions.NATIONAL_ADCODE}
    assert set(raw["adcode"]) <= known


def test_provinces_without_a_sourced_5g_figure_stay_absent_not_zero():
    obs = load_observations()
    bs = obs[obs["metric"] == "bs5g"]
    for adcode in ("220000", "630000", "640000"):  # Jilin, Qinghai, Ningxia
        assert adcode not in set(bs["adcode"])
    assert (bs["value"] > 0).all()
    # Qinghai has a reported per-10k figure but no count: it stays a per-10k row only.
    qinghai = obs[obs["adcode"] == "630000"]
    assert set(qinghai["metric"]) == {"bs5g_per_10k_reported", "bs5g_advanced_sites", "population",
                                      "land_area"}


def test_every_csv_in_data_has_source_and_as_of_columns_filled():
    for path in DATA.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        # The registry and the build report are documented by their README sections.
        if path.name in ("provinces.csv", "facility_problems.csv"):
            continue
        source_cols = [c for c in frame.columns if c.startswith("source")]
        assert source_cols, f"{path.name} has no source column"
        has_source = frame[source_cols].apply(lambda r: any(v.strip() for v in r), axis=1)
        assert has_source.all(), f"{path.name}: rows without a source: {list(frame.index[~has_source] + 2)}"
        # facility_lists.csv is dated by the date each list was checked to.
        as_of = "verified_as_of" if path.name == "facility_lists.csv" else "as_of"
        assert as_of in frame.columns, f"{path.name} has no {as_of} column"
        assert (frame[as_of].str.strip() != "").all(), f"{path.name}: rows without {as_of}"


def test_the_vendored_sources_are_the_copies_their_readme_lists():
    readme = (SOURCES / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| (\S+) \| ([0-9a-f]{64}) \|$", readme, flags=re.M))
    present = {p.name for p in SOURCES.iterdir() if p.name != "README.md"}
    assert present == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((SOURCES / name).read_bytes()).hexdigest() == digest, name


def _build(script: str, out: Path) -> None:
    # As documented: run from the repository root, with the root on the import path (geo/).
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, f"data/{script}", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_build_scripts_rebuild_the_committed_tables_byte_for_byte(tmp_path):
    _build("build_data.py", tmp_path)
    _build("build_facilities.py", tmp_path)
    built = {p.name for p in tmp_path.iterdir()}
    assert built == {p.name for p in DATA.glob("*.csv")}
    for name in sorted(built):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), f"{name} differs from its rebuild"


# ----------------------------------------------------------------------------- 5G observations

def _obs():
    return pd.read_csv(DATA / "observations.csv", dtype=str, keep_default_na=False)


def _rows(frame, adcode, metric, as_of=None):
    rows = frame[(frame["adcode"] == adcode) & (frame["metric"] == metric)]
    return rows if as_of is None else rows[rows["as_of"] == as_of]


def test_every_observation_has_a_qualifier_and_known_flags():
    obs = _obs()
    assert set(obs["qualifier"]) == {"=", ">", "≈"}
    flags = {f for cell in obs["flags"] for f in cell.split(";") if f}
    assert flags <= {"low_authority", "derived", "conflict", "date_uncertain", "secondary", "caveat",
                     "not_preferred"}
    low = obs[obs["flags"].str.contains("low_authority")]
    assert len(low) > 0 and low["note"].str.contains("low-authority", case=False).all()


def test_qualifiers_follow_the_words_of_the_source():
    obs = _obs()
    assert _rows(obs, "440000", "bs5g", "2022-11-28")["qualifier"].tolist() == [">"]  # 超21万
    assert _rows(obs, "120000", "bs5g", "2019-06-08")["qualifier"].tolist() == [">"]  # 400余个
    assert _rows(obs, "330000", "bs5g", "2023-12-01")["qualifier"].tolist() == [">"]  # over 220,000
    assert _rows(obs, "110000", "bs5g", "2024-04-30")["qualifier"].tolist() == ["≈"]  # about 114,500
    assert _rows(obs, "650000", "bs5g", "2021-08-13")["qualifier"].tolist() == ["="]  # 10,490 exactly
    assert _rows(obs, "100000", "bs5g_per_10k_reported", "2024-04-30")["value"].tolist() == ["26"]
    assert _rows(obs, "100000", "bs5g_per_10k_reported", "2024-04-30")["qualifier"].tolist() == [">"]


def test_the_same_figure_from_two_sources_is_one_row_naming_both():
    obs = _obs()
    beijing = _rows(obs, "110000", "bs5g", "2024-04-30")
    assert beijing["value"].tolist() == ["114500"]
    assert "iot.youth.cn" in beijing["note"].iloc[0]  # the first file's source, named in the note
    assert beijing["quote"].iloc[0].startswith("Beijing has constructed about 114,500")
    assert len(_rows(obs, "140000", "bs5g", "2023-12-31")) == 1


def test_guizhou_84300_is_end_2022_as_the_second_sweep_corrects():
    guizhou = _rows(_obs(), "520000", "bs5g")
    assert guizhou.loc[guizhou["value"] == "84300", "as_of"].tolist() == ["2022-12-31"]
    assert "2023-03-06" not in set(guizhou["as_of"])


def test_on_one_date_the_app_shows_the_exact_figure_not_the_lower_bound():
    obs = load_observations()
    national = latest_at(obs, "bs5g", "2025-11-30").set_index("adcode")
    assert national.loc["100000", "value"] == 4_830_000
    assert latest_at(obs, "bs5g", "2019-12-31").set_index("adcode").loc["440000", "value"] == 36988
    shanghai = latest_at(obs, "bs5g_per_10k_reported", "2022-09-30").set_index("adcode")
    assert shanghai.loc["310000", "value"] == 26.6


def test_conflicting_figures_are_both_kept_and_flagged():
    zhejiang = _rows(_obs(), "330000", "bs5g", "2020-12-31")
    assert sorted(zhejiang["value"]) == ["62500", "62600"]
    assert zhejiang["flags"].str.contains("conflict").all()


def test_5g_a_sites_are_not_5g_base_stations():
    obs = load_observations()
    jiangsu = latest_at(obs, "bs5g", "2025-12-31").set_index("adcode").loc["320000"]
    assert (jiangsu["value"], jiangsu["as_of"]) == (216000, "2023-06-30")
    assert _rows(_obs(), "320000", "bs5g_advanced_sites")["value"].tolist() == ["39000"]


def test_national_totals_of_both_files_are_national_rows():
    national = _rows(_obs(), "100000", "bs5g")
    assert len(national) == 27
    assert national["as_of"].min() == "2019-12-31" and national["as_of"].max() == "2025-12-31"
    assert "000000" not in set(_obs()["adcode"])


def test_stations_added_in_a_period_say_when_the_period_starts():
    added = _obs()[_obs()["metric"] == "bs5g_new_in_period"]
    assert dict(zip(added["adcode"], added["period_start"])) == {
        "130000": "2020-01-01", "210000": "2020-01-01", "340000": "2020-01-01", "540000": "2024-01-01"}
    assert (_obs().loc[_obs()["metric"] != "bs5g_new_in_period", "period_start"] == "").all()


def test_a_figure_without_an_as_of_is_left_out():
    liaoning = _rows(_obs(), "210000", "bs5g")
    assert "26500" not in set(liaoning["value"])


def test_shanghai_outdoor_stations_are_a_subset_kept_apart_not_a_5g_count():
    obs = _obs()
    assert "83000" not in set(_rows(obs, "310000", "bs5g")["value"])
    outdoor = _rows(obs, "310000", "bs5g_outdoor")
    assert outdoor[["value", "qualifier", "as_of"]].values.tolist() == [["83000", ">", "2024-12-12"]]
    assert "yicaiglobal.com" in outdoor["source_url"].iloc[0]
    assert outdoor["flags"].iloc[0] == "date_uncertain"  # DOUBTFUL-DATE: the year is deduced
    # The map's newest Shanghai count stays the total of 2024-02 (read 2024-03-29).
    shanghai = latest_at(load_observations(), "bs5g", "2025-12-31").set_index("adcode").loc["310000"]
    assert (shanghai["value"], shanghai["as_of"]) == (92000, "2024-03-29")


def test_a_subset_the_build_is_not_told_of_stops_it(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    for path in SOURCES.iterdir():
        (sources / path.name).write_bytes(path.read_bytes())
    with open(sources / "5g_by_province_2026_sweep3.csv", "a", encoding="utf-8") as f:
        f.write('320000,江苏,cumulative_5g_bs,1000,base_stations,2025-01-01,=,pub,title,2025-01-01,'
                'http://example.org,quote,SUBSET: indoor only\n')
    done = subprocess.run([sys.executable, "data/build_data.py", "--sources", str(sources),
                           "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode != 0 and "a subset not listed in SUBSETS" in done.stderr


def test_5g_a_sites_are_never_under_bs5g():
    obs = _obs()
    advanced = obs[obs["metric"] == "bs5g_advanced_sites"]
    assert sorted(zip(advanced["adcode"], advanced["value"], advanced["qualifier"])) == [
        ("310000", "10000", ">"), ("320000", "39000", "="), ("420000", "43000", ">"),
        ("450000", "3400", ">"), ("630000", "545", "=")]
    bs5g = obs[obs["metric"] == "bs5g"]
    for adcode, value in zip(advanced["adcode"], advanced["value"]):
        assert value not in set(bs5g.loc[bs5g["adcode"] == adcode, "value"]), adcode


def test_third_sweep_per_10k_figures():
    obs = _obs()
    shanghai = _rows(obs, "310000", "bs5g_per_10k_reported", "2024-12-12")
    assert shanghai[["value", "qualifier", "flags"]].values.tolist() == [["38", ">", "date_uncertain"]]
    assert "just over 38 5G base stations per 10,000 residents" in shanghai["quote"].iloc[0]
    # Same-date repeats of figures already held: one row each, naming the other source.
    for adcode, as_of, value in (("140000", "2023-12-31", "26.7"), ("360000", "2022-09-30", "13.5"),
                                 ("430000", "2023-07-31", "18"), ("210000", "2025-11-21", "36.5")):
        rows = _rows(obs, adcode, "bs5g_per_10k_reported", as_of)
        assert rows["value"].tolist() == [value], adcode
        assert "same figure also reported by" in rows["note"].iloc[0], adcode
    for adcode, value in (("320000", "39000"), ("450000", "3400"), ("630000", "545")):
        rows = _rows(obs, adcode, "bs5g_advanced_sites")
        assert rows["value"].tolist() == [value] and "same figure also reported by" in rows["note"].iloc[0]


def test_regional_splits_are_their_own_table():
    regional = pd.read_csv(DATA / "regional_observations.csv", dtype=str, keep_default_na=False)
    assert set(regional["region"]) == {"East", "Central", "West", "Northeast", "Beijing-Tianjin-Hebei",
                                       "Yangtze River Delta"}
    assert set(regional["region"]) - {"Beijing-Tianjin-Hebei", "Yangtze River Delta"} == {
        p.region for p in regions.provinces() if p.region}
    newest = regional[regional["as_of"] == "2024-09-30"].set_index("region")["value"]
    assert newest.to_dict() == {"East": "1801000", "Central": "926000", "West": "1101000",
                                "Northeast": "260000", "Beijing-Tianjin-Hebei": "375000",
                                "Yangtze River Delta": "790000"}
    assert regional.loc[(regional["region"] == "Central") & (regional["as_of"] == "2022-04-30"),
                        "value"].tolist() == ["335000"]  # 33.5万


# ----------------------------------------------------------------------------- targets

def _targets():
    return pd.read_csv(DATA / "targets.csv", dtype=str, keep_default_na=False)


def test_targets_live_in_data_and_seeds_holds_inputs_only():
    from geo.analysis import targets

    assert targets.TARGETS_CSV == DATA / "targets.csv"
    assert sorted(p.name for p in (ROOT / "seeds").iterdir()) == ["README.md", "seed_2025_work_conference.txt"]


def test_every_target_names_its_document_in_full_and_is_dated():
    tg = _targets()
    assert (tg["document"].str.strip() != "").all()
    for column in ("document", "source_publisher", "source_url", "as_of", "issued"):
        assert not tg[column].str.match(r"(?i)^same\b").any(), f"a 'same' back-reference in {column}"
    assert tg["target_date"].str.fullmatch(r"\d{4}-12-31").all()
    assert (tg["target_date"].str[:4] == tg["target_year"]).all()
    assert tg["issued"].str.fullmatch(r"(\d{4}(-\d{2}(-\d{2})?)?)?").all()
    assert tg["as_of"].str.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?").all()
    assert "000000" not in set(tg["adcode"])
    assert set(tg.loc[tg["scope"] == "national", "adcode"]) == {"100000"}


def test_the_national_5g_path_of_targets():
    tg = _targets()
    counts = tg[(tg["adcode"] == "100000") & (tg["metric"] == "bs5g") & (tg["kind"] == "count")]
    assert sorted(zip(counts["target_date"], counts["target_value"], counts["qualifier"])) == [
        ("2020-12-31", "500000", ""), ("2022-12-31", "2000000", ""), ("2023-12-31", "2900000", ""),
        ("2025-12-31", "3640000", ""), ("2025-12-31", "4500000", "more than")]
    rates = tg[(tg["adcode"] == "100000") & (tg["kind"] == "per_10k_people")].set_index("target_value")
    assert rates.loc["26", "target_date"] == "2025-12-31" and rates.loc["26", "issued"] == "2021-11"
    assert rates.loc["38", "target_date"] == "2027-12-31" and rates.loc["38", "issued"] == "2024-11-26"
    assert rates.loc["26", "quote"] == "力争每万人拥有5G基站数达到26个"


def test_provincial_targets_of_the_second_sweep():
    tg = _targets()

    def find(adcode, value):
        return tg[(tg["adcode"] == adcode) & (tg["target_value"] == value)].iloc[0]

    shandong = find("370000", "30")
    assert (shandong["kind"], shandong["target_date"]) == ("per_10k_people", "2027-12-31")
    assert find("320000", "280000")["target_date"] == "2024-12-31"
    assert find("640000", "30000")["target_date"] == "2025-12-31"
    guizhou = find("520000", "160000")
    assert (guizhou["target_date"], guizhou["qualifier"]) == ("2025-12-31", "more than")
    assert find("420000", "180000")["qualifier"] == "more than"  # 突破18万
    hainan = find("460000", "12000")
    assert (hainan["metric"], hainan["period_start"], hainan["target_date"]) == (
        "bs5g_new_in_period", "2021-01-01", "2023-12-31")


def test_an_expected_result_and_metrics_the_app_lacks_are_not_targets():
    tg = _targets()
    assert "industrial_value_added_growth" not in set(tg["metric"])  # the 5.7 % of 2024
    assert "5.7" not in set(tg["target_value"])
    # 5G factories (10,000 by 2027; 1,000 full-connection factories) are no metric of the app:
    # the only 10,000 left is Ningxia's 5G base stations by 2022.
    assert tg.loc[tg["target_value"] == "10000", "adcode"].tolist() == ["640000"]
    assert "1000" not in set(tg["target_value"])
    assert set(tg["metric"]) == {"bs5g", "bs5g_new_in_period", "digital_parks", "high_tech_zones",
                                 "computing_centres"}
    assert len(tg) == 61 and tg["target_id"].is_unique  # 57 to the second sweep, 4 new in the third


def test_provincial_targets_of_the_third_sweep_with_their_citations():
    tg = _targets()

    def find(adcode, kind, value):
        rows = tg[(tg["adcode"] == adcode) & (tg["kind"] == kind) & (tg["target_value"] == value)]
        assert len(rows) == 1, (adcode, value)
        return rows.iloc[0]

    shanghai = find("310000", "count", "70000")
    assert (shanghai["target_date"], shanghai["issued"], shanghai["as_of"]) == ("2025-12-31", "2021", "2024-12-13")
    assert "yicaiglobal.com" in shanghai["source_url"] and "70,000 5G base stations" in shanghai["quote"]
    henan = find("410000", "count", "200000")
    assert henan["target_date"] == "2025-12-31" and "big5.cri.cn" in henan["source_url"]
    assert "河南省“十四五”新型基础设施建设规划" in henan["document"] and "20萬個" in henan["quote"]
    jiangxi = find("360000", "count", "70000")
    assert jiangxi["target_date"] == "2025-12-31" and "3xchallenge.com" in jiangxi["source_url"]
    # Its page has no year: as_of is a bound, and the note says so.
    assert jiangxi["as_of"] == "2025-02-23" and "not its date" in jiangxi["note"]
    chongqing = find("500000", "per_10k_people", "47.8")
    assert (chongqing["metric"], chongqing["target_date"]) == ("bs5g", "2025-12-31")
    assert "cyjjw.net" in chongqing["source_url"] and "万人拥有5G基站47.8个" in chongqing["quote"]


def test_a_repeated_target_is_one_row_naming_every_source():
    tg = _targets()
    province = tg[tg["scope"] == "province"]
    assert not province.duplicated(["adcode", "metric", "kind", "target_value", "period_start",
                                    "target_date"]).any()
    liaoning = province[(province["adcode"] == "210000") & (province["target_value"] == "140000")]
    assert liaoning["target_id"].tolist() == ["sweep-14"]
    assert "lnafzz.com" in liaoning["note"].iloc[0] and "zkxblog.com" in liaoning["note"].iloc[0]
    chongqing = province[(province["adcode"] == "500000") & (province["target_value"] == "150000")]
    assert chongqing["target_id"].tolist() == ["province-500000-target_cumulative_5g_bs-2025"]
    assert "cyjjw.net" in chongqing["note"].iloc[0]
    # Read at the same address, the held row takes the third sweep's quote (it had none).
    assert chongqing["quote"].iloc[0].startswith("胥红介绍")
    hubei = province[(province["adcode"] == "420000") & (province["target_value"] == "180000")]
    assert hubei["qualifier"].tolist() == ["more than"] and "突破18万个" in hubei["quote"].iloc[0]


def test_the_published_rule_reads_the_third_sweeps_targets():
    from geo.analysis import targets

    got = targets.allocate("published", "bs5g", targets.load_targets(), load_observations(),
                           "2025-12-31").set_index("adcode")["target"]
    assert got["360000"] == 70000  # Jiangxi's first target
    assert got["410000"] == 200000  # Henan: the 2025 target holds after 216,000 by end-2024
    assert got["310000"] == 70000
    # Chongqing: 150,000 and 47.8 per 10k are due the same day; the count, known last
    # (2021-09-15, the plan 2021-08-19), is the one in force.
    assert got["500000"] == 150000


def test_seed_targets_quote_the_seed():
    seed = (ROOT / "seeds" / "seed_2025_work_conference.txt").read_text(encoding="utf-8").lower()
    rows = _targets()[_targets()["target_id"].str.startswith("seed-")]
    assert len(rows) == 4
    for quote in rows["quote"]:
        assert quote and quote.lower() in seed
