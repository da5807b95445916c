"""Datums and locations: GCJ-02 and BD-09 converted to WGS-84, points and lines checked."""
from __future__ import annotations

import math

import pytest

from engine.geo import datum, location as geo


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance on a sphere of the Earth's mean radius."""
    lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(a[0] - b[0]) * math.cos(lat)
    dy = math.radians(a[1] - b[1])
    return 6_371_000 * math.hypot(dx, dy)


@pytest.mark.parametrize("place", [(116.3912, 39.9075), (121.4737, 31.2304), (118.7965, 32.0584),
                                   (87.6168, 43.8256), (126.6424, 45.7567), (110.3312, 20.0311)])
def test_gcj02_offsets_by_hundreds_of_metres_and_converts_back(place):
    shifted = datum.wgs84_to_gcj02(*place)
    assert 50 < metres(place, shifted) < 1000  # the published offset is a few hundred metres in China
    back = datum.gcj02_to_wgs84(*shifted)
    assert metres(place, back) < 0.01
    baidu = datum.gcj02_to_bd09(*shifted)
    assert metres(datum.to_wgs84(*baidu, datum.BD09), place) < 0.5  # the BD-09 formulas invert to decimetres


def test_the_offset_applies_in_china_only():
    assert datum.wgs84_to_gcj02(2.3522, 48.8566) == (2.3522, 48.8566)  # Paris
    assert datum.to_wgs84(2.3522, 48.8566, datum.GCJ02) == (2.3522, 48.8566)
    assert datum.to_wgs84(118.0, 32.0, datum.CGCS2000) == (118.0, 32.0)


def test_datum_names_and_locations():
    assert [datum.datum_named(n) for n in ("gcj02", "GCJ-02", "火星坐标", "bd09", "wgs84", "CGCS2000", "x")] == \
        ["GCJ-02", "GCJ-02", "GCJ-02", "BD-09", "WGS-84", "CGCS2000", None]
    point = geo.point("118.78", 32.04)
    assert point.stored() == '{"type":"Point","coordinates":[118.78,32.04]}'
    assert geo.from_stored(point.stored()) == geo.Location("Point", (118.78, 32.04))
    line = geo.parse_line_text("118.7,32.0；118.71，32.01\n118.72,32.0")
    assert geo.line_text(line) == "118.7,32; 118.71,32.01; 118.72,32" and line.kind == "LineString"
    assert geo.parse_line_text(geo.line_text(line)) == line
    for bad, message in [(lambda: geo.point(118, 91), "latitude must be between -90 and 90, got 91"),
                         (lambda: geo.point("x", 30), "longitude must be a number of degrees, got 'x'"),
                         (lambda: geo.point(float("nan"), 30), "longitude must be a finite number of degrees"),
                         (lambda: geo.line([(1, 2), (1, 2)]), "a line needs at least two different points"),
                         (lambda: geo.parse_line_text("1,2;3"), "point 2 '3' is not 'longitude,latitude'"),
                         (lambda: geo.parse_datum("mars"), "unknown coordinate system 'mars'")]:
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            bad()
