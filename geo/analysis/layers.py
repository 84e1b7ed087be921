"""A user's own table or point file as a layer like the bundled ones.

Reading accounts for every input line (geo.ingest, geo.spatial.points); a Layer holds what joined as
observations (and targets) under its own metric key, with the line-by-line report, so the same
views, map, gap and downloads serve it. Nothing is guessed: columns that are not recognised, a
missing date or a missing datum are asked for with an InputError.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import files, ingest
from ..data.metrics import Metric
from ..data.observations import from_counts
from ..errors import InputError
from ..i18n import Text
from ..ingest import RawTable
from ..spatial import points

DEFAULT_LAYER_KEY = "upload"


@dataclass(frozen=True)
class Layer:
    metric: Metric | None      # None for a layer of targets only
    observations: pd.DataFrame  # long format, as the bundled observations
    targets: pd.DataFrame       # rows of the target registry (may be empty)
    report: pd.DataFrame        # one row per input line with its status and reason
    notes: tuple[str, ...] = ()
    targets_of: str | None = None  # measure against this bundled metric's targets
    source_name: str = ""
    placed: pd.DataFrame | None = field(default=None, repr=False)  # point layers: every row placed

    @property
    def key(self) -> str | None:
        return self.metric.key if self.metric else None

    @property
    def summary(self) -> dict[str, int]:
        """Number of input lines per status."""
        if self.placed is not None:
            return {k: int(v) for k, v in self.placed["status"].value_counts().items()}
        return {k: v for k, v in ingest.summary(self.report).items() if v}

    @classmethod
    def from_table(cls, source, *, name: str = "Your data", unit: str = "count", key: str = DEFAULT_LAYER_KEY,
                   province_col: str | None = None, value_col: str | None = None,
                   as_of_col: str | None = None, source_col: str | None = None,
                   default_as_of: str | None = None, default_source: str | None = None,
                   targets_of: str | None = None, allow_qualified: bool = False,
                   filename: str | None = None) -> "Layer":
        """A per-province table (CSV, TSV or .xlsx: a path, bytes with `filename`, or a RawTable).

        Columns not given are recognised by their header; a column that cannot be recognised,
        or a table with no date column and no `default_as_of`, is an InputError that says what to
        give. Rows without a source get `default_source` (else "user file <name>").
        """
        table = _table(source, filename)
        guessed = ingest.guess_columns(table.header)
        province_col = province_col or guessed["name"] or guessed["adcode"]
        value_col = value_col or guessed["value"]
        as_of_col = as_of_col or guessed["as_of"]
        source_col = source_col or guessed["source"]
        _require_columns(table, province=province_col, value=value_col)
        if not as_of_col and not default_as_of:
            raise InputError("no date column recognised and no default date given; name the date "
                             "column (--as-of-col) or give the date of the figures "
                             "(--default-as-of YYYY-MM-DD)", file=table.filename,
                             found=f"columns {', '.join(table.header)}")
        result = ingest.ingest_counts(
            table, province_col=province_col, value_col=value_col, as_of_col=as_of_col,
            source_col=source_col, default_as_of=default_as_of,
            default_source=default_source or f"user file {table.filename}",
            allow_qualified=allow_qualified)
        metric = user_metric(key, name, unit)
        values = result.values.reset_index(drop=True)
        observations = from_counts(values.rename(columns={"value": "count"}), metric.key, metric.unit,
                                   source_publisher=values["source"].astype(str), source_title="",
                                   note="line " + values["line"].astype(str) + f" of {table.filename}")
        observations["qualifier"] = values["qualifier"].to_numpy(object)  # "≈" where "约" was accepted
        return cls(metric, observations, pd.DataFrame(), result.report, tuple(result.notes),
                   targets_of, table.filename)

    @classmethod
    def from_points(cls, source, *, lon_col: str, lat_col: str, datum: str, as_of: str,
                    source_text: str, name: str = "Your points", key: str = DEFAULT_LAYER_KEY,
                    fix_swapped: bool = False, filename: str | None = None) -> "Layer":
        """A point file (CSV, .xlsx or GeoJSON) counted per province by the exact join.

        `datum` (wgs84, gcj02 or bd09), the date the points describe and their source are
        required: none of them can be read off coordinates.
        """
        data, filename = _bytes(source, filename)
        frame, _ = ingest.read_points(data, filename)
        notes = tuple(frame.attrs.get("notes", ()))
        placed = points.place_points(frame, lon_col=lon_col, lat_col=lat_col, datum=datum,
                                     fix_swapped=fix_swapped)
        as_of = _as_of(as_of, filename)
        if not str(source_text or "").strip():
            raise InputError("a source is required for a point file", file=filename)
        counts = points.count_by_area(placed, "province")
        metric = user_metric(key, name, "points")
        observations = from_counts(
            counts.assign(as_of=as_of), metric.key, metric.unit, source_publisher=source_text.strip(),
            source_title=f"points of user file {filename}, counted per province by point-in-polygon")
        return cls(metric, observations, pd.DataFrame(), placed, notes, None, filename, placed)

    @classmethod
    def from_targets(cls, source, *, applies_to: str, province_col: str | None = None,
                     target_col: str | None = None, target_year_col: str | None = None,
                     default_target_year: int | str | None = None, default_source: str | None = None,
                     filename: str | None = None) -> "Layer":
        """Per-province targets for the metric `applies_to` (a bundled key or a layer's key)."""
        table = _table(source, filename)
        guessed = ingest.guess_columns(table.header)
        province_col = province_col or guessed["name"] or guessed["adcode"]
        target_col = target_col or guessed["target"] or guessed["value"]
        target_year_col = target_year_col or guessed["target_year"]
        _require_columns(table, province=province_col, target=target_col)
        if not target_year_col and default_target_year is None:
            raise InputError("no target-year column recognised and no default target year given",
                             file=table.filename)
        if not (default_source or "").strip():
            raise InputError("a source is required for targets", file=table.filename)
        result = ingest.ingest_targets(table, province_col=province_col, target_col=target_col,
                                       target_year_col=target_year_col,
                                       default_target_year=default_target_year,
                                       default_source=default_source.strip())
        values = result.values
        rows = pd.DataFrame({
            "target_id": "user-" + values["adcode"].astype(str) + "-" + values["line"].astype(str),
            "scope": "province", "adcode": values["adcode"].astype(str), "metric": applies_to,
            "kind": "count", "target_value": values["target"].astype(float), "unit": "",
            "target_year": values["target_year"].astype(str), "qualifier": "",
            "document": f"user file {table.filename}", "source_publisher": values["source"].astype(str),
            "source_url": "", "as_of": "", "note": "line " + values["line"].astype(str)})
        return cls(None, pd.DataFrame(), rows, result.report, tuple(result.notes), None, table.filename)


def user_metric(key: str, name: str, unit: str) -> Metric:
    name = (name or "").strip() or "Your data"
    return Metric(key, name, (unit or "").strip() or "count", "observations",
                  explanation=Text("note.metric.user", name=name))


def _bytes(source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        if not filename:
            raise InputError("a file name is needed with bytes (it names the file in messages)")
        return bytes(source), filename
    path = Path(source)
    # Capped before reading: a 10 GB file is refused by its size, not read into memory first.
    return files.read_input(path, max_bytes=ingest.Limits().max_bytes), filename or path.name


def _table(source, filename: str | None) -> RawTable:
    if isinstance(source, RawTable):
        return source
    data, filename = _bytes(source, filename)
    return ingest.read_table(data, filename)


def _require_columns(table: RawTable, **columns: str | None) -> None:
    missing = [role for role, column in columns.items() if not column]
    if missing:
        options = " and ".join(f"--{role}-col" for role in missing)
        raise InputError(f"the {' and '.join(missing)} column{'s' if len(missing) > 1 else ''} "
                         f"could not be recognised; name {'them' if len(missing) > 1 else 'it'} "
                         f"({options})", file=table.filename,
                         found=f"columns {', '.join(table.header)}")


def _as_of(text, filename: str) -> str:
    value, why = ingest.parse_as_of(str(text or ""))
    if not value:
        raise InputError(f"the date of the points: {why or 'required'}", file=filename,
                         expected="YYYY-MM-DD")
    return value
