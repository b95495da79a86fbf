"""A project's clock-in fence (电子围栏) and where a phone stands against it (pure).

Coordinates are WGS-84, as browsers' geolocation gives them (not the GCJ-02 of Chinese map
apps). A fence is a circle (centre and radius) or a polygon of at least three corners.
Distances use the haversine formula: good to well under a metre at a site's scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8

Point = tuple[float, float]  # latitude, longitude in degrees


@dataclass(frozen=True)
class Fence:
    center: Point | None = None
    radius_m: float | None = None
    polygon: tuple[Point, ...] = ()

    def contains(self, point: Point) -> bool:
        if self.polygon:
            return inside_polygon(point, self.polygon)
        assert self.center is not None and self.radius_m is not None
        return distance_m(point, self.center) <= self.radius_m

    def distance_from(self, point: Point) -> float:
        """How far ``point`` is from the fence's centre (its corners' mean for a polygon)."""
        if self.polygon:
            lat = sum(p[0] for p in self.polygon) / len(self.polygon)
            lng = sum(p[1] for p in self.polygon) / len(self.polygon)
            return distance_m(point, (lat, lng))
        assert self.center is not None
        return distance_m(point, self.center)


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def inside_polygon(point: Point, corners: tuple[Point, ...]) -> bool:
    """Ray casting on latitude/longitude: exact enough for a polygon a site wide."""
    lat, lng = point
    inside = False
    previous = corners[-1]
    for corner in corners:
        (lat1, lng1), (lat2, lng2) = previous, corner
        if (lng1 > lng) != (lng2 > lng):
            crossing = lat1 + (lng - lng1) * (lat2 - lat1) / (lng2 - lng1)
            if lat < crossing:
                inside = not inside
        previous = corner
    return inside
