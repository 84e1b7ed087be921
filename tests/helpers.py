"""Tiny synthetic inputs built in code, shared by the library tests."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from geo.data.observations import validate


def boundaries(adcodes=("110000", "120000", "130000")) -> gpd.GeoDataFrame:
    """Unit squares side by side, one per province, with the registry's names."""
    from geo.data import regions
    rows = []
    for i, code in enumerate(adcodes):
        p = regions.by_adcode()[code]
        rows.append({"adcode": code, "name_zh": p.name_zh, "name_en": p.name_en, "region": p.region,
                     "geometry": box(100 + i, 30, 101 + i, 31)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def observations(rows) -> pd.DataFrame:
    """Long-format observations from (adcode, metric, value, as_of) tuples, each with a source."""
    frame = pd.DataFrame([{"adcode": a, "metric": m, "value": str(v), "unit": "u", "as_of": d,
                           "as_of_note": "", "source_publisher": f"pub {a} {d}", "source_title": "t",
                           "source_date": "", "source_url": "http://example.org", "note": ""}
                          for a, m, v, d in rows])
    return validate(frame, "synthetic.csv")


def targets(rows) -> pd.DataFrame:
    """Targets from (scope, adcode, metric, kind, value, year) tuples, each with a citation."""
    frame = pd.DataFrame([{"target_id": f"{'seed-' if i == 0 else 't'}{i}", "scope": s, "adcode": a,
                           "metric": m, "kind": k, "target_value": float(v), "unit": "u",
                           "target_year": str(y), "qualifier": "", "document": "doc",
                           "source_publisher": "pub", "source_url": "http://example.org",
                           "as_of": "", "note": ""} for i, (s, a, m, k, v, y) in enumerate(rows)])
    return frame


def bundle(obs_rows, target_rows, frame=None):
    """A Bundle of synthetic boundaries (or `frame`), observations and targets, no facilities."""
    from geo import Bundle
    return Bundle(boundaries=boundaries() if frame is None else frame,
                  observations=obs_rows if isinstance(obs_rows, pd.DataFrame) else observations(obs_rows),
                  targets=targets(target_rows), facilities=pd.DataFrame(), hubs=pd.DataFrame())
