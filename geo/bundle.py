"""The inputs of every view, held together and never changed in place: a Bundle.

`load()` gives the bundled data (boundaries, observations, targets, facilities); a user's table
or point file becomes a `Layer` and `bundle.with_layer(layer)` returns a new bundle that holds
it. The app shares one loaded bundle between all its visitors, so nothing here mutates a bundle:
a new one is made instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

import geopandas as gpd
import pandas as pd

from . import boundaries, facilities, observations, targets
from .errors import InputError
from .layers import Layer
from .metrics import METRICS, Metric
from .views import ViewResult, ViewSpec, build_view


@dataclass(frozen=True)
class Bundle:
    boundaries: gpd.GeoDataFrame  # display layer: one simplified coverage of the 34 provinces
    observations: pd.DataFrame    # long format, bundled and users' layers together
    targets: pd.DataFrame
    facilities: pd.DataFrame
    hubs: pd.DataFrame
    metrics: Mapping[str, Metric] = field(default_factory=lambda: MappingProxyType(dict(METRICS)))
    layers: tuple[Layer, ...] = ()

    def metric(self, key: str) -> Metric:
        if key not in self.metrics:
            raise InputError(f"unknown metric {key!r}", expected=f"one of {', '.join(self.metrics)}")
        return self.metrics[key]

    def rules(self, metric: str) -> list[str]:
        """The target rules that can give `metric` a target with the targets held."""
        return targets.rules_for(self.targets, metric)

    def with_layer(self, layer: Layer) -> "Bundle":
        """A new bundle that also holds `layer`; this one is left as it was."""
        if layer.metric is not None and layer.metric.key in self.metrics:
            raise InputError(f"the bundle already has a metric {layer.metric.key!r}; give the "
                             "layer another key")
        extra_targets = [layer.targets]
        if layer.targets_of:  # measured against a bundled metric's targets
            extra_targets.append(_borrowed_targets(self.targets, layer.targets_of, layer.metric.key))
        metrics = dict(self.metrics)
        if layer.metric is not None:
            metrics[layer.metric.key] = layer.metric
        return replace(self, observations=_concat(self.observations, layer.observations),
                       targets=_concat(self.targets, *extra_targets),
                       metrics=MappingProxyType(metrics), layers=(*self.layers, layer))


def _concat(first: pd.DataFrame, *more: pd.DataFrame) -> pd.DataFrame:
    frames = [first, *(f for f in more if f is not None and len(f))]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _borrowed_targets(all_targets: pd.DataFrame, metric: str, layer_key: str) -> pd.DataFrame:
    """The bundled targets of `metric`, relabelled so a user's layer is measured against them."""
    rows = all_targets[all_targets["metric"] == metric].copy()
    if rows.empty:
        raise InputError(f"the metric {metric!r} has no targets to measure against")
    rows["metric"] = layer_key
    rows["note"] = (rows["note"].astype(str) + f"; target of the bundled metric {metric}").str.strip("; ")
    return rows


def facility_observations(registry: pd.DataFrame, metrics=None) -> pd.DataFrame:
    """Per-province facility counts from the spatial join, as observations (of `metrics` only,
    when given).

    The registries list every national facility of their kind, so a mainland province with none
    has a sourced zero; they do not cover Taiwan, Hong Kong or Macau (NA: no data there).
    """
    frames = []
    for metric in METRICS.values():
        if metric.basis != "facilities" or (metrics is not None and metric.key not in metrics):
            continue
        counts = facilities.count_by_province(registry, metric.facility_kinds)
        counts = counts[counts["count"].notna()].reset_index(drop=True)
        title = (f"count of {', '.join(metric.facility_kinds)} per province; each facility keeps its "
                 "own source in data/facilities.csv")
        missing = counts["listed_not_located"].fillna(0).astype(int)
        titles = [title + (f" ({n} listed here could not be located: the count is a lower bound)"
                           if n else "") for n in missing]
        frames.append(observations.from_counts(
            counts, metric.key, metric.unit,
            source_publisher="derived: spatial join of located facilities (data/facilities.csv)",
            source_title=titles))
    return pd.concat(frames, ignore_index=True)


def load(*, metrics=None) -> Bundle:
    """The bundled data: boundaries (prepared and cached on first use), observations with the
    facility counts of the spatial join, targets, facilities and hub nodes.

    `metrics` (keys) limits the bundle to what those metrics need: a facility metric not listed
    is left out (its counts take the spatial join), so a small command loads in about a second.
    """
    registry = facilities.load_facilities()
    wanted = {k: m for k, m in METRICS.items()
              if metrics is None or m.basis != "facilities" or k in metrics}
    counted = [k for k, m in wanted.items() if m.basis == "facilities"]
    return Bundle(
        boundaries=boundaries.load_display(),
        observations=_concat(observations.load_observations(),
                             facility_observations(registry, counted) if counted else None),
        targets=targets.load_targets(),
        facilities=registry,
        hubs=facilities.load_hubs(),
        metrics=MappingProxyType(wanted),
    )


def view(bundle: Bundle, metric: str | None = None, view: str | None = None, *,
         spec: ViewSpec | None = None, **choices) -> ViewResult:
    """The view of `metric` × `view` at a date, for every province of the bundle.

    Either a ViewSpec or its fields as keywords: as_of, rule, stale_after_months,
    stale_as_no_data, provinces (adcodes or names), regions.
    """
    if spec is None:
        spec = ViewSpec(**({"metric": metric} if metric else {}), **({"view": view} if view else {}),
                        **{k: tuple(v) if k in ("provinces", "regions") else v for k, v in choices.items()})
    return build_view(spec, boundaries=bundle.boundaries, observations=bundle.observations,
                      targets=bundle.targets, metric=bundle.metric(spec.metric),
                      facilities=bundle.facilities, hubs=bundle.hubs)
