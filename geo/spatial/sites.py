"""Which area each bundled facility site lies in: the spatial join of the facility registry
(geo.data.facilities holds the registry and counts from the joined areas; the join is done here)."""
from __future__ import annotations

import pandas as pd

from ..data.facilities import KINDS, count_joined
from .join import assign_points


def joined_provinces(facilities: pd.DataFrame, level: str = "province") -> pd.Series:
    """The province (or prefecture, county: `level`) adcode each located site falls in (spatial
    join), "" if none or unlocated."""
    joined = pd.Series("", index=facilities.index, dtype=object)
    located = facilities["lon"].notna() & facilities["lat"].notna()
    for datum, group in facilities[located].groupby("datum"):
        joined.loc[group.index] = assign_points(
            group["lon"].to_numpy(float), group["lat"].to_numpy(float),
            level=level, datum=datum)
    return joined


def count_by_province(facilities: pd.DataFrame, kinds=KINDS) -> pd.DataFrame:
    """Located facilities of `kinds` per province, by spatial join; see count_joined."""
    return count_joined(facilities, joined_provinces(facilities), kinds)


def join_disagreements(facilities: pd.DataFrame) -> pd.DataFrame:
    """Located sites whose joined province differs from the province the source lists.

    These are data problems to report (a wrong name, a boundary change), never patched here.
    """
    joined = joined_provinces(facilities)
    located = facilities["lon"].notna()
    differs = located & (joined != facilities["listed_province_adcode"])
    out = facilities.loc[differs, ["facility_id", "site_id", "kind", "name_zh",
                                   "listed_province_adcode", "located_area_adcode", "lon", "lat"]]
    return out.assign(joined_province_adcode=joined[differs]).reset_index(drop=True)
