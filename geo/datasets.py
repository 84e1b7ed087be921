"""The bundled inputs of the mapper, loaded together: boundaries, observations, targets, facilities.

Facility counts are computed here, by the spatial join, every time the inputs are loaded, and
enter the pipeline as observations like any other figure.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from . import boundaries, facilities, observations, regions, targets
from .metrics import METRICS

# Registries that list every national facility of their kind: a mainland province absent from
# them has none (a sourced zero). They do not cover Taiwan, Hong Kong or Macau: no data there.
MAINLAND = [p.adcode for p in regions.provinces() if p.region]


@dataclass
class Inputs:
    boundaries: gpd.GeoDataFrame
    observations: pd.DataFrame
    targets: pd.DataFrame
    facilities: pd.DataFrame
    hubs: pd.DataFrame


def facility_observations(registry: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for metric in METRICS.values():
        if metric.basis != "facilities":
            continue
        counts = facilities.count_by_province(registry, metric.facility_kinds)
        kinds = registry[registry["kind"].isin(metric.facility_kinds)]
        as_of = max(str(a) for a in kinds["as_of"] if str(a).strip()) if len(kinds) else ""
        full = pd.DataFrame({"adcode": MAINLAND}).merge(counts[["adcode", "count"]], on="adcode", how="left")
        full["count"] = full["count"].fillna(0)
        full["as_of"] = as_of
        frames.append(observations.from_counts(
            full, metric.key, metric.unit,
            source_publisher="derived: spatial join of located facilities (data/facilities.csv)",
            source_title=f"count of {', '.join(metric.facility_kinds)} per province; each facility "
                         "keeps its own source in data/facilities.csv",
            note="a province not in the registry has none (the registry lists all national facilities)"))
    return pd.concat(frames, ignore_index=True)


def load_inputs() -> Inputs:
    registry = facilities.load_facilities()
    bundled = observations.load_observations()
    return Inputs(
        boundaries=boundaries.load_display(),
        observations=pd.concat([bundled, facility_observations(registry)], ignore_index=True),
        targets=targets.load_targets(),
        facilities=registry,
        hubs=facilities.load_hubs(),
    )
