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
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .config import DATA_DIR
from .errors import DataError, InputError
from .observations import latest_at

TARGETS_CSV = DATA_DIR / "targets.csv"
ALLOCATION_COLUMNS = ["adcode", "target", "target_year", "target_source", "rule"]


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


def _allocate_national(rule: str, metric: str, targets: pd.DataFrame,
                       observations: pd.DataFrame) -> pd.DataFrame:
    """A national target of the rule's kind spread over the provinces by population."""
    national = national_target(targets, metric, RULES[rule].target_kind)
    if national is None:
        return pd.DataFrame(columns=ALLOCATION_COLUMNS)
    year = int(national["target_year"])
    pop = population_for_year(observations, year)
    if RULES[rule].target_kind == "count":  # population_share
        target = national["target_value"] * pop["population"] / pop["population"].sum()
    else:  # per_capita: rate per 10k × population in 10k
        target = national["target_value"] * pop["population"]
    note = f"{RULES[rule].label}; NBS population of {', '.join(sorted(set(pop['population_year'])))}"
    return pd.DataFrame({"adcode": pop["adcode"], "target": target, "target_year": str(year),
                         "target_source": f"{target_citation(national)}; allocation: {note}",
                         "rule": rule})


def _allocate_published(metric: str, targets: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    rows = targets[(targets["metric"] == metric) & (targets["scope"] == "province")
                   & targets["target_value"].notna()]
    return _published(rows, observations)[ALLOCATION_COLUMNS]


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
    return pd.DataFrame(out, columns=ALLOCATION_COLUMNS)


def _national_of_kind(kind: str):
    def applies(rows: pd.DataFrame) -> bool:
        return bool(((rows["scope"] == "national") & (rows["kind"] == kind)).any())
    return applies


@dataclass(frozen=True)
class Rule:
    """A way to turn targets into one target per province; named wherever a target is shown."""
    key: str
    label: str
    target_kind: str  # the kind of target it starts from: count or per_10k_people
    applies: Callable[[pd.DataFrame], bool]  # given a metric's targets with a value
    allocate: Callable[[str, pd.DataFrame, pd.DataFrame], pd.DataFrame]  # metric, targets, observations


RULES: dict[str, Rule] = {r.key: r for r in (
    Rule("population_share", "national target × province's share of population", "count",
         _national_of_kind("count"), partial(_allocate_national, "population_share")),
    Rule("per_capita", "national rate per 10k people × province population", "per_10k_people",
         _national_of_kind("per_10k_people"), partial(_allocate_national, "per_capita")),
    Rule("published", "province's own published target", "count",
         lambda rows: bool((rows["scope"] == "province").any()), _allocate_published),
)}


def rules_for(targets: pd.DataFrame, metric: str) -> list[str]:
    """The rules that can allocate a target for `metric` with the targets we hold."""
    rows = targets[(targets["metric"] == metric) & targets["target_value"].notna()]
    return [key for key, rule in RULES.items() if rule.applies(rows)]


def allocate(rule: str, metric: str, targets: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """Per-province targets for `metric` by `rule`: [adcode, target, target_year, target_source, rule]."""
    if rule not in RULES:
        raise InputError(f"unknown rule {rule!r}", expected=f"one of {', '.join(RULES)}")
    return RULES[rule].allocate(metric, targets, observations)


def gap(value, target):
    """value − target: negative is a shortfall. Missing on either side stays missing."""
    return value - target


def attainment(value, target):
    """value / target (1.0 = target met); missing where the target is missing or not positive."""
    target = pd.Series(target, dtype="float64")
    return pd.Series(value, dtype="float64").values / target.where(target > 0).values
