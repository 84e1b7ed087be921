"""The inputs of every view, held together and never changed in place: a Bundle.

`load()` gives the bundled data (boundaries, observations, targets, facilities); a user's table
or point file becomes a `Layer` and `bundle.with_layer(layer)` returns a new bundle that holds
it. The app shares one loaded bundle between all its visitors, so nothing here mutates a bundle:
a new one is made instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Mapping

import geopandas as gpd
import pandas as pd

from ..data import boundaries, facilities, observations
from ..data.metrics import METRICS, Metric
from ..errors import InputError
from . import targets
from .estimates import Estimates, estimates_for
from .layers import Layer
from .views import ViewResult, ViewSpec, build_view, views_for


@dataclass(frozen=True)
class Bundle:
    boundaries: gpd.GeoDataFrame  # display layer: one simplified coverage of the 34 provinces
    observations: pd.DataFrame    # long format, bundled and users' layers together
    targets: pd.DataFrame
    facilities: pd.DataFrame
    hubs: pd.DataFrame
    metrics: Mapping[str, Metric] = field(default_factory=lambda: MappingProxyType(dict(METRICS)))
    layers: tuple[Layer, ...] = ()
    facility_lists: pd.DataFrame | None = None  # per kind: from when and up to when it is complete
    regional: pd.DataFrame | None = None  # MIIT's regional splits (East / Central / West / Northeast)

    def metric(self, key: str) -> Metric:
        if key not in self.metrics:
            raise InputError(f"unknown metric {key!r}", expected=f"one of {', '.join(self.metrics)}")
        return self.metrics[key]

    def figures(self, metric: str, date) -> pd.DataFrame:
        """The long-format figures of `metric` a view at `date` reads: its observations, or for a
        facility metric the counts of the spatial join as of `date`."""
        m = self.metric(metric)
        if m.basis != "facilities":
            return self.observations[self.observations["metric"] == m.key]
        counts = facilities.count_at(self.facilities, self.joined_provinces, m.facility_kinds, date,
                                     self.facility_lists)
        counts = counts[counts["count"].notna()].reset_index(drop=True)
        unlocated = counts["listed_not_located"].fillna(0).astype(int)
        title = f"count of {', '.join(m.facility_kinds)} designated or operating by the date"
        return observations.from_counts(
            counts, m.key, m.unit,
            source_publisher="derived: spatial join of the facility registry (data/facilities.csv)",
            source_title=[title + (f" ({n} without a point, counted in their listed province)" if n else "")
                          for n in unlocated])

    @cached_property
    def joined_provinces(self) -> pd.Series:
        """Which province each facility site lies in: joined once, when a facility metric is first
        asked for (a command that maps 5G alone never loads the join index)."""
        from ..spatial import sites
        return sites.joined_provinces(self.facilities)

    @cached_property
    def _estimates(self) -> dict:
        return {}

    def estimates(self, metric: str) -> Estimates | None:
        """The model's estimates of `metric` (fitted once per bundle), or None where it has no model."""
        if metric not in self._estimates:
            self._estimates[metric] = estimates_for(self.observations, self.regional, self.boundaries,
                                                    self.metric(metric).key)
        return self._estimates[metric]

    def views(self, metric: str) -> list[str]:
        """The views that can show something for `metric`."""
        has_national = (self.observations["adcode"].eq("100000")
                        & self.observations["metric"].eq(metric)).any()
        return views_for(self.metric(metric), bool(self.rules(metric)), bool(has_national),
                         self.estimates(metric) is not None)

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


def load() -> Bundle:
    """The bundled data: boundaries (prepared and cached on first use), observations, targets,
    facilities (each site joined to its province) and hub nodes."""
    return Bundle(
        boundaries=boundaries.load_display(),
        observations=observations.load_observations(),
        targets=targets.load_targets(),
        facilities=facilities.load_facilities(),
        hubs=facilities.load_hubs(),
        facility_lists=facilities.load_facility_lists(),
        regional=observations.load_regional(),
    )


def view(bundle: Bundle, metric: str | None = None, view: str | None = None, *,
         spec: ViewSpec | None = None, **choices) -> ViewResult:
    """The view of `metric` × `view` at a date, for every province of the bundle.

    Either a ViewSpec or its fields as keywords: as_of, rule, tolerance_months, target_at
    ("figure_date" or "target_year"), target_year, national_pace, estimates (compare the model's
    estimates at the date), provinces (adcodes or names),
    regions.
    """
    if spec is None:
        spec = ViewSpec(**({"metric": metric} if metric else {}), **({"view": view} if view else {}),
                        **{k: tuple(v) if k in ("provinces", "regions") else v for k, v in choices.items()})
    return build_view(spec, bundle)
