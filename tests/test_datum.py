"""geo.spatial.datum against conversion pairs published by well-known projects (not by this code)."""
import numpy as np
import pytest

from geo.errors import InputError
from geo.spatial import datum

M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator)


def metres(lon_a, lat_a, lon_b, lat_b):
    """Local flat-earth distance in metres: plenty for offsets of a few metres."""
    lat = np.radians((np.asarray(lat_a) + np.asarray(lat_b)) / 2)
    dx = (np.asarray(lon_a) - lon_b) * np.cos(lat) * M_PER_DEG
    dy = (np.asarray(lat_a) - lat_b) * M_PER_DEG
    return np.hypot(dx, dy)


# wandergis/coordtransform, test/app.js ("//result" comments), input (116.404, 39.915) in each case.
# Same formulas and constants as ours, so they must agree to rounding: tolerance 0.01 m.
COORDTRANSFORM = [
    (datum.wgs84_to_gcj02, (116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    (datum.bd09_to_gcj02, (116.404, 39.915), (116.39762729119315, 39.90865673957631)),
    (datum.gcj02_to_bd09, (116.404, 39.915), (116.41036949371029, 39.92133699351021)),
]
# googollee/eviltransform, python/test.py TESTS (wgsLat, wgsLng, gcjLat, gcjLng), here as lon/lat.
# eviltransform scales with the WGS-84 radius 6378137 instead of 6378245, a 1.7e-5 relative
# difference on a ~600 m offset: tolerance 0.05 m.
EVILTRANSFORM_WGS_GCJ = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]
# hujiulong/gcoord, test/unit/crs/GCJ02.spec.js and BD09.spec.ts, input (123, 45), compared
# there to 5 decimals: tolerance 1 m (5e-6 degree is ~0.5 m).
GCOORD = [
    (datum.gcj02_to_bd09, (123.0, 45.0), (123.00636499, 45.00636899)),
    (datum.bd09_to_gcj02, (123.0, 45.0), (122.99363304, 44.99365430)),
    (datum.gcj02_to_wgs84, (123.0, 45.0), (122.99395597, 44.99804071)),  # gcoord iterates too
]
# hujiulong/gcoord, test/fixtures/china-cities.json: coordinates of city centres as published
# in WGS84, GCJ02 and BD09 (驻马店, 邵阳, 邢台). The fixture rounds to 7 decimals and gcoord's
# own test checks them to 4 decimals (~10 m); ours agree to within 1 m.
GCOORD_CITIES = [
    ((114.0164322, 33.0133556), (114.022306, 33.0115324), (114.0287781, 33.0176697)),
    ((111.4622119, 27.242124), (111.4677938, 27.2388981), (111.4742271, 27.2451662)),
    ((114.498916, 37.0700925), (114.5048503, 37.0705911), (114.5113116, 37.0766797)),
]


@pytest.mark.parametrize("convert, given, expected", COORDTRANSFORM)
def test_matches_coordtransform(convert, given, expected):
    lon, lat = convert(*given)
    assert metres(lon, lat, *expected) < 0.01


@pytest.mark.parametrize("wgs, gcj", EVILTRANSFORM_WGS_GCJ)
def test_matches_eviltransform(wgs, gcj):
    assert metres(*datum.wgs84_to_gcj02(*wgs), *gcj) < 0.05
    assert metres(*datum.gcj02_to_wgs84(*gcj), *wgs) < 0.05


@pytest.mark.parametrize("convert, given, expected", GCOORD)
def test_matches_gcoord(convert, given, expected):
    assert metres(*convert(*given), *expected) < 1.0


def test_matches_gcoord_city_fixture_vectorised():
    wgs, gcj, bd = (np.array(column) for column in zip(*GCOORD_CITIES))
    assert (metres(*datum.to_gcj02(wgs[:, 0], wgs[:, 1], "wgs84"), gcj[:, 0], gcj[:, 1]) < 1.0).all()
    assert (metres(*datum.to_gcj02(bd[:, 0], bd[:, 1], "BD-09"), gcj[:, 0], gcj[:, 1]) < 1.0).all()


def test_gcj02_to_wgs84_inverts_the_forward_transform():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(74, 135, 2000), rng.uniform(18, 53, 2000)
    back = datum.gcj02_to_wgs84(*datum.wgs84_to_gcj02(lon, lat))
    assert metres(*back, lon, lat).max() < 0.001  # 1 mm; the one-step inverse is off by metres


def test_outside_the_china_box_gcj02_equals_wgs84_but_bd09_still_shifts():
    lon, lat = np.array([2.35, 137.9, 100.0]), np.array([48.85, 35.0, 0.5])  # Paris; east; south
    glon, glat = datum.to_gcj02(lon, lat, "wgs84")
    assert (glon == lon).all() and (glat == lat).all()
    blon, _ = datum.to_gcj02(lon, lat, "bd09")
    assert (np.abs(blon - lon) > 1e-3).all()


def test_nan_stays_nan_and_gcj02_is_identity():
    lon, lat = datum.to_gcj02([np.nan, 116.4], [39.9, np.nan], "wgs84")
    assert np.isnan(lon[0]) and np.isnan(lat[1])
    same = datum.to_gcj02([116.4], [39.9], "gcj02")
    assert same[0][0] == 116.4 and same[1][0] == 39.9


def test_unknown_datum_is_refused():
    with pytest.raises(InputError, match="wgs84, gcj02, bd09"):
        datum.to_gcj02([1.0], [1.0], "cgcs2000")
