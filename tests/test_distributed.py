"""geo.spatial.distributed: the dask engine gives the local engine's rows and counts, row for row.

A LocalCluster of threads (fast to start); the command-line test starts worker processes.
"""
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.spatial import distributed, points, pointsets

pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client():
    with distributed.connect(workers=2, processes=False) as c:
        yield c


def _sites(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"site_id": [f"S{seed}-{i}" for i in range(n)],
                         "lng": np.round(rng.uniform(73.5, 135.1, n), 6).astype(str),
                         "lat": np.round(rng.uniform(18, 53.6, n), 6).astype(str)})


@pytest.fixture
def dataset(tmp_path):
    """Two CSV files and a Parquet file of several row groups, with rows of every status."""
    data = tmp_path / "sites"
    data.mkdir()
    a = _sites(500, 1)
    a.loc[3, ["lng", "lat"]] = ["", ""]        # missing
    a.loc[4, ["lng", "lat"]] = ["abc", "30"]   # unparseable
    a.loc[5, ["lng", "lat"]] = ["39.9", "116.4"]  # a swapped row
    a.to_csv(data / "a.csv", index=False)
    (data / "b.csv").write_text("lng,lat,site_id\n116.4074,39.9042,BJ\n121.47,31.23,SH,extra\n0,0,zero\n",
                                encoding="utf-8")
    _sites(1300, 2).to_parquet(data / "c.parquet", row_group_size=250)
    return data


def _compare(tmp_path, local, dask, local_dir, dask_dir):
    pd.testing.assert_frame_equal(local.counts, dask.counts)
    assert local.rows == dask.rows and local.statuses == dask.statuses
    assert local.examples == dask.examples
    a, b = gpd.read_parquet(local_dir), gpd.read_parquet(dask_dir)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert a.geometry.equals(b.geometry)


def test_dask_gives_the_local_engines_rows_and_counts(client, dataset, tmp_path):
    options = dict(lon_col="lng", lat_col="lat", datum="wgs84", level="province")
    local = pointsets.join_points(dataset, assignments=tmp_path / "local", **options)
    dask = distributed.join_points(dataset, assignments=tmp_path / "dask", client=client,
                                   partition_rows=300, chunk_rows=100, **options)
    _compare(tmp_path, local, dask, tmp_path / "local", tmp_path / "dask")
    # two CSV files; the Parquet file in runs of row groups of at least 300 rows or to its end:
    # 250 + 250, 250 + 250, 250 + 50
    assert len(dask.pieces) == 2 + 3
    rows = gpd.read_parquet(tmp_path / "dask")
    assert len(rows) == 500 + 3 + 1300  # every input row, none lost
    b = rows[rows["file"] == str(dataset / "b.csv")]
    assert [(r.line, r.status, r.adcode) for r in b.itertuples()] == [
        (2, "ok", "110000"), (3, "invalid_feature", ""), (4, "out_of_range", "")]
    a = rows[rows["file"] == str(dataset / "a.csv")].set_index("line")
    assert a.loc[[5, 6, 7], "status"].tolist() == ["missing_coordinates", "unparseable", "swapped_lat_lon"]


def test_a_swapped_parquet_file_split_in_pieces_is_decided_over_the_whole_file(client, tmp_path):
    data = tmp_path / "swapped.parquet"
    rows = pd.DataFrame({"lng": ["39.9042"] * 600 + ["116.4"] * 40, "lat": ["116.4074"] * 600 + ["39.9"] * 40})
    rows.to_parquet(data, row_group_size=100)  # the last piece alone does not look swapped
    local = pointsets.join_points(data, lon_col="lng", lat_col="lat", datum="gcj02",
                                  assignments=tmp_path / "local")
    dask = distributed.join_points(data, lon_col="lng", lat_col="lat", datum="gcj02", client=client,
                                   partition_rows=100, assignments=tmp_path / "dask")
    _compare(tmp_path, local, dask, tmp_path / "local", tmp_path / "dask")
    assert dask.statuses == {"swapped_lat_lon": 640}  # 600 of 640 (94 %) look swapped
    assert "(600 of 640 rows with numbers)" in gpd.read_parquet(tmp_path / "dask")["reason"].iloc[-1]


def test_a_malformed_partition_is_reported_with_its_file_and_row(client, dataset, tmp_path):
    broken = dataset / "d.csv"
    broken.write_bytes(b"lng,lat\n116.4,39.9\n116.4,39.9\n116.4,3\x019.9\n")
    with pytest.raises(InputError) as error:
        distributed.join_points(dataset, lon_col="lng", lat_col="lat", datum="wgs84", client=client,
                                assignments=tmp_path / "out")
    assert f"file {broken}, row 4" in str(error.value) and "control character" in str(error.value)
    assert not (tmp_path / "out").exists()  # nothing half-written
    broken.unlink()
    damaged = dataset / "e.parquet"
    damaged.write_bytes(b"PAR1" + b"\x00" * 64 + b"PAR1")
    with pytest.raises(InputError, match="not a readable Parquet file") as error:
        distributed.join_points(dataset, lon_col="lng", lat_col="lat", datum="wgs84", client=client)
    assert str(damaged) in str(error.value)


def test_a_dask_dataframe_is_placed_as_the_whole_frame(client):
    import dask.dataframe as dd
    frame = _sites(400, 3)
    frame.loc[10, "lng"] = "—"
    whole = points.place_points(frame, lon_col="lng", lat_col="lat", datum="bd09", first_line=1)
    lazy = distributed.place_points(dd.from_pandas(frame, npartitions=4), lon_col="lng", lat_col="lat",
                                    datum="bd09")
    pd.testing.assert_frame_equal(lazy.compute(), whole)
    joined = distributed.join_points(dd.from_pandas(frame, npartitions=4), lon_col="lng", lat_col="lat",
                                     datum="bd09", client=client)
    pd.testing.assert_frame_equal(joined.counts, points.count_by_area(whole, "province"))
    assert joined.examples["missing_coordinates"] == [("<dask DataFrame>", 11)]


def test_the_public_join_points_takes_the_engine_as_an_argument(client, dataset, tmp_path):
    import geo
    options = dict(lon_col="lng", lat_col="lat", datum="wgs84", level="county")
    local = geo.join_points(dataset, assignments=tmp_path / "local", **options)
    dask = geo.join_points(dataset, engine="dask", client=client, assignments=tmp_path / "dask", **options)
    _compare(tmp_path, local, dask, tmp_path / "local", tmp_path / "dask")
    with pytest.raises(InputError, match="engine 'local' with \\['scheduler'\\]"):
        geo.join_points(dataset, scheduler="tcp://127.0.0.1:1", **options)  # nothing is ignored
    with pytest.raises(InputError, match="engine 'spark'"):
        geo.join_points(dataset, engine="spark", **options)


def test_one_csv_of_assignments_is_refused_for_the_dask_engine(dataset, tmp_path):
    with pytest.raises(InputError, match="directory of GeoParquet parts"):
        distributed.join_points(dataset, lon_col="lng", lat_col="lat", datum="wgs84",
                                assignments=tmp_path / "rows.csv")


def test_cli_dask_engine_on_a_local_cluster(dataset, tmp_path):
    # In a fresh process: worker processes are spawned from the parent's __main__ module.
    out, parts = tmp_path / "counts.csv", tmp_path / "parts"
    proc = subprocess.run([sys.executable, "-m", "geo", "join-points", str(dataset / "*.csv"),
                           "--engine", "dask", "--workers", "1", "--lon", "lng", "--lat", "lat",
                           "--datum", "wgs84", "--level", "county", "--out", str(out),
                           "--assignments", str(parts)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "of 503 rows" in proc.stdout
    assert "invalid_feature: 1 rows (lines b.csv:3)" in proc.stderr
    local = pointsets.join_points(str(dataset / "*.csv"), lon_col="lng", lat_col="lat", datum="wgs84",
                                  level="county")
    counts = pd.read_csv(out, dtype={"adcode": str})
    assert counts["count"].sum() == local.statuses["ok"]
    assert counts.set_index("adcode")["count"].to_dict() == local.counts.set_index("adcode")["count"].to_dict()
    assert len(gpd.read_parquet(parts)) == 503
    # A malformed file among them: one line naming the file and row, from a worker process.
    (dataset / "d.csv").write_bytes(b"lng,lat\n116.4,39.9\n116.4,3\x019.9\n")
    proc = subprocess.run([sys.executable, "-m", "geo", "join-points", str(dataset / "*.csv"),
                           "--engine", "dask", "--workers", "1", "--lon", "lng", "--lat", "lat",
                           "--datum", "wgs84", "--out", str(tmp_path / "again.csv")],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and not (tmp_path / "again.csv").exists()
    lines = proc.stderr.strip().splitlines()  # no worker traceback either
    assert len(lines) == 1 and lines[0].startswith(f"error: file {dataset / 'd.csv'}, row 3:")
