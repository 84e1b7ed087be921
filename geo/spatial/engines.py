"""One entry point for joining a point dataset, whichever engine runs it: the engine is chosen
here, in one place, so the command line, the app and a notebook cannot choose differently.

    joined = join_points("sites/*.parquet", lon_col="lng", lat_col="lat", datum="wgs84",
                         level="county", engine="dask", scheduler="tcp://host:8786")
"""
from __future__ import annotations

from ..errors import InputError
from ..ingest.stream import CHUNK_ROWS
from . import pointsets


def join_points(source, *, lon_col: str, lat_col: str, datum: str, level: str = "province",
                fix_swapped: bool = False, assignments=None, max_bytes: int | None = None,
                max_rows: int | None = None, chunk_rows: int = CHUNK_ROWS, engine: str = "local",
                **cluster) -> pointsets.Joined:
    """Place every row of a dataset (a file, a directory or a glob) and count the rows per area.

    `engine="local"` (geo.spatial.pointsets.join_points): on this machine, in chunks. `engine="dask"`
    (geo.spatial.distributed.join_points): the same on a dask.distributed cluster (`cluster`: scheduler,
    workers or client; the source may also be a dask DataFrame). Cluster options with the local
    engine are refused, not ignored.
    """
    options = dict(lon_col=lon_col, lat_col=lat_col, datum=datum, level=level, fix_swapped=fix_swapped,
                   assignments=assignments, max_bytes=max_bytes, max_rows=max_rows, chunk_rows=chunk_rows)
    if engine == "dask":
        from . import distributed
        return distributed.join_points(source, **options, **cluster)
    if engine != "local" or cluster:
        raise InputError(f"engine {engine!r} with {sorted(cluster) or 'no cluster options'}",
                         expected="engine 'local', or 'dask' with scheduler, workers or client")
    return pointsets.join_points(source, **options)
