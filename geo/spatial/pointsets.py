"""Point datasets bigger than memory: placed chunk by chunk, counted, every row accounted for.

    joined = join_points("sites/*.parquet", lon_col="lng", lat_col="lat", datum="wgs84",
                         level="county", assignments="rows/")   # or "rows.csv"

A dataset is one file, a directory or a glob of CSV, Parquet, GeoParquet, .xlsx or GeoJSON files
(geo.ingest.stream). Each piece is read in chunks and every chunk is placed by
geo.spatial.points.place_points, so a row gets exactly the status, reason and area it gets when its file
is placed whole; memory is bounded by the chunk (`chunk_rows`), not by the data. Counts of `ok`
points are summed per area; statuses are counted and the first lines of each are kept as
examples. The assignments (every input row, as place_points returns it) are written as they are
made, to one CSV file or to a directory of GeoParquet parts.

Swapped files. Whether a file's longitude and latitude are swapped as a whole is decided over
all of its rows, and a chunk cannot know that: chunks are placed as if their file were not
swapped, each chunk reports its tally, and a file whose tally says swapped is placed again with
it (so the reasons quote the file's own numbers). A swapped file is read twice; others once.

This is the `local` engine; geo.spatial.distributed runs the same place_piece on a dask cluster, and
geo.spatial.engines.join_points chooses between them.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..files import check_output, frame_to_csv
from ..ingest.stream import CHUNK_ROWS, PARTITION_ROWS, Piece, dataset_files, pieces, read_piece
from . import datum as datum_mod
from . import join
from .points import _place, area_counts, is_file_swapped

EXAMPLES = 20  # lines kept per status for the summary
NOT_SWAPPED = (0, 0)  # the swap tally a chunk is first placed with (see the module doc)
PART_NAME = re.compile(r"part\.\d{5}\.\d{5}\.parquet")


@dataclass(frozen=True)
class Job:
    """What to do with each chunk; small, so that it travels to workers with every task."""
    lon_col: str
    lat_col: str
    datum: str
    level: str = "province"
    fix_swapped: bool = False
    chunk_rows: int = CHUNK_ROWS
    max_rows: int | None = None
    with_file: bool = False  # add a `file` column (a dataset of several files)

    def __post_init__(self):
        object.__setattr__(self, "datum", datum_mod.normalise_datum(self.datum))
        if self.level not in join.LEVELS:
            raise InputError(f"unknown level {self.level!r}", expected=f"one of {', '.join(join.LEVELS)}")
        if self.chunk_rows < 1:
            raise InputError("chunk rows must be 1 or more", found=self.chunk_rows)


@dataclass
class PieceResult:
    """What one piece gave: small enough to send back from a worker."""
    piece: Piece
    rows: int = 0
    counts: Counter = field(default_factory=Counter)  # ok points per adcode
    statuses: Counter = field(default_factory=Counter)  # rows per status
    examples: dict = field(default_factory=dict)  # status -> first lines
    tally: tuple[int, int] = (0, 0)  # (rows with numbers, rows that look swapped)
    columns: tuple[str, ...] = ()  # the assignment columns of its chunks (when written)
    peak_rss_mb: float = 0.0  # of the process that placed it, after placing it
    seconds: float = 0.0  # spent reading, placing and writing it


@dataclass
class Joined:
    """The result of a join over a dataset."""
    counts: pd.DataFrame  # area_counts: every area of the level, a true 0 where no point is
    rows: int
    statuses: dict[str, int]
    examples: dict[str, list[tuple[str, int]]]  # status -> first (file, line)
    files: list[str]
    level: str
    pieces: list[PieceResult] = field(default_factory=list, repr=False)

    def summary_lines(self) -> list[str]:
        """One line per status that is not ok, with its first lines (and files when several)."""
        out = []
        for status in sorted(s for s in self.statuses if s != "ok"):
            n = self.statuses[status]
            shown = self.examples.get(status, [])[:EXAMPLES]
            where = ", ".join(f"{Path(f).name}:{line}" if len(self.files) > 1 else str(line)
                              for f, line in shown)
            more = f" and {n - len(shown)} more" if n > len(shown) else ""
            out.append(f"{status}: {n} rows (lines {where}{more})")
        return out


# -------------------------------------------------------------------- one piece
def place_piece(piece: Piece, job: Job, file_tally: tuple[int, int] = NOT_SWAPPED,
                write=None, piece_no: int = 0) -> PieceResult:
    """Read `piece` chunk by chunk, place every chunk, hand it to `write(placed, piece_no,
    chunk_no)` and return the piece's counts, statuses and swap tally."""
    result = PieceResult(piece)
    start = time.perf_counter()
    with_numbers = looking_swapped = 0
    for chunk_no, frame in enumerate(read_piece(piece, chunk_rows=job.chunk_rows, max_rows=job.max_rows)):
        _require_columns(frame, job, piece.path)
        placed, (n, s) = _place(frame, lon_col=job.lon_col, lat_col=job.lat_col, datum=job.datum,
                                level=job.level, fix_swapped=job.fix_swapped, first_line=2,
                                file_tally=file_tally, as_frame=write is not None)
        with_numbers, looking_swapped = with_numbers + n, looking_swapped + s
        _tally_chunk(result, placed)
        if write is not None:
            if job.with_file:
                placed.insert(0, "file", piece.path)
            result.columns = tuple(placed.columns)
            write(placed, piece_no, chunk_no)
    result.tally = (with_numbers, looking_swapped)
    result.peak_rss_mb = peak_rss_mb()
    result.seconds = time.perf_counter() - start
    return result


def _require_columns(frame: pd.DataFrame, job: Job, path: str) -> None:
    for col in (job.lon_col, job.lat_col):
        if col not in frame.columns:
            found = [str(c) for c in frame.columns if c not in ("line", "part", "problem")]
            raise InputError("column not found", file=path, column=col,
                             expected=f"one of the columns found: {', '.join(found)}")


def _tally_chunk(result: PieceResult, placed) -> None:
    """Add a chunk's counts, statuses and first lines (`placed`: a frame or _place's arrays)."""
    status = np.asarray(placed["status"], dtype=object)
    result.rows += len(status)
    ok = status == "ok"
    result.counts.update(pd.Series(np.asarray(placed["adcode"], dtype=object)[ok]).value_counts().to_dict())
    lines = np.asarray(placed["line"])
    for name, n in pd.Series(status).value_counts().items():  # hashing, not sorting, the strings
        result.statuses[name] += int(n)
        if name != "ok":
            kept = result.examples.setdefault(name, [])
            if len(kept) < EXAMPLES:
                kept += lines[status == name][:EXAMPLES - len(kept)].tolist()


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB; 0 where /proc is not there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def swapped_files(results: list[PieceResult]) -> dict[str, tuple[int, int]]:
    """{file: its tally} for the files that are swapped as a whole."""
    tallies: dict[str, list[int]] = {}
    for r in results:
        t = tallies.setdefault(r.piece.path, [0, 0])
        t[0] += r.tally[0]
        t[1] += r.tally[1]
    return {path: (t[0], t[1]) for path, t in tallies.items() if is_file_swapped(*t)}


def combine(results: list[PieceResult], level: str, files: list[str], tabulate=area_counts) -> Joined:
    """Sum the pieces' counts and statuses (in piece order, so the examples are the first lines).

    `tabulate(counts, level)` makes the table of every area (geo.spatial.points.area_counts, which needs
    the level's area names from the index; geo.spatial.distributed runs it on a worker that has it)."""
    counts, statuses, examples = Counter(), Counter(), {}
    for r in results:
        counts.update(r.counts)
        statuses.update(r.statuses)
        for status, lines in r.examples.items():
            kept = examples.setdefault(status, [])
            kept += [(r.piece.path, int(line)) for line in lines[:EXAMPLES - len(kept)]]
    series = pd.Series(dict(counts), dtype=np.int64)
    return Joined(tabulate(series, level), sum(r.rows for r in results), dict(statuses),
                  examples, [str(f) for f in files], level, results)


# -------------------------------------------------------------------- assignments
def assignments_frame(placed: pd.DataFrame):
    """The placed rows as a GeoDataFrame: the point each row was placed at, in WGS 84 (EPSG:4326,
    converted from the GCJ-02 it was tested in, as the GeoJSON downloads are); no geometry for a
    row without a usable coordinate. Text columns stay text (raw: Parquet is not a spreadsheet)."""
    import geopandas as gpd
    import shapely
    lon = placed["lon_gcj02"].to_numpy(dtype=np.float64)
    lat = placed["lat_gcj02"].to_numpy(dtype=np.float64)
    has = np.isfinite(lon) & np.isfinite(lat)
    geometry = np.full(len(placed), None, dtype=object)
    if has.any():
        # Each point converges on its own, so a row's geometry does not depend on the rows it
        # was converted with (the local and dask engines chunk differently).
        wlon, wlat = datum_mod.gcj02_to_wgs84(lon[has], lat[has])
        geometry[has] = shapely.points(wlon, wlat)
    # A user's own column named geometry keeps its cells under "input: ", as place_points does.
    frame = placed.rename(columns={"geometry": "input: geometry"})
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            frame[column] = values.astype("string")  # also when every cell is empty
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"))


class CsvAssignments:
    """Every placed row to one CSV file, chunk after chunk (spreadsheet formulas neutralised),
    written beside the target and renamed into place at the end."""

    def __init__(self, path, inputs=()):
        self.path = Path(path)
        target = check_output(self.path, inputs=inputs)
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise InputError(f"cannot write here ({exc.strerror or exc})", file=str(path)) from None
        self.file = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self.columns = None

    def __call__(self, placed: pd.DataFrame, piece_no: int, chunk_no: int) -> None:
        if self.columns is None:
            self.columns = list(placed.columns)
        elif list(placed.columns) != self.columns:
            raise InputError("the files of the dataset have different columns; one CSV of "
                             "assignments needs the same columns in every file (write a directory "
                             "of GeoParquet parts instead)", file=str(placed["file"].iloc[0])
                             if "file" in placed.columns and len(placed) else None,
                             expected=", ".join(self.columns), found=", ".join(map(str, placed.columns)))
        self.file.write(frame_to_csv(placed, header=self.file.tell() == 0))

    def restart(self) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.columns = None

    def finish(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o666 & ~_umask()
        os.chmod(self.tmp, mode)
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.file.close()
        Path(self.tmp).unlink(missing_ok=True)


class GeoParquetParts:
    """Every placed row to a directory of GeoParquet files, one per chunk (part.PIECE.CHUNK.parquet,
    written by geopandas' to_parquet, with its metadata), built in a temporary directory beside
    the target and renamed into place at the end. A directory that exists must be empty or hold
    only the parts of an earlier run, which are replaced."""

    def __init__(self, path, inputs=()):
        self.path = Path(path)
        target = self.path.resolve()
        for source in inputs:
            source = Path(source).resolve()
            if source == target or target in source.parents:
                raise InputError("the assignments directory would hold or replace an input file",
                                 file=str(self.path), expected="a directory apart from the inputs")
        if target.exists() and not target.is_dir():
            raise InputError("the assignments output exists and is not a directory", file=str(self.path),
                             expected="a directory for the GeoParquet parts (or a path ending in .csv)")
        if target.is_dir():
            odd = [p.name for p in target.iterdir() if not PART_NAME.fullmatch(p.name)]
            if odd:
                raise InputError("the assignments directory holds other files", file=str(self.path),
                                 expected="an empty directory or the parts of an earlier run",
                                 found=", ".join(sorted(odd)[:5]))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.tmp = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise InputError(f"cannot write here ({exc.strerror or exc})", file=str(self.path)) from None

    def __call__(self, placed: pd.DataFrame, piece_no: int, chunk_no: int) -> None:
        write_part(self.tmp, placed, piece_no, chunk_no)

    def restart(self) -> None:
        for p in Path(self.tmp).iterdir():
            p.unlink()

    def finish(self) -> None:
        os.chmod(self.tmp, 0o777 & ~_umask())
        old = None
        if self.path.exists():
            old = tempfile.mkdtemp(prefix=f".{self.path.name}.old.", dir=self.path.resolve().parent)
            os.replace(self.path, Path(old) / "parts")
        os.replace(self.tmp, self.path)
        if old:
            shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def write_part(directory: str, placed: pd.DataFrame, piece_no: int, chunk_no: int) -> None:
    """One chunk of assignments as a GeoParquet file in `directory` (which may be on a worker)."""
    path = Path(directory) / f"part.{piece_no:05d}.{chunk_no:05d}.parquet"
    assignments_frame(placed).to_parquet(path, index=False)


def open_assignments(path, inputs=(), source=None):
    """A CSV file for a path ending in .csv; a directory of GeoParquet parts otherwise."""
    if path is None:
        return None
    check_apart(source, path)
    return CsvAssignments(path, inputs) if str(path).lower().endswith(".csv") else GeoParquetParts(path, inputs)


def check_apart(source, output) -> None:
    """Refuse an output inside the input directory: the next run would read it as input."""
    if source is None or output is None or not Path(str(source)).is_dir():
        return
    root, target = Path(str(source)).resolve(), Path(output).resolve()
    if root == target or root in target.parents:
        raise InputError("the assignments would be written inside the input directory, where the "
                         "next run would read them as input", file=str(output),
                         expected=f"a path outside {source}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -------------------------------------------------------------------- the local engine
def join_points(source, *, lon_col: str, lat_col: str, datum: str, level: str = "province",
                fix_swapped: bool = False, assignments=None, max_bytes: int | None = None,
                max_rows: int | None = None, chunk_rows: int = CHUNK_ROWS) -> Joined:
    """Place every row of a dataset (a file, a directory or a glob) on this machine, in chunks.

    `assignments`: a .csv path (one file) or a directory (GeoParquet parts), or None. No cap on
    size unless `max_bytes` (per file) or `max_rows` (data rows in all) is given.
    """
    files = dataset_files(source)
    job = Job(lon_col, lat_col, datum, level, fix_swapped, chunk_rows, max_rows,
              with_file=len(files) > 1 or Path(str(source)) not in files)
    todo = pieces(files, max_bytes=max_bytes, partition_rows=PARTITION_ROWS)
    sink = open_assignments(assignments, inputs=files, source=source)
    with finishing(sink):
        results = _run(todo, job, {}, sink, max_rows)
        swapped = swapped_files(results)
        if swapped:  # a file swapped as a whole: place it again knowing so (module doc)
            if sink is not None:
                sink.restart()
            results = _run(todo, job, swapped, sink, max_rows)
    return combine(results, level, files)


@contextmanager
def finishing(sink):
    """Put the assignments in place when the block succeeds, remove every trace when it fails:
    never a half-written output."""
    try:
        yield
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    if sink is not None:
        sink.finish()


def _run(todo: list[Piece], job: Job, tallies: dict, sink, max_rows: int | None) -> list[PieceResult]:
    results, rows = [], 0
    for number, piece in enumerate(todo):
        results.append(place_piece(piece, job, tallies.get(piece.path, NOT_SWAPPED), sink, number))
        rows += results[-1].rows
        if max_rows is not None and rows > max_rows:
            raise InputError(f"more than {max_rows:,} data rows in all (--max-rows)", file=piece.path)
    return results
