"""Issue 11 on the command line: hostile and broken inputs are joined exactly or reported, and a
mistake is one `error:` line with exit status 2, never a traceback. Faults of the caches and of
outputs are in tests/test_faults.py."""
from __future__ import annotations

import csv
import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from geo.__main__ import main
from tests import hostile

ROOT = Path(__file__).resolve().parent.parent


def export(tmp_path, content: bytes, *extra, name="counts.csv"):
    """Run `export --counts` in-process: (exit status, stderr lines, {adcode: value}, report)."""
    src, out, report = tmp_path / name, tmp_path / "out.geojson", tmp_path / "report.csv"
    src.write_bytes(content)
    out.unlink(missing_ok=True)
    report.unlink(missing_ok=True)
    code = main(["export", "--counts", str(src), "--out", str(out), "--report", str(report), *extra])
    values = {}
    if out.exists():
        values = {f["id"]: f["properties"]["value"]
                  for f in json.loads(out.read_text(encoding="utf-8"))["features"]}
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8")))) if report.exists() else []
    return code, values, {int(r["line"]): r for r in rows}


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in lines if line.startswith("error")]
    assert len(errors) == 1 and "Traceback" not in "".join(lines), lines
    return errors[0]


# ---------------------------------------------------------------- wrong values shown as joined

def test_footnote_marks_are_not_joined_as_digits(tmp_path):
    code, values, report = export(tmp_path, "省份,数量,日期\n北京,1234¹,2024\n上海,1234①,2024\n"
                                            "天津,10²,2024\n河北,7,2024\n".encode())
    assert code == 0
    assert values["110000"] is None and values["310000"] is None and values["120000"] is None
    assert values["130000"] == 7
    assert [report[n]["status"] for n in (2, 3, 4)] == ["invalid_value"] * 3
    assert "'¹'" in report[2]["reason"] and "'①'" in report[3]["reason"] and "'²'" in report[4]["reason"]


def test_an_unquoted_thousands_separator_under_a_trailing_comma_header_is_not_joined(tmp_path):
    code, values, report = export(tmp_path, "省份,数量,\n北京,1,234,\n上海,5,\n".encode(),
                                  "--default-as-of", "2024-12-31")
    assert code == 0 and values["110000"] is None and values["310000"] == 5
    assert report[2]["status"] == "invalid_value" and "shifted" in report[2]["reason"]


def test_a_unit_in_the_cell_and_the_header_is_applied_once(tmp_path):
    code, values, report = export(tmp_path, "省份,数量（万）,日期\n北京,1.2万,2024\n".encode())
    assert code == 0 and values["110000"] == 12_000
    assert "applied once" in report[2]["reason"]


def test_one_period_written_two_ways_with_two_values_is_a_conflict_and_nothing_is_shown(tmp_path):
    code, values, report = export(tmp_path, "省份,数量,日期\n北京,100,2024\n北京,999,2024-12-31\n".encode(),
                                  "--as-of", "2025-12-31")
    assert code == 0 and values["110000"] is None
    assert report[2]["status"] == report[3]["status"] == "conflict"


def test_a_workbook_with_a_hidden_decoy_sheet_is_read_from_its_visible_active_sheet(tmp_path, capsys):
    code, values, _ = export(tmp_path, hostile.decoy_workbook(), name="book.xlsx")
    assert code == 0 and values["110000"] == 5
    err = capsys.readouterr().err
    assert "note: read sheet 'real' (the active sheet)" in err and "'decoy' (hidden)" in err


def test_rows_dated_after_the_view_date_are_named(tmp_path, capsys):
    code, values, report = export(tmp_path, "省份,数量,日期\n北京,1,2024\n上海,2,2027\n".encode(),
                                  "--as-of", "2025-12-31")
    assert code == 0 and values["310000"] is None and report[3]["status"] == "joined"
    assert "1 figure dated after 2025-12-31 is not shown: 上海市 (2027)" in capsys.readouterr().err


# ---------------------------------------------------------------- injection

def test_a_bare_carriage_return_in_a_cell_cannot_start_a_spreadsheet_row(tmp_path):
    code, _, _ = export(tmp_path, b'\xe7\x9c\x81\xe4\xbb\xbd,\xe6\x95\xb0\xe9\x87\x8f,\xe6\x97\xa5\xe6\x9c\x9f\n'
                                  b'"\xe5\x8c\x97\xe4\xba\xac",8,2024\n"Atlantis\r=1+1",8,2024\n')
    assert code == 0
    text = (tmp_path / "report.csv").read_text(encoding="utf-8")
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not line.startswith(("=", "+", "-", "@")), text


def test_join_points_assignments_neutralise_a_carriage_return(tmp_path):
    src = tmp_path / "p.csv"
    src.write_bytes(b'name,lng,lat\n"x\r=1+1",116.39,39.9\n')
    rows = tmp_path / "rows.csv"
    assert main(["join-points", str(src), "--lon", "lng", "--lat", "lat", "--datum", "gcj02",
                 "--out", str(tmp_path / "c.csv"), "--assignments", str(rows)]) == 0
    text = rows.read_text(encoding="utf-8")
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not line.startswith(("=", "+", "-", "@")), text
    assert next(csv.DictReader(io.StringIO(text)))["name"] == "x\n'=1+1"


# ---------------------------------------------------------------- one line for every mistake

@pytest.mark.parametrize("content, name, words", [
    ("省份,数量,日期\n北京,{},2024\n".format("1" * 140_000).encode(), "c.csv",
     ["row 2", "column 'column 2'", "32,767"]),
    ("省份,数量,日期\n北京,1,2024\n".encode() + "上海,2,2024\n".encode("gbk"), "c.csv",
     ["row 3", "not UTF-8", "'上海,2,2024' in GB18030"]),
    (hostile.huge_shared_string_workbook, "big.xlsx", ["shared string", "32,767"]),
    (hostile.many_styles_workbook, "styles.xlsx", ["64,000 cell formats"]),
    (b"Province,Value\nBeijing,5\n", "c.csv", ["--default-as-of"]),
])
def test_a_bad_file_is_one_error_line_with_exit_2(tmp_path, capsys, content, name, words):
    code, _, _ = export(tmp_path, content() if callable(content) else content, name=name)
    line = one_error_line(capsys)
    assert code == 2 and line.startswith(f"error: file {name}")
    for word in words:
        assert word in line


def test_a_date_cell_0000_or_0202_is_a_row_in_the_report_not_a_failed_file(tmp_path):
    code, values, report = export(tmp_path, "省份,数量,日期\n北京,1,0000\n上海,2,0202\n天津,3,2024\n".encode())
    assert code == 0 and values["120000"] == 3
    assert report[2]["status"] == report[3]["status"] == "invalid_value"
    assert "column '日期'" in report[2]["reason"] and "'0202'" in report[3]["reason"]


@pytest.mark.parametrize("properties", ["EPSG:4326", None])
def test_a_geojson_crs_with_odd_properties_is_one_error_line(tmp_path, capsys, properties):
    src = tmp_path / "p.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": properties},
                               "features": [{"type": "Feature", "properties": {},
                                             "geometry": {"type": "Point", "coordinates": [116.4, 39.9]}}]}))
    assert main(["join-points", str(src), "--lon", "lon", "--lat", "lat", "--datum", "wgs84",
                 "--out", str(tmp_path / "c.csv")]) == 2
    assert "column 'crs'" in one_error_line(capsys)


@pytest.mark.parametrize("args, words", [
    (["--counts", "{dir}"], "is a directory"),
    (["--counts", "/dev/zero"], "not a regular file"),
    (["--counts", "{fifo}"], "not a regular file"),
    (["--out", "{dir}"], "output is a directory"),
    (["--out", "/dev/full"], "output is not a regular file"),
    (["--out", "{src}"], "overwrite an input"),
    (["--report", "{src}"], "overwrite an input"),
    (["--report", "{link}"], "overwrite an input"),  # a symlink to the input
    (["--report", "{out}"], "two outputs are the same file"),
    (["--out", "{dir}/missing/o.geojson"], "folder of the output does not exist"),
    (["--default-as-of", "0202"], "not a date"),
    (["--as-of", ""], "not a date"),
    (["--tolerance-months", "-5"], "expected 0 or more"),
])
def test_bad_paths_and_arguments_are_refused_before_any_work(tmp_path, args, words):
    src = tmp_path / "c.csv"
    original = "Province,Value,Date\nBeijing,5,2025-01-01\n"
    src.write_text(original, encoding="utf-8")
    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link.csv").symlink_to(src)
    paths = {"dir": tmp_path / "dir", "fifo": tmp_path / "fifo", "src": src,
             "link": tmp_path / "link.csv", "out": tmp_path / "o.geojson"}
    argv = {"--counts": str(src), "--out": str(tmp_path / "o.geojson")}
    for flag, value in zip(args[::2], args[1::2]):
        argv[flag] = value.format(**paths)
    proc = subprocess.run([sys.executable, "-m", "geo", "export",
                           *[x for pair in argv.items() for x in pair]],
                          capture_output=True, text=True, timeout=60,
                          env=os.environ | {"PYTHONPATH": str(ROOT)})
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert words in lines[0]
    assert src.read_text(encoding="utf-8") == original


# ---------------------------------------------------------------- bounded resources

def _limited(args, tmp_path, gigabytes: float = 3.0):
    """The command line under an address-space cap: memory that grows with a hostile file's
    product of caps fails here instead of taking the machine. 3 GiB of address space: the
    interpreter with numpy, pandas and pyarrow and their thread pools reserves 1-1.5 GiB and
    varies from run to run; before the caps these files asked for 4.5 to 27 GB."""
    def cap():
        limit = int(gigabytes * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, preexec_fn=cap,
                          env=os.environ | {"PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("name, content, words", [
    ("keys.geojson", hostile.geojson_with_distinct_keys, "200 distinct property names"),
    ("big.xlsx", hostile.huge_shared_string_workbook, "32,767"),
    ("wide.xlsx", hostile.wide_rows_workbook, "more than 100,000 rows"),
])
def test_small_hostile_files_are_refused_within_bounded_memory(tmp_path, name, content, words):
    (tmp_path / name).write_bytes(content())
    args = (["join-points", name, "--lon", "lon", "--lat", "lat", "--datum", "wgs84", "--out", "c.csv"]
            if name.endswith("geojson") else ["export", "--counts", name, "--out", "o.csv",
                                               "--default-as-of", "2024-12-31"])
    proc = _limited(args, tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and words in lines[0], proc.stderr
