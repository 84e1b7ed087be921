"""The metrics the mapper knows, by the keys used everywhere (app, CLI, downloads)."""
from __future__ import annotations

from dataclasses import dataclass

from .i18n import t


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
           explanation="Cumulative 5G base stations reported per province: each province's newest "
                       "figure at or before the chosen date, with its own date. Figures older than "
                       "the window are shown, not coloured or compared. 'More than' and 'about' "
                       "figures keep their qualifier."),
    Metric("supercomputing_centres", t("metric.supercomputing_centres"), "centres", "facilities",
           ("supercomputing_centre",),
           "National supercomputing centres operating at the date (from their opening; centres "
           "still under construction do not count), per province by the spatial join of their "
           "located points."),
    Metric("datacentre_clusters", t("metric.datacentre_clusters"), "clusters", "facilities",
           ("datacentre_cluster",),
           "The 10 national data-centre clusters of 东数西算 (approved 2022-02-17). A cluster "
           "counts once in each province its start areas lie in; 天府 and 贵安, which have no "
           "located start area, count in the province the approval names. Not added to the "
           "supercomputing centres: a cluster is a region, a centre is one site."),
    Metric("high_tech_zones", t("metric.high_tech_zones"), "zones", "facilities", ("high_tech_zone",),
           "National high-tech zones (国家级高新区) designated by the date, per province by the "
           "spatial join of their located points: 173 by 2022-06, 拉萨, 宁乡 and 许昌 from "
           "2022-12, 雄安 from 2026-02; 安庆 is not counted (no verifiable source). The official "
           "total is 178 (2025-11): two are not identified by name."),
    Metric("digital_parks", t("metric.digital_parks"), "parks", "none",
           explanation="The seed sets a target of about 200 high-standard digital parks by 2027, but no "
                       "list of designated parks by province has been published: values are no data, "
                       "not zero. The allocated target is shown instead."),
)}
