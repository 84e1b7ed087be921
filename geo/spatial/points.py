"""Placing a table of points (facilities, base stations, ...) in provinces, prefectures or counties.

`place_points` returns one row per input row, never fewer: each row is placed (`ok`), kept and
flagged (`outside`: a valid coordinate in no area), or says why it was not placed:

    missing_coordinates  a longitude or latitude cell is empty or a missing marker (-, 无, N/A...)
    unparseable          not a number (or a DMS string we cannot read unambiguously)
    out_of_range         not a longitude/latitude at all (|lon| > 180, |lat| > 90, inf), or (0, 0)
    swapped_lat_lon      the row looks swapped: its longitude is in China's latitude range and its
                         latitude in China's longitude range (the two ranges do not overlap)

Swapped files. If (nearly) all rows with numbers look swapped (at least 90% of them), the file's
columns are swapped. With `fix_swapped=False` every such row (every row with numbers) is
reported as `swapped_lat_lon` with a reason that says how to fix it; nothing is placed, since
placing the rest of a swapped file would be placing noise. With `fix_swapped=True` longitude and
latitude are exchanged in every row with numbers, which is then placed as usual; the reason
records the swap. In a file that is not swapped as a whole, a row that looks swapped is reported
as such, or, with `fix_swapped=True`, swapped, placed, and noted.

Numbers: plain decimals, as numbers or strings (full-width digits and the unicode minus are
read too), and degree-minute-second strings such as 116°23'17"E, 39°54′27″N, 东经116度23分17秒.
A hemisphere letter that does not fit the column (N in the longitude column) is `unparseable`.
Decimal commas ("116,397") are refused rather than guessed.

`line` is the file line of the row when the header is line 1 and each record is one line
(`first_line` is the line of the first data row).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import CHINA_LAT, CHINA_LON
from ..data.regions import clean_text
from ..errors import InputError
from ..files import read_input
from ..ingest import Limits, read_points
from ..ingest.numbers import MISSING_MARKERS
from . import datum as datum_mod
from . import join

STATUSES = ("ok", "outside", "missing_coordinates", "unparseable", "out_of_range", "swapped_lat_lon",
            "invalid_feature")
SWAPPED_FILE_SHARE = 0.9
COLUMNS = ["line", "lon", "lat", "lon_gcj02", "lat_gcj02", "adcode", "status", "reason"]

# Possessive runs (*+, ++) throughout: "\d+\.?\d*" and "\s*[NSEW]?\s*" tried every split of a long
# run of digits or spaces between their two quantifiers (quadratic and cubic in a cell's length);
# no run's characters can be taken by what follows it, so the matches are the same.
_PLAIN = re.compile(r"[+-]?(?:\d++(?:\.\d*+)?|\.\d++)(?:[eE][+-]?\d++)?")
# Arrow's regular expressions (RE2) run in linear time by construction: no possessive runs needed.
_PLAIN_ANCHORED = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"  # ASCII digits only
_DMS = re.compile(
    r"(?P<prefix>东经|西经|北纬|南纬)?\s*+(?P<h1>[NSEW])?\s*+(?P<sign>[+-])?\s*+"
    r"(?P<d>\d++(?:\.\d++)?)\s*+(?:°|度)\s*+"
    r"(?:(?P<m>\d++(?:\.\d++)?)\s*+(?:'|′|’|分)\s*+)?"
    r"(?:(?P<s>\d++(?:\.\d++)?)\s*+(?:\"|″|”|''|′′|秒)\s*+)?"
    r"(?P<h2>[NSEW])?", re.IGNORECASE)
_PREFIX_HEMISPHERE = {"东经": "E", "西经": "W", "北纬": "N", "南纬": "S"}


# -------------------------------------------------------------------- parsing one column
def _parse_column(values: pd.Series, axis: str) -> tuple[np.ndarray, np.ndarray]:
    """-> (numbers, problem) where problem is "" (parsed), "missing" or a reason string."""
    numbers = _plain_numbers(values)
    problem = np.full(len(values), "", dtype=object)
    # Plain decimals are read in bulk; everything else (blanks, markers, "nan", "inf", spaces
    # around the number, full-width digits, DMS) goes through the careful path one at a time.
    slow = np.flatnonzero(~np.isfinite(numbers))
    raw = values.iloc[slow].to_numpy(dtype=object)  # only these become Python objects
    for i, value in zip(slow.tolist(), raw):
        numbers[i], problem[i] = _parse_value(value, axis)
    return numbers, problem


def _plain_numbers(values: pd.Series) -> np.ndarray:
    """The cells that are plain ASCII decimals (_PLAIN), as numbers; NaN elsewhere. Text is
    matched and parsed by Arrow (correctly rounded, as float() is) without making a Python
    object per cell; other columns (numbers from Parquet, mixed objects) by pd.to_numeric."""
    text = None
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        try:
            text = pa.array(values, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            text = None  # not all text: pd.to_numeric takes numbers and text alike
    if text is None:
        return np.array(pd.to_numeric(values, errors="coerce"), dtype=np.float64)  # writable copy
    plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_ANCHORED), False)
    numbers = np.full(len(values), np.nan)
    numbers[plain.to_numpy(zero_copy_only=False)] = pc.cast(text.filter(plain), pa.float64()).to_numpy()
    return numbers


def _parse_value(value, axis: str) -> tuple[float, str]:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return np.nan, "missing"
    if isinstance(value, (int, float, np.number)):
        return np.nan, f"{axis} {value!r} is not a finite number"
    text = clean_text(value).replace("\u2212", "-")
    if text.casefold() in MISSING_MARKERS:
        return np.nan, "missing"
    if _PLAIN.fullmatch(text):
        number = float(text)
        return (number, "") if np.isfinite(number) else (np.nan, f"{axis} {value!r} is too large")
    if re.fullmatch(r"[+-]?\d{1,3},\d+", text):
        return np.nan, f"{axis} {value!r} has a decimal comma; write it with a point (e.g. 116.397)"
    match = _DMS.fullmatch(text)
    if match:
        return _from_dms(match, value, axis)
    return np.nan, f"{axis} {value!r} is not a number (expected decimal degrees such as 116.397 or DMS such as 116°23'17\"E)"


def _from_dms(match: re.Match, value, axis: str) -> tuple[float, str]:
    hemispheres = [h.upper() for h in (match["h1"], match["h2"]) if h]
    if match["prefix"]:
        hemispheres.append(_PREFIX_HEMISPHERE[match["prefix"]])
    if len(hemispheres) > 1 or (hemispheres and match["sign"]):
        return np.nan, f"{axis} {value!r} gives its hemisphere twice"
    degrees, minutes, seconds = (float(match[k]) if match[k] else 0.0 for k in ("d", "m", "s"))
    if minutes >= 60 or seconds >= 60:
        return np.nan, f"{axis} {value!r}: minutes and seconds must be below 60"
    number = degrees + minutes / 60 + seconds / 3600
    if hemispheres:
        allowed = "EW" if axis == "longitude" else "NS"
        if hemispheres[0] not in allowed:
            return np.nan, f"{axis} {value!r} has hemisphere {hemispheres[0]}, which belongs to the other axis"
        if hemispheres[0] in "WS":
            number = -number
    elif match["sign"] == "-":
        number = -number
    return number, ""


def _looks_swapped(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return ((lon >= CHINA_LAT[0]) & (lon <= CHINA_LAT[1])
            & (lat >= CHINA_LON[0]) & (lat <= CHINA_LON[1]))


def _parsed(frame: pd.DataFrame, lon_col: str, lat_col: str):
    """-> lon, lat (numbers, NaN where not parsed), status and reason ("" where parsed)."""
    for col in (lon_col, lat_col):
        if col not in frame.columns:
            raise InputError("column not found", column=col,
                             expected=f"one of the columns {', '.join(map(str, frame.columns))}")
    n = len(frame)
    lon, lon_problem = _parse_column(frame[lon_col], "longitude")
    lat, lat_problem = _parse_column(frame[lat_col], "latitude")
    status = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)

    missing = (lon_problem == "missing") | (lat_problem == "missing")
    for i in np.flatnonzero(missing):
        which = [name for name, p in (("longitude", lon_problem[i]), ("latitude", lat_problem[i]))
                 if p == "missing"]
        status[i], reason[i] = "missing_coordinates", f"no {' and no '.join(which)}"
    bad = ~missing & ((lon_problem != "") | (lat_problem != ""))
    for i in np.flatnonzero(bad):
        status[i] = "unparseable"
        reason[i] = "; ".join(p for p in (lon_problem[i], lat_problem[i]) if p)

    if "problem" in frame.columns:
        problem = frame["problem"].fillna("")
        flagged = np.flatnonzero((problem != "").to_numpy(dtype=bool))
        status[flagged] = "invalid_feature"
        reason[flagged] = problem.iloc[flagged].astype(str).to_numpy(dtype=object)
    return lon, lat, status, reason


def swap_tally(frame: pd.DataFrame, *, lon_col: str, lat_col: str) -> tuple[int, int]:
    """(rows with numbers, rows that look swapped) of `frame`: add them up over the chunks of a
    file and pass the sum to place_points as `file_tally`."""
    lon, lat, status, _ = _parsed(frame, lon_col, lat_col)
    numeric = (status == "") & ~((lon == 0) & (lat == 0))
    return int(numeric.sum()), int((numeric & _looks_swapped(lon, lat)).sum())


# -------------------------------------------------------------------- placing a table
def place_points(frame: pd.DataFrame, *, lon_col: str, lat_col: str, datum: str,
                 level: str = "province", fix_swapped: bool = False, first_line: int = 2,
                 file_tally: tuple[int, int] | None = None) -> pd.DataFrame:
    """One row per input row: line, lon, lat (as given), lon_gcj02, lat_gcj02, adcode, status,
    reason, then the row's other cells (the user's own columns: names, ids), so every result can
    be traced to its site.

    The frame's own `line` column (from geo.ingest.read_points) gives the file lines; without it
    rows are numbered from `first_line`. A non-empty `problem` (a feature that is not a point, a
    row whose columns may have shifted) makes the row `invalid_feature` with that reason.

    `file_tally` is (rows with numbers, rows that look swapped) over the whole file when `frame`
    is one chunk of it: it decides whether the file is swapped and is quoted in the reason, so a
    file placed in chunks (geo.spatial.pointsets, geo.spatial.distributed) gets exactly the rows it would get
    placed whole. None takes the tally of `frame` itself.
    """
    return _place(frame, lon_col=lon_col, lat_col=lat_col, datum=datum, level=level,
                  fix_swapped=fix_swapped, first_line=first_line, file_tally=file_tally)[0]


def is_file_swapped(with_numbers: int, looking_swapped: int) -> bool:
    """The file-level rule: (nearly) all rows with numbers look swapped."""
    return with_numbers > 0 and looking_swapped >= SWAPPED_FILE_SHARE * with_numbers


def _place(frame: pd.DataFrame, *, lon_col: str, lat_col: str, datum: str, level: str,
           fix_swapped: bool, first_line: int, file_tally: tuple[int, int] | None,
           as_frame: bool = True) -> tuple[pd.DataFrame | dict, tuple[int, int]]:
    """place_points, plus the swap tally of `frame`: (rows with numbers, rows that look swapped).

    `as_frame=False` returns only the line, adcode and status arrays, which is all counting
    needs: building the frame of every row costs as much as placing them."""
    datum = datum_mod.normalise_datum(datum)
    n = len(frame)
    lon, lat, status, reason = _parsed(frame, lon_col, lat_col)
    numeric = status == ""
    zero = numeric & (lon == 0) & (lat == 0)
    status[zero], reason[zero] = "out_of_range", "(0, 0) is a placeholder, not a location"
    numeric &= ~zero
    swapped_row = numeric & _looks_swapped(lon, lat)
    tally = (int(numeric.sum()), int(swapped_row.sum()))
    with_numbers, looking_swapped = tally if file_tally is None else file_tally
    file_swapped = is_file_swapped(with_numbers, looking_swapped)
    to_swap = (numeric if file_swapped else swapped_row) if fix_swapped else np.zeros(n, bool)
    if not fix_swapped:
        flagged = numeric if file_swapped else swapped_row
        status[flagged] = "swapped_lat_lon"
        if file_swapped:
            reason[flagged] = (f"longitude and latitude look swapped in the whole file "
                               f"({looking_swapped} of {with_numbers} rows with numbers): "
                               f"swap the columns ({lon_col!r} holds latitudes) or re-run with "
                               f"fix_swapped=True (--fix-swapped)")
        else:
            reason[flagged] = ("this row looks swapped: longitude in China's latitude range and "
                               "latitude in its longitude range; fix the row or re-run with "
                               "fix_swapped=True (--fix-swapped)")
        numeric &= ~flagged
    lon, lat = lon.copy(), lat.copy()
    lon[to_swap], lat[to_swap] = lat[to_swap], lon[to_swap]

    with np.errstate(invalid="ignore"):
        off = numeric & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    for i in np.flatnonzero(off):
        status[i] = "out_of_range"
        reason[i] = f"({lon[i]}, {lat[i]}) is not a longitude/latitude (|lon| <= 180, |lat| <= 90)"
    numeric &= ~off

    lon_gcj = np.full(n, np.nan)
    lat_gcj = np.full(n, np.nan)
    adcode = np.full(n, "", dtype=object)
    rows = np.flatnonzero(numeric)
    if rows.size:
        lon_gcj[rows], lat_gcj[rows] = datum_mod.to_gcj02(lon[rows], lat[rows], datum)
        codes = join.area_index(level).assign(lon_gcj[rows], lat_gcj[rows])
        adcode[rows] = codes
        status[rows] = np.where(codes != "", "ok", "outside")
        outside = rows[codes == ""]
        reason[outside] = f"valid coordinate in no {level} (outside China's land areas)"
    swapped_note = "longitude and latitude were swapped (fix_swapped)"
    for i in np.flatnonzero(to_swap):
        reason[i] = f"{swapped_note}; {reason[i]}" if reason[i] else swapped_note

    line = (frame["line"].to_numpy(dtype=np.int64) if "line" in frame.columns
            else np.arange(first_line, first_line + n, dtype=np.int64))
    if not as_frame:
        return {"line": line, "adcode": adcode, "status": status}, tally
    placed = pd.DataFrame({
        "line": line,
        "lon": frame[lon_col].to_numpy(dtype=object),
        "lat": frame[lat_col].to_numpy(dtype=object),
        "lon_gcj02": lon_gcj, "lat_gcj02": lat_gcj,
        "adcode": adcode, "status": status, "reason": reason,
    }, columns=COLUMNS)
    own = [c for c in frame.columns if c not in ("line", "problem", lon_col, lat_col)]
    for column in own:  # a name that clashes with a result column keeps its cells under "input: "
        placed[f"input: {column}" if column in COLUMNS else column] = frame[column].to_numpy(dtype=object)
    return placed, tally


def count_by_area(placed: pd.DataFrame, level: str = "province") -> pd.DataFrame:
    """[adcode, name, count] over every area of `level`, sorted by adcode.

    Counts are of the user's `ok` points: an area with none gets 0, a true zero.
    """
    return area_counts(placed.loc[placed["status"] == "ok", "adcode"].astype(str).value_counts(), level)


def area_counts(counts: pd.Series, level: str = "province") -> pd.DataFrame:
    """count_by_area from `ok` points already counted per adcode (a Series adcode -> count), as
    the chunked and distributed engines sum them."""
    areas = join.level_areas(level)
    unknown = sorted(set(counts.index.astype(str)) - set(areas["adcode"]))
    if unknown:
        raise ValueError(f"adcodes not of level {level}: {', '.join(unknown[:5])}; "
                         f"were the points placed at another level?")
    counts = counts.set_axis(counts.index.astype(str))
    names = areas[["province", "prefecture", "county"]].apply(_joined_name, axis=1)
    out = pd.DataFrame({"adcode": areas["adcode"].astype(str), "name": names,
                        "count": areas["adcode"].map(counts).fillna(0).astype(np.int64)})
    return out.sort_values("adcode", ignore_index=True)


def _joined_name(row) -> str:
    parts = []
    for part in row:
        if isinstance(part, str) and part and (not parts or parts[-1] != part):
            parts.append(part)  # 北京市/北京市 (province, prefecture) reads as 北京市
    return "/".join(parts)


def join_points_file(path, *, lon_col: str, lat_col: str, datum: str,
                     level: str = "province", fix_swapped: bool = False,
                     max_bytes: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a points CSV and place it. -> (counts by area, placed rows).

    `placed.attrs` records the file, kind, datum and level used, and notes (the sheet read).
    """
    datum = datum_mod.normalise_datum(datum)
    if level not in join.LEVELS:
        raise InputError(f"unknown level {level!r}", file=str(path),
                         expected=f"one of {', '.join(join.LEVELS)}")
    path = Path(path)
    limits = Limits() if max_bytes is None else Limits(max_bytes=max_bytes)
    frame, kind = read_points(read_input(path, max_bytes=limits.max_bytes), path.name, limits=limits)
    for col in (lon_col, lat_col):
        if col not in frame.columns:
            found = [c for c in frame.columns if c not in ("line", "part", "problem")]
            raise InputError("column not found", file=str(path), column=col,
                             expected=f"one of the columns found: {', '.join(found)}")
    placed = place_points(frame, lon_col=lon_col, lat_col=lat_col, datum=datum, level=level,
                          fix_swapped=fix_swapped)
    placed.attrs.update(file=str(path), kind=kind, datum=datum, level=level,
                        notes=frame.attrs.get("notes", []))
    return count_by_area(placed, level), placed
