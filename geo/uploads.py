"""A user's own table or point file turned into a layer like the bundled ones.

Ingestion (geo/ingest.py) accounts for every input line; this module only turns what was
joined into observations (and targets) under the metric key UPLOAD, so the same view pipeline,
map, gap and downloads serve it.
"""
from __future__ import annotations

import pandas as pd

from .ingest import IngestResult
from .metrics import Metric
from .observations import from_counts

UPLOAD = "upload"


def upload_metric(name: str, unit: str) -> Metric:
    return Metric(UPLOAD, name.strip() or "Your data", unit.strip() or "count", "observations",
                  explanation=f"Your uploaded data ({name.strip() or 'unnamed'}): values as given in "
                              "the file, with the as-of date and source of each row.")


def counts_observations(result: IngestResult, *, unit: str, filename: str) -> pd.DataFrame:
    """Long-format observations from the joined rows of an ingested counts table."""
    values = result.values.reset_index(drop=True)
    return from_counts(values.rename(columns={"value": "count"}), UPLOAD, unit,
                       source_publisher=values["source"].astype(str), source_title="",
                       note="line " + values["line"].astype(str) + f" of {filename}")


def points_observations(counts: pd.DataFrame, *, as_of: str, source: str, filename: str) -> pd.DataFrame:
    """Observations from per-province counts of a user's points (a real count of their points)."""
    return from_counts(counts.assign(as_of=as_of), UPLOAD, "points", source_publisher=source,
                       source_title=f"points of uploaded file {filename}, counted per province "
                                    "by point-in-polygon")


def targets_rows(result: IngestResult, *, filename: str) -> pd.DataFrame:
    """Province targets from an ingested targets table, as rows of the target registry."""
    values = result.values
    return pd.DataFrame({
        "target_id": "upload-" + values["adcode"].astype(str) + "-" + values["line"].astype(str),
        "scope": "province", "adcode": values["adcode"].astype(str), "metric": UPLOAD, "kind": "count",
        "target_value": values["target"].astype(float), "unit": "", "target_year": values["target_year"].astype(str),
        "qualifier": "", "document": f"uploaded file {filename}", "source_publisher": values["source"].astype(str),
        "source_url": "", "as_of": "", "note": "line " + values["line"].astype(str)})


def borrowed_targets(targets: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The bundled targets of `metric`, relabelled so the uploaded layer is measured against them."""
    rows = targets[targets["metric"] == metric].copy()
    rows["metric"] = UPLOAD
    rows["note"] = (rows["note"].astype(str) + f"; target of the bundled metric {metric}").str.strip("; ")
    return rows
