"""The metrics the mapper knows, by the keys used everywhere (app, CLI, downloads)."""
from __future__ import annotations

from dataclasses import dataclass

from ..i18n import Text, t


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    # Where the per-province values come from: "observations" (data/observations.csv, newest at
    # or before the chosen date), "facilities" (spatial join of located facilities) or "none"
    # (no sourced per-province values exist yet).
    basis: str
    facility_kinds: tuple[str, ...] = ()
    explanation: str = ""

    @property
    def dated_series(self) -> bool:
        """Whether its figures form dated series of a growing total (trajectories, projections)."""
        return self.basis == "observations"


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("bs5g", t("metric.bs5g"), "base stations", "observations",
           explanation=Text("note.metric.bs5g")),
    Metric("supercomputing_centres", t("metric.supercomputing_centres"), "centres", "facilities",
           ("supercomputing_centre",), Text("note.metric.supercomputing_centres")),
    Metric("datacentre_clusters", t("metric.datacentre_clusters"), "clusters", "facilities",
           ("datacentre_cluster",), Text("note.metric.datacentre_clusters")),
    Metric("high_tech_zones", t("metric.high_tech_zones"), "zones", "facilities", ("high_tech_zone",),
           Text("note.metric.high_tech_zones")),
    Metric("digital_parks", t("metric.digital_parks"), "parks", "none",
           explanation=Text("note.metric.digital_parks")),
)}
