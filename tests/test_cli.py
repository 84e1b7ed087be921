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
    (["export", "--as-of", "yesterday", "--out", "x.geojson"], "'yesterday' is not a date"),
    (["export", "--as-of", "", "--out", "x.geojson"], "'' is not a date"),
    (["export", "--tolerance-months", "-5", "--out", "x.geojson"], "expected 0 or more"),
    (["join-points", "sites.csv", "--lon", "x", "--lat", "y", "--out", "c.csv"], "--datum"),
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
    assert main(["join-points", str(src), "--lon", "lng", "--lat", "lat", "--datum", "gcj02", "--out", str(out),
                 "--assignments", str(rows)]) == 0
    assert {r["status"] for r in csv.DictReader(rows.open(encoding="utf-8"))} == {"swapped_lat_lon"}
    assert main(["join-points", str(src), "--lon", "lng", "--lat", "lat", "--datum", "gcj02", "--fix-swapped",
                 "--out", str(out), "--assignments", str(rows)]) == 0
    assert [r["adcode"] for r in csv.DictReader(rows.open(encoding="utf-8"))] == ["110000", "440000"]


def test_render_writes_a_standalone_offline_map(tmp_path):
    out = tmp_path / "map.html"
    assert main(["render", "--metric", "bs5g", "--view", "attainment", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "L.version" in page or "Leaflet" in page  # Leaflet inlined
    assert not re.search(r"<script[^>]+src=\"https?://", page)
    assert '"tooltip"' in page


def _cli(args, cwd):
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=cwd, capture_output=True, text=True)


def test_a_counts_table_without_dates_asks_for_default_as_of_in_one_line(tmp_path):
    (tmp_path / "c.csv").write_text("Province,Value\nBeijing,5\n", encoding="utf-8")
    proc = _cli(["export", "--counts", "c.csv", "--out", "o.geojson"], tmp_path)
    assert proc.returncode == 2 and not (tmp_path / "o.geojson").exists()
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: file c.csv") and "--default-as-of" in lines[0]


def test_english_headers_province_and_5g_base_stations_are_recognised(tmp_path):
    (tmp_path / "c.csv").write_text("Province,5G base stations,As of\nBeijing,5,2025-01-01\n", encoding="utf-8")
    assert main(["export", "--counts", str(tmp_path / "c.csv"), "--out", str(tmp_path / "o.csv")]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"))))
    assert [(r["adcode"], r["value"]) for r in rows if r["value"]] == [("110000", "5")]


def test_attainment_is_in_percent_in_value_and_its_column_and_counts_are_integers(tmp_path):
    out = tmp_path / "a.csv"
    assert main(["export", "--view", "attainment", "--provinces", "110000", "--out", str(out)]) == 0
    row = next(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert row["value"] == row["attainment_pct"]  # one unit: percent, in both places
    assert 100 < float(row["value"]) < 1000 and row["count"] == "114500"  # not 114500.0
    assert len(row["target"].replace(".", "")) <= 7  # 6 significant digits, not float noise


def test_join_points_assignments_keep_the_users_own_columns(tmp_path):
    src = tmp_path / "sites.csv"
    src.write_text("site_id,name,lng,lat\nA1,Tiananmen,116.3913,39.9075\nB2,Bund,121.4900,31.2400\n",
                   encoding="utf-8")
    rows_out = tmp_path / "rows.csv"
    assert main(["join-points", str(src), "--lon", "lng", "--lat", "lat", "--datum", "wgs84",
                 "--out", str(tmp_path / "c.csv"), "--assignments", str(rows_out)]) == 0
    rows = list(csv.DictReader(io.StringIO(rows_out.read_text(encoding="utf-8"))))
    assert [(r["site_id"], r["name"], r["adcode"]) for r in rows] == [
        ("A1", "Tiananmen", "110000"), ("B2", "Bund", "310000")]


def test_an_output_that_is_the_input_is_refused_and_the_input_kept(tmp_path):
    src = tmp_path / "c.csv"
    original = "Province,Value,Date\nBeijing,5,2025-01-01\n"
    src.write_text(original, encoding="utf-8")
    for flag in ("--out", "--report"):
        args = ["export", "--counts", "c.csv", "--out", "o.geojson", flag, "c.csv"]
        proc = _cli(args, tmp_path)
        assert proc.returncode == 2 and "overwrite an input" in proc.stderr
        assert src.read_text(encoding="utf-8") == original


def test_a_bug_is_reported_as_a_bug_not_as_a_bad_argument(monkeypatch, capsys, tmp_path):
    import geo.__main__ as cli

    def broken(args):
        raise ValueError("something internal")
    monkeypatch.setattr(cli, "_run", broken)
    assert cli.main(["export", "--out", str(tmp_path / "o.geojson")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("internal error (a bug") and "--debug" in err
    with pytest.raises(ValueError):
        cli.main(["--debug", "export", "--out", str(tmp_path / "o.geojson")])


def test_trajectory_csv_writes_qualifiers_as_words_and_counts_as_integers(tmp_path):
    out = tmp_path / "t.csv"
    assert main(["trajectory", "--metric", "bs5g", "--provinces", "北京", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert not [r for r in rows if r["qualifier"].startswith(("'", "="))]  # "=" (exact) is written as ""
    beijing = {(r["date"], r["kind"]): r for r in rows if r["adcode"] == "110000"}
    observed = beijing[("2024-04-30", "observed")]
    assert (observed["value"], observed["qualifier"]) == ("114500", "about")  # 约11.45万
    assert beijing[("2023-04-30", "observed")]["value"] == "90000"
    estimated = beijing[("2025-12-31", "estimated")]  # derived: a whole number within its interval
    assert int(estimated["low"]) < int(estimated["value"]) < int(estimated["high"])
    national = next(r for r in rows if r["adcode"] == "100000" and r["date"] == "2025-12-31")
    assert (national["value"], national["target"]) == ("4838000", "4500000")
