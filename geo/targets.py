"""Target registry, allocation of national targets to provinces by a named rule, gap, attainment.

A national target says nothing about a province, so any per-province target is *derived* by a
rule that is named everywhere it is shown:

* ``population_share``: national count target × the province's share of the population of
  the 31 mainland provinces;
* ``per_capita``: a national rate (e.g. 26 base stations per 10k people) × the province's
  population / 10k;
* ``published``: the province's own published target (the newest one), no data where none exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .observations import latest_at

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
TARGETS_CSV = Path(__file__).resolve().parent.parent / "data" / "targets.csv"


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    target_kind: str  # which kind of target it starts from: count or per_10k_people


RULES: dict[str, Rule] = {r.key: r for r in (
    Rule("population_share", "national target × province's share of population", "count"),
    Rule("per_capita", "national rate per 10k people × province population", "per_10k_people"),
    Rule("published", "province's own published target", "count"),
)}


def load_targets(path: Path = TARGETS_CSV) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"adcode": str, "target_value": str, "target_year": str},
                        keep_default_na=False)
    for i, row in frame.iterrows():
        line = int(i) + 2
        for column in ("target_id", "metric", "kind", "target_year", "source_publisher", "source_url"):
            if not str(row[column]).strip():
                raise DataError("target without " + column, file=path.name, row=line, column=column,
                                expected="a value (every target carries its citation)")
        if row["target_value"] and not _is_number(row["target_value"]):
            raise DataError("target value is not a number", file=path.name, row=line,
                            column="target_value", expected="a number or empty", found=row["target_value"])
    frame["target_value"] = pd.to_numeric(frame["target_value"].replace("", np.nan))
    return frame


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def rules_for(targets: pd.DataFrame, metric: str) -> list[str]:
    """The rules that can allocate a target for `metric` with the targets we hold."""
    rows = targets[(targets["metric"] == metric) & targets["target_value"].notna()]
    out = []
    if ((rows["scope"] == "national") & (rows["kind"] == "count")).any():
        out.append("population_share")
    if ((rows["scope"] == "national") & (rows["kind"] == "per_10k_people")).any():
        out.append("per_capita")
    if (rows["scope"] == "province").any():
        out.append("published")
    return out


def national_target(targets: pd.DataFrame, metric: str, kind: str, year: int | None = None) -> pd.Series | None:
    """The national target of `kind` for `metric`: the seed's if there is one, else the one for
    the latest year not after `year` (the seed's target year when no year is given)."""
    rows = targets[(targets["metric"] == metric) & (targets["scope"] == "national")
                   & (targets["kind"] == kind) & targets["target_value"].notna()].copy()
    if rows.empty:
        return None
    seed = rows[rows["target_id"].str.startswith("seed-")]
    if not seed.empty:
        return seed.iloc[0]
    rows["year"] = rows["target_year"].astype(int)
    if year is None:
        year = seed_year(targets, metric)
    if year is not None and (rows["year"] <= year).any():
        rows = rows[rows["year"] <= year]
    return rows.sort_values("year").iloc[-1]


def seed_year(targets: pd.DataFrame, metric: str) -> int | None:
    """The year of the seed document's quantitative target for `metric`, if it sets one."""
    seed = targets[(targets["metric"] == metric) & targets["target_id"].str.startswith("seed-")
                   & targets["target_value"].notna()]
    return int(seed["target_year"].iloc[0]) if not seed.empty else None


def target_citation(row: pd.Series) -> str:
    document = f"{row['document']} — " if row["document"] else ""
    return f"{document}{row['source_publisher']} ({row['source_url']})"


def population_for_year(observations: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per province, the NBS population (10k persons) of `year` or the newest before it:
    [adcode, population, population_year]."""
    pop = latest_at(observations, "population", pd.Timestamp(f"{year}-12-31"))
    return pd.DataFrame({"adcode": pop["adcode"], "population": pop["value"],
                         "population_year": pop["as_of"].str[:4]})


def allocate(rule: str, metric: str, targets: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """Per-province targets for `metric` by `rule`: [adcode, target, target_year, target_source, rule]."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    columns = ["adcode", "target", "target_year", "target_source", "rule"]
    if rule == "published":
        rows = targets[(targets["metric"] == metric) & (targets["scope"] == "province")
                       & targets["target_value"].notna()].copy()
        return _published(rows, observations)[columns]
    national = national_target(targets, metric, RULES[rule].target_kind)
    if national is None:
        return pd.DataFrame(columns=columns)
    year = int(national["target_year"])
    pop = population_for_year(observations, year)
    if rule == "population_share":
        share = pop["population"] / pop["population"].sum()
        target = national["target_value"] * share
    else:  # per_capita
        target = national["target_value"] * pop["population"]  # rate per 10k × population in 10k
    note = f"{RULES[rule].label}; NBS population of {', '.join(sorted(set(pop['population_year'])))}"
    return pd.DataFrame({"adcode": pop["adcode"], "target": target, "target_year": str(year),
                         "target_source": f"{target_citation(national)}; allocation: {note}",
                         "rule": rule})


def _published(rows: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """The newest published target per province, a per-10k target turned into a count."""
    out = []
    for adcode, group in rows.groupby("adcode"):
        # Prefer a count target over a rate target of the same year: it needs no population.
        group = group.assign(year=group["target_year"].astype(int),
                             is_count=group["kind"].eq("count"))
        row = group.sort_values(["year", "is_count"]).iloc[-1]
        target, source = row["target_value"], target_citation(row)
        if row["kind"] == "per_10k_people":
            pop = population_for_year(observations, int(row["year"]))
            pop = pop[pop["adcode"] == adcode]
            if pop.empty:
                continue
            target = target * pop["population"].iloc[0]  # population is in 10k persons
            source += (f"; derived: {row['target_value']:g} per 10k × NBS population "
                       f"{pop['population_year'].iloc[0]}")
        out.append({"adcode": adcode, "target": target, "target_year": str(row["year"]),
                    "target_source": source, "rule": "published"})
    return pd.DataFrame(out, columns=["adcode", "target", "target_year", "target_source", "rule"])


def gap(value, target):
    """value − target: negative is a shortfall. Missing on either side stays missing."""
    return value - target


def attainment(value, target):
    """value / target (1.0 = target met); missing where the target is missing or not positive."""
    target = pd.Series(target, dtype="float64")
    return pd.Series(value, dtype="float64").values / target.where(target > 0).values
