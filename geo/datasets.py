"""The bundled inputs of the mapper, loaded together: boundaries, observations, targets, facilities.

Facility counts are computed here, by the spatial join, every time the inputs are loaded, and
enter the pipeline as observations like any other figure.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from . import boundaries, facilities, observations, targets
from .metrics import METRICS


@dataclass
class Inputs:
    boundaries: gpd.GeoDataFrame
    observations: pd.DataFrame
    targets: pd.DataFrame
    facilities: pd.DataFrame
    hubs: pd.DataFrame


def facility_observations(registry: pd.DataFrame) -> pd.DataFrame:
    """Per-province facility counts from the spatial join, as observations.

    The registries list every national facility of their kind, so a mainland province with none
    has a sourced zero; they do not cover Taiwan, Hong Kong or Macau (NA: no data there).
    """
    frames = []
    for metric in METRICS.values():
        if metric.basis != "facilities":
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
