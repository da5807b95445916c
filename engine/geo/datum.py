"""Geodetic datums of coordinates given to the engine, and their conversion to WGS-84 (what is stored).

Maps published in China are drawn in GCJ-02 (国测局坐标, the "Mars" offset required of Gaode/AMap, Tencent and
other public maps), Baidu's in BD-09 (an offset on top of GCJ-02); GPS receivers and 天地图 give WGS-84 or CGCS2000
(2000国家大地坐标系), which differs from WGS-84 by centimetres and is taken as equal. The engine stores WGS-84 only,
as GeoJSON (RFC 7946) requires, and converts what it receives.

The GCJ-02 offset is the widely published approximation of the official algorithm (Krasovsky 1940 ellipsoid);
it applies inside China only (a rough bounding box, as every implementation uses). Its inverse has no closed
form: ``gcj02_to_wgs84`` iterates the forward offset until it moves less than 1e-9 degrees (about 0.1 mm). BD-09
is converted with Baidu's widely published formulas, which invert each other to within decimetres.
"""
from __future__ import annotations

import math

WGS84, CGCS2000, GCJ02, BD09 = "WGS-84", "CGCS2000", "GCJ-02", "BD-09"
DATUMS = (WGS84, CGCS2000, GCJ02, BD09)
ALIASES = {
    "WGS84": WGS84, "WGS-84": WGS84, "GPS": WGS84, "EPSG:4326": WGS84,
    "CGCS2000": CGCS2000, "CGCS-2000": CGCS2000, "2000国家大地坐标系": CGCS2000, "天地图": CGCS2000,
    "GCJ02": GCJ02, "GCJ-02": GCJ02, "国测局": GCJ02, "火星坐标": GCJ02, "高德": GCJ02, "腾讯": GCJ02,
    "BD09": BD09, "BD-09": BD09, "百度": BD09,
}

_A = 6378245.0  # Krasovsky 1940 semi-major axis
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0


def datum_named(text: str) -> str | None:
    """The datum a name stands for (``"gcj02"``, ``"GCJ-02"``, ``"火星坐标"`` → ``GCJ-02``), or None."""
    key = text.strip().upper().replace("_", "-").replace(" ", "")
    return ALIASES.get(key) or ALIASES.get(key.replace("-", ""))


def out_of_china(lon: float, lat: float) -> bool:
    """Outside the box where the GCJ-02 offset applies."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _lat_offset(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _lon_offset(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (unchanged outside China)."""
    if out_of_china(lon, lat):
        return lon, lat
    dlat, dlon = _lat_offset(lon - 105.0, lat - 35.0), _lon_offset(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84: the point whose forward offset lands on (lon, lat), to within 1e-9 degrees."""
    if out_of_china(lon, lat):
        return lon, lat
    x, y = lon, lat
    for _ in range(30):
        fx, fy = wgs84_to_gcj02(x, y)
        dx, dy = lon - fx, lat - fy
        x, y = x + dx, y + dy
        if abs(dx) < 1e-9 and abs(dy) < 1e-9:
            break
    return x, y


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 (Baidu) → GCJ-02."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → BD-09 (Baidu)."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """A coordinate pair in ``datum`` (one of ``DATUMS``) as WGS-84."""
    if datum == GCJ02:
        return gcj02_to_wgs84(lon, lat)
    if datum == BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    if datum in (WGS84, CGCS2000):
        return lon, lat
    raise ValueError(f"unknown datum {datum!r}: one of {', '.join(DATUMS)}")
