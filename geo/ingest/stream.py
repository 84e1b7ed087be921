"""Point datasets read piece by piece, so that memory is bounded by a chunk, not by the data.

    dataset_files(source)   a file, a directory (its files, recursively) or a glob -> files
    pieces(files)           a whole text/.xlsx/GeoJSON file, or a run of Parquet row groups
    read_piece(piece)       -> frames of at most `chunk_rows` rows, shaped as read_points shapes
                               them: the file's columns, `line` and `problem`

CSV and tab-separated text are streamed. The encoding is checked over the whole file first, in
blocks and as strictly as `decode_text` (UTF-8 with BOM, UTF-16 with BOM, UTF-8, then GB18030;
no NUL bytes or control characters). The delimiter is sniffed from the first lines; the header
under title rows and its names are read off the first HEAD_RECORDS records, split one by one
with the csv module as `read_table` splits them. The rest is read in blocks of whole lines
(`_Body`): the plain lines of a block (one record of the header's width, nothing a quote or a
line break could change) are split by pyarrow's C reader in one call, and every other line
starts a record read with the csv module, then sorted as `read_table` sorts records (blank
lines and footnotes set aside, ragged rows fitted and flagged). So each row gets the cells and
`line` (the file line where its record starts) that reading the whole file would give it, and
the Python work is per odd line only. In a file of more records than the head, only a column
that has no header and stays empty in the head reads differently (its later cells make their
rows ragged instead of naming a column). Text columns come as pandas' Arrow-backed strings.

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
import collections
import contextlib
import csv
import gc
import glob
import io
import json
import re
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import InputError
from ..files import check_input, read_input
from .decoding import _CONTROL, ENCODING_LABELS, Limits, sniff, sniff_delimiter
from .header import _filled, _find_header, _header_names, _line_text, fit_rows, split_body
from .points import _WGS84_CRS, POINT_COLUMNS, read_points

CHUNK_ROWS = 200_000  # rows per frame: ~100-200 MB of Python strings for a typical site list
PARTITION_ROWS = 500_000  # Parquet rows per piece: one task of the dask engine (~0.5 s), small
# enough to keep every worker busy to the end, large enough that scheduling costs nothing
HEAD_RECORDS = 1_000  # at least this many records are read to find the header and name columns
_BLOCK = 1 << 22  # bytes read at a time while checking the encoding
_TEXT_BLOCK = 1 << 24  # characters of text parsed at a time (~16 MB: ~400k rows of points)
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
        feed = _Feed(head, text)
        # What is decided once per file (header under title rows, its names, so the width) is
        # decided on the first records, read one by one with the csv module.
        reader = csv.reader(feed, delimiter=delimiter)
        with _no_cyclic_gc():
            first = list(islice(_numbered(reader, name), HEAD_RECORDS))
        nonblank = [i for i, (_, cells) in enumerate(first) if _filled(cells)]
        if not nonblank:
            raise InputError("file has no cells with content", file=name)
        header_at = _find_header(first, nonblank, name)
        header_line, header_cells = first[header_at]
        header = _header_names(header_cells)
        body = _Body(header, encoding, delimiter, name)
        body.add_careful(first[header_at + 1:])
        next_line = reader.line_num + 1
        seen = 0
        while True:
            block = feed.block(_TEXT_BLOCK)
            if block:
                next_line = body.add_block(block, next_line, feed)
            while body.rows >= chunk_rows or (not block and body.rows):
                frame = body.take(chunk_rows)
                seen += len(frame)
                if max_rows is not None and seen > max_rows:
                    raise InputError(f"more than {max_rows:,} data rows (--max-rows)", file=name,
                                     row=int(frame["line"].iloc[-1]))
                yield frame
            if not block:
                break
        if not seen:
            raise InputError("file has a header row but no data rows", file=name, row=header_line,
                             found=_line_text(header_cells))


def _text_buffer(one: pa.Array) -> pa.Buffer:
    """The UTF-8 bytes of a one-string array, without copying them into a Python string."""
    _, offsets, data = one.buffers()
    width = np.int64 if pa.types.is_large_string(one.type) else np.int32
    start, end = np.frombuffer(offsets, dtype=width, count=2, offset=one.offset * np.dtype(width).itemsize)
    return data.slice(int(start), int(end - start))


class _Feed:
    """The physical lines of a text file, as the csv module reads them (a line ends at \n, \r
    or \r\n): the head's lines first, then the file's; or a block of whole lines at a time."""

    def __init__(self, head: list[str], text):
        self.pending = collections.deque(head)
        self.text = text

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pending:
            return self.pending.popleft()
        line = self.text.readline()
        if not line:
            raise StopIteration
        return line

    def block(self, size: int) -> str:
        """About `size` characters of whole lines ('' at the end of the file)."""
        parts = list(self.pending)
        self.pending.clear()
        chunk = self.text.read(size)
        parts.append(chunk)
        if chunk and not chunk.endswith("\n"):
            parts.append(self.text.readline())  # the rest of the last line (or the \n of a \r\n)
        return "".join(parts)


class _Body:
    """The data rows of a text file, gathered block by block, handed out in frames.

    A block is parsed by pyarrow's C reader where its lines are plain: a line that is one
    record of exactly the header's cells (each cell unquoted, or quoted whole with no quote or
    line break inside; trailing empty cells after them, as a trailing delimiter leaves, are
    dropped as fit_rows drops them), at most the csv module's cell size, two or more cells with
    content. Such a line splits into the same cells under both readers and is a data row as
    it stands. Every other line (blank, footnote, short, long, a quote inside a cell, a quoted
    line break, a lone \r) starts a record read by the csv module from that line on, as the
    whole file would be read, and goes through split_body and fit_rows: the row-by-row work of
    the careful reader, done only for the rows that need it."""

    def __init__(self, header: list[str], encoding: str, delimiter: str, name: str):
        self.header, self.encoding, self.delimiter, self.name = header, encoding, delimiter, name
        self.width = len(header)
        self.names = [f"{h} (column)" if h == "line" else h for h in header]
        self.in_footnotes = False
        self.parts: list[tuple[np.ndarray, list[np.ndarray], np.ndarray]] = []
        self.rows = 0
        d = re.escape(delimiter)
        cell = f'(?:"[^"\\r\\n]*"|[^"\\r\\n{d}]*)'
        self.plain = f"^{cell}(?:{d}{cell}){{{self.width - 1}}}(?:{d})*\\r?$"
        self.extra = f"^((?:{cell}{d}){{{self.width - 1}}}{cell})(?:{d})+(\\r?)$"

    # ---------------------------------------------------------------- rows in
    def add_careful(self, records: list[tuple[int, list[str]]]) -> None:
        """Records read by the csv module: blank lines and footnotes set aside, rows fitted."""
        if not records:
            return
        with _no_cyclic_gc():
            rows, _, self.in_footnotes = split_body(records, self.in_footnotes)
            rows, ragged = fit_rows(rows, self.width, self.encoding)
        if not rows:
            return
        lines = np.fromiter((line for line, _ in rows), dtype=np.int64, count=len(rows))
        columns = [pa.array([cells[j] for _, cells in rows], pa.string()) for j in range(self.width)]
        problem = [None] * len(rows)
        for i, line in enumerate(lines.tolist()):
            n = ragged.get(line)
            if n is not None and n > self.width:  # as table_points flags it
                problem[i] = f"row has {n} cells, the header {self.width}: columns may have shifted"
        self._append(lines, columns, pa.array(problem, pa.string()))

    def add_block(self, block: str, first_line: int, feed: _Feed) -> int:
        """Parse a block of whole lines starting at file line `first_line`; -> the next line."""
        if block.count("\r") != block.count("\r\n"):  # a lone \r ends a line: the csv module's way
            lines = list(io.StringIO(block, newline=""))
            return self._careful_from(lines, range(len(lines)), first_line, feed,
                                      np.zeros(len(lines), bool), None)
        pieces = pc.list_flatten(pc.split_pattern(pa.array([block], pa.large_string()), "\n"))
        if block.endswith("\n"):
            pieces = pieces.slice(0, len(pieces) - 1)
        n = len(pieces)
        # Plain lines (see the class doc): a line without a quote and with the header's number of
        # delimiters is one cheaply; the others that may be (quoted cells, trailing delimiters)
        # are matched against the pattern, which is much slower per line.
        quoted = pc.match_substring(pieces, '"')
        delimiters = pc.count_substring(pieces, self.delimiter)
        plain = pc.and_(pc.invert(quoted), pc.equal(delimiters, self.width - 1))
        maybe = pc.and_(pc.invert(plain), pc.or_(quoted, pc.greater(delimiters, self.width - 1)))
        plain = plain.to_numpy(zero_copy_only=False)
        maybe = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
        if maybe.size:
            plain[maybe] = pc.match_substring_regex(pieces.take(pa.array(maybe)),
                                                    self.plain).to_numpy(zero_copy_only=False)
        # Bytes, not characters: a shorter limit, on the safe side of the csv module's.
        plain &= pc.less_equal(pc.binary_length(pieces), csv.field_size_limit()).to_numpy(
            zero_copy_only=False)
        cells = self._plain_cells(pieces.filter(pa.array(plain))) if plain.any() else []
        at = np.flatnonzero(plain)
        # Rows with fewer than two ASCII cells with content may be blank or footnotes (or hold
        # only non-ASCII cells): they are checked as the careful reader checks them. (Of the ASCII
        # characters str.strip removes, only space and tab get past the encoding check here.)
        filled = np.zeros(len(at), dtype=np.int64)
        for column in cells:
            filled += pc.and_(pc.string_is_ascii(column),
                              pc.greater(pc.binary_length(pc.ascii_trim(column, " \t")), 0)
                              ).to_numpy(zero_copy_only=False)
        unsure = filled < 2
        hard = ~plain
        hard[at[unsure]] = True
        keep = ~unsure
        fast_lines = at[keep] + first_line
        fast = [column.filter(pa.array(keep)) for column in cells]

        def text_of(i):
            line = pieces[i].as_py()
            return line + "\n" if i < n - 1 or block.endswith("\n") else line
        consumed = np.zeros(n, bool)
        next_line = self._careful_from(text_of, np.flatnonzero(hard), first_line, feed, consumed, n)
        if len(fast_lines):
            covered = consumed[at[keep]]  # plain-looking lines inside a quoted multi-line cell
            if covered.any():
                fast_lines = fast_lines[~covered]
                fast = [column.filter(pa.array(~covered)) for column in fast]
            self._append(fast_lines, fast, pa.nulls(len(fast_lines), pa.string()))
        return next_line

    def _plain_cells(self, lines) -> list:
        """The cells of plain lines, by pyarrow's CSV reader (one record per line)."""
        extra = pc.match_substring_regex(lines, self.extra)
        if pc.any(extra).as_py():  # trailing empty cells past the header's: dropped
            lines = pc.if_else(extra, pc.replace_substring_regex(lines, self.extra, r"\1\2"), lines)
        joined = pc.binary_join(pa.LargeListArray.from_arrays([0, len(lines)], lines),
                                pa.scalar("\n", pa.large_string()))
        names = [str(i) for i in range(self.width)]
        table = pacsv.read_csv(
            pa.BufferReader(_text_buffer(joined)),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=self.delimiter, quote_char='"',
                                             double_quote=True, escape_char=False,
                                             newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
        return [table.column(c).combine_chunks() for c in names]

    def _careful_from(self, text_of, starts, first_line: int, feed: _Feed, consumed, n) -> int:
        """Read a record with the csv module from each line of `starts` not already taken by the
        record before; a record may run past the block into the file. -> the next file line."""
        if n is None:  # a list of lines: all careful, in order
            lines, n = text_of, len(text_of)
            text_of = lines.__getitem__
        records, position, extra = [], 0, 0
        for start in starts:
            start = int(start)
            if start < position:
                continue
            source = chain((text_of(i) for i in range(start, n)), feed)
            reader = csv.reader(source, delimiter=self.delimiter)
            try:
                cells = next(reader, None)
            except csv.Error as exc:
                raise InputError(f"cannot split the line into cells ({exc})", file=self.name,
                                 row=first_line + start + reader.line_num - 1) from None
            if cells is None:
                break
            records.append((first_line + start, cells))
            position = start + reader.line_num
            consumed[start + 1:position] = True
            if position > n:  # the record went on into the file's next lines
                extra = position - n
                break
        self.add_careful(records)
        return first_line + n + extra

    # ---------------------------------------------------------------- frames out
    def _append(self, lines, columns, problem) -> None:
        self.parts.append((lines, columns, problem))
        self.rows += len(lines)

    def take(self, n: int) -> pd.DataFrame:
        """The next `n` data rows (fewer at the end) as a frame, in file order: text columns
        (Arrow-backed, as pandas makes text columns), `line` and `problem` ('' when fine)."""
        lines = np.concatenate([p[0] for p in self.parts])
        # Careful rows are gathered apart from the plain rows around them: put them in place
        # (a block without any is in order already, and is not copied).
        order = None if (np.diff(lines) > 0).all() else pa.array(np.argsort(lines, kind="stable"))

        def gathered(arrays):
            chunks = [c for a in arrays for c in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])]
            out = pa.chunked_array(chunks, pa.string())
            return out if order is None else pa.chunked_array([out.combine_chunks().take(order)])
        columns = [gathered([p[1][j] for p in self.parts]) for j in range(self.width)]
        problem = gathered([p[2] for p in self.parts])
        lines = lines if order is None else lines[order.to_numpy()]
        size = min(n, len(lines))
        frame = pd.DataFrame({name: pd.Series(pd.array(column.slice(0, size), dtype="str"))
                              for name, column in zip(self.names, columns)})
        frame.insert(0, "line", lines[:size])
        frame["problem"] = pd.Series(pd.array(problem.slice(0, size), dtype="str")).fillna("")
        rest = len(lines) - size
        self.parts = [(lines[size:], [c.slice(size) for c in columns], problem.slice(size))] if rest else []
        self.rows = rest
        return frame


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

