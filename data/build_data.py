"""Build the bundled tables in data/ from the sourced facts vendored in data/sources/.

Run from the repository root:  python data/build_data.py [--sources DIR] [--out DIR]

Every figure keeps its source and as-of date. Nothing is filled in: a figure the facts do not
give is simply absent (the app shows "no data"). The outputs are committed; tests/test_data.py
rebuilds them into a temporary directory and compares them byte for byte.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "data" / "sources"
NATIONAL = "100000"
OBSERVATION_COLUMNS = ["adcode", "metric", "value", "unit", "as_of", "as_of_note", "source_publisher",
                       "source_title", "source_date", "source_url", "note"]
TARGET_COLUMNS = ["target_id", "scope", "adcode", "metric", "kind", "target_value", "unit",
                  "target_year", "qualifier", "document", "source_publisher", "source_url", "as_of", "note"]
# Metric keys of the facts file -> the app's metric keys.
FIVE_G_METRICS = {"cumulative_5g_bs": "bs5g", "per_10k_reported": "bs5g_per_10k_reported",
                  "new_5g_bs_in_period": "bs5g_new_in_period"}
SEED_DOC = "seeds/seed_2025_work_conference.txt"


def read(facts: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(facts / name, dtype=str, keep_default_na=False)


def five_g_observations(facts: Path) -> pd.DataFrame:
    raw = read(facts, "5g_by_province_observations.csv")
    raw = raw[raw["metric"].isin(FIVE_G_METRICS)]
    return pd.DataFrame({
        "adcode": raw["adcode"], "metric": raw["metric"].map(FIVE_G_METRICS), "value": raw["value"],
        "unit": raw["unit"], "as_of": raw["as_of"], "as_of_note": raw["as_of_note"],
        "source_publisher": raw["source_publisher"], "source_title": raw["source_title"],
        "source_date": raw["source_date"], "source_url": raw["source_url"], "note": raw["notes"]})


def national_five_g(facts: Path) -> pd.DataFrame:
    raw = read(facts, "5g_national_timeseries.csv")
    qualifier = raw["qualifier"].map({">": "reported as 'more than'", "=": ""})
    note = (qualifier + "; " + raw["notes"]).str.strip("; ")
    return pd.DataFrame({
        "adcode": NATIONAL, "metric": "bs5g", "value": raw["total_5g_bs"], "unit": "base stations",
        "as_of": raw["as_of"], "as_of_note": "", "source_publisher": raw["source_publisher"],
        "source_title": raw["source_title"], "source_date": raw["source_date"],
        "source_url": raw["source_url"], "note": note})


def population_and_area(facts: Path) -> pd.DataFrame:
    raw = read(facts, "population_area_by_province.csv")
    raw = raw[raw["adcode"].str.fullmatch(r"\d{6}")]
    frames = []
    for year in range(2019, 2025):
        frames.append(pd.DataFrame({
            "adcode": raw["adcode"], "metric": "population", "value": raw[f"pop_{year}_10k"],
            "unit": "10k persons", "as_of": f"{year}-12-31", "as_of_note": raw["pop_as_of"],
            "source_publisher": "National Bureau of Statistics (NBS), annual data E0103",
            "source_title": "year-end resident population by province", "source_date": "",
            "source_url": "https://data.stats.gov.cn/easyquery.htm?cn=E0103",
            "note": "as read: " + raw["pop_source"]}))
    frames.append(pd.DataFrame({
        "adcode": raw["adcode"], "metric": "land_area", "value": raw["area_km2"], "unit": "km2",
        # The page is undated; its citations were accessed about 2016, so the year is all we know.
        "as_of": "2016", "as_of_note": raw["area_as_of"],
        "source_publisher": "national/provincial governments, as listed by Wikipedia",
        "source_title": "List of Chinese administrative divisions by area", "source_date": "",
        "source_url": "https://worddisk.com/wiki/List_of_Chinese_administrative_divisions_by_area/",
        "note": raw["area_source"]}))
    return pd.concat(frames, ignore_index=True)


def seed_targets(facts: Path) -> pd.DataFrame:
    raw = read(facts, "seed_targets.csv")
    metric = {"cumulative_5g_bs": "bs5g", "high_standard_digital_parks": "digital_parks",
              "provincial_high_tech_zones": "high_tech_zones", "computing_center_layout": "computing_centres",
              "industrial_value_added_growth_2024": "industrial_value_added_growth"}
    return pd.DataFrame({
        "target_id": "seed-" + raw["metric"], "scope": "national", "adcode": NATIONAL,
        "metric": raw["metric"].map(metric), "kind": "count", "target_value": raw["target_value"],
        "unit": raw["unit"], "target_year": raw["target_year"], "qualifier": raw["qualifier"],
        "document": raw["document"], "source_publisher": raw["source"], "source_url": SEED_DOC,
        "as_of": raw["as_of"], "note": raw["notes"]})


# targets_published.csv rows we can key to a metric of the app; the others (5G factories,
# Shaoguan racks, provincial rows that repeat the observation file's target rows) are left out.
PUBLISHED = {
    ("national", "5G base stations per 10k people"): ("bs5g", "per_10k_people", "base stations per 10k people"),
    ("national", "5G base stations total (end-2023)"): ("bs5g", "count", "base stations"),
    ("national", "5G base stations total (end-2022)"): ("bs5g", "count", "base stations"),
    ("national", "5G base stations total (end-2020)"): ("bs5g", "count", "base stations"),
    ("national", "high-standard digital parks"): ("digital_parks", "count", "parks"),
}


# The date of each national published target's source (targets_published.csv has no date column;
# the date is in its text): line of the facts file -> as_of.
PUBLISHED_AS_OF = {
    2: "2021-11-17",  # 人民日报 2021-11-17 p13
    3: "2025-11-27",  # the xinwen.mobi repost, dated 2025-11-27 in targets_2026_sweep.csv
    4: "2023-04-20",  # Xinhua via en.people.cn 2023-04-20
    5: "2022-02-28",  # MIIT at SCIO 2022-02-28
    7: "2020-09-07",  # reported by SCMP 2020-09-07
    8: "2025-11",     # 《高标准数字园区建设指南》 (MIIT 2025-11)
}


def published_targets(facts: Path) -> pd.DataFrame:
    raw = read(facts, "targets_published.csv")
    rows = []
    for i, r in raw.iterrows():
        key = (r["scope"], r["metric"])
        if key not in PUBLISHED:
            continue
        metric, kind, unit = PUBLISHED[key]
        rows.append({"target_id": f"published-{i + 2}", "scope": "national", "adcode": NATIONAL,
                     "metric": metric, "kind": kind, "target_value": r["target_value"], "unit": unit,
                     "target_year": r["target_year"], "qualifier": "", "document": r["document"],
                     "source_publisher": r["source_publisher"], "source_url": r["source_url"],
                     "as_of": PUBLISHED_AS_OF[i + 2], "note": f"{r['metric']}; {r['notes']}".strip("; ")})
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def provincial_targets(facts: Path) -> pd.DataFrame:
    raw = read(facts, "5g_by_province_observations.csv")
    raw = raw[raw["metric"].str.startswith("target_")]
    kind = raw["metric"].map({"target_cumulative_5g_bs": "count", "target_per_10k": "per_10k_people"})
    qualifier = raw["as_of_note"].str.extract(r"\('(more than)'\)", expand=False).fillna("")
    return pd.DataFrame({
        "target_id": "province-" + raw["adcode"] + "-" + raw["metric"] + "-" + raw["as_of"].str[:4],
        "scope": "province", "adcode": raw["adcode"], "metric": "bs5g", "kind": kind,
        "target_value": raw["value"], "unit": raw["unit"], "target_year": raw["as_of"].str[:4],
        "qualifier": qualifier, "document": raw["source_title"], "source_publisher": raw["source_publisher"],
        "source_url": raw["source_url"], "as_of": raw["source_date"],
        "note": (raw["as_of_note"] + "; " + raw["notes"]).str.strip("; ")})


def main(facts: Path = SOURCES, out: Path = ROOT / "data") -> None:
    observations = pd.concat([five_g_observations(facts), national_five_g(facts),
                              population_and_area(facts)], ignore_index=True)
    observations = observations[OBSERVATION_COLUMNS].sort_values(
        ["metric", "adcode", "as_of"], ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    observations.to_csv(out / "observations.csv", index=False)
    targets = pd.concat([seed_targets(facts), published_targets(facts), provincial_targets(facts)],
                        ignore_index=True)[TARGET_COLUMNS]
    targets.to_csv(out / "targets.csv", index=False)
    (out / "provinces.csv").write_bytes((facts / "provinces.csv").read_bytes())
    print(f"observations: {len(observations)} rows, targets: {len(targets)} rows")


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sources", type=Path, default=SOURCES,
                        help="folder of the sourced facts (default: data/sources)")
    parser.add_argument("--out", type=Path, default=ROOT / "data",
                        help="folder to write the tables to (default: data)")
    return parser.parse_args()


if __name__ == "__main__":
    args = arguments(__doc__.splitlines()[0])
    main(args.sources, args.out)
