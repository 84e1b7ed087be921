"""How far off the estimates are, measured on figures we have: each provincial figure held out in
turn and estimated from the rest (leave-one-out), and every figure after a cut-off date estimated
from what came before (rolling origins), beside two baselines in the same rows:

* `carry_forward`: the nearest figure left in, as it stands;
* `region_share`: that figure times the growth of its region's total (MIIT's splits × the
  national series) from its date to the held-out one.

The intervals shown everywhere are calibrated here (`calibration`): the model's standard error
times the factor that holds 80 % (95 %) of the held-out figures' standardised errors, so the
80 % interval is an 80 % interval on the record, not by assumption.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import nowcast

GAP_BUCKETS = ((0, 6, "0-6"), (6, 12, "6-12"), (12, 24, "12-24"), (24, np.inf, "24+"))
NO_FIGURE_LEFT = "no figure left"
ORIGINS = ("2021-12-31", "2022-12-31", "2023-12-31")
LOO = "leave-one-out"
COLUMNS = ["test", "adcode", "name_zh", "as_of", "observed", "estimate", "low80", "high80", "low95",
           "high95", "gap_months", "gap_bucket", "method", "carry_forward", "region_share", "sd"]


def gap_bucket(gap: float) -> str:
    if np.isnan(gap):
        return NO_FIGURE_LEFT
    for low, high, label in GAP_BUCKETS:
        if low <= gap < high:
            return label
    return GAP_BUCKETS[-1][2]


def _row(ev, fit_, test, target, left) -> dict:
    """One held-out figure: the model's estimate at its month and both baselines from `left`
    (the province's figures left in)."""
    i = int(target["month"])
    p = ev.provinces.index[ev.provinces["adcode"] == target["adcode"]][0]
    log_est, var = nowcast.raked(fit_, i)
    region = ev.provinces.at[p, "region"]
    row = {"test": test, "adcode": target["adcode"], "name_zh": ev.provinces.at[p, "name_zh"],
           "as_of": target["as_of"], "observed": float(target["value"]),
           "estimate": float(np.exp(log_est[p])), "sd": float(np.sqrt(var[p])),
           "method": "model", "gap_months": np.nan, "carry_forward": np.nan, "region_share": np.nan}
    if len(left):
        months = left["month"].to_numpy(int)
        near = int(np.argmin(np.abs(months - i) + 1e-3 * (months > i)))  # a tie: the earlier one
        j = months[near]
        value = float(left["value"].iloc[near])
        log_r = ev.log_region(region)
        row.update(gap_months=float(abs(j - i)), carry_forward=value,
                   region_share=value * float(np.exp(log_r[i] - log_r[j])))
    row["gap_bucket"] = gap_bucket(row["gap_months"])
    return row


def run(ev: nowcast.Evidence, *, observations=None, regional=None, provinces=None,
        origins=ORIGINS) -> pd.DataFrame:
    """Every held-out figure, one row each (COLUMNS), with intervals calibrated on the other
    leave-one-out rows. Rolling origins need the raw inputs (`observations`, `regional`,
    `provinces`) to cut the national and regional series too."""
    noise = nowcast.fit(ev).noise  # chosen once on all figures; each refit keeps it
    rows = []
    f = ev.figures
    for _, target in ev.exact_counts().iterrows():
        same = (f["adcode"] == target["adcode"]) & (f["month"] == target["month"])
        kept = ev.without(~same.to_numpy())
        left = kept.figures[kept.figures["adcode"] == target["adcode"]]
        rows.append(_row(kept, nowcast.fit(kept, noise), LOO, target, left))
    for origin in (origins if observations is not None else ()):
        cut = pd.Timestamp(origin)
        before = nowcast.evidence(observations[observations["as_of_date"] <= cut],
                                  regional[pd.to_datetime(regional["as_of"]) <= cut], provinces)
        if before is None:
            continue
        fitted = nowcast.fit(before, noise)
        later = ev.exact_counts()
        later = later[ev.months[later["month"].to_numpy(int)] > cut]
        for _, target in later.iterrows():
            left = before.figures[before.figures["adcode"] == target["adcode"]]
            rows.append(_row(before, fitted, f"origin {origin}", target, left))
    out = pd.DataFrame(rows)
    out["z"] = np.abs(np.log(out["observed"] / out["estimate"])) / out["sd"]
    loo = (out["test"] == LOO).to_numpy()
    k80, k95 = [], []
    for i in range(len(out)):  # each leave-one-out row is calibrated on the others
        others = out.loc[loo & (np.arange(len(out)) != i), "z"]
        k80.append(others.quantile(0.8))
        k95.append(others.quantile(0.95))
    spread80, spread95 = np.exp(np.array(k80) * out["sd"]), np.exp(np.array(k95) * out["sd"])
    out["low80"], out["high80"] = out["estimate"] / spread80, out["estimate"] * spread80
    out["low95"], out["high95"] = out["estimate"] / spread95, out["estimate"] * spread95
    return out[COLUMNS + ["z"]]


def calibration(rows: pd.DataFrame) -> dict:
    """The factors on the model's standard error that hold 80 % and 95 % of the leave-one-out
    figures, and the median error by gap bucket (for the headline)."""
    loo = rows[rows["test"] == LOO]
    errors = (loo["estimate"] / loo["observed"] - 1).abs() * 100
    return {"k80": float(loo["z"].quantile(0.8)), "k95": float(loo["z"].quantile(0.95)),
            "cases": int(len(loo)),
            "median_error_pct": {b: float(errors[loo["gap_bucket"] == b].median())
                                 for b in loo["gap_bucket"].unique()},
            "overall_median_error_pct": float(errors.median())}


def backtest_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Median absolute percentage error by test and gap bucket for the model and both
    baselines, with the share of held-out figures inside their 80 % and 95 % intervals."""
    def block(frame: pd.DataFrame, test: str, bucket: str) -> dict:
        out = {"test": test, "gap": bucket, "cases": len(frame)}
        for column in ("estimate", "carry_forward", "region_share"):
            name = "model" if column == "estimate" else column
            out[name] = float(((frame[column] / frame["observed"] - 1).abs() * 100).median())
        out["inside80_pct"] = float(((frame["low80"] <= frame["observed"])
                                     & (frame["observed"] <= frame["high80"])).mean() * 100)
        out["inside95_pct"] = float(((frame["low95"] <= frame["observed"])
                                     & (frame["observed"] <= frame["high95"])).mean() * 100)
        return out
    table = []
    order = [b for *_, b in GAP_BUCKETS] + [NO_FIGURE_LEFT]
    for test, frame in rows.groupby("test", sort=False):
        table.append(block(frame, test, "all"))
        for bucket in order:
            part = frame[frame["gap_bucket"] == bucket]
            if len(part):
                table.append(block(part, test, bucket))
        twelve = frame[frame["gap_months"] >= 12]
        if len(twelve):
            table.append(block(twelve, test, "12+"))
    return pd.DataFrame(table)


summary = backtest_summary
