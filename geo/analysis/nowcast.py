"""Model-based estimates of each province's cumulative count at any month (a "nowcast"), in the
way statistical agencies answer for small areas (the US Census Bureau's SAIPE): a model fitted
to every figure there is, controlled ("raked") so that the provinces add up to the direct
regional and national totals, with intervals taken from a backtest (geo.analysis.backtest), not
from the model's own assumptions.

The model (METHOD), per province p of region r, by month t from 2019-12 to 2027-12:

* the national total N(t): linear between its dated figures; after the last one it grows at
  the growth of its last 12 months, with an error that grows with the months ahead (measured on
  the national series' own past, `_national_drift`);
* the region's total R_r(t) = w_r(t) N(t), with w_r the region's share in MIIT's East / Central /
  West / Northeast splits, linear between split dates and held at the nearest split outside them;
* z_p(t) = log y_p(t) - log R_r(t), the province's log share of its region on its own reporting
  footing, is its anchor (its population share of the region, on the common footing k(t) below)
  plus a deviation that decays toward it (an AR(1) in the national log growth: shares moved fast
  in the 2020 ramp-up and slowly once the network was built). A Kalman filter and smoother give
  its mean and variance at every month: between a province's figures it interpolates, after the
  last one it drifts back toward the anchor with a growing error, and where a province has no
  figure it is the anchor. Each figure enters with an error of its own: wider for "about" and
  for low-authority, conflicting or doubtfully dated sources, and for counts derived from a
  reported per-10k figure; a "more than" figure is a bound (`fit`);
* provinces report more stations than MIIT's totals hold (their sum runs about 10-20 % above the
  national figure); that common ratio k(t) is read from the regions whose every province has
  figures (East, Central), so the provinces' estimates are raked to k(t)·R_r(t), and, divided by
  k(t), add up exactly to MIIT's totals (`national_footing`);
* raking: from the first regional split on, each region's provinces are raked to its total
  (MIIT's split, interpolated between split dates; after the last, its share of the national
  total, so that a region's remainder stays in the region); before the first split, when the
  regions' shares moved fast and are unknown, all provinces to the national total. Each
  province moves in proportion to its own
  variance (log shift v_p·λ), a figure of that month stays as it is, and a province with no
  figure takes the region's remainder.

Noise levels (the deviation's decay and spread, a figure's base error) are chosen by maximum
likelihood over a small grid (`fit`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.observations import population_for_year
from ..data.regions import NATIONAL_ADCODE, REGIONS

MONTHS = pd.date_range("2019-12-31", "2027-12-31", freq="ME")
FULL_REGIONS = ("East", "Central")  # every province has figures: the regions k(t) is read from
# Extra error (log scale) of a figure, by what its source says of it.
QUALIFIER_ERROR = {">": 0.04, "≈": 0.03, "<": 0.04}
QUALIFIER_SHIFT = {">": 0.02, "<": -0.02}  # "more than 130,000" is on average a little more
FLAG_ERROR = {"low_authority": 0.05, "conflict": 0.05, "date_uncertain": 0.03, "secondary": 0.03}
PER_10K_ERROR = 0.04  # a count read from a rounded per-10k figure times the year's population
# The grid the noise levels are chosen on by maximum likelihood.
NOISE_GRID = tuple((d, s, f) for d in (0.1, 0.25, 0.5, 1.0, 2.0) for s in (0.1, 0.15, 0.25, 0.4)
                   for f in (0.02, 0.04, 0.07, 0.1))
RATIO_PASSES = 3
METRIC = "bs5g"
MIN_FIGURES = 20  # fewer provincial figures than this: no model is fitted


@dataclass(frozen=True)
class Evidence:
    """Everything the model reads, on the month grid."""
    months: pd.DatetimeIndex
    log_national: np.ndarray      # log N(t)
    national_sd: np.ndarray       # its error (0 up to the last national figure)
    last_national: pd.Timestamp
    region_share: dict            # region -> w_r(t)
    split_start: pd.Timestamp | None
    split_end: pd.Timestamp | None
    provinces: pd.DataFrame       # adcode, region, population (10k), name_zh
    figures: pd.DataFrame         # adcode, month (index), value, log_value, extra_sd, as_of, kind, qualifier, flags

    def log_region(self, region: str) -> np.ndarray:
        return np.log(self.region_share[region]) + self.log_national

    def covers(self, when) -> bool:
        """Whether `when` falls in a month of the grid."""
        return self._index(when) >= 0

    def _index(self, when) -> int:
        return int(self.months.get_indexer(_month_of([when]))[0])

    def month_index(self, when) -> int:
        """The index of the month that holds `when` (its month-end on the grid)."""
        i = self._index(when)
        if i < 0:
            raise ValueError(f"{pd.Timestamp(when).date()} is outside the estimates' months "
                             f"{self.months[0]:%Y-%m} to {self.months[-1]:%Y-%m}")
        return int(i)

    def exact_counts(self) -> pd.DataFrame:
        """The figures that are counts given as a value: neither a bound ("more than") nor read
        from a per-10k figure (what is held at its month and what a backtest holds out)."""
        f = self.figures
        return f[(f["kind"] == "count") & ~f["qualifier"].isin(list(QUALIFIER_SHIFT))]

    def without(self, keep: np.ndarray) -> "Evidence":
        """The same evidence with only the figures where `keep` is true (for the backtest)."""
        return Evidence(self.months, self.log_national, self.national_sd, self.last_national,
                        self.region_share, self.split_start, self.split_end, self.provinces,
                        self.figures[keep].reset_index(drop=True))


def _month_of(dates) -> pd.DatetimeIndex:
    return (pd.DatetimeIndex(pd.to_datetime(dates)) + pd.offsets.MonthEnd(0)).normalize()


def _national_path(national: pd.DataFrame, months: pd.DatetimeIndex):
    """log N on the grid, its error, the date of the last figure."""
    national = national.sort_values("as_of_date").groupby("as_of_date").tail(1)
    x = national["as_of_date"].to_numpy("datetime64[D]").astype(float)
    y = np.log(national["value"].to_numpy(float))
    at = months.to_numpy("datetime64[D]").astype(float)
    # Linear between figures, as every interpolation of a cumulative count in this project.
    log_n = np.log(np.interp(at, x, np.exp(y)))
    growth = _growth_per_day(x, y, x[-1])
    ahead = at > x[-1]
    log_n[ahead] = y[-1] + growth * (at[ahead] - x[-1])
    before = at < x[0]
    log_n[before] = y[0] + _growth_per_day(x, y, x[0] + 365) * (at[before] - x[0])
    sd = np.zeros_like(at)
    sd[ahead] = _national_drift(x, y) * (at[ahead] - x[-1]) / 30.44
    return log_n, sd, pd.Timestamp(national["as_of_date"].iloc[-1])


def _growth_per_day(x, y, end) -> float:
    """Log growth per day of the national series over the 12 months up to `end`."""
    start = end - 365
    if start < x[0]:
        start = x[0]
    return float((np.interp(end, x, y) - np.interp(start, x, y)) / max(end - start, 1.0))


def _national_drift(x, y) -> float:
    """The error per month ahead of the 12-month-growth rule, measured on the national series'
    own past: the root mean square of (log error / months ahead) over every origin from its
    second year on and every later figure up to 24 months ahead."""
    errors = []
    for i, origin in enumerate(x):
        if origin - x[0] < 365:
            continue
        growth = _growth_per_day(x[: i + 1], y[: i + 1], origin)
        for xj, yj in zip(x[i + 1:], y[i + 1:]):
            months = (xj - origin) / 30.44
            if 0 < months <= 24:
                errors.append((yj - (y[i] + growth * (xj - origin))) / months)
    return float(np.sqrt(np.mean(np.square(errors)))) if errors else 0.01


def _region_shares(regional: pd.DataFrame, metric: str, months: pd.DatetimeIndex):
    rows = regional[(regional["metric"] == metric) & regional["region"].isin(list(REGIONS))].copy()
    rows["value"] = rows["value"].astype(float)
    rows["month"] = _month_of(rows["as_of"])
    wide = rows.pivot_table(index="month", columns="region", values="value", aggfunc="last")
    wide = wide.dropna()  # a split counts only where all four regions are given
    if wide.empty:
        return None, None, None
    shares = wide.div(wide.sum(axis=1), axis=0)
    at = months.to_numpy("datetime64[D]").astype(float)
    x = shares.index.to_numpy("datetime64[D]").astype(float)
    # np.interp holds the end values outside the split dates, as the model says.
    out = {r: np.interp(at, x, shares[r].to_numpy(float)) for r in shares.columns}
    return out, shares.index[0], shares.index[-1]


def evidence(observations: pd.DataFrame, regional: pd.DataFrame | None, provinces: pd.DataFrame,
             metric: str = METRIC) -> Evidence | None:
    """The model's inputs from the long observations, MIIT's regional splits and the provinces
    (adcode, region, name_zh); None where there is too little to fit a model (no national series,
    no regional splits, fewer than MIN_FIGURES provincial figures)."""
    months = MONTHS
    rows = observations[observations["metric"] == metric]
    flags = rows["flags"].fillna("") if "flags" in rows else pd.Series("", index=rows.index)
    rows = rows[~flags.str.contains("not_preferred")]
    national = rows[rows["adcode"] == NATIONAL_ADCODE]
    if national.empty or regional is None or regional.empty:
        return None
    shares, start, end = _region_shares(regional, metric, months)
    if shares is None or set(shares) != set(REGIONS):
        return None
    log_n, n_sd, last = _national_path(national, months)

    provinces = provinces[provinces["region"].isin(list(REGIONS))][["adcode", "region", "name_zh"]]
    provinces = provinces.drop_duplicates("adcode").sort_values("adcode", ignore_index=True)
    pop = population_for_year(observations, 2024).set_index("adcode")["population"]
    provinces["population"] = provinces["adcode"].map(pop).astype(float)

    counts = rows[rows["adcode"].isin(provinces["adcode"])].assign(kind="count")
    per_10k = observations[(observations["metric"] == f"{metric}_per_10k_reported")
                           & observations["adcode"].isin(provinces["adcode"])].copy()
    if len(per_10k):
        years = per_10k["as_of_date"].dt.year
        pops = [population_for_year(observations, int(y)).set_index("adcode")["population"].get(a, np.nan)
                for a, y in zip(per_10k["adcode"], years)]
        per_10k["value"] = per_10k["value"].astype(float) * np.array(pops, dtype=float)
        per_10k["kind"] = "per_10k"
        # A per-10k figure adds something only in a month with no count of the province.
        have = set(zip(counts["adcode"], _month_of(counts["as_of_date"])))
        per_10k = per_10k[[(a, m) not in have for a, m in zip(per_10k["adcode"], _month_of(per_10k["as_of_date"]))]]
        per_10k = per_10k[per_10k["value"].notna()]
    figures = pd.concat([counts, per_10k], ignore_index=True)
    figures = figures[(figures["as_of_date"] >= months[0] - pd.offsets.MonthEnd(1))
                      & (figures["as_of_date"] <= months[-1]) & (figures["value"].astype(float) > 0)]
    if (figures["kind"] == "count").sum() < MIN_FIGURES:
        return None
    month = months.get_indexer(_month_of(figures["as_of_date"].clip(lower=months[0])))
    qualifier = figures["qualifier"].fillna("=") if "qualifier" in figures else pd.Series("=", index=figures.index)
    flag_text = figures["flags"].fillna("") if "flags" in figures else pd.Series("", index=figures.index)
    extra = np.array([np.sqrt(QUALIFIER_ERROR.get(q, 0.0) ** 2
                              + sum(FLAG_ERROR.get(f, 0.0) ** 2 for f in fl.split(";") if f)
                              + (PER_10K_ERROR ** 2 if k == "per_10k" else 0.0))
                      for q, fl, k in zip(qualifier, flag_text, figures["kind"])])
    value = figures["value"].astype(float).to_numpy()
    shift = np.array([QUALIFIER_SHIFT.get(q, 0.0) for q in qualifier])
    table = pd.DataFrame({
        "adcode": figures["adcode"].to_numpy(object), "month": month, "value": value,
        "log_value": np.log(value) + shift, "extra_sd": extra,
        "as_of": figures["as_of"].astype(str).to_numpy(object), "kind": figures["kind"].to_numpy(object),
        "qualifier": qualifier.to_numpy(object), "flags": flag_text.to_numpy(object)})
    return Evidence(months, log_n, n_sd, last, shares, start, end, provinces,
                    table.sort_values(["adcode", "month"], ignore_index=True))


@dataclass(frozen=True)
class Fit:
    """The smoothed log shares of every province at every month, and what was chosen."""
    evidence: Evidence
    mean: np.ndarray      # provinces × months: z_p(t)
    var: np.ndarray       # its variance
    log_ratio: np.ndarray  # log k(t): provinces' own footing over MIIT's totals
    noise: tuple[float, float, float]  # decay, spread, figure error
    loglik: float

    @property
    def adcodes(self) -> list[str]:
        return list(self.evidence.provinces["adcode"])


def _observations_matrix(ev: Evidence, figure_sd: float):
    """Per province and month one combined figure (precision-weighted) and its variance; NaN
    where there is none."""
    p_index = {a: i for i, a in enumerate(ev.provinces["adcode"])}
    shape = (len(p_index), len(ev.months))
    precision, weighted = np.zeros(shape), np.zeros(shape)
    f = ev.figures
    rows = f["adcode"].map(p_index).to_numpy(int)
    cols = f["month"].to_numpy(int)
    region = ev.provinces["region"].to_numpy(object)[rows]
    log_r = np.array([ev.log_region(r)[c] for r, c in zip(region, cols)])
    z = f["log_value"].to_numpy(float) - log_r
    w = 1.0 / (figure_sd ** 2 + f["extra_sd"].to_numpy(float) ** 2)
    np.add.at(precision, (rows, cols), w)
    np.add.at(weighted, (rows, cols), w * z)
    with np.errstate(invalid="ignore", divide="ignore"):
        return weighted / precision, np.where(precision > 0, 1.0 / precision, np.nan)


def _anchor(ev: Evidence, log_ratio: np.ndarray) -> np.ndarray:
    """What a province's log share of its region is pulled toward: its population share of the
    region on the common footing, log(pop_p / pop_r) + the mean log k over the months of the
    regional splits (provinces × months). The footing is held at that mean, not moved with k(t):
    held out, a province's share of its region keeps better than k's early swings."""
    pops = ev.provinces["population"].to_numpy(float)
    regions = ev.provinces["region"].to_numpy(object)
    share = np.array([p / np.nansum(pops[regions == r]) for p, r in zip(pops, regions)])
    window = (ev.months >= ev.split_start) & (ev.months <= ev.split_end)
    footing = float(log_ratio[window].mean()) if window.any() else float(log_ratio.mean())
    return np.log(share)[:, None] + np.full(len(ev.months), footing)[None, :]


def _growth(ev: Evidence) -> np.ndarray:
    """The national log growth of each month (of the first: that of the second)."""
    growth = np.diff(ev.log_national, prepend=np.nan)
    growth[0] = growth[1]
    return np.maximum(growth, 0.0)


def _smooth(y, r, decay, spread, growth):
    """Kalman filter and RTS smoother of each province's deviation u from its anchor, all
    provinces at once: u(t) = φ_t u(t-1) + η, φ_t = exp(-decay · national log growth of the month),
    stationary spread `spread` (so Var η = spread² (1 - φ_t²)); and the log-likelihood of the
    figures."""
    n, t = y.shape
    phi = np.exp(-decay * growth)
    q = spread ** 2 * (1 - phi ** 2)
    mf, pf, mp, pp = (np.zeros((n, t)) for _ in range(4))
    m, p = np.zeros(n), np.full(n, spread ** 2)
    loglik = 0.0
    for k in range(t):
        m_pred, p_pred = (phi[k] * m, phi[k] ** 2 * p + q[k]) if k else (m, p)
        mp[:, k], pp[:, k] = m_pred, p_pred
        seen = ~np.isnan(y[:, k])
        s = p_pred + np.where(seen, r[:, k], 1.0)
        innovation = np.where(seen, y[:, k] - m_pred, 0.0)
        gain = np.where(seen, p_pred / s, 0.0)
        loglik += float(np.sum(np.where(seen, -0.5 * (np.log(2 * np.pi * s) + innovation ** 2 / s), 0.0)))
        m, p = m_pred + gain * innovation, p_pred * (1 - gain)
        mf[:, k], pf[:, k] = m, p
    ms, ps = mf.copy(), pf.copy()
    for k in range(t - 2, -1, -1):
        j = pf[:, k] * phi[k + 1] / pp[:, k + 1]
        ms[:, k] = mf[:, k] + j * (ms[:, k + 1] - mp[:, k + 1])
        ps[:, k] = pf[:, k] + j ** 2 * (ps[:, k + 1] - pp[:, k + 1])
    return ms, ps, loglik


def fit(ev: Evidence, noise: tuple[float, float, float] | None = None) -> Fit:
    """Fit the model; `noise` = (decay, spread, figure error), else chosen by maximum likelihood
    on NOISE_GRID.

    A "more than" figure is a bound, not a value: the model is fitted first without bounds, then
    again with each bound that the first fit falls below (a bound that holds already says
    nothing more)."""
    bound = ev.figures["qualifier"].isin(list(QUALIFIER_SHIFT)).to_numpy()
    first = _fit(ev.without(~bound), noise)
    if not bound.any():
        return first
    f = ev.figures
    rows = f["adcode"].map({a: i for i, a in enumerate(ev.provinces["adcode"])}).to_numpy(int)
    cols = f["month"].to_numpy(int)
    regions = ev.provinces["region"].to_numpy(object)[rows]
    log_r = np.array([ev.log_region(r)[c] for r, c in zip(regions, cols)])
    above = np.log(f["value"].to_numpy(float)) - log_r > first.mean[rows, cols]
    binding = np.where(f["qualifier"].eq(">").to_numpy(), above, ~above)
    return _fit(ev.without(~bound | binding), noise)


def _fit(ev: Evidence, noise) -> Fit:
    growth = _growth(ev)
    best = None
    for decay, spread, figure_sd in ([noise] if noise else NOISE_GRID):
        y, r = _observations_matrix(ev, figure_sd)
        log_ratio = np.zeros(len(ev.months))
        for _ in range(RATIO_PASSES):  # the anchor needs k(t), which is read from the fit
            anchor = _anchor(ev, log_ratio)
            u, var, loglik = _smooth(y - anchor, r, decay, spread, growth)
            log_ratio = _log_ratio(ev, u + anchor, var)
        if best is None or loglik > best[-1]:
            best = (decay, spread, figure_sd, u + anchor, var, log_ratio, loglik)
    decay, spread, figure_sd, mean, var, log_ratio, loglik = best
    return Fit(ev, mean, var, log_ratio, (decay, spread, figure_sd), loglik)


def _log_ratio(ev: Evidence, mean, var) -> np.ndarray:
    """log k(t): in each region whose every province has figures, the log of the sum of its
    provinces' shares (own footing over MIIT's total), precision-weighted across those regions.
    After the last regional split it is held: there the sums rest on provinces drifting toward
    their anchors, not on totals they were measured against."""
    regions = ev.provinces["region"].to_numpy(object)
    num, den = np.zeros(len(ev.months)), np.zeros(len(ev.months))
    for region in FULL_REGIONS:
        inside = regions == region
        shares = np.exp(mean[inside])
        total = shares.sum(axis=0)
        var_log = (shares ** 2 * var[inside]).sum(axis=0) / total ** 2
        num += np.log(total) / var_log
        den += 1.0 / var_log
    out = num / den
    if ev.split_end is not None:
        last = int(np.searchsorted(ev.months, ev.split_end, side="right")) - 1
        out[last + 1:] = out[last]
    return out


# ----------------------------------------------------------------------------- raking

def _rake(log_y: np.ndarray, var: np.ndarray, target: float) -> np.ndarray:
    """Shift each log value by var·λ so that the values add up to `target` exactly."""
    def total(lam):
        return float(np.exp(log_y + var * lam).sum())
    lo, hi = -1.0, 1.0
    while total(lo) > target:
        lo *= 2
    while total(hi) < target:
        hi *= 2
    for _ in range(200):  # bisection: monotone in λ, exact to float precision
        mid = 0.5 * (lo + hi)
        if total(mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-14:
            break
    return log_y + var * (0.5 * (lo + hi))


def raked(fit: Fit, i: int, held: dict | None = None):
    """At month index i: each province's log estimate on its own footing after raking, and its
    variance. `held`: adcode -> a figure of that month,
    which stays exactly as it is (the others are raked to the total less the held figures)."""
    ev = fit.evidence
    regions = ev.provinces["region"].to_numpy(object)
    log_r = np.array([ev.log_region(r)[i] for r in regions])
    log_y = fit.mean[:, i] + log_r
    var = fit.var[:, i] + ev.national_sd[i] ** 2
    fixed = ev.provinces["adcode"].isin(list(held or {})).to_numpy()
    for j in np.flatnonzero(fixed):
        log_y[j] = np.log(held[ev.provinces["adcode"].iloc[j]])
    out = log_y.copy()
    ratio = fit.log_ratio[i]
    # Each region to its total: MIIT's split (interpolated between split dates; after the last,
    # its shares of the national total: they move slowly once the network is built). Before the
    # first split the regions' shares moved fast and are unknown: the nation only.
    if ev.split_start is not None and ev.months[i] >= ev.split_start:
        groups = [(regions == r, ev.log_region(r)[i]) for r in REGIONS]
    else:
        groups = [(np.ones(len(regions), dtype=bool), ev.log_national[i])]
    for inside, log_total in groups:
        free = inside & ~fixed
        rest = float(np.exp(ratio + log_total)) - float(np.exp(log_y[inside & fixed]).sum())
        if free.any() and rest > 0:
            out[free] = _rake(log_y[free], fit.var[free, i], rest)
    return out, var

