"""Project locations in the API: ``Project.location`` (GeoJSON-shaped, WGS-84) and ``LocationInput`` for
``createProject`` / ``updateProject``, which converts GCJ-02, BD-09 or CGCS2000 coordinates on the way in."""
from __future__ import annotations

from typing import Optional

import strawberry

from engine.errors import FieldProblem, InvalidInput
from engine.geo import location as geo


@strawberry.type(name="Location", description="Where a project is: a GeoJSON geometry (Point or LineString) in "
                                              "WGS-84, longitude first.")
class LocationType:
    type: str = strawberry.field(description="Point or LineString.")
    coordinates: strawberry.scalars.JSON = strawberry.field(
        description="[longitude, latitude] for a Point; a list of them for a LineString.")
    datum: str = strawberry.field(description="Always WGS-84 (GCJ-02/BD-09 input is converted when stored).")

    @classmethod
    def of(cls, stored: str | None) -> Optional["LocationType"]:
        place = geo.from_stored(stored)
        if place is None:
            return None
        geometry = place.geometry()
        return cls(type=geometry["type"], coordinates=geometry["coordinates"], datum=geo.WGS84)


@strawberry.input(description="A point or a line (give one), in the datum named (default WGS-84).")
class LocationInput:
    point: Optional[list[float]] = strawberry.field(default=None, description="[longitude, latitude].")
    line: Optional[list[list[float]]] = strawberry.field(default=None,
                                                         description="[[longitude, latitude], …], 2 points or more.")
    datum: str = strawberry.field(default=geo.WGS84, description="WGS-84, CGCS2000, GCJ-02 (高德/腾讯) or BD-09 (百度).")


def location_of(data: LocationInput, path: list[str]) -> geo.Location:
    """The location an input gives, converted to WGS-84; ``InvalidInput`` at ``path`` + the part concerned."""
    try:
        datum = geo.parse_datum(data.datum)
    except ValueError as exc:
        raise InvalidInput([FieldProblem([*path, "datum"], str(exc))]) from None
    if (data.point is None) == (data.line is None):
        raise InvalidInput([FieldProblem(path, "give either point or line")])
    try:
        if data.point is not None:
            if len(data.point) != 2:
                raise ValueError("a point is [longitude, latitude]")
            return geo.point(data.point[0], data.point[1], datum)
        return geo.line(data.line or [], datum)
    except ValueError as exc:
        raise InvalidInput([FieldProblem([*path, "point" if data.point is not None else "line"], str(exc))]) \
            from None
