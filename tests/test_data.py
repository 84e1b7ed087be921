"""The bundled data keep their provenance: every file documented, every value sourced and dated,
and every table rebuilt from the vendored sources exactly as committed."""
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from geo import regions
from geo.observations import load_observations

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SOURCES = DATA / "sources"


def test_every_data_file_has_a_provenance_section():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^## (\S+)", readme, flags=re.M))
    files = {p.name for p in DATA.glob("*.csv")}
    assert files, "no data files found"
    assert files <= documented, f"no provenance section in data/README.md for {sorted(files - documented)}"


def test_every_observation_has_a_source_and_an_as_of():
    obs = load_observations()  # validates adcode, as_of format, numeric value, publisher
    assert (obs["source_publisher"].str.strip() != "").all()
    assert (obs["as_of"].str.strip() != "").all()
    assert ((obs["source_url"].str.strip() != "") | (obs["source_title"].str.strip() != "")).all()


def test_observations_use_string_adcodes_of_known_units():
    raw = pd.read_csv(DATA / "observations.csv", dtype=str, keep_default_na=False)
    known = set(regions.by_adcode()) | {regions.NATIONAL_ADCODE}
    assert set(raw["adcode"]) <= known


def test_provinces_without_a_sourced_5g_figure_stay_absent_not_zero():
    obs = load_observations()
    bs = obs[obs["metric"] == "bs5g"]
    for adcode in ("220000", "610000", "630000", "640000"):  # Jilin, Shaanxi, Qinghai, Ningxia
        assert adcode not in set(bs["adcode"])
    assert (bs["value"] > 0).all()


def test_every_csv_in_data_has_source_and_as_of_columns_filled():
    for path in DATA.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        # The registry and the build report are documented by their README sections.
        if path.name in ("provinces.csv", "facility_problems.csv"):
            continue
        source_cols = [c for c in frame.columns if c.startswith("source")]
        assert source_cols, f"{path.name} has no source column"
        has_source = frame[source_cols].apply(lambda r: any(v.strip() for v in r), axis=1)
        assert has_source.all(), f"{path.name}: rows without a source: {list(frame.index[~has_source] + 2)}"
        assert "as_of" in frame.columns, f"{path.name} has no as_of column"
        assert (frame["as_of"].str.strip() != "").all(), f"{path.name}: rows without as_of"


def test_the_vendored_sources_are_the_copies_their_readme_lists():
    readme = (SOURCES / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| (\S+) \| ([0-9a-f]{64}) \|$", readme, flags=re.M))
    present = {p.name for p in SOURCES.iterdir() if p.name != "README.md"}
    assert present == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((SOURCES / name).read_bytes()).hexdigest() == digest, name


def _build(script: str, out: Path) -> None:
    # As documented: run from the repository root, with the root on the import path (geo/).
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, f"data/{script}", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_build_scripts_rebuild_the_committed_tables_byte_for_byte(tmp_path):
    _build("build_data.py", tmp_path)
    _build("build_facilities.py", tmp_path)
    built = {p.name for p in tmp_path.iterdir()}
    assert built == {p.name for p in DATA.glob("*.csv")}
    for name in sorted(built):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), f"{name} differs from its rebuild"
