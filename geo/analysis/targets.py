"""Target registry, allocation of national targets to provinces by a named rule, gap, attainment.

A national target says nothing about a province, so any per-province target is *derived* by a
rule that is named everywhere it is shown:

* ``population_share``: national count target × the province's share of the population of
  the 31 mainland provinces;
* ``per_capita``: a national rate (e.g. 26 base stations per 10k people) × the province's
  population / 10k;
* ``published``: the province's own published targets, no data where none exists.

Targets move with time: each rule reads its targets as a path (geo.analysis.timeline: linear between
dated targets) at a date, by default the date of the province's own figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..config import DATA_DIR
from ..data.observations import population_for_year
from ..errors import DataError, InputError
from ..i18n import t
from . import timeline

TARGETS_CSV = DATA_DIR / "targets.csv"
ALLOCATION_COLUMNS = ["adcode", "target", "target_at", "target_source", "rule"]


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


def seed_year(targets: pd.DataFrame, metric: str) -> int | None:
    """The year of the seed document's quantitative target for `metric`, if it sets one."""
    seed = targets[(targets["metric"] == metric) & targets["target_id"].str.startswith("seed-")
                   & targets["target_value"].notna()]
    return int(seed["target_year"].iloc[0]) if not seed.empty else None


def target_citation(row: pd.Series) -> str:
    document = f"{row['document']} — " if row["document"] else ""
    return f"{document}{row['source_publisher']} ({row['source_url']})"


def national_path(targets: pd.DataFrame, metric: str, kind: str) -> timeline.TargetPath | None:
    """The national targets of `metric` of `kind` (count or per_10k_people) as a path over time."""
    return timeline.target_path(targets[targets["scope"] == "national"], metric, kind,
                                citation=target_citation)


def _population_at(observations: pd.DataFrame, when: pd.Series) -> pd.DataFrame:
    """Per row of `when` (index adcode, values dates), the NBS population of the date's year (or
    the newest before it) of that province and the 31-province total: population,
    national_population, population_year."""
    years = pd.to_datetime(when).dt.year
    tables = {y: population_for_year(observations, int(y)).set_index("adcode") for y in set(years.dropna())}
    rows = []
    for adcode, year in zip(when.index, years):
        table = tables.get(year)
        if table is None or adcode not in table.index:
            rows.append((np.nan, np.nan, None))
        else:
            rows.append((float(table.loc[adcode, "population"]), float(table["population"].sum()),
                         table.loc[adcode, "population_year"]))
    return pd.DataFrame(rows, index=when.index, columns=["population", "national_population",
                                                           "population_year"])


def _allocate_national(rule: str, metric: str, targets: pd.DataFrame, observations: pd.DataFrame,
                       when: pd.Series) -> pd.DataFrame:
    """The national target path of the rule's kind, read at each province's date and spread by
    population of that date's year."""
    path = national_path(targets, metric, RULES[rule].target_kind)
    if path is None:
        return pd.DataFrame(columns=ALLOCATION_COLUMNS)
    national = path.at(when.to_numpy())
    pop = _population_at(observations, when)
    if RULES[rule].target_kind == "count":  # population_share
        target = national * pop["population"] / pop["national_population"]
    else:  # per_capita: rate per 10k × population in 10k
        target = national * pop["population"]
    source = (f"national path ({timeline.PATH_METHOD}): {path.citation()}; allocation: "
              f"{RULES[rule].label}, NBS population of the year")
    return pd.DataFrame({"adcode": when.index, "target": target.to_numpy(float),
                         "target_at": _iso(when), "target_source": source, "rule": rule})


def _allocate_published(metric: str, targets: pd.DataFrame, observations: pd.DataFrame,
                        when: pd.Series) -> pd.DataFrame:
    """Each province's own published targets as its path (a per-10k target made a count with the
    population of its year), read at the province's date."""
    rows = targets[(targets["metric"] == metric) & (targets["scope"] == "province")
                   & targets["target_value"].notna()]
    out = []
    for adcode, group in rows.groupby("adcode"):
        if adcode not in set(when.index):
            continue
        group = group.copy()
        sources = []
        for i, row in group.iterrows():
            sources.append(target_citation(row))
            if row["kind"] == "per_10k_people":
                pop = population_for_year(observations, int(row["target_year"]))
                pop = pop[pop["adcode"] == adcode]
                if pop.empty:
                    group = group.drop(i)
                    continue
                group.loc[i, "target_value"] = row["target_value"] * pop["population"].iloc[0]
                sources[-1] += (f" (derived: {row['target_value']:g} per 10k × NBS population "
                                f"{pop['population_year'].iloc[0]})")
        group["kind"] = "count"
        path = timeline.target_path(group, metric, "count", adcode=adcode)
        if path is None:
            continue
        at = when[when.index == adcode]
        out.append(pd.DataFrame({
            "adcode": adcode, "target": path.at(at.to_numpy()), "target_at": _iso(at),
            "target_source": f"own targets ({timeline.PATH_METHOD}): {'; '.join(sources)}",
            "rule": "published"}))
    return pd.concat(out, ignore_index=True)[ALLOCATION_COLUMNS] if out else pd.DataFrame(columns=ALLOCATION_COLUMNS)


def _iso(when: pd.Series) -> list:
    return [d.strftime("%Y-%m-%d") if pd.notna(d) else None for d in pd.to_datetime(when)]


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
    # (metric, targets, observations, when: dates indexed by adcode) -> ALLOCATION_COLUMNS
    allocate: Callable[[str, pd.DataFrame, pd.DataFrame, pd.Series], pd.DataFrame]


RULES: dict[str, Rule] = {r.key: r for r in (
    Rule("population_share", t("rule.population_share"), "count",
         _national_of_kind("count"), partial(_allocate_national, "population_share")),
    Rule("per_capita", t("rule.per_capita"), "per_10k_people",
         _national_of_kind("per_10k_people"), partial(_allocate_national, "per_capita")),
    Rule("published", t("rule.published"), "count",
         lambda rows: bool((rows["scope"] == "province").any()), _allocate_published),
)}


def rules_for(targets: pd.DataFrame, metric: str) -> list[str]:
    """The rules that can allocate a target for `metric` with the targets we hold."""
    rows = targets[(targets["metric"] == metric) & targets["target_value"].notna()]
    return [key for key, rule in RULES.items() if rule.applies(rows)]


def allocate(rule: str, metric: str, targets: pd.DataFrame, observations: pd.DataFrame,
             when) -> pd.DataFrame:
    """Per-province targets for `metric` by `rule`, each read on its target path at the date in
    `when` (a Series of dates indexed by adcode, or one date for all provinces):
    [adcode, target, target_at, target_source, rule]. No target in force at a date is NaN."""
    if rule not in RULES:
        raise InputError(f"unknown rule {rule!r}", expected=f"one of {', '.join(RULES)}")
    if not isinstance(when, pd.Series):
        from ..data.regions import provinces
        when = pd.Series(pd.Timestamp(when), index=[p.adcode for p in provinces() if p.region])
    return RULES[rule].allocate(metric, targets, observations, pd.to_datetime(when))


def gap(value, target):
    """value − target: negative is a shortfall. Missing on either side stays missing."""
    return value - target


def attainment(value, target):
    """value / target (1.0 = target met); missing where the target is missing or not positive."""
    target = pd.Series(target, dtype="float64")
    return pd.Series(value, dtype="float64").values / target.where(target > 0).values
