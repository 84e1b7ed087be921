"""The views a metric can be seen in, and the one computed frame per view.

A view knows its label, unit, number format and how to compute its value from the frame's
columns (count, population, area, target, gap, attainment, national benchmark): adding a view is
one entry in VIEWS.

Time rules (geo.analysis.timeline has the arithmetic):
* each province shows its newest figure at or before the chosen date, with its own date;
* only figures within the tolerance window (N months before the chosen date) are coloured and
  compared; an older figure keeps its count and date (`in_window` False) but has no value;
* a figure is compared with the target in force *at its own date* (`target_at="figure_date"`),
  or, when asked, with the target at the end of a fixed year (`target_at="target_year"`);
* projections are derived, with their method and interval, and never fill a value.

`build_view` computes the frame for every province; the map, the table and every download are
renderings of that frame (the table and downloads of its selected rows), so what a user
downloads is exactly what they saw.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import config
from ..data.metrics import Metric
from ..data.observations import latest_at, population_for_year, source_text
from ..data.regions import NATIONAL_ADCODE, REGIONS, by_adcode, resolve_province
from ..errors import InputError
from ..i18n import Text, t
from . import targets as targets_mod
from . import timeline


def _plain_number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


@dataclass(frozen=True)
class View:
    key: str
    label: str
    derived: bool
    unit: Callable[[Metric], str]                 # the unit of the view's value for a metric
    compute: Callable[[pd.DataFrame], pd.Series]  # the value from the frame's columns
    format: Callable[[float], str]                # one value as shown, with its unit if it is a sign
    needs_target: bool = False
    centre: float | None = None  # a diverging view's neutral value (target met, level with nation)
    needs_national: bool = False  # needs the national series (vs_national)
    shows_unit: bool = True  # False where the format carries the unit ("164 %", "1.97×")
    uses_estimates: bool = False  # always reads the model's estimates (geo.analysis.estimates)


VIEWS: dict[str, View] = {v.key: v for v in (
    View("value", t("view.value"), False, lambda m: m.unit, lambda f: f["count"], _plain_number),
    View("per_10k_people", t("view.per_10k_people"), True, lambda m: f"{m.unit} per 10k people",
         lambda f: f["count"] / f["population_10k"], lambda v: f"{v:,.2f}"),
    View("per_10k_km2", t("view.per_10k_km2"), True, lambda m: f"{m.unit} per 10k km²",
         lambda f: f["count"] / f["area_km2"] * 10_000, lambda v: f"{v:,.2f}"),
    View("target", t("view.target"), True, lambda m: m.unit,
         lambda f: f["target"], lambda v: f"{v:,.0f}", needs_target=True),
    View("gap", t("view.gap"), True, lambda m: f"{m.unit} (value − target)",
         lambda f: f["gap"], lambda v: f"{v:+,.0f}" if round(v) else "0", needs_target=True, centre=0.0),
    View("attainment", t("view.attainment"), True, lambda m: "% of target",
         lambda f: f["attainment_pct"], lambda v: f"{v:,.0f} %", needs_target=True, centre=100.0,
         shows_unit=False),
    View("vs_national", t("view.vs_national"), True,
         lambda m: "× national per 10k people", lambda f: f["vs_national"], lambda v: f"{v:.2f}×",
         centre=1.0, needs_national=True, shows_unit=False),
    View("nowcast", t("view.nowcast"), True, lambda m: m.unit, lambda f: f["count"], _plain_number,
         uses_estimates=True),
    View("target_probability", t("view.target_probability"), True, lambda m: "% chance",
         lambda f: f["chance_met_pct"], lambda v: f"{v:.0f} %", needs_target=True, centre=50.0,
         shows_unit=False, uses_estimates=True),
)}
NO_DATA_LABEL = "no data"
TARGET_AT = {"figure_date": "the target in force at each figure's own date",
             "target_year": "the target due at the end of a fixed year"}


def is_missing(value) -> bool:
    """None, NA or NaN: a value that is not there (never 0)."""
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def format_value(value, view: str) -> str:
    """One value of `view` as shown on the map and in the table; missing is "no data"."""
    if is_missing(value):
        return NO_DATA_LABEL
    return VIEWS[view].format(value)


def figure_text(value, qualifier: str | None, lang: str = "en") -> str:
    """A reported figure as its source gave it: the qualifier in words, then the count
    ("more than 210,000", "约114,500")."""
    words = t(f"qualifier.{qualifier}", lang) if qualifier in (">", "≈", "<") else ""
    return words + format_value(value, "value")


def views_for(metric: Metric, has_targets: bool, has_national: bool, has_estimates: bool = False) -> list[str]:
    """The views that can show something for `metric` (no target: no target views; no model:
    no estimate views)."""
    return [k for k, v in VIEWS.items()
            if (has_targets or not v.needs_target) and (has_national or not v.needs_national)
            and (has_estimates or not v.uses_estimates)]


@dataclass(frozen=True)
class ViewSpec:
    """Everything that shapes a view. Hashable, so front ends can cache a view by its spec."""
    metric: str = config.DEFAULT_METRIC
    view: str = config.FALLBACK_VIEW  # the library's plain default; front ends ask default_view()
    as_of: str = config.DEFAULT_AS_OF
    rule: str | None = None  # None: the first rule available for the metric
    tolerance_months: int = config.DEFAULT_TOLERANCE_MONTHS
    target_at: str = "figure_date"  # or "target_year"
    target_year: int | None = None  # with target_at="target_year"; None: the seed's year
    national_pace: bool = False  # also project provinces with one figure, at the national pace
    estimates: bool = False  # every view: compare the model's estimates at the date, not the last figures
    provinces: tuple[str, ...] = ()  # adcodes or names picked (union with regions; none = all)
    regions: tuple[str, ...] = ()

    def validated(self) -> "ViewSpec":
        """The spec with its date normalised and its selection resolved to adcodes, or an
        InputError that names the bad argument."""
        if self.view not in VIEWS:
            raise InputError(f"unknown view {self.view!r}", expected=f"one of {', '.join(VIEWS)}")
        if self.rule is not None and self.rule not in targets_mod.RULES:
            raise InputError(f"unknown rule {self.rule!r}",
                             expected=f"one of {', '.join(targets_mod.RULES)}")
        if self.target_at not in TARGET_AT:
            raise InputError(f"unknown target comparison {self.target_at!r}",
                             expected=" or ".join(TARGET_AT))
        try:
            date = pd.Timestamp(str(self.as_of))
        except (ValueError, TypeError):
            date = pd.NaT
        if pd.isna(date):
            raise InputError(f"the date {self.as_of!r} is not a date", expected="YYYY-MM-DD")
        if not isinstance(self.tolerance_months, int) or self.tolerance_months < 0:
            raise InputError("the window must be a whole number of months, 0 or more",
                             found=self.tolerance_months)
        bad = [r for r in self.regions if r not in REGIONS]
        if bad:
            raise InputError(f"unknown region {bad[0]!r}", expected=", ".join(REGIONS))
        provinces = tuple(dict.fromkeys(resolve_province(p) for p in self.provinces))
        return ViewSpec(self.metric, self.view, date.date().isoformat(), self.rule,
                        self.tolerance_months, self.target_at, self.target_year, self.national_pace,
                        bool(self.estimates), provinces, tuple(self.regions))


@dataclass
class ViewResult:
    frame: gpd.GeoDataFrame  # one row per province, sorted by adcode
    metric: Metric
    spec: ViewSpec
    rule: str | None
    rule_label: str
    notes: list[str] = field(default_factory=list)
    national: dict | None = None  # the national figure at the date, its source and target
    facilities: pd.DataFrame | None = None  # the bundle's facility registry, for map layers
    hubs: pd.DataFrame | None = None
    target_path: pd.DataFrame | None = None  # national path points (target_date, value), if any
    model: object | None = None  # the estimates it used (geo.analysis.estimates.Estimates)
    level: str = "province"  # what a row of `frame` is: province, or prefecture / county (a drill-down)
    area: str | None = None  # a drill-down's province or prefecture, whose areas `frame` holds

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
    def outside_window(self) -> int:
        """How many provinces have a figure older than the window and no value (not coloured;
        with estimates, an old figure's province is coloured by its estimate)."""
        return int(((self.frame["in_window"] == False) & self.frame["value"].isna()).sum())  # noqa: E712

    @property
    def estimated(self) -> int:
        """How many areas show a model-based estimate (0 where the view uses none)."""
        if "estimated" not in self.frame:
            return 0
        return int(((self.frame["estimated"] == True) & self.frame["value"].notna()).sum())  # noqa: E712

    @property
    def estimates(self) -> dict | None:
        """With estimates: how many areas are observed (a figure of the month) and estimated, the
        sum on MIIT's footing, and the backtest's median error for the gaps of the estimated
        areas (months since each one's last figure)."""
        if not self.estimated or self.model is None:
            return None
        from .backtest import NO_FIGURE_LEFT, gap_bucket
        rows = self.frame[self.frame["value"].notna()]
        estimated = rows[rows["estimated"] == True]  # noqa: E712
        buckets = [gap_bucket(a) if a == a else NO_FIGURE_LEFT for a in estimated["age_months"]]
        errors = [self.model.calibration["median_error_pct"].get(b) for b in buckets]
        errors = [e for e in errors if e is not None]
        return {"observed": int(len(rows) - len(estimated)), "estimated": int(len(estimated)),
                "national_footing": float(self.frame["national_footing"].sum()),
                "typical_error_pct": float(np.median(errors)) if errors else float("nan")}

    @property
    def selected(self) -> list[str]:
        """The adcodes picked by the spec's provinces and regions ([] when nothing is picked)."""
        if not (self.spec.provinces or self.spec.regions):
            return []
        return list(self.selection["adcode"])

    @property
    def selection(self) -> gpd.GeoDataFrame:
        """The rows shown in the table and written to downloads: the picked provinces, or all."""
        return select(self.frame, self.spec.provinces, self.spec.regions)

    def provincial_sum(self) -> tuple[float | None, int]:
        """Sum of the selected provinces' own counts, and how many have one (no data is not 0)."""
        return sum_over_provinces(self.selection)


def build_view(spec: ViewSpec, bundle) -> ViewResult:
    """Compute the view for every province of `bundle.boundaries` (adcode, names, region,
    geometry) from the bundle's figures and targets."""
    spec = spec.validated()
    metric = bundle.metric(spec.metric)
    view = VIEWS[spec.view]
    date = pd.Timestamp(spec.as_of)
    observations = bundle.observations
    frame = bundle.boundaries[["adcode", "name_zh", "name_en", "region", "geometry"]].copy()
    frame["metric"], frame["view"] = metric.key, spec.view

    rows = bundle.figures(metric.key, date)
    latest = latest_at(rows, metric.key, date)
    provincial = latest[latest["adcode"] != NATIONAL_ADCODE]
    figures = pd.DataFrame({
        "adcode": provincial["adcode"], "count": provincial["value"].astype("float64"),
        "qualifier": provincial["qualifier"] if "qualifier" in provincial else "=",
        "as_of": provincial["as_of"], "as_of_date": provincial["as_of_date"],
        "source": [source_text(row) for _, row in provincial.iterrows()],
        # What the facts say of the source (low_authority: a repost or a machine translation),
        # shown with the figure: a weak source must not read as a strong one.
        "source_flags": provincial["flags"].fillna("") if "flags" in provincial else ""})
    frame = frame.merge(figures, on="adcode", how="left")
    figure_date = pd.to_datetime(frame.pop("as_of_date"))
    frame["age_months"] = np.round(timeline.months_between(figure_date, [date] * len(frame)), 1)
    frame["in_window"] = (frame["age_months"] <= spec.tolerance_months).where(frame["count"].notna())

    notes = [metric.explanation]
    estimates = bundle.estimates(metric.key) if (view.uses_estimates or spec.estimates) else None
    if view.uses_estimates and estimates is None:
        raise InputError(f"the view {spec.view!r} needs estimates, which {metric.key!r} does not have",
                         expected=f"one of {', '.join(bundle.views(metric.key))}")
    if estimates is not None and not estimates.covers(date):
        months = estimates.evidence.months
        notes.append(Text("note.no_estimates", first=f"{months[0]:%Y-%m}", last=f"{months[-1]:%Y-%m}"))
    if estimates is not None:  # compared at the view's date: the estimate, or the month's figure
        frame = frame.merge(estimates.at(date), on="adcode", how="left")
        used, used_date = frame["estimate"], pd.Series(date, index=frame.index)
        compared = used.notna()
        frame = frame.join(_population_matching(observations, frame.assign(as_of=None), date.year))
    else:
        used, used_date = frame["count"], figure_date
        compared = frame["in_window"] == True  # noqa: E712 - too old or missing: nothing is compared
        frame = frame.join(_population_matching(observations, frame, date.year))
    area = latest_at(observations, "land_area", pd.Timestamp.max).set_index("adcode")
    frame["area_km2"] = frame["adcode"].map(area["value"])

    available = targets_mod.rules_for(bundle.targets, metric.key)
    rule = spec.rule if spec.rule in available else (available[0] if available else None)
    target_year = spec.target_year or targets_mod.seed_year(bundle.targets, metric.key) or date.year
    if spec.target_at == "figure_date":  # the target in force at each figure's date (or the view's)
        when = pd.Series(used_date.fillna(date).to_numpy(), index=frame["adcode"])
    else:
        when = pd.Series(pd.Timestamp(f"{target_year}-12-31"), index=frame["adcode"])
    frame["target"], frame["target_at"], frame["target_source"] = np.nan, None, None
    if rule is not None:
        allocated = targets_mod.allocate(rule, metric.key, bundle.targets, observations, when)
        allocated = allocated.set_index("adcode")
        for column in ("target", "target_at", "target_source"):
            frame[column] = frame["adcode"].map(allocated[column])
        frame["target"] = frame["target"].astype("float64")
    elif view.needs_target:
        notes.append(Text("note.no_target"))
    frame["rule"] = rule
    national_series = timeline.series(observations, metric.key, NATIONAL_ADCODE)
    frame["national_per_10k"] = timeline.national_per_10k(observations, metric.key, used_date)
    for column, values in _comparisons(frame, used).items():
        frame[column] = values.where(compared)
    if view.needs_national and national_series.empty:
        notes.append(Text("note.no_national"))
    if estimates is not None:
        frame["chance_met_pct"] = pd.Series(np.nan, index=frame.index)
        known = compared & frame["target"].notna()
        if known.any():
            frame.loc[known, "chance_met_pct"] = estimates.chance_at_least(frame[known], frame.loc[known, "target"])

    frame = frame.join(_projections(frame, rows, metric, date, national_series, spec, bundle.targets,
                                    observations, rule, target_year, bundle.estimates(metric.key)))
    # When a target is reached is a comparison too: none for a figure outside the window.
    frame.loc[~compared, ["target_reached", "target_reached_how"]] = None
    frame["value"] = view.compute(frame.assign(count=used)).astype("float64").where(compared)
    if estimates is not None:
        frame = frame.join(_uncertainty(frame, used, view, estimates, compared))
    frame["unit"] = view.unit(metric)
    frame["derived"] = view.derived
    frame = frame.sort_values("adcode", ignore_index=True)

    later = rows[(rows["metric"] == metric.key) & (rows["as_of_date"] > date)
                 & (rows["adcode"] != NATIONAL_ADCODE)]
    if len(later):  # a figure dated after the view's date is left out; say so, never silently
        notes.append(_later_figures_note(later, spec.as_of))
    path = targets_mod.national_path(bundle.targets, metric.key, "count")
    rule_label = targets_mod.RULES[rule].label if rule else "no quantitative target"
    return ViewResult(gpd.GeoDataFrame(frame, geometry="geometry", crs=bundle.boundaries.crs), metric,
                      spec, rule, rule_label, notes,
                      _national(latest, path, metric), bundle.facilities, bundle.hubs,
                      path.points if path is not None else None, estimates)


def _comparisons(frame: pd.DataFrame, counts: pd.Series) -> dict[str, pd.Series]:
    """What the comparing views read, from a count per province (its figure, or an estimate
    and either end of its interval): gap, attainment, and per 10k people against the nation."""
    return {"gap": targets_mod.gap(counts, frame["target"]),
            "attainment_pct": pd.Series(targets_mod.attainment(counts, frame["target"]) * 100,
                                        index=frame.index),
            "vs_national": counts / frame["population_10k"] / frame["national_per_10k"]}


ESTIMATE_COLUMNS = ["estimated", "estimate", "low80", "high80", "low95", "high95", "national_footing",
                    "sd", "method", "basis", "chance_met_pct"]
UNCERTAINTY_COLUMNS = ["value_low80", "value_high80", "rank_low", "rank_high"]


def _uncertainty(frame: pd.DataFrame, used: pd.Series, view: View, estimates, compared) -> pd.DataFrame:
    """The view's value at either end of each estimate's 80 % interval, and the range of ranks
    (1 = highest value) it implies: every view but the chance is linear in the count, given a
    province's other columns, so the value moves by slope × (count − estimate)."""
    def value_at(counts: pd.Series) -> pd.Series:
        return view.compute(frame.assign(count=counts, **_comparisons(frame, counts))).astype("float64")
    out = pd.DataFrame(np.nan, index=frame.index, columns=UNCERTAINTY_COLUMNS)
    if view.key == "target_probability":
        return out
    slope = (value_at(used * 2) - value_at(used)) / used
    out["value_low80"] = (frame["value"] + slope * (frame["low80"] - used)).where(compared)
    out["value_high80"] = (frame["value"] + slope * (frame["high80"] - used)).where(compared)
    scale = frame["sd"].where(frame["estimated"] == True)  # noqa: E712 - observed: no spread
    low, high = estimates.rank_range(frame["value"], slope * used, scale)
    out["rank_low"], out["rank_high"] = low, high
    return out


def _later_figures_note(later: pd.DataFrame, as_of: str) -> Text:
    registry = by_adcode()
    listed = [f"{registry[a].name_zh if a in registry else a} ({d})"
              for a, d in sorted(set(zip(later["adcode"], later["as_of"])))]
    shown = ", ".join(listed[:8])
    if len(listed) > 8:
        shown = Text("note.and_more", shown=shown, n=len(listed) - 8)
    n = len(later)
    return Text("note.later_many", n=n, as_of=as_of, shown=shown) if n > 1 else Text(
        "note.later_one", as_of=as_of, shown=shown)


def _national(latest: pd.DataFrame, path, metric: Metric) -> dict | None:
    """The national figure at the date, with the national target in force at its date."""
    national = latest[latest["adcode"] == NATIONAL_ADCODE]
    if national.empty:
        return None
    row = national.iloc[-1]
    out = {"value": float(row["value"]), "as_of": row["as_of"], "source": source_text(row),
           "qualifier": row.get("qualifier", "=") or "=", "target": None, "attainment_pct": None}
    if path is not None:
        target = float(path.at([row["as_of_date"]])[0])
        if not np.isnan(target):
            out.update(target=target, attainment_pct=100 * float(row["value"]) / target,
                       target_source=path.citation())
    return out


PROJECTION_COLUMNS = ["projected", "projected_low", "projected_high", "projection_method",
                      "target_reached", "target_reached_how"]


def _projections(frame, rows, metric, date, national, spec, all_targets, observations, rule,
                 target_year: int, model=None) -> pd.DataFrame:
    """Per province: a projection at the view's date (after its last figure) and when its figures
    reach its share of the target due at the end of `target_year`. Derived; empty for metrics
    that are not dated series of a total. Where the metric has a model (`model`), there is one
    way of estimating: the projection is the model's estimate after the last figure, with its
    80 % interval, and the target is reached when the model's path reaches it; the trend
    projections below are for a metric without one (a user's series)."""
    empty = dict.fromkeys(PROJECTION_COLUMNS[:3], np.nan) | dict.fromkeys(PROJECTION_COLUMNS[3:])
    out = {i: dict(empty) for i in frame.index}
    if metric.dated_series:
        columns = [c for c in ("adcode", "metric", "as_of", "as_of_date", "value", "qualifier", "flags")
                   if c in rows]
        known = rows.loc[(rows["metric"] == metric.key) & (rows["as_of_date"] <= date), columns]
        by_province = dict(tuple(known.groupby("adcode")))
        goal = pd.Series(dtype=float)
        if rule is not None:
            # "Reached" is measured against the target due at the end of the target year (the
            # seed's 2025 for 5G): on the moving path every early figure would "reach" its small
            # early target.
            due = pd.Timestamp(f"{target_year}-12-31")
            goal = targets_mod.allocate(rule, metric.key, all_targets, observations, due).set_index("adcode")["target"]
        if model is not None:
            return _modelled_projections(frame, model, by_province, date, goal, out)
        for i, adcode in frame["adcode"].items():
            if adcode not in by_province:
                continue
            trend = timeline.Trend(timeline.series(by_province[adcode], metric.key, adcode), national)
            single = trend.values.size == 1
            projection = trend.project(date, timeline.NATIONAL_PACE if spec.national_pace and single
                                       else timeline.OWN_TREND)
            if projection is not None:
                out[i].update(projected=projection.value, projected_low=projection.low,
                              projected_high=projection.high, projection_method=projection.method)
            if rule is not None:
                reached, how = timeline.reach_date(trend, float(goal.get(adcode, np.nan)))
                out[i].update(target_reached=reached.strftime("%Y-%m-%d") if reached is not None else None,
                              target_reached_how=how)
    return pd.DataFrame.from_dict(out, orient="index", columns=PROJECTION_COLUMNS).astype(
        dict.fromkeys(PROJECTION_COLUMNS[:3], "float64"))


def _modelled_projections(frame, model, by_province, date, goal, out) -> pd.DataFrame:
    at = model.at(date, describe=False).set_index("adcode")
    for i, adcode in frame["adcode"].items():
        if adcode not in at.index or adcode not in by_province:
            continue
        figures = by_province[adcode]
        last = figures["as_of_date"].max()
        if at.at[adcode, "estimated"] and (last + pd.offsets.MonthEnd(0)) < date:
            out[i].update(projected=at.at[adcode, "estimate"], projected_low=at.at[adcode, "low80"],
                          projected_high=at.at[adcode, "high80"], projection_method=str(model.method))
        target = float(goal.get(adcode, np.nan))
        if np.isnan(target):
            continue
        met = figures[figures["value"].astype(float) >= target]
        if len(met):
            out[i].update(target_reached=met["as_of_date"].min().strftime("%Y-%m-%d"),
                          target_reached_how="observed")
        else:
            reached = model.reached(adcode, target, last)
            out[i].update(target_reached=reached.strftime("%Y-%m-%d") if reached is not None else None,
                          target_reached_how="estimated" if reached is not None else
                          "not reached by the model's last month")
    return pd.DataFrame.from_dict(out, orient="index", columns=PROJECTION_COLUMNS).astype(
        dict.fromkeys(PROJECTION_COLUMNS[:3], "float64"))


def _population_matching(observations: pd.DataFrame, frame: pd.DataFrame, default_year: int) -> pd.DataFrame:
    """Per row, the NBS population of the year of the row's own as-of (the view's year where
    there is no value), or the newest year before it: [population_10k, population_year]."""
    years = frame["as_of"].str[:4].fillna(str(default_year)).astype(int)
    by_year = {y: population_for_year(observations, y).set_index("adcode") for y in set(years)}
    pop = [by_year[y]["population"].get(a) for a, y in zip(frame["adcode"], years)]
    pop_year = [by_year[y]["population_year"].get(a) for a, y in zip(frame["adcode"], years)]
    return pd.DataFrame({"population_10k": pd.array(pop, dtype="Float64").astype("float64"),
                         "population_year": pop_year}, index=frame.index)


def select(frame: gpd.GeoDataFrame, adcodes=None, regions=None) -> gpd.GeoDataFrame:
    """The provinces picked by adcode or by region, as a union (nothing picked = all), sorted by
    adcode: West + Guangdong is the western provinces and Guangdong."""
    if not adcodes and not regions:
        return frame.sort_values("adcode", ignore_index=True)
    keep = frame["region"].isin(list(regions or ())) | frame["adcode"].isin(list(adcodes or ()))
    return frame[keep].sort_values("adcode", ignore_index=True)


def sum_over_provinces(frame: pd.DataFrame) -> tuple[float | None, int]:
    """Sum of the provinces' own counts and how many provinces have one (no data is not 0)."""
    have = frame["count"].notna()
    return (float(frame.loc[have, "count"].sum()) if have.any() else None), int(have.sum())
