"""Build the bundled tables in data/ from the sourced facts vendored in data/sources/.

Run from the repository root:  python data/build_data.py [--sources DIR] [--out DIR]

Every figure keeps its source and as-of date. Nothing is filled in: a figure the facts do not
give is simply absent (the app shows "no data"). The outputs are committed; tests/test_data.py
rebuilds them into a temporary directory and compares them byte for byte.
"""
from __future__ import annotations

import argparse
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "data" / "sources"
NATIONAL = "100000"
OBSERVATION_COLUMNS = ["adcode", "metric", "value", "unit", "as_of", "as_of_note", "period_start",
                       "qualifier", "source_publisher", "source_title", "source_date", "source_url",
                       "quote", "flags", "note"]
REGIONAL_COLUMNS = ["region", "region_zh", "metric", "value", "unit", "as_of", "qualifier",
                    "source_publisher", "source_title", "source_date", "source_url", "quote", "flags",
                    "note"]
TARGET_COLUMNS = ["target_id", "scope", "adcode", "metric", "kind", "target_value", "unit",
                  "target_year", "target_date", "period_start", "qualifier", "document", "issued",
                  "source_publisher", "source_url", "as_of", "quote", "note"]
# Metric keys of the facts files -> the app's metric keys. A facts metric missing here stops the
# build: nothing is dropped without saying so.
FIVE_G_METRICS = {
    "cumulative_5g_bs": "bs5g",
    "per_10k_reported": "bs5g_per_10k_reported",
    "new_5g_bs_in_period": "bs5g_new_in_period",
    "share_of_mobile_bs_pct": "bs5g_share_of_mobile_bs",
    # 5G-A (5G-Advanced) sites are upgraded sites, not a count of 5G base stations.
    "5g_a_capable_bs": "bs5g_advanced_sites",
    "5g_a_sites": "bs5g_advanced_sites",
    "5g_advanced_sites": "bs5g_advanced_sites",  # the third sweep's key
    # Counted differently from the totals: kept apart so they are never compared with them.
    "cumulative_5g_macro_bs": "bs5g_macro",
    "cumulative_5g_bs_physical": "bs5g_physical",
    "cumulative_5g_bs_logical": "bs5g_logical",
    # The national average a province's release implies (marked DERIVED by the facts).
    "per_10k_implied": "bs5g_per_10k_reported",
    "per_10k_5g_bs": "bs5g_per_10k_reported",  # the third sweep's key
}
TARGET_METRICS = ("target_cumulative_5g_bs", "target_per_10k")
SEED_DOC = "seeds/seed_2025_work_conference.txt"
SWEEP_PROVINCES = "5g_by_province_observations_2026_sweep.csv"
SWEEP_REGIONS = "5g_regional_national_2026_sweep.csv"
SWEEP3_PROVINCES = "5g_by_province_2026_sweep3.csv"
# Units as the third sweep spells them -> as the earlier files write them.
UNITS = {"base_stations": "base stations", "per 10k people": "per 10k residents",
         "stations_per_10k_residents": "per 10k residents"}
# Rows the facts file under a 5G count that count a subset only (their note says SUBSET): kept
# apart under their own metric, so they are never read as a province's total.
SUBSETS = {
    (SWEEP3_PROVINCES, 6): "bs5g_outdoor",  # Shanghai, more than 83,000 outdoor stations, 2024-12
}

# Rows of the facts left out of the tables, with the reason (checked: each must exist).
LEFT_OUT = {
    (SWEEP_PROVINCES, 21): "Liaoning 26,500: no as-of date (the facts: 'DATE UNRESOLVED ... do not "
                           "use for the map')",
}
# Corrections the facts README states ("Second sweep (late 2026)"), applied to the first file:
# (file, line) -> (column, old value, new value, why).
CORRECTIONS = {
    ("5g_by_province_observations.csv", 63): (
        "as_of", "2023-03-06", "2022-12-31",
        ("as_of corrected from 2023-03-06 ('to date' in Shine 2023-03-06) to 2022-12-31: the "
         "figure is end-2022 (贵州日报 via gz.cri.cn 2023-03-17: '截至2022年底'; facts README, "
         "second sweep)")),
}
# Start of the period of each 'stations added in a period' figure, as its note states it:
# (adcode, as_of) -> period start.
PERIOD_START = {
    ("130000", "2020-08-31"): "2020-01-01",  # 'new in Jan-Aug 2020'
    ("210000", "2020-09-30"): "2020-01-01",  # 'Jan-Sep 2020'
    ("340000", "2020-12-31"): "2020-01-01",  # 'built in 2020'
    ("540000", "2024-12-17"): "2024-01-01",  # 'built in 2024 (to mid-Dec)'
}
# Regions of MIIT's splits: the NBS regions of provinces.csv, and two city-region groupings.
REGIONS = {"东部": "East", "中部": "Central", "西部": "West", "东北": "Northeast",
           "京津冀": "Beijing-Tianjin-Hebei", "长三角": "Yangtze River Delta"}
REGION_COLUMNS = {"east_10k": "东部", "central_10k": "中部", "west_10k": "西部",
                  "northeast_10k": "东北", "jingjinji_10k": "京津冀", "yangtze_delta_10k": "长三角"}

# Markers the facts put in their notes -> flags (kept with the note itself).
FLAG_MARKERS = (
    ("low_authority", re.compile(r"low-authority", re.IGNORECASE)),
    ("derived", re.compile(r"\bDERIVED\b")),
    ("conflict", re.compile(r"\bCONFLICT")),
    ("date_uncertain", re.compile(r"DATE (UNRESOLVED|UNCERTAIN|CONFLICT)|DOUBTFUL-DATE")),
    ("secondary", re.compile(r"\bSECONDARY\b")),
    ("caveat", re.compile(r"\bCAVEAT\b")),
)
AS_OF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
MORE_THAN = ">"
EXACT = "="
ABOUT = "≈"


def read(facts: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(facts / name, dtype=str, keep_default_na=False)
    frame["_file"], frame["_line"] = name, frame.index + 2
    return frame


def resolve_same(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Replace 'same' / 'same as above' / 'same (X)' back-references by the value they refer to:
    the one other row with the same source_url that states it (or, if several do, the nearest row
    above). 'same (X)' keeps X after the value, in parentheses."""
    frame = frame.copy()
    pattern = re.compile(r"^same(?: as above)?(?: \((.*)\))?$")
    for column in columns:
        for i in frame.index:
            m = pattern.match(frame.at[i, column])
            if not m:
                continue
            same_url = frame[(frame["source_url"] == frame.at[i, "source_url"])
                             & ~frame[column].str.match(pattern)]
            stated = same_url[column].unique()
            if len(stated) != 1:
                stated = same_url.loc[same_url.index < i, column].tail(1).to_numpy()
            if len(stated) != 1:
                raise ValueError(f"{frame.at[i, '_file']} line {frame.at[i, '_line']}: {column} "
                                 f"{frame.at[i, column]!r} refers to no row with its source_url")
            frame.at[i, column] = stated[0] + (f" ({m.group(1)})" if m.group(1) else "")
    return frame


def flags_of(text: str) -> list[str]:
    return [flag for flag, marker in FLAG_MARKERS if marker.search(text)]


def _number_forms(value: str) -> list[str]:
    """How a figure can be written next to its qualifier: 17000, 17,000, 1.7万."""
    number = Decimal(value)
    forms = [value, f"{number:,}"]
    wan = (number / 10000).normalize()
    if number >= 10000:
        forms.append(f"{wan:f}万")
    return forms


def qualifier_from_text(value: str, *texts: str) -> str:
    """'>' where the text qualifies this very figure with 'more than' (超, 逾, 余, over, exceeded,
    突破 ...), else '='. Words about other figures in the same note do not count."""
    words = r"(?:more than|over|exceeded|exceed|超过|超|逾|突破|>)"
    for form in _number_forms(value):
        f = re.escape(form)
        pattern = re.compile(rf"{words}\s*'?{f}(?![\d.,])|(?<![\d.,]){f}\s*[余多]")
        if any(pattern.search(t) for t in texts):
            return MORE_THAN
    # 'target end-2025 ('more than')': the qualifier stated without the figure.
    if any(re.search(r"\('(more than|突破[^']*)'\)", t) for t in texts):
        return MORE_THAN
    return EXACT


def _check_left_out(raw: pd.DataFrame) -> pd.DataFrame:
    """Drop the rows listed in LEFT_OUT; a row without as_of must be one of them."""
    keys = list(zip(raw["_file"], raw["_line"]))
    dropped = pd.Series([k in LEFT_OUT for k in keys], index=raw.index)
    undated = raw["as_of"].str.strip() == ""
    if (undated & ~dropped).any():
        lines = raw.loc[undated & ~dropped, "_line"].tolist()
        raise ValueError(f"rows without as_of not listed in LEFT_OUT: lines {lines}")
    return raw[~dropped]


def _apply_corrections(raw: pd.DataFrame) -> pd.DataFrame:
    raw = raw.copy()
    raw["_correction"] = ""
    for (name, line), (column, old, new, why) in CORRECTIONS.items():
        hit = (raw["_file"] == name) & (raw["_line"] == line)
        if hit.sum() != 1 or raw.loc[hit, column].iloc[0] != old:
            raise ValueError(f"correction of {name} line {line} does not match the facts")
        raw.loc[hit, column] = new
        raw.loc[hit, "_correction"] = why
    return raw


def _period_start(adcode: str, metric: str, as_of: str) -> str:
    if metric != "bs5g_new_in_period":
        return ""
    if (adcode, as_of) not in PERIOD_START:
        raise ValueError(f"no period start for the stations added in a period in {adcode} to {as_of}")
    return PERIOD_START[(adcode, as_of)]


def _observation(r: dict, **fields) -> dict:
    """One output row (plus the private columns used to merge and order rows)."""
    row = {c: "" for c in OBSERVATION_COLUMNS}
    row.update(fields)
    row["period_start"] = _period_start(row["adcode"], row["metric"], row["as_of"])
    row["flags"] = ";".join(flags_of(row["note"] + " " + row["as_of_note"]))
    row.update(_file=r["_file"], _line=r["_line"])
    return row


def first_five_g(facts: Path) -> list[dict]:
    """The first provincial file: counts, reported per 10k, stations added in a period."""
    raw = read(facts, "5g_by_province_observations.csv")
    raw = raw[~raw["metric"].isin(TARGET_METRICS)]
    raw = _apply_corrections(resolve_same(raw, ["source_title"]))
    rows = []
    for r in raw.to_dict("records"):
        note = "; ".join(filter(None, [r["notes"], r["_correction"]]))
        as_of_note = r["as_of_note"] + (" (corrected: end-2022)" if r["_correction"] else "")
        rows.append(_observation(
            r, adcode=r["adcode"], metric=FIVE_G_METRICS[r["metric"]], value=r["value"],
            unit=r["unit"], as_of=r["as_of"], as_of_note=as_of_note,
            qualifier=qualifier_from_text(r["value"], r["as_of_note"], r["notes"], r["source_title"]),
            source_publisher=r["source_publisher"], source_title=r["source_title"],
            source_date=r["source_date"], source_url=r["source_url"], note=note))
    return rows


def _sweep_metric(r: dict) -> str:
    """The app's metric of a sweep row; a subset count gets its own (SUBSETS), never bs5g."""
    key = (r["_file"], r["_line"])
    if ("SUBSET" in r["note"]) != (key in SUBSETS):
        raise ValueError(f"{r['_file']} line {r['_line']}: a subset not listed in SUBSETS, or a "
                         "row listed there that the facts do not mark SUBSET")
    return SUBSETS.get(key, FIVE_G_METRICS[r["metric"]])


def sweep_five_g(facts: Path) -> list[dict]:
    """The provincial observations of the second and third sweeps (with their own qualifier and
    quote)."""
    rows = []
    for name in (SWEEP_PROVINCES, SWEEP3_PROVINCES):
        raw = _check_left_out(resolve_same(read(facts, name), ["source_publisher", "source_title"]))
        rows += [_observation(
            r, adcode=r["adcode"], metric=_sweep_metric(r), value=r["value"],
            unit=UNITS.get(r["unit"], r["unit"]), as_of=r["as_of"], qualifier=r["qualifier"],
            source_publisher=r["source_publisher"], source_title=r["source_title"],
            source_date=r["source_date"], source_url=r["source_url"], quote=r["quote"],
            note=r["note"]) for r in raw.to_dict("records")]
    return rows


def national_five_g(facts: Path) -> list[dict]:
    """National totals (and reported per-10k) of the time series and of the second sweep."""
    rows = []
    for r in read(facts, "5g_national_timeseries.csv").to_dict("records"):
        common = dict(adcode=NATIONAL, as_of=r["as_of"], source_publisher=r["source_publisher"],
                      source_title=r["source_title"], source_date=r["source_date"],
                      source_url=r["source_url"], note=r["notes"])
        rows.append(_observation(r, metric="bs5g", value=r["total_5g_bs"], unit="base stations",
                                 qualifier=r["qualifier"], **common))
        per_10k = r["per_10k_reported"]
        if per_10k:
            # The qualifier column is the total's; a per-10k figure carries its own '>' if any.
            rows.append(_observation(r, metric="bs5g_per_10k_reported", value=per_10k.lstrip(">"),
                                     unit="per 10k residents",
                                     qualifier=MORE_THAN if per_10k.startswith(">") else EXACT, **common))
    raw = read(facts, SWEEP_REGIONS)
    for r in raw[raw["scope"] == "national"].to_dict("records"):
        rows.append(_observation(
            r, adcode=NATIONAL, metric=FIVE_G_METRICS[r["metric"]], value=r["value"], unit=r["unit"],
            as_of=r["as_of"], qualifier=r["qualifier"], source_publisher=r["source_publisher"],
            source_title=r["source_title"], source_date=r["source_date"], source_url=r["source_url"],
            quote=r["quote"], note=r["note"]))
    return rows


def _cite(row: dict) -> str:
    parts = [row["source_publisher"], row["source_title"] and f"'{row['source_title']}'",
             row["source_date"], row["source_url"]]
    return ", ".join(p for p in parts if p)


def merge_same_figures(rows: list[dict]) -> list[dict]:
    """One row per figure: where two sources give the same value for the same place, metric and
    date, keep the row with a verbatim quote (else the first) and name the other in its note."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row["adcode"], row["metric"], row["as_of"], Decimal(row["value"]))
        groups.setdefault(key, []).append(row)
    out = []
    for group in groups.values():
        kept = next((r for r in group if r["quote"]), group[0])
        for other in group:
            if other is kept:
                continue
            also = f"same figure also reported by: {_cite(other)}"
            if other["qualifier"] != kept["qualifier"]:
                also += f" (qualifier there: {other['qualifier']})"
            if other["quote"]:
                also += f", quote: \"{other['quote']}\""
            if other["note"]:
                also += f" [its note: {other['note']}]"
            kept["note"] = "; ".join(filter(None, [kept["note"], also]))
            kept["flags"] = ";".join(dict.fromkeys(filter(None, kept["flags"].split(";") + other["flags"].split(";"))))
        out.append(kept)
    return out


def mark_same_date_disagreements(rows: list[dict]) -> list[dict]:
    """Different figures for one place, metric and date are all kept. A 'more than' bound that an
    exact figure of the same date satisfies is marked not_preferred; exact figures that still
    differ are marked conflict (the facts do not say which to prefer)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["adcode"], row["metric"], row["as_of"]), []).append(row)
    for group in groups.values():
        if len(group) < 2:
            continue
        exact = [r for r in group if r["qualifier"] != MORE_THAN]
        for r in group:
            others = [o for o in group if o is not r]
            if r["qualifier"] == MORE_THAN and exact and all(
                    Decimal(e["value"]) > Decimal(r["value"]) for e in exact):
                _add_flag(r, "not_preferred")
                r["note"] = "; ".join(filter(None, [r["note"], "lower bound; the same date has the exact "
                                                    "figure " + " and ".join(
                                                        f"{e['value']} ({e['source_publisher']})" for e in exact)]))
            elif len({Decimal(e["value"]) for e in exact}) > 1 and r in exact:
                _add_flag(r, "conflict")
                r["note"] = "; ".join(filter(None, [r["note"], "conflicts with " + " and ".join(
                    f"{o['value']} ({o['source_publisher']})" for o in others if o in exact)
                    + " for the same date; both kept"]))
    return rows


def _add_flag(row: dict, flag: str) -> None:
    row["flags"] = ";".join(dict.fromkeys(filter(None, row["flags"].split(";") + [flag])))


def five_g_observations(facts: Path) -> pd.DataFrame:
    rows = first_five_g(facts) + sweep_five_g(facts) + national_five_g(facts)
    rows = mark_same_date_disagreements(merge_same_figures(rows))
    return pd.DataFrame(rows)[OBSERVATION_COLUMNS]


def regional_observations(facts: Path) -> pd.DataFrame:
    """MIIT's regional splits of the 5G total (万 converted to units), first file and sweep."""
    rows = []
    for r in read(facts, "5g_regional_aggregates.csv").to_dict("records"):
        for column, region_zh in REGION_COLUMNS.items():
            if not r[column]:
                continue
            rows.append({"region": REGIONS[region_zh], "region_zh": region_zh, "metric": "bs5g",
                         "value": _from_wan(r[column]), "unit": "base stations", "as_of": r["as_of"],
                         "qualifier": EXACT, "source_publisher": r["source_publisher"],
                         "source_title": "", "source_date": r["source_date"],
                         "source_url": r["source_url"], "quote": "", "flags": "",
                         "note": f"{r['notes']}; value as given: {r[column]}万"})
    raw = read(facts, SWEEP_REGIONS)
    for r in raw[raw["scope"] == "region"].to_dict("records"):
        rows.append({"region": REGIONS[r["region"]], "region_zh": r["region"],
                     "metric": FIVE_G_METRICS[r["metric"]], "value": r["value"], "unit": r["unit"],
                     "as_of": r["as_of"], "qualifier": r["qualifier"],
                     "source_publisher": r["source_publisher"], "source_title": r["source_title"],
                     "source_date": r["source_date"], "source_url": r["source_url"],
                     "quote": r["quote"], "flags": ";".join(flags_of(r["note"])), "note": r["note"]})
    if raw["scope"].isin(["region", "national"]).sum() != len(raw):
        raise ValueError(f"{SWEEP_REGIONS}: a scope other than region or national")
    order = {name: i for i, name in enumerate(REGIONS.values())}
    frame = pd.DataFrame(rows, columns=REGIONAL_COLUMNS)
    frame["_order"] = frame["region"].map(order)
    return frame.sort_values(["as_of", "_order"], kind="stable")[REGIONAL_COLUMNS].reset_index(drop=True)


def _period_end(as_of: str) -> str:
    """'2016' -> '2016-12-31', '2023-08' -> '2023-08-31' (as geo.data.observations.period_end)."""
    if len(as_of) == 4:
        return f"{as_of}-12-31"
    if len(as_of) == 7:
        return str((pd.Timestamp(f"{as_of}-01") + pd.offsets.MonthEnd(0)).date())
    return as_of


def _from_wan(text: str) -> str:
    """A figure in 万 (10k) as a whole number of units: '33.5' -> '335000'."""
    value = Decimal(text) * 10000
    if value != value.to_integral_value():
        raise ValueError(f"{text}万 is not a whole number of units")
    return str(int(value))


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


# ----------------------------------------------------------------------------- targets

TARGET_KINDS = {  # facts metric -> (metric, kind, unit)
    "target_cumulative_5g_bs": ("bs5g", "count", "base stations"),
    "target_per_10k": ("bs5g", "per_10k_people", "base stations per 10k people"),
    "target_new_5g_bs_in_period": ("bs5g_new_in_period", "count", "base stations"),
    "target_national_htz_count": ("high_tech_zones", "count", "zones"),
}
TARGET_QUALIFIERS = {MORE_THAN: "more than", EXACT: "", ABOUT: "about"}
SWEEP_TARGETS = "targets_2026_sweep.csv"
SWEEP3_TARGETS = "targets_2026_sweep3.csv"
SWEEP_TARGET_IDS = {SWEEP_TARGETS: "sweep", SWEEP3_TARGETS: "sweep3"}  # file -> target_id prefix

# Targets of the facts that are not put in targets.csv, with the reason (line of the file, or
# (file, line) for the sweeps).
SEED_LEFT_OUT = {
    "industrial_value_added_growth_2024": "an expected result for 2024 ('expected to grow by about "
                                          "5.7%'), not a target",
}
PUBLISHED_LEFT_OUT = {
    9: "5G full-connection factories: not a metric of the app",
    10: "Shaoguan cluster standard racks: not a metric of the app",
}
SWEEP_LEFT_OUT = {
    (SWEEP_TARGETS, 4): "5G factories: not a metric of the app",
    (SWEEP_TARGETS, 6): "5G factories: not a metric of the app",
    (SWEEP_TARGETS, 7): "5G+industrial-internet pilot cities: not a metric of the app",
    (SWEEP_TARGETS, 16): "a yearly rate (10,000 new stations each year 2021-2023), not a target "
                         "with one due date; Shanghai's 77,000 by end-2023 is kept",
    (SWEEP_TARGETS, 24): "target year not explicit in the excerpt, publication date not shown, "
                         "low-authority repost",
}
# Sweep rows that repeat a target of targets_published.csv (same document, same address): the
# published row is kept and takes the sweep's quote and note. sweep line -> published line.
SWEEP_SAME_AS_PUBLISHED = {3: 2, 5: 3}

# The document that sets each target, written in full (the facts write "same" for a repeated
# one, or name no document: then the statement and where it was reported are given).
DOCUMENTS = {
    "published-3": "工业和信息化部等十二部门《5G规模化应用“扬帆”行动升级方案》",
    "province-120000-target_cumulative_5g_bs-2020": "天津市人民政府《关于加快推进5G发展的实施意见》",
    "province-140000-target_cumulative_5g_bs-2023":
        "Shanxi's 14th Five-Year 5G base-station task (no document named; reported by 山西日报: "
        "山西提前完成'十四五'5G基站建设目标)",
    "province-230000-target_cumulative_5g_bs-2025":
        "《黑龙江省'十四五'信息通信行业发展规划》 (press conference)",
    "province-310000-target_per_10k-2023": "上海 '海上扬帆'行动计划",
    "province-350000-target_cumulative_5g_bs-2022":
        "福建省通信管理局 press conference of 2020 (no document named)",
    "province-370000-target_cumulative_5g_bs-2025":
        "Shandong's target for 2025 (no document named; reported by Xinhua: East China's Shandong "
        "has over 100,000 5G base stations)",
    "province-410000-target_cumulative_5g_bs-2022": "河南省加快5G产业发展三年行动计划(2020-2022年)",
    "province-420000-target_cumulative_5g_bs-2025":
        "湖北省通信管理局 强基行动 (reported as: 5G基站数量3年翻番,湖北信息通信业启动登峰行动)",
    "province-420000-target_per_10k-2025":
        "湖北省通信管理局 强基行动 (reported as: 5G基站数量3年翻番,湖北信息通信业启动登峰行动)",
    "province-440000-target_cumulative_5g_bs-2022":
        "Guangdong's 5G plan of 2019 (title not given; reported by 南方都市报: Guangdong ahead with "
        "5G base stations)",
    "province-500000-target_cumulative_5g_bs-2025":
        "Chongqing's target for the end of the 14th Five-Year Plan (no document named; reported by "
        "人民网重庆频道: 今年底,重庆将建成7万座5G基站)",
    "province-510000-target_cumulative_5g_bs-2025": "四川省'十四五'新型基础设施建设规划",
    "province-520000-target_cumulative_5g_bs-2025":
        "Guizhou 14th Five-Year new-infrastructure plan (as named by Shine / Xinhua)",
    "province-620000-target_cumulative_5g_bs-2022":
        "Gansu's target for 2022 (no document named; reported by Xinhua: China's Gansu to build "
        "30,000 5G base stations by 2022)",
    "sweep-2": "工业和信息化部《“十四五”信息通信行业发展规划》 (count form of its 26 per 10k people)",
    "sweep-8": "Beijing municipal government forecast for 2020 (no document named; reported by RCR "
               "Wireless)",
    "sweep-9": "北京市通信管理局《北京市“十四五”信息通信行业发展规划》",
    "sweep-10": "天津市人民政府《关于加快推进5G发展的实施意见》",
    "sweep-11": "河北省通信管理局 plan for 2020 (no document named; reported by Xinhua)",
    "sweep-12": "《2022年内蒙古自治区国民经济和社会发展计划》",
    "sweep-13": "Liaoning authorities' plan for 2020 (no document named; reported by Xinhua)",
    "sweep-14": "Liaoning government digital-development plan (title not given; reported by Xinhua)",
    "sweep-15": "上海市通信管理局 plan for 2023 (no document named; reported by Shine)",
    "sweep-17": "江苏省通信管理局 statement of 2019 (no document named; reported by China Daily)",
    "sweep-18": "江苏省通信管理局 plan for 2022 (no document named; reported by ICC)",
    "sweep-19": "江苏《第五代移动通信产业发展3年行动计划》",
    "sweep-20": "Jiangsu provincial action plan for 2024 (title not given; reported by jschina)",
    "sweep-21": "《江苏省“十四五”信息通信业发展规划》",
    "sweep-22": "浙江 provincial plan to 2022 (no document named; reported by Xinhua)",
    "sweep-23": "《山东省5G规模化应用“扬帆齐鲁”行动方案(2025-2027年)》",
    "sweep-25": "河南省通信管理局 plan for 2021 (no document named; reported by 河南日报, translated)",
    "sweep-26": "河南省通信管理局 plan for 2024 (no document named; reported via the MIIT website "
                "and IT之家, translated)",
    "sweep-27": "湖南省工业和信息化厅 expectation for 2020 (no document named; reported by Xinhua)",
    "sweep-28": "广东两会, January 2020 (no document named; reported by 新华社 via 中国政府网)",
    "sweep-29": "广东省通信管理局 plan for 2020 (no document named; reported by Xinhua)",
    "sweep-30": "广西壮族自治区人民政府新闻办 press conference of 2022-07-06 (expected by end-2022)",
    "sweep-31": "海南省工业互联网创新发展计划(2021-2023)",
    "sweep-32": "四川省通信管理局等《四川省5G网络建设及应用发展行动计划(2021-2023)》",
    "sweep-33": "四川省人民政府《关于促进高新技术产业开发(园)区高质量发展的实施意见》 (川府发〔2021〕28号)",
    "sweep-34": "贵州省大数据发展管理局 expectation for 2021 (no document named; reported by Xinhua)",
    "sweep-35": "贵州省政府 5G development plan of 2019 (title not given; reported by Xinhua/APP)",
    "sweep-36": "no document named (reported at a 5G+ industrial internet conference, via "
                "telecomflow.com)",
    "sweep-37": "宁夏回族自治区人民政府办公厅《关于促进5G网络建设发展的实施意见》",
    "sweep-38": "宁夏回族自治区人民政府办公厅《关于促进5G网络建设发展的实施意见》",
    "sweep-39": "宁夏回族自治区人民政府办公厅《关于促进5G网络建设发展的实施意见》",
    "sweep-40": "新疆通信管理局 plan for 2020 (no document named; reported by chinaxinjiang.cn)",
    "sweep3-7": "河南省发展改革委《河南省“十四五”新型基础设施建设规划》",
    "sweep3-9": "Jiangxi's 14th Five-Year new-infrastructure planning (document not named; reported "
                "by 江西省发改委 via ICC讯)",
    "sweep3-12": "Shanghai's 14th Five-Year plan, set in 2021 (document not named; reported by Yicai "
                 "Global)",
    "sweep3-16": "重庆市通信管理局、重庆市发展改革委《重庆市信息通信行业发展规划(2021-2025年)》",
}
# When the document was issued, where the facts state it (else empty; `as_of` is then the
# earliest date the target is known from).
ISSUED = {
    "published-2": "2021-11",     # 《“十四五”信息通信行业发展规划》 (MIIT, 2021-11)
    "sweep-2": "2021-11",         # the same plan
    "published-3": "2024-11-26",  # facts README: 'probably issued on 2024-11-26' (the repost says 2025)
    "published-4": "2023-03",     # 'MIIT minister 金壮龙, March 2023'
    "published-5": "2022-02-28",  # 'MIIT at SCIO 2022-02-28'
    "published-6": "2021-01-26",  # 'MIIT 2021-01-26'
    "published-8": "2025-11",     # 《高标准数字园区建设指南》 (MIIT 2025-11)
    "province-120000-target_cumulative_5g_bs-2020": "2020-02-03",  # the document on teda.gov.cn
    "sweep-10": "2020-02-03",     # the document itself, teda.gov.cn, dated 2020-02-03
    "sweep-23": "2025-06",        # facts: '扬帆齐鲁 2025-2027 was issued June 2025'
    "sweep-33": "2021",           # 川府发〔2021〕28号
    "sweep-35": "2019",           # '5G development plan (2019)'
    "sweep3-12": "2021",          # 'the 14th five-year plan set in 2021'
    "sweep3-16": "2021-08-19",    # the source's title: '...(2021-2025年)》今发布', dated 2021-08-19
}
# as_of of sweep targets whose source date is not a date ((file, line) -> as_of, why).
NINGXIA_UNDATED = "source dated '1月17日', year not shown (2020 from context, per the facts)"
SWEEP_AS_OF = {
    (SWEEP_TARGETS, 36): ("2023", "source undated; the facts date the page c. 2023"),
    (SWEEP_TARGETS, 37): ("2020", NINGXIA_UNDATED),
    (SWEEP_TARGETS, 38): ("2020", NINGXIA_UNDATED),
    (SWEEP_TARGETS, 39): ("2020", NINGXIA_UNDATED),
    (SWEEP3_TARGETS, 19): ("2020", NINGXIA_UNDATED),  # a repeat of sweep-39: cited in its note
    # The facts give no year and no reading of one: the page speaks of 2025 in the future tense
    # on a 23 February, so it is of 2025-02-23 at the latest. A bound, said so in the note.
    (SWEEP3_TARGETS, 9): ("2025-02-23", "source dated '2月23日', year not shown and not given by "
                                        "the facts; as_of is the latest date the page can have (it "
                                        "speaks of 2025 in the future tense), not its date"),
}


def _target(**fields) -> dict:
    row = {c: "" for c in TARGET_COLUMNS}
    row.update(fields)
    row["document"] = DOCUMENTS.get(row["target_id"], row["document"])
    row["issued"] = ISSUED.get(row["target_id"], "")
    if not row["target_date"]:
        row["target_date"] = f"{row['target_year']}-12-31"
    return row


def seed_targets(facts: Path) -> list[dict]:
    raw = read(facts, "seed_targets.csv")
    metric = {"cumulative_5g_bs": "bs5g", "high_standard_digital_parks": "digital_parks",
              "provincial_high_tech_zones": "high_tech_zones", "computing_center_layout": "computing_centres"}
    rows = []
    for r in raw.to_dict("records"):
        if r["metric"] in SEED_LEFT_OUT:
            continue
        quote = re.match(r"^'([^']+)'", r["notes"])
        rows.append(_target(
            target_id="seed-" + r["metric"], scope="national", adcode=NATIONAL,
            metric=metric[r["metric"]], kind="count", target_value=r["target_value"], unit=r["unit"],
            target_year=r["target_year"], qualifier=r["qualifier"], document=r["document"],
            source_publisher=r["source"], source_url=SEED_DOC, as_of=r["as_of"],
            quote=quote.group(1) if quote else "", note=r["notes"]))
    return rows


# targets_published.csv rows we can key to a metric of the app: (scope, metric) -> (metric, kind,
# unit). Its provincial rows repeat the first 5G file's target rows (checked in provincial_targets).
PUBLISHED = {
    ("national", "5G base stations per 10k people"): ("bs5g", "per_10k_people", "base stations per 10k people"),
    ("national", "5G base stations total (end-2023)"): ("bs5g", "count", "base stations"),
    ("national", "5G base stations total (end-2022)"): ("bs5g", "count", "base stations"),
    ("national", "5G base stations total (end-2020)"): ("bs5g", "count", "base stations"),
    ("national", "5G base stations new in year"): ("bs5g_new_in_period", "count", "base stations"),
    ("national", "high-standard digital parks"): ("digital_parks", "count", "parks"),
}
# The date of each national published target's source (targets_published.csv has no date column;
# the date is in its text): line of the facts file -> as_of.
PUBLISHED_AS_OF = {
    2: "2021-11-17",  # 人民日报 2021-11-17 p13
    3: "2025-11-27",  # the xinwen.mobi repost, dated 2025-11-27 in targets_2026_sweep.csv
    4: "2023-04-20",  # Xinhua via en.people.cn 2023-04-20
    5: "2022-02-28",  # MIIT at SCIO 2022-02-28
    6: "2021-01-26",  # MIIT 2021-01-26
    7: "2020-09-07",  # reported by SCMP 2020-09-07
    8: "2025-11",     # 《高标准数字园区建设指南》 (MIIT 2025-11)
}


def published_targets(facts: Path) -> list[dict]:
    raw = read(facts, "targets_published.csv")
    sweep = read(facts, SWEEP_TARGETS).set_index("_line")
    repeated = {published: sweep.loc[line] for line, published in SWEEP_SAME_AS_PUBLISHED.items()}
    rows = []
    for r in raw[raw["scope"] == "national"].to_dict("records"):
        line = r["_line"]
        if line in PUBLISHED_LEFT_OUT:
            continue
        metric, kind, unit = PUBLISHED[(r["scope"], r["metric"])]
        note = f"{r['metric']}; {r['notes']}".strip("; ")
        quote = ""
        if line in repeated:
            other = repeated[line]
            if other["source_url"] != r["source_url"] or Decimal(other["value"]) != Decimal(r["target_value"]):
                raise ValueError(f"targets_published.csv line {line} is not the sweep's repeated row")
            quote = other["quote"]
            note += f"; also in {SWEEP_TARGETS} (same address): {other['note']}"
        rows.append(_target(
            target_id=f"published-{line}", scope="national", adcode=NATIONAL, metric=metric, kind=kind,
            target_value=r["target_value"], unit=unit, target_year=r["target_year"],
            period_start=f"{r['target_year']}-01-01" if metric == "bs5g_new_in_period" else "",
            document=r["document"], source_publisher=r["source_publisher"], source_url=r["source_url"],
            as_of=PUBLISHED_AS_OF[line], quote=quote, note=note))
    return rows


def provincial_targets(facts: Path) -> list[dict]:
    raw = resolve_same(read(facts, "5g_by_province_observations.csv"), ["source_title"])
    raw = raw[raw["metric"].isin(TARGET_METRICS)]
    published = read(facts, "targets_published.csv")
    published = published[published["scope"] != "national"]
    found = {(Decimal(v), y) for v, y in zip(raw["value"], raw["as_of"].str[:4])}
    missing = [line for line, v, y in zip(published["_line"], published["target_value"],
                                          published["target_year"]) if (Decimal(v), y) not in found]
    if missing:
        raise ValueError(f"targets_published.csv provincial lines {missing} are not in the 5G file")
    rows = []
    for r in raw.to_dict("records"):
        metric, kind, unit = TARGET_KINDS[r["metric"]]
        rows.append(_target(
            target_id=f"province-{r['adcode']}-{r['metric']}-{r['as_of'][:4]}", scope="province",
            adcode=r["adcode"], metric=metric, kind=kind, target_value=r["value"], unit=unit,
            target_year=r["as_of"][:4], target_date=r["as_of"],
            qualifier=TARGET_QUALIFIERS[qualifier_from_text(r["value"], r["as_of_note"])],
            document=r["source_title"], source_publisher=r["source_publisher"],
            source_url=r["source_url"], as_of=r["source_date"],
            note=(r["as_of_note"] + "; " + r["notes"]).strip("; ")))
    return rows


def sweep_targets(facts: Path, name: str) -> list[dict]:
    raw = resolve_same(read(facts, name), ["source_publisher", "source_title", "source_date"])
    rows = []
    for r in raw.to_dict("records"):
        line = r["_line"]
        if (name, line) in SWEEP_LEFT_OUT or (name == SWEEP_TARGETS and line in SWEEP_SAME_AS_PUBLISHED):
            continue
        metric, kind, unit = TARGET_KINDS[r["metric"]]
        due = r["as_of"]
        span = re.fullmatch(r"(\d{4})-(\d{4})", due)  # '2021-2023': added over three years
        year = span.group(2) if span else due[:4]
        if not re.fullmatch(r"\d{4}(-12-31)?", due) and not span:
            raise ValueError(f"{name} line {line}: due date {due!r} not understood")
        period_start = ""
        if metric == "bs5g_new_in_period":
            period_start = f"{span.group(1) if span else year}-01-01"
        note = r["note"]
        as_of = r["source_date"]
        if (name, line) in SWEEP_AS_OF:
            as_of, why = SWEEP_AS_OF[(name, line)]
            note = "; ".join(filter(None, [note, why]))
        elif not AS_OF.fullmatch(as_of):
            raise ValueError(f"{name} line {line}: source date {as_of!r} is not a date")
        adcode = NATIONAL if r["adcode"] == "000000" else r["adcode"]
        rows.append(_target(
            target_id=f"{SWEEP_TARGET_IDS[name]}-{line}", scope="national" if adcode == NATIONAL else "province",
            adcode=adcode, metric=metric, kind=kind, target_value=r["value"], unit=unit,
            target_year=year, target_date=f"{year}-12-31", period_start=period_start,
            qualifier=TARGET_QUALIFIERS[r["qualifier"]], document=r["source_title"],
            source_publisher=r["source_publisher"], source_url=r["source_url"], as_of=as_of,
            quote=r["quote"], note=note, _read_at=f"{name} line {line}"))
    return rows


def _target_key(row: dict) -> tuple:
    # A target without a number (the seed's "better layout") repeats nothing: its id keys it.
    return (row["adcode"], row["metric"], row["kind"], row["period_start"], row["target_date"],
            Decimal(row["target_value"]) if row["target_value"] else row["target_id"])


def merge_repeated_targets(held: list[dict], new: list[dict]) -> list[dict]:
    """One row per target: a row of `new` that repeats a held target (same place, metric, kind,
    value, period and due date) is merged into it. The held row stays, with its id and citation;
    its note names the repeat's source, quote and note. Read at the same address, the held row
    takes the repeat's quote when it has none."""
    index = {_target_key(row): row for row in held}
    out = list(held)
    for row in new:
        kept = index.setdefault(_target_key(row), row)
        if kept is row:
            out.append(row)
            continue
        if kept["qualifier"] != row["qualifier"]:
            raise ValueError(f"{row['_read_at']} repeats {kept['target_id']} with another qualifier")
        also = (f"{row['source_publisher']}, '{row['document']}', {row['as_of']}, {row['source_url']} "
                f"({row['_read_at']})")
        if row["source_url"] == kept["source_url"] and not kept["quote"]:
            kept["quote"] = row["quote"]
        elif row["quote"] != kept["quote"]:
            also += f", quote: \"{row['quote']}\""
        if row["note"]:
            also += f" [its note: {row['note']}]"
        kept["note"] = "; ".join(filter(None, [kept["note"], f"same target also reported by: {also}"]))
    return out


def targets_table(facts: Path) -> pd.DataFrame:
    rows = (seed_targets(facts) + published_targets(facts) + provincial_targets(facts)
            + sweep_targets(facts, SWEEP_TARGETS))
    rows = merge_repeated_targets(rows, sweep_targets(facts, SWEEP3_TARGETS))
    missing = [r["target_id"] for r in rows if not r["target_id"].startswith(("seed-", "published-"))
               and r["target_id"] not in DOCUMENTS]
    if missing:
        raise ValueError(f"no document written for {missing}")
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    frame["_scope"] = frame["scope"].map({"national": 0, "province": 1})
    return frame.sort_values(["_scope", "adcode", "metric", "kind", "target_date", "target_id"],
                             kind="stable", ignore_index=True)[TARGET_COLUMNS]


def main(facts: Path = SOURCES, out: Path = ROOT / "data") -> None:
    population = population_and_area(facts).assign(qualifier=EXACT)
    observations = pd.concat([five_g_observations(facts), population], ignore_index=True)
    observations = observations[OBSERVATION_COLUMNS].fillna("")
    # By metric, place and date; on one date a not_preferred row comes first, because the app
    # keeps the last row of a date (geo.data.observations.latest_at). Then in the order read.
    observations["_date"] = observations["as_of"].map(_period_end)
    observations["_rank"] = observations["flags"].str.contains("not_preferred").map({True: 0, False: 1})
    observations = observations.sort_values(["metric", "adcode", "_date", "_rank"], kind="stable",
                                            ignore_index=True)[OBSERVATION_COLUMNS]
    out.mkdir(parents=True, exist_ok=True)
    observations.to_csv(out / "observations.csv", index=False)
    regional = regional_observations(facts)
    regional.to_csv(out / "regional_observations.csv", index=False)
    targets = targets_table(facts)
    targets.to_csv(out / "targets.csv", index=False)
    (out / "provinces.csv").write_bytes((facts / "provinces.csv").read_bytes())
    print(f"observations: {len(observations)} rows, regional: {len(regional)} rows, "
          f"targets: {len(targets)} rows")


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
