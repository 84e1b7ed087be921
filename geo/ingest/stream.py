"""Point datasets read piece by piece, so that memory is bounded by a chunk, not by the data.

    dataset_files(source)   a file, a directory (its files, recursively) or a glob -> files
    pieces(files)           a whole text/.xlsx/GeoJSON file, or a run of Parquet row groups
    read_piece(piece)       -> frames of at most `chunk_rows` rows, shaped as read_points shapes
                               them: the file's columns, `line` and `problem`

CSV and tab-separated text are streamed. The encoding is checked over the whole file first, in
blocks and as strictly as `decode_text` (UTF-8 with BOM, UTF-16 with BOM, UTF-8, then GB18030;
no NUL bytes or control characters), then records are read with the csv module chunk by chunk
and sorted as `read_table` sorts them: the header under title rows, blank lines and footnotes
set aside, ragged rows flagged, `line` the file line of each record. The delimiter, the header
and the header's names are read off the first chunk (at least HEAD_RECORDS records), which is
all of a file of fewer records, so such a file reads exactly as read_points reads it; in a
longer file, only a column that has no header and stays empty in the first chunk reads
differently (its later cells make their rows ragged instead of naming a column).

Parquet is read by row batches with pyarrow, its columns as stored; `line` is the row number in
the file (1-based: a Parquet file has no lines). A GeoParquet file (with the `geo` metadata) is
read like GeoJSON: `lon`, `lat` from the primary geometry column (WKB; a MultiPoint gives one row
per point, numbered in `part`; anything else is kept with its `problem`), its CRS lon/lat WGS 84
or CGCS2000 (or unset), and its other columns beside them.

.xlsx workbooks and GeoJSON are read whole (a workbook is zipped XML and a GeoJSON document one
JSON value), then handed out in chunks: the size of such a file is what bounds the memory.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import glob
import io
import json
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
from ..files import check_input, read_input
from .decoding import _CONTROL, ENCODING_LABELS, Limits, sniff, sniff_delimiter
from .header import RawTable, _filled, _find_header, _header_names, _line_text, fit_rows, split_body
from .points import _WGS84_CRS, POINT_COLUMNS, read_points, table_points

CHUNK_ROWS = 200_000  # rows per frame: ~100-200 MB of Python strings for a typical site list
PARTITION_ROWS = 500_000  # Parquet rows per piece: one task of the dask engine (~0.5 s), small
# enough to keep every worker busy to the end, large enough that scheduling costs nothing
HEAD_RECORDS = 1_000  # at least this many records are read to find the header and name columns
_BLOCK = 1 << 22  # bytes read at a time while checking the encoding
_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".geoparquet", ".pq", ".xlsx", ".geojson", ".json"}


@dataclass(frozen=True)
class Piece:
    """A part of a dataset read by one task: a whole file, or some row groups of a Parquet file."""
    path: str
    kind: str
    row_groups: tuple[int, ...] = ()  # Parquet only: the row groups, in order
    first_row: int = 1  # Parquet only: the row number of the piece's first row
    rows: int | None = None  # Parquet only: its number of rows (from the file's metadata)


# -------------------------------------------------------------------- which files
def dataset_files(source) -> list[Path]:
    """The files of `source`: one file, a directory (its point files, recursively, sorted) or a
    glob pattern (sorted). Hidden and `_`-prefixed files (_SUCCESS, _metadata) are not data."""
    text = str(source)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES
                       and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))
        if not files:
            raise InputError("the directory holds no point files", file=text,
                             expected=f"files ending in {', '.join(sorted(_SUFFIXES))}")
        return files
    if path.exists() or not glob.has_magic(text):
        return [path]  # read_input says what is wrong with a missing or odd path
    files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
    if not files:
        raise InputError("no file matches the pattern", file=text)
    return files


def file_kind(path: Path) -> str:
    """csv, parquet, xlsx or geojson, from the file's first bytes (never from its name)."""
    with _opened(path) as f:
        head = f.read(1 << 16)
    if head.startswith(b"PAR1"):
        return "parquet"
    kind = sniff(head, str(path), Limits.uncapped())
    return {"text": "csv", "json": "geojson"}[kind] if kind != "xlsx" else "xlsx"


def _opened(path: Path):
    check_input(path)
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from None


def pieces(files, *, partition_rows: int = PARTITION_ROWS, max_bytes: int | None = None) -> list[Piece]:
    """The pieces of `files`: Parquet files in runs of row groups of about `partition_rows`
    rows (a row group is never split), any other file whole."""
    out = []
    for path in files:
        check_input(Path(path), max_bytes=max_bytes)
        kind = file_kind(Path(path))
        if kind != "parquet":
            out.append(Piece(str(path), kind))
            continue
        meta = _parquet_file(path).metadata
        group, first, rows = [], 1, 0
        for i in range(meta.num_row_groups):
            group.append(i)
            rows += meta.row_group(i).num_rows
            if rows >= partition_rows or i == meta.num_row_groups - 1:
                out.append(Piece(str(path), kind, tuple(group), first, rows))
                group, first, rows = [], first + rows, 0
        if meta.num_row_groups == 0:
            out.append(Piece(str(path), kind, (), 1, 0))
    return out


# -------------------------------------------------------------------- reading a piece
def read_piece(piece: Piece, *, chunk_rows: int = CHUNK_ROWS,
               max_rows: int | None = None) -> Iterator[pd.DataFrame]:
    """The piece's rows as frames of at most `chunk_rows` rows (see the module doc)."""
    if piece.kind == "csv":
        yield from _text_frames(Path(piece.path), chunk_rows, max_rows)
    elif piece.kind == "parquet":
        yield from _parquet_frames(piece, chunk_rows)
    else:
        limits = Limits.uncapped(max_rows=max_rows)
        frame, _ = read_points(read_input(piece.path), piece.path, limits=limits)
        for start in range(0, len(frame), chunk_rows):
            yield frame.iloc[start:start + chunk_rows].reset_index(drop=True)


def text_encoding(path: Path) -> str:
    """The codec of a text file, checked over all of it in blocks (see decode_text)."""
    name = str(path)
    with _opened(path) as f:
        first = f.read(4)
        if first.startswith(b"\xef\xbb\xbf"):
            candidates = ["utf-8-sig"]
        elif first.startswith((b"\xff\xfe", b"\xfe\xff")):
            candidates = ["utf-16"]
        else:
            candidates = ["utf-8", "gb18030"]
        for codec in candidates:
            f.seek(0)
            decoder = codecs.getincrementaldecoder(codec)(errors="strict")
            line = 1
            try:
                while True:
                    block = f.read(_BLOCK)
                    if codec not in ("utf-16",) and b"\x00" in block:
                        raise InputError("file contains NUL bytes: it is binary, or UTF-16 without a "
                                         "byte-order mark (save it as UTF-8 or as Excel 'Unicode "
                                         "text')", file=name)
                    text = decoder.decode(block, final=not block)
                    bad = _CONTROL.search(text)
                    if bad:  # binary bytes often decode as GB18030 "text", but keep control characters
                        raise InputError(f"control character U+{ord(bad.group()):04X} in "
                                         f"{ENCODING_LABELS[codec]} text: the file looks binary",
                                         file=name, row=line + text.count("\n", 0, bad.start()))
                    line += text.count("\n")
                    if not block:
                        return codec
            except UnicodeDecodeError:
                continue
    tried = " or ".join(ENCODING_LABELS[c] for c in candidates)
    raise InputError(f"file is not valid text in {tried}", file=name,
                     expected="a CSV or tab-separated text file")


def _text_frames(path: Path, chunk_rows: int, max_rows: int | None) -> Iterator[pd.DataFrame]:
    name = str(path)
    encoding = text_encoding(path)
    with _opened(path) as raw, io.TextIOWrapper(raw, encoding=encoding, errors="strict",
                                                  newline="") as text:
        head = _head(text)
        delimiter = sniff_delimiter("".join(head))
        reader = csv.reader(chain(head, text), delimiter=delimiter)
        records = _numbered(reader, name)
        with _no_cyclic_gc():
            first = list(islice(records, max(chunk_rows, HEAD_RECORDS)))
        nonblank = [i for i, (_, cells) in enumerate(first) if _filled(cells)]
        if not nonblank:
            raise InputError("file has no cells with content", file=name)
        header_at = _find_header(first, nonblank, name)
        header_line, header_cells = first[header_at]
        body, _, in_footnotes = split_body(first[header_at + 1:])
        header = _header_names(header_cells)
        table = RawTable(header, [], encoding, delimiter, [], name, header_line)
        seen = 0
        while True:
            for start in range(0, len(body), chunk_rows):
                rows = body[start:start + chunk_rows]
                seen += len(rows)
                if max_rows is not None and seen > max_rows:
                    raise InputError(f"more than {max_rows:,} data rows (--max-rows)", file=name,
                                     row=rows[-1][0])
                with _no_cyclic_gc():
                    table.rows, table.ragged = fit_rows(rows, len(header), encoding)
                    frame = table_points(table)
                yield frame
            with _no_cyclic_gc():
                chunk = list(islice(records, chunk_rows))
                if chunk:
                    body, _, in_footnotes = split_body(chunk, in_footnotes)
            if not chunk:
                break
        if not seen:
            raise InputError("file has a header row but no data rows", file=name, row=header_line,
                             found=_line_text(header_cells))


@contextlib.contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector while a chunk's records are made: hundreds of
    thousands of new lists trigger collections that scan every live object again and again
    (3x the reading time), and lists of strings hold no cycles to find."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _head(text) -> list[str]:
    """The first lines, up to the 30th non-blank one: all that sniff_delimiter looks at."""
    head, nonblank = [], 0
    for line in text:
        head.append(line)
        nonblank += sum(1 for ln in line.splitlines() if ln.strip())
        if nonblank >= 30:
            break
    return head


def _numbered(reader, name: str):
    """(file line where the record starts, cells), as csv_records numbers them."""
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"cannot split the line into cells ({exc})", file=name,
                         row=reader.line_num) from None


# -------------------------------------------------------------------- Parquet and GeoParquet
def _parquet_file(path):
    import pyarrow.parquet as pq
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds on a damaged file
        raise InputError(f"not a readable Parquet file ({type(exc).__name__}: {exc})",
                         file=str(path)) from None


def _parquet_frames(piece: Piece, chunk_rows: int) -> Iterator[pd.DataFrame]:
    source = _parquet_file(piece.path)
    geo = _geo_metadata(source.schema_arrow.metadata, piece.path)
    row = piece.first_row
    batches = source.iter_batches(batch_size=chunk_rows, row_groups=list(piece.row_groups))
    while True:
        try:
            batch = next(batches, None)
        except Exception as exc:  # noqa: BLE001 - a damaged page or row group
            raise InputError(f"cannot read the rows from here on ({type(exc).__name__}: {exc})",
                             file=piece.path, row=row) from None
        if batch is None:
            return
        frame = batch.to_pandas()
        lines = np.arange(row, row + len(frame), dtype=np.int64)
        row += len(frame)
        yield _geo_frame(frame, lines, geo, piece.path) if geo else _plain_frame(frame, lines)


def _plain_frame(frame: pd.DataFrame, lines: np.ndarray) -> pd.DataFrame:
    frame = frame.rename(columns={c: f"{c} (column)" for c in ("line", "problem") if c in frame.columns})
    frame.insert(0, "line", lines)
    frame["problem"] = ""
    return frame


def _geo_metadata(metadata, path: str) -> dict | None:
    """The primary geometry column and its encoding, or None for plain Parquet; refuses a CRS
    that is not lon/lat WGS 84 (or CGCS2000)."""
    raw = (metadata or {}).get(b"geo")
    if raw is None:
        return None
    try:
        geo = json.loads(raw)
        column = geo["primary_column"]
        spec = geo["columns"][column]
    except (ValueError, KeyError, TypeError):
        raise InputError("the GeoParquet metadata ('geo') cannot be read", file=path) from None
    if str(spec.get("encoding", "")).upper() != "WKB":
        raise InputError(f"geometry encoding {spec.get('encoding')!r} is not read", file=path,
                         column=column, expected="WKB (geopandas' to_parquet default)")
    crs = spec.get("crs", "OGC:CRS84")  # absent means OGC:CRS84 in the GeoParquet spec
    if crs is not None and _crs_key(crs) not in _WGS84_CRS:
        label = crs.get("name") if isinstance(crs, dict) else crs
        raise InputError(f"coordinates are in {label}, not WGS 84 longitude/latitude; reproject "
                         "the file to WGS 84 (EPSG:4326) first", file=path, column=column)
    return {"column": column, "others": [c for c in geo["columns"] if c != column]}


def _crs_key(crs) -> str:
    if isinstance(crs, dict):  # PROJJSON
        ident = crs.get("id") or {}
        authority, code = str(ident.get("authority", "")), str(ident.get("code", ""))
        return (code if authority.upper() == "OGC" else f"{authority}:{code}").casefold()
    return str(crs).strip().casefold()


def _geo_frame(frame: pd.DataFrame, lines: np.ndarray, geo: dict, path: str) -> pd.DataFrame:
    """Rows of a GeoParquet batch shaped as GeoJSON's: line, part, lon, lat, problem, properties."""
    import shapely
    column = geo["column"]
    try:
        geoms = shapely.from_wkb(frame[column].to_numpy(dtype=object), on_invalid="raise")
    except Exception as exc:  # noqa: BLE001 - shapely.errors.GEOSException and friends
        raise InputError(f"a geometry is not valid WKB ({exc})", file=path, column=column,
                         row=int(lines[0])) from None
    kind = shapely.get_type_id(geoms)  # -1 missing, 0 Point, 4 MultiPoint
    parts = np.where(kind == 4, shapely.get_num_geometries(geoms), 1)
    multi_empty = (kind == 4) & (parts == 0)
    parts[multi_empty] = 1
    owner = np.repeat(np.arange(len(frame)), parts)
    part_no = np.arange(owner.size) - np.repeat(np.cumsum(parts) - parts, parts)  # 0-based
    point = np.where(kind[owner] == 4, shapely.get_geometry(geoms[owner], part_no), geoms[owner])
    is_point = np.isin(kind[owner], (0, 4)) & ~multi_empty[owner]
    lon = np.full(owner.size, np.nan)
    lat = np.full(owner.size, np.nan)
    lon[is_point], lat[is_point] = shapely.get_x(point[is_point]), shapely.get_y(point[is_point])
    problem = np.full(owner.size, "", dtype=object)
    problem[kind[owner] == -1] = "feature has no geometry"
    problem[multi_empty[owner]] = "MultiPoint has no points"
    other = ~np.isin(kind[owner], (-1, 0, 4))
    names = shapely.get_type_id(geoms[owner][other])
    problem[other] = [f"{_GEOMETRY_NAMES.get(int(t), 'unknown')} geometry: only Point and "
                      "MultiPoint features are placed" for t in names]
    empty_point = is_point & np.isnan(lon) & np.isnan(lat)
    problem[empty_point & (kind[owner] == 0)] = "feature has no geometry (an empty point)"
    out = pd.DataFrame({"line": lines[owner],
                        "part": np.where(kind[owner] == 4, (part_no + 1).astype(str), ""),
                        "lon": lon, "lat": lat, "problem": problem})
    for name in frame.columns:
        if name == column:
            continue
        values = frame[name].to_numpy(dtype=object)[owner]
        if name in geo["others"]:  # another geometry column: its WKT, not raw bytes
            values = shapely.to_wkt(shapely.from_wkb(values))
        out[f"properties.{name}" if name in POINT_COLUMNS else name] = values
    return out


_GEOMETRY_NAMES = {1: "LineString", 2: "LinearRing", 3: "Polygon", 5: "MultiLineString",
                   6: "MultiPolygon", 7: "GeometryCollection"}

