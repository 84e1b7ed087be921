"""The estimates a view shows: the model (geo.analysis.nowcast) fitted to a bundle's figures, with
intervals calibrated on the backtest (geo.analysis.backtest), read off at a date.

The calibration (noise levels chosen by maximum likelihood, the interval factors k80 / k95, the
backtest's median errors) is computed from the bundled figures and committed as
`data/nowcast_calibration.json`, with a digest of the inputs it was computed from: a visitor
never waits for the backtest. If the figures change, the digest no longer matches and the
calibration is recomputed (a few seconds) in memory; `python -m geo backtest --write-calibration`
writes it again.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from math import erf, sqrt

import numpy as np
import pandas as pd

from .. import config
from ..config import DATA_DIR
from ..errors import InputError
from ..i18n import Text
from . import backtest as backtest_mod
from . import nowcast as nowcast_model

CALIBRATION_JSON = DATA_DIR / "nowcast_calibration.json"
MODEL_FORMAT = 1  # bump when the model changes what the calibration means
Z80 = 1.2816  # the standard normal's 90th percentile: an 80 % interval's half-width
RANK_DRAWS = 400


def digest(ev: nowcast_model.Evidence) -> str:
    """A digest of what the model reads (figures, national path, regional shares)."""
    h = hashlib.sha256(f"format {MODEL_FORMAT}".encode())
    h.update(ev.figures[["adcode", "month", "value", "extra_sd", "qualifier"]].to_csv(index=False).encode())
    h.update(np.round(ev.log_national, 9).tobytes())
    for region in sorted(ev.region_share):
        h.update(np.round(ev.region_share[region], 9).tobytes())
    h.update(ev.provinces[["adcode", "region", "population"]].to_csv(index=False).encode())
    return h.hexdigest()[:16]


def calibrate(ev: nowcast_model.Evidence, **inputs) -> dict:
    """Run the backtest and return the calibration: noise, k80, k95, median errors, digest."""
    noise = nowcast_model.fit(ev).noise
    rows = backtest_mod.run(ev, **inputs)
    return {"digest": digest(ev), "noise": list(noise), **backtest_mod.calibration(rows)}


def stored_calibration(ev: nowcast_model.Evidence) -> dict:
    """The committed calibration if it was computed from these very inputs, else a fresh one."""
    try:
        stored = json.loads(CALIBRATION_JSON.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    if stored.get("digest") == digest(ev):
        return stored
    return calibrate(ev)


def write_calibration(calibration: dict) -> None:
    CALIBRATION_JSON.write_text(json.dumps(calibration, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def normal_cdf(x):
    return np.vectorize(lambda v: 0.5 * (1 + erf(v / sqrt(2))))(np.asarray(x, dtype=float))


@dataclass(frozen=True)
class Estimates:
    """The fitted model of one metric and its calibration."""
    evidence: nowcast_model.Evidence
    calibration: dict

    @cached_property
    def fit(self) -> nowcast_model.Fit:
        return nowcast_model.fit(self.evidence, tuple(self.calibration["noise"]))

    @property
    def method(self) -> Text:
        return Text("estimate.method", k80=f"{self.calibration['k80']:.2f}",
                    cases=self.calibration["cases"])

    def at(self, when, describe: bool = True) -> pd.DataFrame:
        """Per province of the model (adcode order): at the month of `when`, `observed` (a figure
        of that month) or the estimate with its intervals, its footing on MIIT's totals, basis
        and method."""
        ev, fit = self.evidence, self.fit
        if not self.covers(when):  # no estimate outside the model's months: no data, never a guess
            return pd.DataFrame({"adcode": ev.provinces["adcode"].to_numpy(object), "estimated": None,
                                 **dict.fromkeys(
                                     ["estimate", "sd", "national_footing", "low80", "high80", "low95", "high95"],
                                     np.nan), **({"method": None, "basis": None} if describe else {})})
        i = ev.month_index(when)
        counts = ev.exact_counts()
        held = counts[counts["month"] == i].groupby("adcode")["value"].last().to_dict()
        log_y, var = nowcast_model.raked(fit, i, held)
        sd = np.sqrt(var)
        observed = ev.provinces["adcode"].isin(list(held)).to_numpy()
        estimate = np.exp(log_y)
        figure = ev.provinces["adcode"].map(held).to_numpy(float)  # a figure of the month, as given
        shown = np.where(observed, figure, np.round(estimate))  # an estimate has no decimals to give
        k80, k95 = self.calibration["k80"], self.calibration["k95"]
        out = pd.DataFrame({
            "adcode": ev.provinces["adcode"].to_numpy(object), "estimate": shown,
            "estimated": ~observed, "sd": np.where(observed, np.nan, sd),
            "national_footing": estimate / np.exp(fit.log_ratio[i])})
        for name, k in (("80", k80), ("95", k95)):
            spread = np.exp(k * sd)
            out[f"low{name}"] = np.where(observed, np.nan, np.round(estimate / spread))
            out[f"high{name}"] = np.where(observed, np.nan, np.round(estimate * spread))
        if describe:  # the words (per province: its figures and totals) only where they are shown
            # object dtype: the words stay Text (said in the reader's language), not plain strings
            out["method"] = pd.Series([None if o else self.method for o in observed], dtype=object)
            out["basis"] = pd.Series([None if o else self._basis(a, i) for a, o in zip(out["adcode"], observed)],
                                     dtype=object)
        return out

    def covers(self, when) -> bool:
        """Whether `when` falls in the model's months (nowcast.MONTHS)."""
        return self.evidence.covers(when)

    @cached_property
    def path(self) -> pd.DataFrame:
        """Every province at every month of the model, as `at` gives it: adcode, date, estimate,
        low80, high80, estimated (a long table, computed once)."""
        pieces = []
        for month in self.evidence.months:
            at = self.at(month, describe=False)[["adcode", "estimate", "low80", "high80", "estimated"]]
            pieces.append(at.assign(date=month))
        return pd.concat(pieces, ignore_index=True)

    def reached(self, adcode: str, goal: float, after) -> pd.Timestamp | None:
        """The first month-end after `after` whose estimate of `adcode` is at least `goal`."""
        rows = self.path[(self.path["adcode"] == adcode) & (self.path["date"] > pd.Timestamp(after))]
        met = rows[rows["estimate"] >= goal]
        return None if met.empty else pd.Timestamp(met["date"].iloc[0])

    def chance_at_least(self, frame: pd.DataFrame, target: pd.Series) -> np.ndarray:
        """The chance (%) that each province's count is at least its target: 100 or 0 for an
        observed one, from the calibrated interval (log-normal) for an estimate."""
        scale = frame["sd"].to_numpy(float) * self.calibration["k80"] / Z80
        z = (np.log(frame["estimate"].to_numpy(float)) - np.log(target.to_numpy(float))) / scale
        chance = normal_cdf(z) * 100
        met = (frame["estimate"].to_numpy(float) >= target.to_numpy(float)) * 100.0
        return np.where(frame["estimated"].to_numpy(bool), chance, met)

    def rank_range(self, values: pd.Series, sensitivity: pd.Series, scale: pd.Series):
        """The 10th and 90th percentile rank (1 = highest) of each value when each estimated
        count varies within its calibrated uncertainty (log scale `scale`; NaN for a figure of
        the month): value + sensitivity × (e^(scale·z) − 1), from RANK_DRAWS draws with a fixed
        seed (the same page twice shows the same ranges)."""
        rng = np.random.default_rng(20251231)
        v = values.to_numpy(float)
        ok = ~np.isnan(v)
        s = np.nan_to_num(scale.to_numpy(float)[ok] * self.calibration["k80"] / Z80)
        d = np.nan_to_num(sensitivity.to_numpy(float)[ok])
        z = rng.standard_normal((RANK_DRAWS, int(ok.sum())))
        draws = v[ok][None, :] + d[None, :] * (np.exp(z * s[None, :]) - 1)
        ranks = (-draws).argsort(axis=1).argsort(axis=1) + 1
        low, high = np.full(len(v), np.nan), np.full(len(v), np.nan)
        low[ok], high[ok] = np.percentile(ranks, 10, axis=0), np.percentile(ranks, 90, axis=0)
        return np.round(low), np.round(high)

    def _basis(self, adcode: str, i: int) -> Text:
        ev = self.evidence
        own = ev.figures[(ev.figures["adcode"] == adcode)]
        region = ev.provinces.loc[ev.provinces["adcode"] == adcode, "region"].iloc[0]
        before = own[own["month"] <= i].tail(2)
        after = own[own["month"] > i].head(1)
        shown = pd.concat([before, after])
        figures = ", ".join(f"{'>' if q == '>' else '≈' if k == 'per_10k' else ''}{v:,.0f} ({d}"
                            f"{', per 10k × population' if k == 'per_10k' else ''})"
                            for v, d, q, k in zip(shown["value"], shown["as_of"], shown["qualifier"], shown["kind"]))
        month = ev.months[i]
        if ev.split_start is not None and month < ev.split_start:
            split = ev.split_start.strftime("%Y-%m")
        elif ev.split_end is not None and month > ev.split_end:
            split = ev.split_end.strftime("%Y-%m")
        else:
            split = month.strftime("%Y-%m")
        national = (Text("estimate.national_projected", last=ev.last_national.strftime("%Y-%m"))
                    if month > ev.last_national else Text("estimate.national_at", month=month.strftime("%Y-%m")))
        if not len(own):
            return Text("estimate.basis_remainder", region=Text(f"region.{region}"), split=split, national=national)
        return Text("estimate.basis", figures=figures, region=Text(f"region.{region}"), split=split,
                    national=national)


def estimates_for(observations: pd.DataFrame, regional: pd.DataFrame | None, provinces: pd.DataFrame,
                  metric: str) -> Estimates | None:
    """The estimates of `metric`, or None where the model cannot be fitted (no national series or
    regional splits, too few figures; every metric but the 5G count today)."""
    if metric != nowcast_model.METRIC:
        return None
    ev = nowcast_model.evidence(observations, regional, provinces, metric)
    if ev is None:
        return None
    return Estimates(ev, stored_calibration(ev))


# ----------------------------------------------------------------------------- public API

def default_view(bundle, metric: str) -> str:
    """The view a front end opens `metric` in: the estimates where it has a model, else its
    figures."""
    return config.DEFAULT_VIEW if config.DEFAULT_VIEW in bundle.views(metric) else config.FALLBACK_VIEW


def nowcast(bundle, as_of: str = config.DEFAULT_AS_OF, metric: str = nowcast_model.METRIC) -> pd.DataFrame:
    """Every province's estimate of `metric` at `as_of`: adcode, estimated (False: a figure of that
    month), estimate, low80, high80, low95, high95, national_footing (adds up to MIIT's totals),
    sd, method, basis. An InputError where the metric has no model."""
    model = bundle.estimates(metric)
    if model is None:
        raise InputError(f"{metric!r} has no estimates", expected="a metric with a national series, "
                         "regional splits and provincial figures (bs5g)")
    return model.at(pd.Timestamp(as_of))


def backtest(bundle, metric: str = nowcast_model.METRIC) -> pd.DataFrame:
    """The backtest of `metric`'s estimates: one row per held-out figure (backtest.COLUMNS)."""
    model = bundle.estimates(metric)
    if model is None:
        raise InputError(f"{metric!r} has no estimates to backtest")
    return backtest_mod.run(model.evidence, observations=bundle.observations, regional=bundle.regional,
                            provinces=bundle.boundaries)
