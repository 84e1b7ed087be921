import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from geo.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


def test_export_writes_the_selected_provinces(tmp_path):
    out = tmp_path / "out.geojson"
    assert main(["export", "--metric", "bs5g", "--view", "gap", "--as-of", "2025-12-31",
                 "--provinces", "310000,北京", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [f["id"] for f in data["features"]] == ["110000", "310000"]
    assert data["rollout_mapper"]["view"] == "gap"


def test_export_csv_by_suffix(tmp_path):
    out = tmp_path / "out.csv"
    assert main(["export", "--regions", "Northeast", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("adcode,name_zh")


@pytest.mark.parametrize("args, message", [
    (["export", "--metric", "bogus", "--out", "x.geojson"], "invalid choice"),
    (["export", "--view", "density", "--out", "x.geojson"], "invalid choice"),
    (["export", "--as-of", "yesterday", "--out", "x.geojson"], "bad argument"),
    (["export", "--provinces", "Atlantis", "--out", "x.geojson"], "Atlantis"),
    (["export", "--regions", "South", "--out", "x.geojson"], "unknown region"),
])
def test_bad_arguments_give_one_line_and_non_zero_exit(args, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "geo", *args], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_export_from_a_users_counts_table_with_report(tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_bytes("地区,数量,来源\n北京市,10,mine\nAtlantis,3,mine\n全国,13,mine\n".encode("gb18030"))
    out, report = tmp_path / "out.geojson", tmp_path / "report.csv"
    assert main(["export", "--counts", str(counts), "--metric-name", "My sites", "--default-as-of",
                 "2025-06-30", "--out", str(out), "--report", str(report)]) == 0
    props = {f["id"]: f["properties"] for f in json.loads(out.read_text(encoding="utf-8"))["features"]}
    assert props["110000"]["value"] == 10 and props["110000"]["source"] == "mine"
    assert props["110000"]["as_of"] == "2025-06-30"
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert {"line", "raw_name", "adcode", "status", "reason"} <= set(rows[0])
    assert [(r["line"], r["status"]) for r in rows] == [
        ("1", "skipped"), ("2", "joined"), ("3", "unmatched"), ("4", "aggregate_row")]


def test_export_from_counts_with_unrecognised_columns_names_the_flags(tmp_path, capsys):
    counts = tmp_path / "c.csv"
    counts.write_text("a,b\nBeijing,1\n", encoding="utf-8")
    assert main(["export", "--counts", str(counts), "--out", str(tmp_path / "o.geojson")]) == 2
    assert "--province-col" in capsys.readouterr().err


CITIES = """city,lat,lng
北京,39.9042,116.4074
广州,23.1291,113.2644
深圳,22.5431,114.0579
拉萨,29.6520,91.1721
香港,22.3193,114.1694
海上,30.0,125.0
空,,
"""


def test_join_points_places_a_city_list_and_reports_every_row(tmp_path, capsys):
    src = tmp_path / "cities.csv"
    src.write_text(CITIES, encoding="utf-8")
    out, assignments = tmp_path / "counts.csv", tmp_path / "rows.csv"
    assert main(["join-points", str(src), "--lon", "lng", "--lat", "lat", "--datum", "wgs84",
                 "--out", str(out), "--assignments", str(assignments)]) == 0
    counts = {r["adcode"]: int(r["count"]) for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert counts["110000"] == 1 and counts["440000"] == 2 and counts["540000"] == 1
    assert counts["810000"] == 1 and counts["120000"] == 0
    rows = list(csv.DictReader(assignments.open(encoding="utf-8")))
    assert [(r["line"], r["status"]) for r in rows][-2:] == [("7", "outside"), ("8", "missing_coordinates")]
    err = capsys.readouterr().err
    assert "outside: 1 rows (lines 7)" in err and "missing_coordinates: 1 rows (lines 8)" in err


def test_join_points_detects_a_swapped_file_and_fixes_it_on_request(tmp_path):
    src = tmp_path / "swapped.csv"
    src.write_text("lng,lat\n39.9042,116.4074\n23.1291,113.2644\n", encoding="utf-8")
    out, rows = tmp_path / "c.csv", tmp_path / "r.csv"
    assert main(["join-points", str(src), "--lon", "lng", "--lat", "lat", "--out", str(out),
                 "--assignments", str(rows)]) == 0
    assert {r["status"] for r in csv.DictReader(rows.open(encoding="utf-8"))} == {"swapped_lat_lon"}
    assert main(["join-points", str(src), "--lon", "lng", "--lat", "lat", "--fix-swapped",
                 "--out", str(out), "--assignments", str(rows)]) == 0
    assert [r["adcode"] for r in csv.DictReader(rows.open(encoding="utf-8"))] == ["110000", "440000"]


def test_render_writes_a_standalone_offline_map(tmp_path):
    out = tmp_path / "map.html"
    assert main(["render", "--metric", "bs5g", "--view", "attainment", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "L.version" in page or "Leaflet" in page  # Leaflet inlined
    assert not re.search(r"<script[^>]+src=\"https?://", page)
    assert '"tooltip"' in page
