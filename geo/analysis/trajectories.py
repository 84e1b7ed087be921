"""Each province's trajectory: its dated figures, the years between them, a projection after the
last, and the target in force at every date, in one long table (the chart and the command line's
`trajectory` read it). Every row says what it is: observed, interpolated, estimated or projected.

Where the metric has a model (geo.analysis.estimates), a province's rows between and after its
figures are the model's estimates at quarter-ends, with their 80 % interval (kind "estimated"):
one way of estimating. Interpolations and trend projections are for the nation and for a
series without a model.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.observations import source_text
from ..data.regions import NATIONAL_ADCODE, by_adcode
from . import targets as targets_mod
from . import timeline

COLUMNS = ["adcode", "name_en", "name_zh", "date", "kind", "value", "low", "high", "qualifier",
           "target", "rule", "method", "source"]
KINDS = ("observed", "interpolated", "estimated", "projected")


def trajectory(bundle, metric: str, *, rule: str | None = None, until: str | None = None,
               adcodes=None) -> pd.DataFrame:
    """The long table of COLUMNS for `metric`: every province's figures (and the nation's, adcode
    100000), year-ends between its figures (interpolated linearly), year-ends after its last
    figure within the projection horizon (projected, with low and high), and the target in force
    at each date by `rule` (the first rule available when None)."""
    m = bundle.metric(metric)
    if not m.dated_series:
        from ..errors import InputError
        raise InputError(f"{m.label} is counted from a registry at each date, not reported as a "
                         "dated series: it has no trajectory to project")
    available = bundle.rules(metric)
    rule = rule if rule in available else (available[0] if available else None)
    rows = bundle.figures(metric, pd.Timestamp.max)
    national = timeline.series(rows, metric, NATIONAL_ADCODE)
    until = pd.Timestamp(until) if until else None
    wanted = set(adcodes) if adcodes else None
    model = bundle.estimates(metric)
    pieces = []
    for adcode, group in rows.groupby("adcode"):
        if wanted is not None and adcode not in wanted and adcode != NATIONAL_ADCODE:
            continue
        points = timeline.series(group, metric, adcode)
        if until is not None:
            points = points[points["as_of_date"] <= until]
        if points.empty:
            continue
        sources = {d: source_text(r) for d, (_, r) in zip(group["as_of_date"], group.iterrows())}
        pieces.append(_province_rows(adcode, points, sources, national, until, model is None))
    if model is not None:
        pieces.append(_estimated_rows(model, wanted, until))
    if not pieces:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(pieces, ignore_index=True)
    out["target"], out["rule"] = np.nan, rule
    if rule is not None:
        provincial = out["adcode"] != NATIONAL_ADCODE
        when = pd.Series(pd.to_datetime(out.loc[provincial, "date"]).to_numpy(),
                         index=out.loc[provincial, "adcode"])
        allocated = targets_mod.allocate(rule, metric, bundle.targets, bundle.observations, when)
        lookup = allocated.set_index(["adcode", "target_at"])["target"]
        keys = list(zip(out.loc[provincial, "adcode"], out.loc[provincial, "date"]))
        out.loc[provincial, "target"] = lookup.reindex(keys).to_numpy(float)
        path = targets_mod.national_path(bundle.targets, metric, "count")
        if path is not None:
            nation = ~provincial
            out.loc[nation, "target"] = path.at(pd.to_datetime(out.loc[nation, "date"]).to_numpy())
    return out[COLUMNS].sort_values(["adcode", "date", "kind"], ignore_index=True)


def _estimated_rows(model, wanted, until) -> pd.DataFrame:
    path = model.path
    keep = path["estimated"] & (path["date"].dt.month % 3 == 0)
    if wanted is not None:
        keep &= path["adcode"].isin(list(wanted))
    if until is not None:
        keep &= path["date"] <= until
    rows = path[keep]
    registry = by_adcode()
    return pd.DataFrame({
        "adcode": rows["adcode"].to_numpy(object), "date": rows["date"].dt.strftime("%Y-%m-%d").to_numpy(object),
        "kind": "estimated", "value": rows["estimate"].to_numpy(float), "low": rows["low80"].to_numpy(float),
        "high": rows["high80"].to_numpy(float), "qualifier": "", "method": str(model.method),
        "source": "derived: model-based estimate (80 % interval in low, high)",
        "name_en": [registry[a].name_en for a in rows["adcode"]],
        "name_zh": [registry[a].name_zh for a in rows["adcode"]]})


def _province_rows(adcode, points, sources, national, until, trends: bool = True) -> pd.DataFrame:
    unit = by_adcode().get(adcode)
    names = (unit.name_en, unit.name_zh) if unit else ("China", "全国")
    dates = pd.to_datetime(points["as_of_date"])
    rows = [{"date": d, "kind": "observed", "value": v, "low": np.nan, "high": np.nan,
             "qualifier": q, "method": "", "source": sources.get(d, "")}
            for d, v, q in zip(dates, points["value"], points.get("qualifier", ["="] * len(points)))]
    year_ends = pd.date_range(dates.min(), dates.max(), freq="YE")
    between = [d for d in year_ends if d not in set(dates)] if trends or adcode == NATIONAL_ADCODE else []
    for d, v in zip(between, timeline.interpolate(dates, points["value"], between)):
        rows.append({"date": d, "kind": "interpolated", "value": v, "low": np.nan, "high": np.nan,
                     "qualifier": "", "method": "linear between its figures", "source": ""})
    if adcode != NATIONAL_ADCODE and trends:
        trend = timeline.Trend(points, national)
        horizon = dates.max() + pd.DateOffset(months=timeline.PROJECTION_HORIZON_MONTHS)
        for d in pd.date_range(dates.max() + pd.offsets.YearEnd(1), min(horizon, until or horizon), freq="YE"):
            projection = trend.project(d)
            if projection is not None:
                rows.append({"date": d, "kind": "projected", "value": projection.value,
                             "low": projection.low, "high": projection.high, "qualifier": "",
                             "method": timeline.PROJECTION_METHODS[projection.method],
                             "source": f"derived from {projection.based_on}"})
    out = pd.DataFrame(rows)
    out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d")
    out["adcode"], out["name_en"], out["name_zh"] = adcode, names[0], names[1]
    return out
