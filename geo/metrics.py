"""The metrics the mapper knows, by the keys used everywhere (app, CLI, downloads)."""
from __future__ import annotations

from dataclasses import dataclass


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


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("bs5g", "5G base stations", "base stations", "observations",
           explanation="Cumulative 5G base stations reported per province; each province's newest "
                       "figure at or before the chosen date, with its own as-of date."),
    Metric("computing_centres", "Computing centres", "centres", "facilities",
           ("supercomputing_centre", "datacentre_cluster"),
           "National supercomputing centres and 东数西算 data-centre clusters, counted per province "
           "by a spatial join of their located points (a cluster counts once per province)."),
    Metric("high_tech_zones", "National high-tech zones", "zones", "facilities", ("high_tech_zone",),
           "National high-tech zones (国家级高新区) counted per province by a spatial join of their "
           "located points; the list holds 174 of the 178 official zones."),
    Metric("digital_parks", "High-standard digital parks", "parks", "none",
           explanation="The seed sets a target of about 200 high-standard digital parks by 2027, but no "
                       "list of designated parks by province has been published: values are no data, "
                       "not zero. The allocated target is shown instead."),
)}
