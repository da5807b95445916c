"""A project's location: a point (a school, a market) or a line (a road, a pipeline), stored in WGS-84.

A location is kept on the project row as a GeoJSON geometry (RFC 7946: ``Point`` or ``LineString``, coordinates
``[longitude, latitude]`` in WGS-84 degrees, rounded to 6 decimal places — about 0.1 m) with the datum column
saying ``WGS-84``. Coordinates given in another datum (``engine.geo.datum``: GCJ-02, BD-09, CGCS2000) are
converted once, on the way in, and the datum they were given in is recorded in the project's audit record.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Sequence

from engine.geo.datum import DATUMS, WGS84, datum_named, to_wgs84

POINT, LINE = "Point", "LineString"
PLACES = 6  # decimal places kept: 1e-6 degree is about 0.11 m
MAX_VERTICES = 2000


@dataclass(frozen=True)
class Location:
    """A point or a line in WGS-84; ``coordinates`` as GeoJSON orders them (longitude first)."""

    kind: str  # POINT | LINE
    coordinates: tuple  # (lon, lat) for a point, ((lon, lat), ...) for a line
    given_datum: str = WGS84  # the datum the coordinates arrived in (already converted)

    def geometry(self) -> dict[str, Any]:
        """The GeoJSON geometry object."""
        coordinates = list(self.coordinates) if self.kind == POINT else [list(c) for c in self.coordinates]
        return {"type": self.kind, "coordinates": coordinates}

    def stored(self) -> str:
        """The text kept in ``project.location``: the geometry as compact JSON."""
        return json.dumps(self.geometry(), separators=(",", ":"))

    def audit_value(self) -> dict[str, Any]:
        """What the audit log records: the stored geometry and the datum it was given in."""
        return {**self.geometry(), "datum": WGS84, "given_datum": self.given_datum}

    def vertices(self) -> list[tuple[float, float]]:
        return [self.coordinates] if self.kind == POINT else list(self.coordinates)


def from_stored(text: str | None) -> Location | None:
    """The location kept on a project row (None when it has none)."""
    if not text:
        return None
    geometry = json.loads(text)
    if geometry["type"] == POINT:
        return Location(POINT, tuple(geometry["coordinates"]))
    return Location(LINE, tuple(tuple(c) for c in geometry["coordinates"]))


def parse_datum(value: str | None) -> str:
    """A datum name (blank: WGS-84); ``ValueError`` naming the datums known."""
    if value is None or not str(value).strip():
        return WGS84
    datum = datum_named(str(value))
    if datum is None:
        raise ValueError(f"unknown coordinate system '{str(value)[:40]}': one of {', '.join(DATUMS)}")
    return datum


def point(lon: Any, lat: Any, datum: str = WGS84) -> Location:
    """A point from a longitude and a latitude in ``datum``; ``ValueError`` saying what is wrong."""
    return Location(POINT, _converted(lon, lat, datum), datum)


def line(vertices: Sequence[Sequence[Any]], datum: str = WGS84) -> Location:
    """A line through at least two distinct vertices ``[(lon, lat), ...]`` in ``datum``."""
    if not 2 <= len(vertices) <= MAX_VERTICES:
        raise ValueError(f"a line needs 2 to {MAX_VERTICES} points, got {len(vertices)}")
    converted = []
    for index, vertex in enumerate(vertices, start=1):
        if len(vertex) != 2:
            raise ValueError(f"point {index} of the line must be [longitude, latitude]")
        try:
            converted.append(_converted(vertex[0], vertex[1], datum))
        except ValueError as exc:
            raise ValueError(f"point {index} of the line: {exc}") from None
    if len(set(converted)) < 2:
        raise ValueError("a line needs at least two different points")
    return Location(LINE, tuple(converted), datum)


def parse_line_text(text: str, datum: str = WGS84) -> Location:
    """A line written as ``lon,lat; lon,lat; ...`` (semicolons, or new lines, between points; full-width
    punctuation accepted)."""
    cleaned = text.replace("，", ",").replace("；", ";").replace("\n", ";").strip().strip(";")
    pairs = [part.strip() for part in cleaned.split(";") if part.strip()]
    vertices = []
    for index, pair in enumerate(pairs, start=1):
        numbers = [n.strip() for n in pair.split(",")]
        if len(numbers) != 2:
            raise ValueError(f"point {index} '{pair[:30]}' is not 'longitude,latitude'")
        vertices.append(numbers)
    return line(vertices, datum)


def line_text(location: Location) -> str:
    """A line as ``parse_line_text`` reads it."""
    return "; ".join(f"{_fmt(lon)},{_fmt(lat)}" for lon, lat in location.vertices())


def _fmt(value: float) -> str:
    return f"{value:.{PLACES}f}".rstrip("0").rstrip(".")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number of degrees")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number of degrees, got '{str(value)[:30]}'") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number of degrees")
    return number


def _converted(lon: Any, lat: Any, datum: str) -> tuple[float, float]:
    x, y = _number(lon, "longitude"), _number(lat, "latitude")
    if not -180 <= x <= 180:
        raise ValueError(f"longitude must be between -180 and 180, got {x:g}")
    if not -90 <= y <= 90:
        raise ValueError(f"latitude must be between -90 and 90, got {y:g}")
    x, y = to_wgs84(x, y, datum)
    return round(x, PLACES), round(y, PLACES)
