"""The views a metric can be seen in, and the one computed frame per view.

A view knows its label, unit, number format and how to compute its value from the frame's
columns (count, population, area, target, gap, attainment): adding a view is one entry in VIEWS.

`build_view` computes the frame for every province; the map, the table and every download are
renderings of that frame (the table and downloads of its selected rows), so what a user
downloads is exactly what they saw.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from . import config
from . import targets as targets_mod
from .errors import InputError
from .metrics import Metric
from .observations import latest_at, source_text
from .regions import NATIONAL_ADCODE, REGIONS, by_adcode, resolve_province

if TYPE_CHECKING:  # geopandas is imported where a frame is built, not by a look at VIEWS
    import geopandas as gpd


def _plain_number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


@dataclass(frozen=True)
class View:
    key: str
    label: str
    derived: bool
    unit: Callable[[Metric], str]                 # the unit of the view's value for a metric
    compute: Callable[[pd.DataFrame], pd.Series]  # the value from the frame's columns
    format: Callable[[float], str]                # one value as shown (without its unit)
    needs_target: bool = False
    centre: float | None = None  # a diverging view's neutral value (target met)


VIEWS: dict[str, View] = {v.key: v for v in (
    View("value", "Count", False, lambda m: m.unit, lambda f: f["count"], _plain_number),
    View("per_10k_people", "Per 10k people (derived)", True, lambda m: f"{m.unit} per 10k people",
         lambda f: f["count"] / f["population_10k"], lambda v: f"{v:,.2f}"),
    View("per_10k_km2", "Per 10k km² (derived)", True, lambda m: f"{m.unit} per 10k km²",
         lambda f: f["count"] / f["area_km2"] * 10_000, lambda v: f"{v:,.2f}"),
    View("target", "Allocated target (derived)", True, lambda m: m.unit,
         lambda f: f["target"], lambda v: f"{v:,.0f}", needs_target=True),
    View("gap", "Gap to target (derived)", True, lambda m: f"{m.unit} (value − target)",
         lambda f: f["gap"], lambda v: f"{v:,.0f}", needs_target=True, centre=0.0),
    View("attainment", "Attainment of target (derived)", True, lambda m: "% of target",
         lambda f: f["attainment_pct"], lambda v: f"{v:,.0f} %", needs_target=True, centre=100.0),
)}
NO_DATA_LABEL = "no data"


def format_value(value, view: str) -> str:
    """One value of `view` as shown on the map and in the table; missing is "no data"."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return NO_DATA_LABEL
    return VIEWS[view].format(value)


@dataclass(frozen=True)
class ViewSpec:
    """Everything that shapes a view. Hashable, so front ends can cache a view by its spec."""
    metric: str = config.DEFAULT_METRIC
    view: str = config.DEFAULT_VIEW
    as_of: str = config.DEFAULT_AS_OF
    rule: str | None = None  # None: the first rule available for the metric
    stale_after_months: int = config.DEFAULT_STALE_MONTHS
    stale_as_no_data: bool = False  # drop stale figures instead of only marking them
    provinces: tuple[str, ...] = ()  # adcodes picked (nothing picked = all)
    regions: tuple[str, ...] = ()

    def validated(self) -> "ViewSpec":
        """The spec with its date normalised and its selection resolved to adcodes, or an
        InputError that names the bad argument."""
        if self.view not in VIEWS:
            raise InputError(f"unknown view {self.view!r}", expected=f"one of {', '.join(VIEWS)}")
        if self.rule is not None and self.rule not in targets_mod.RULES:
            raise InputError(f"unknown rule {self.rule!r}",
                             expected=f"one of {', '.join(targets_mod.RULES)}")
        try:
            date = pd.Timestamp(str(self.as_of))
        except (ValueError, TypeError):
            date = pd.NaT
        if pd.isna(date):
            raise InputError(f"the date {self.as_of!r} is not a date", expected="YYYY-MM-DD")
        as_of = date.date().isoformat()
        if not isinstance(self.stale_after_months, int) or self.stale_after_months < 0:
            raise InputError("the stale limit must be a whole number of months, 0 or more",
                             found=self.stale_after_months)
        bad = [r for r in self.regions if r not in REGIONS]
        if bad:
            raise InputError(f"unknown region {bad[0]!r}", expected=", ".join(REGIONS))
        provinces = tuple(dict.fromkeys(resolve_province(p) for p in self.provinces))
        return ViewSpec(self.metric, self.view, as_of, self.rule, self.stale_after_months,
                        self.stale_as_no_data, provinces, tuple(self.regions))


@dataclass
class ViewResult:
    frame: gpd.GeoDataFrame  # one row per province, sorted by adcode
    metric: Metric
    spec: ViewSpec
    rule: str | None
    rule_label: str
    notes: list[str] = field(default_factory=list)
    national: dict | None = None  # the national figure at the date, with its source
    facilities: pd.DataFrame | None = None  # the bundle's facility registry, for map layers
    hubs: pd.DataFrame | None = None

    @property
    def view(self) -> View:
        return VIEWS[self.spec.view]

    @property
    def unit(self) -> str:
        return self.view.unit(self.metric)

    @property
    def derived(self) -> bool:
        return self.view.derived

    @property
    def selected(self) -> list[str]:
        """The adcodes picked by the spec's provinces and regions ([] when nothing is picked)."""
        if not (self.spec.provinces or self.spec.regions):
            return []
        return list(select(self.frame, self.spec.provinces, self.spec.regions)["adcode"])

    def provincial_sum(self) -> tuple[float | None, int]:
        """Sum of the selected provinces' own counts, and how many have one (no data is not 0)."""
        return sum_over_provinces(self.selection)

    @property
    def selection(self) -> gpd.GeoDataFrame:
        """The rows shown in the table and written to downloads: the picked provinces, or all."""
        return select(self.frame, self.spec.provinces, self.spec.regions)


def build_view(spec: ViewSpec, *, boundaries: gpd.GeoDataFrame, observations: pd.DataFrame,
               targets: pd.DataFrame, metric: Metric, facilities: pd.DataFrame | None = None,
               hubs: pd.DataFrame | None = None) -> ViewResult:
    """Compute the view for every province in `boundaries` (adcode, names, region, geometry).

    `observations` is long format and already holds the metric's rows (facility counts and
    users' layers are turned into observations before they get here).
    """
    import geopandas as gpd

    spec = spec.validated()
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

    available = targets_mod.rules_for(targets, metric.key)
    rule = spec.rule if spec.rule in available else (available[0] if available else None)
    notes = [metric.explanation]
    later = observations[(observations["metric"] == metric.key) & (observations["as_of_date"] > date)
                         & (observations["adcode"] != NATIONAL_ADCODE)]
    if len(later):  # a figure dated after the view's date is left out; say so, never silently
        notes.append(_later_figures_note(later, spec.as_of))
    if rule is not None:
        allocated = targets_mod.RULES[rule].allocate(metric.key, targets, observations)
        allocated = allocated.set_index("adcode")
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
    frame["attainment_pct"] = targets_mod.attainment(frame["count"], frame["target"]) * 100
    frame["value"] = view.compute(frame).astype("float64")
    frame["unit"] = view.unit(metric)
    frame["derived"] = view.derived
    frame = frame.sort_values("adcode", ignore_index=True)

    national = latest[latest["adcode"] == NATIONAL_ADCODE]
    national_figure = None
    if len(national):
        row = national.iloc[-1]
        national_figure = {"value": float(row["value"]), "as_of": row["as_of"], "source": source_text(row)}
    rule_label = targets_mod.RULES[rule].label if rule else "no quantitative target"
    return ViewResult(gpd.GeoDataFrame(frame, geometry="geometry", crs=boundaries.crs), metric, spec,
                      rule, rule_label, notes, national_figure, facilities, hubs)


def _later_figures_note(later: pd.DataFrame, as_of: str) -> str:
    registry = by_adcode()
    listed = [f"{registry[a].name_zh if a in registry else a} ({d})"
              for a, d in sorted(set(zip(later["adcode"], later["as_of"])))]
    shown = ", ".join(listed[:8]) + (f" and {len(listed) - 8} more" if len(listed) > 8 else "")
    n = len(later)
    return (f"{n} figure{'s' if n > 1 else ''} dated after {as_of} {'are' if n > 1 else 'is'} not "
            f"shown: {shown}. Choose a later date to see {'them' if n > 1 else 'it'}.")


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
