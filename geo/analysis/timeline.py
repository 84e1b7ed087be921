"""Time: dated series, targets as a path over time, the national benchmark, projections.

Provincial figures come from different dates (2019 to 2025) and most provinces publish rarely,
so a figure is compared with what held *at its own date*:

* **Target path.** Every dated national target of a metric (0.5 M 5G base stations by end-2020,
  2 M by end-2022, 2.9 M by end-2023, more than 4.5 M in 2025...) is a point of a path;
  between two points the target is interpolated linearly in time (PATH_METHOD). Before the
  first dated target there is no target in force; after the last one, the last holds. Where two
  targets are due on the same date, the one issued last supersedes the other (the seed's 4.5 M,
  issued 2025-01, supersedes the 3.64 M of 2021).
* **National benchmark.** The national series is complete: interpolated linearly between its
  dated points (never beyond the first or last), divided by the national population of the
  same year, it gives the national per-10k at any date a province's figure has.
* **Projections** are derived values with a named method and an interval, never observations.

Dates are pandas Timestamps; arithmetic is on days since the epoch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.observations import period_end, population_for_year
from ..data.regions import NATIONAL_ADCODE

PATH_METHOD = "linear between dated targets (none before the first; the last holds after it)"
OWN_TREND = "own_trend"
NATIONAL_PACE = "national_pace"
# A trend is fitted to the figures of the last TREND_MONTHS before a province's last figure
# (the 2019-2020 ramp-up says nothing about 2025), and a projection reaches no further than
# PROJECTION_HORIZON_MONTHS past that figure.
TREND_MONTHS = 36
PROJECTION_HORIZON_MONTHS = 24
PROJECTION_METHODS = {
    OWN_TREND: f"linear trend of the province's own figures of the {TREND_MONTHS} months before "
               "its last one (at least 2); interval: from that trend to the national pace",
    NATIONAL_PACE: "the province's last figure grown at the national pace (national total at the "
                   "date ÷ national total at the figure's date); no interval (one method)",
}
DAYS_PER_MONTH = 30.44


def _days(dates) -> np.ndarray:
    """Days since 1970-01-01 as floats (NaN for NaT)."""
    values = np.asarray(dates)
    if values.dtype.kind != "M":
        values = pd.to_datetime(pd.Series(np.atleast_1d(values))).to_numpy()
    values = np.atleast_1d(values).astype("datetime64[D]")
    out = values.astype("int64").astype(float)
    out[np.isnat(values)] = np.nan
    return out


def months_between(earlier, later) -> np.ndarray:
    return (_days(later) - _days(earlier)) / DAYS_PER_MONTH


def interpolate(dates, values, when, *, hold_after: bool = False) -> np.ndarray:
    """Linear interpolation of a dated series at `when` (one date or many): NaN before the first
    date, and after the last unless `hold_after` (then the last value)."""
    x, y = _days(dates), np.asarray(values, dtype=float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    at = _days(np.atleast_1d(when))
    out = np.interp(at, x, y) if x.size else np.full(at.shape, np.nan)
    if x.size:
        out[at < x[0]] = np.nan
        if not hold_after:
            out[at > x[-1]] = np.nan
    out[np.isnan(at)] = np.nan
    return out


@dataclass(frozen=True)
class TargetPath:
    """A metric's dated targets of one kind (count or per_10k_people) as a path over time."""
    kind: str
    points: pd.DataFrame  # target_date (Timestamp), value, citation; sorted by date

    def at(self, when) -> np.ndarray:
        return interpolate(self.points["target_date"], self.points["value"], when, hold_after=True)

    def citation(self) -> str:
        return "; ".join(f"{d:%Y-%m-%d}: {v:,.0f} ({c})" for d, v, c in
                         zip(self.points["target_date"], self.points["value"], self.points["citation"]))


def target_path(targets: pd.DataFrame, metric: str, kind: str, *, adcode: str = NATIONAL_ADCODE,
                citation=lambda row: "") -> TargetPath | None:
    """The path of `metric`'s targets of `kind` for `adcode` (national by default), or None."""
    rows = targets[(targets["metric"] == metric) & (targets["kind"] == kind)
                   & (targets["adcode"] == adcode) & targets["target_value"].notna()].copy()
    if rows.empty:
        return None
    rows["target_date_ts"] = rows.apply(_due, axis=1)
    rows["issued_ts"] = rows.apply(_issued, axis=1)
    # Same due date: the target issued last supersedes (NaT issued sorts first).
    rows = rows.sort_values(["target_date_ts", "issued_ts"], na_position="first", kind="stable")
    rows = rows.groupby("target_date_ts", sort=True).tail(1)
    return TargetPath(kind, pd.DataFrame({
        "target_date": rows["target_date_ts"].to_list(),
        "value": rows["target_value"].astype(float).to_list(),
        "citation": [citation(row) for _, row in rows.iterrows()]}))


def _due(row) -> pd.Timestamp:
    text = str(row.get("target_date") or "").strip()
    return period_end(text) if text else period_end(str(row["target_year"]))


def _issued(row) -> pd.Timestamp:
    for column in ("issued", "as_of"):
        text = str(row.get(column) or "").strip()
        if text[:4].isdigit():
            try:
                return period_end(text[:10] if len(text) >= 10 else text[:7] if len(text) >= 7 else text[:4])
            except ValueError:
                continue
    return pd.NaT


# ----------------------------------------------------------------------------- national benchmark

def series(observations: pd.DataFrame, metric: str, adcode: str) -> pd.DataFrame:
    """The dated figures of `metric` for `adcode`, oldest first: as_of_date, value, qualifier.

    A figure flagged `not_preferred` (a weaker source for a date that has a better one) is left
    out; so is the weaker of two figures of the same date.
    """
    rows = observations[(observations["metric"] == metric) & (observations["adcode"] == adcode)]
    if "flags" in rows:
        rows = rows[~rows["flags"].fillna("").str.contains("not_preferred")]
    rows = rows.sort_values("as_of_date", kind="stable").groupby("as_of_date").tail(1)
    columns = ["as_of_date", "as_of", "value"] + [c for c in ("qualifier",) if c in rows]
    return rows[columns].reset_index(drop=True)


def national_population(observations: pd.DataFrame, year: int) -> float:
    """Sum of the 31 mainland provinces' NBS population (10k persons) of `year`, or of the newest
    year before it; NaN when there is none."""
    pop = population_for_year(observations, year)
    return float(pop["population"].sum()) if len(pop) else np.nan


def national_per_10k(observations: pd.DataFrame, metric: str, when) -> np.ndarray:
    """The national figure of `metric` per 10k people at each date of `when` (NaN outside the
    national series)."""
    national = series(observations, metric, NATIONAL_ADCODE)
    counts = interpolate(national["as_of_date"], national["value"], when)
    years = pd.to_datetime(pd.Series(np.atleast_1d(when))).dt.year
    pops = {y: national_population(observations, int(y)) for y in set(years.dropna())}
    population = np.array([pops.get(y, np.nan) for y in years], dtype=float)
    return counts / population


# ----------------------------------------------------------------------------- projections

@dataclass(frozen=True)
class Projection:
    value: float
    low: float
    high: float
    method: str  # a key of PROJECTION_METHODS
    based_on: str  # the figures it starts from


class Trend:
    """The projection methods fitted once to a province's dated figures (`series()` rows)."""

    def __init__(self, points: pd.DataFrame, national: pd.DataFrame | None = None):
        values = points["value"].to_numpy(float)
        keep = ~np.isnan(values)
        self.days, self.values = _days(points["as_of_date"].to_numpy())[keep], values[keep]
        self.as_of = points["as_of"].to_numpy(object)[keep]
        self.national = national
        self.slope = self.intercept = None
        self.fitted = np.zeros(0, dtype=bool)
        if self.values.size:
            self.fitted = self.days >= self.days[-1] - TREND_MONTHS * DAYS_PER_MONTH
            if np.unique(self.days[self.fitted]).size >= 2:
                self.slope, self.intercept = np.polyfit(self.days[self.fitted], self.values[self.fitted], 1)

    @property
    def has_figures(self) -> bool:
        return self.values.size > 0

    def projectable(self, when: pd.Timestamp) -> bool:
        """After the last figure and within PROJECTION_HORIZON_MONTHS of it."""
        if not self.has_figures:
            return False
        ahead = (_days([when])[0] - self.days[-1]) / DAYS_PER_MONTH
        return 0 < ahead <= PROJECTION_HORIZON_MONTHS

    def own_trend(self, when) -> np.ndarray:
        at = _days(when)
        if self.slope is None:
            return np.full(at.shape, np.nan)
        return np.maximum(self.slope * at + self.intercept, 0.0)

    def national_pace(self, when) -> np.ndarray:
        at = _days(when)
        if not self.has_figures or self.national is None or self.national.empty:
            return np.full(at.shape, np.nan)
        x, y = _days(self.national["as_of_date"].to_numpy()), self.national["value"].to_numpy(float)
        start = np.interp(self.days[-1], x, y) if x[0] <= self.days[-1] <= x[-1] else np.nan
        end = np.where((at >= x[0]) & (at <= x[-1]), np.interp(at, x, y), np.nan)
        return self.values[-1] * end / start if start > 0 else np.full(at.shape, np.nan)

    def project(self, when, method: str = OWN_TREND) -> Projection | None:
        when = pd.Timestamp(when)
        if not self.projectable(when):
            return None
        pace = float(self.national_pace([when])[0])
        if method == NATIONAL_PACE:
            if np.isnan(pace):
                return None
            return Projection(pace, pace, pace, NATIONAL_PACE, f"{self.values[-1]:,.0f} of {self.as_of[-1]}")
        trend = float(self.own_trend([when])[0])
        if np.isnan(trend):
            return None
        readings = [trend] + ([] if np.isnan(pace) else [pace])
        based_on = ", ".join(f"{v:,.0f} ({d})" for v, d in zip(self.values[self.fitted], self.as_of[self.fitted]))
        return Projection(trend, min(readings), max(readings), OWN_TREND, based_on)


def project(points: pd.DataFrame, when, *, national: pd.DataFrame | None = None,
            method: str = OWN_TREND) -> Projection | None:
    """A projected value at `when` from a province's dated figures, or None: only after its last
    figure and within PROJECTION_HORIZON_MONTHS of it; OWN_TREND needs 2 figures on different
    dates within TREND_MONTHS of the last, NATIONAL_PACE 1 figure and the national series."""
    return Trend(points, national).project(when, method)


def reach_date(trend: Trend, target: float) -> tuple[pd.Timestamp | None, str]:
    """When a province's figures reach `target` (its share of a target due at a fixed date):
    (date or None, how). Observed first: its first figure at or above it ("observed"); else the
    first month-end within the projection horizon where its own trend reaches it ("projected").
    """
    if not trend.has_figures or np.isnan(target):
        return None, "no figure" if not trend.has_figures else "no target"
    met = trend.values >= target
    if met.any():
        return pd.Timestamp(np.datetime64(int(trend.days[int(np.argmax(met))]), "D")), "observed"
    if trend.slope is None:
        return None, "not projected (fewer than 2 recent figures)"
    last = pd.Timestamp(np.datetime64(int(trend.days[-1]), "D"))
    months = pd.date_range(last + pd.offsets.MonthEnd(1), periods=PROJECTION_HORIZON_MONTHS, freq="ME")
    reached = trend.own_trend(months.to_numpy()) >= target
    if reached.any():
        return months[int(np.argmax(reached))], "projected"
    return None, f"not within {PROJECTION_HORIZON_MONTHS} months of its last figure on its own trend"
