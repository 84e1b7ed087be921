"""Read and validate the long-format observation tables; pick the value in force at a date."""
from __future__ import annotations

import re
import weakref
from pathlib import Path

import pandas as pd

from ..config import DATA_DIR
from ..errors import DataError

OBSERVATIONS_CSV = DATA_DIR / "observations.csv"
REGIONAL_OBSERVATIONS_CSV = DATA_DIR / "regional_observations.csv"
REQUIRED = ["adcode", "metric", "value", "unit", "as_of", "source_publisher", "source_url"]
SOURCE_COLUMNS = ["source_publisher", "source_title", "source_date", "source_url"]
AS_OF_FORMAT = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")  # YYYY, YYYY-MM or YYYY-MM-DD


def period_end(as_of: str) -> pd.Timestamp:
    """The last day of the period an as-of names: '2016' -> 2016-12-31, '2023-08' -> 2023-08-31."""
    if len(as_of) == 4:
        return pd.Timestamp(f"{as_of}-12-31")
    if len(as_of) == 7:
        return pd.Timestamp(f"{as_of}-01") + pd.offsets.MonthEnd(0)
    return pd.Timestamp(as_of)


def validate(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Check the observation contract; return the frame with `value` numeric and `as_of_date` added."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataError("missing columns", file=file, column=", ".join(missing),
                        expected="the long observation format " + ", ".join(REQUIRED))
    for i, row in frame.iterrows():
        line = int(i) + 2  # header is line 1
        if not re.fullmatch(r"\d{6}", str(row["adcode"])):
            raise DataError("bad adcode", file=file, row=line, column="adcode",
                            expected="a 6-digit string", found=row["adcode"])
        if not AS_OF_FORMAT.match(str(row["as_of"])):
            raise DataError("bad as_of", file=file, row=line, column="as_of",
                            expected="YYYY, YYYY-MM or YYYY-MM-DD", found=row["as_of"])
        if not str(row["source_publisher"]).strip():
            raise DataError("value without a source", file=file, row=line, column="source_publisher",
                            expected="the publisher of the figure")
        try:
            value = float(row["value"])
        except ValueError:
            raise DataError("value is not a number", file=file, row=line, column="value",
                            expected="a number", found=row["value"]) from None
        if value < 0:
            raise DataError("negative value", file=file, row=line, column="value",
                            expected="a count or measure >= 0", found=row["value"])
    out = frame.copy()
    out["value"] = pd.to_numeric(out["value"])
    out["as_of_date"] = out["as_of"].map(period_end)
    return out


def load_observations(path: Path = OBSERVATIONS_CSV) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return validate(frame, str(path.name))


def load_regional(path: Path = REGIONAL_OBSERVATIONS_CSV) -> pd.DataFrame:
    """MIIT's regional splits: region, metric, value, as_of (and their sources)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["value"] = pd.to_numeric(frame["value"])
    frame["as_of_date"] = frame["as_of"].map(period_end)
    return frame


def latest_at(observations: pd.DataFrame, metric: str, date) -> pd.DataFrame:
    """Per adcode, the newest observation of `metric` at or before `date` (one row per adcode)."""
    date = pd.Timestamp(date)
    rows = observations[(observations["metric"] == metric) & (observations["as_of_date"] <= date)]
    # Sort by date, then keep the last per adcode; ties on a date keep the later line of the file.
    rows = rows.sort_values("as_of_date", kind="stable")
    return rows.groupby("adcode", sort=True).tail(1).sort_values("adcode", ignore_index=True)


def source_text(row) -> str:
    """One human-readable citation for a row: publisher, title, URL."""
    parts = [str(row.get(c, "") or "").strip() for c in ("source_publisher", "source_title")]
    text = " — ".join(p for p in parts if p)
    url = str(row.get("source_url", "") or "").strip()
    return f"{text} ({url})" if url else text


def from_counts(counts: pd.DataFrame, metric: str, unit: str, *, source_publisher, source_title,
                source_url="", note="") -> pd.DataFrame:
    """Long-format observations from a per-province count table [adcode, count, as_of]; the
    source and note arguments are one text for all rows or one per row."""
    counts = counts.reset_index(drop=True)
    out = pd.DataFrame({
        "adcode": counts["adcode"].astype(str), "metric": metric, "value": counts["count"].astype(float),
        "unit": unit, "as_of": counts["as_of"].astype(str), "as_of_note": "",
        "source_publisher": source_publisher, "source_title": source_title, "source_date": "",
        "source_url": source_url, "note": note})
    out["as_of_date"] = out["as_of"].map(period_end)
    return out


def population_for_year(observations: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per province, the NBS population (10k persons) of `year` or the newest before it:
    [adcode, population, population_year]."""
    key = (id(observations), int(year))
    if key not in _POPULATION:  # views ask for the same few years many times
        pop = latest_at(observations, "population", pd.Timestamp(f"{year}-12-31"))
        if (id(observations), None) not in _POPULATION:
            _POPULATION[(id(observations), None)] = None
            weakref.finalize(observations, _forget_population, id(observations))
        _POPULATION[key] = pd.DataFrame({"adcode": pop["adcode"].to_numpy(object),
                                         "population": pop["value"].to_numpy(float),
                                         "population_year": pop["as_of"].str[:4].to_numpy(object)})
    return _POPULATION[key]


# Population tables by (id of the observations frame, year), dropped when the frame is.
_POPULATION: dict[tuple[int, int | None], pd.DataFrame | None] = {}


def _forget_population(frame_id: int) -> None:
    for key in [k for k in _POPULATION if k[0] == frame_id]:
        del _POPULATION[key]
