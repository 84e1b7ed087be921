"""One computed frame per view: metric × view × date × target rule, for every province.

The map, the table and every download are renderings of the frame `build_view` returns, so what
a user downloads is exactly what they saw.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from . import targets as targets_mod
from .metrics import METRICS, VIEWS, Metric, view_unit
from .observations import latest_at, source_text
from .regions import NATIONAL_ADCODE

DEFAULT_AS_OF = "2025-12-31"


@dataclass
class ViewSpec:
    metric: str = "bs5g"
    view: str = "value"
    as_of: str = DEFAULT_AS_OF
    rule: str | None = None  # None: the first rule available for the metric
    stale_after_months: int = 24
    stale_as_no_data: bool = False  # drop stale figures instead of only marking them

    def validate(self, metric: Metric) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"unknown view {self.view!r}; expected one of {', '.join(VIEWS)}")
        if self.rule is not None and self.rule not in targets_mod.RULES:
            raise ValueError(f"unknown rule {self.rule!r}; expected one of {', '.join(targets_mod.RULES)}")
        pd.Timestamp(self.as_of)  # raises on a bad date


@dataclass
class ViewResult:
    frame: gpd.GeoDataFrame  # one row per province, sorted by adcode
    metric: Metric
    spec: ViewSpec
    unit: str
    derived: bool
    rule: str | None
    rule_label: str
    notes: list[str] = field(default_factory=list)
    national: dict | None = None  # the national figure at the date, with its source


def build_view(spec: ViewSpec, *, boundaries: gpd.GeoDataFrame, observations: pd.DataFrame,
               targets: pd.DataFrame, metric: Metric | None = None) -> ViewResult:
    """Compute the view for every province in `boundaries` (adcode, names, region, geometry).

    `observations` is long format and already holds the metric's rows (facility counts and
    uploaded tables are turned into observations before they get here).
    """
    metric = metric or METRICS[spec.metric]
    spec.validate(metric)
    view = VIEWS[spec.view]
    date = pd.Timestamp(spec.as_of)
    frame = boundaries[["adcode", "name_zh", "name_en", "region", "geometry"]].copy()
    frame["metric"], frame["view"] = metric.key, spec.view

    latest = latest_at(observations, metric.key, date)
    provincial = latest[latest["adcode"] != NATIONAL_ADCODE]
    figures = pd.DataFrame({
        "adcode": provincial["adcode"], "count": provincial["value"].astype("float64"),
        "as_of": provincial["as_of"], "as_of_date": provincial["as_of_date"],
        "source": [source_text(row) for _, row in provincial.iterrows()]})
    frame = frame.merge(figures, on="adcode", how="left")
    age = (date - pd.to_datetime(frame.pop("as_of_date"))).dt.days
    frame["stale"] = (age > spec.stale_after_months * 30.44).where(frame["count"].notna())
    if spec.stale_as_no_data:  # as_of and source stay, to say which figure was left out
        frame.loc[frame["stale"] == True, "count"] = np.nan  # noqa: E712 (NA-aware comparison)

    frame = frame.join(_population_matching(observations, frame, date.year))
    area = latest_at(observations, "land_area", pd.Timestamp.max).set_index("adcode")
    frame["area_km2"] = frame["adcode"].map(area["value"])

    rules = targets_mod.rules_for(targets, metric.key)
    rule = spec.rule if spec.rule in rules else (rules[0] if rules else None)
    notes = [metric.explanation]
    if rule is not None:
        allocated = targets_mod.allocate(rule, metric.key, targets, observations).set_index("adcode")
        frame["target"] = frame["adcode"].map(allocated["target"])
        frame["target_year"] = frame["adcode"].map(allocated["target_year"])
        frame["target_source"] = frame["adcode"].map(allocated["target_source"])
    else:
        frame["target"], frame["target_year"], frame["target_source"] = np.nan, None, None
        if view.needs_target:
            notes.append("No quantitative target has been published for this metric, so there is "
                         "no gap or attainment to show.")
    frame["rule"] = rule
    frame["gap"] = targets_mod.gap(frame["count"], frame["target"])
    frame["attainment"] = targets_mod.attainment(frame["count"], frame["target"])

    frame["value"] = {
        "value": frame["count"],
        "per_10k_people": frame["count"] / frame["population_10k"],
        "per_10k_km2": frame["count"] / frame["area_km2"] * 10_000,
        "target": frame["target"],
        "gap": frame["gap"],
        "attainment": frame["attainment"] * 100,
    }[spec.view].astype("float64")
    frame["unit"] = view_unit(metric, spec.view)
    frame["derived"] = view.derived
    frame = frame.sort_values("adcode", ignore_index=True)

    national = latest[latest["adcode"] == NATIONAL_ADCODE]
    national_figure = None
    if len(national):
        row = national.iloc[-1]
        national_figure = {"value": float(row["value"]), "as_of": row["as_of"], "source": source_text(row)}
    rule_label = targets_mod.RULES[rule].label if rule else "no quantitative target"
    return ViewResult(gpd.GeoDataFrame(frame, geometry="geometry", crs=boundaries.crs), metric, spec,
                      view_unit(metric, spec.view), view.derived, rule, rule_label, notes,
                      national_figure)


def _population_matching(observations: pd.DataFrame, frame: pd.DataFrame, default_year: int) -> pd.DataFrame:
    """Per row, the NBS population of the year of the row's own as-of (the view's year where
    there is no value), or the newest year before it: [population_10k, population_year]."""
    years = frame["as_of"].str[:4].fillna(str(default_year)).astype(int)
    by_year = {y: targets_mod.population_for_year(observations, y).set_index("adcode") for y in set(years)}
    pop = [by_year[y]["population"].get(a) for a, y in zip(frame["adcode"], years)]
    pop_year = [by_year[y]["population_year"].get(a) for a, y in zip(frame["adcode"], years)]
    return pd.DataFrame({"population_10k": pd.array(pop, dtype="Float64").astype("float64"),
                         "population_year": pop_year}, index=frame.index)


def select(frame: gpd.GeoDataFrame, adcodes=None, regions=None) -> gpd.GeoDataFrame:
    """The provinces picked by adcode and/or region (nothing picked = all), sorted by adcode."""
    keep = pd.Series(True, index=frame.index)
    if regions:
        keep &= frame["region"].isin(list(regions))
    if adcodes:
        keep &= frame["adcode"].isin(list(adcodes))
    return frame[keep].sort_values("adcode", ignore_index=True)


def sum_over_provinces(frame: pd.DataFrame) -> tuple[float | None, int]:
    """Sum of the provinces' own counts and how many provinces have one (no data is not 0)."""
    have = frame["count"].notna()
    return (float(frame.loc[have, "count"].sum()) if have.any() else None), int(have.sum())
