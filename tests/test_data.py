"""The bundled data keep their provenance: every file documented, every value sourced and dated."""
import re
from pathlib import Path

import pandas as pd

from geo import regions
from geo.observations import load_observations

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


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
