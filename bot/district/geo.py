"""Point → grid lookup, the step that turns a reported location into a responsible officer.

Grids tile the district and neighbours share vertices exactly, so a point on a shared edge or
vertex is covered by several grids. Routing must not depend on the order the grids were loaded,
so such a point goes to the smallest grid_id among the grids covering it. The predicates are
GEOS's exact ones on the given doubles: no tolerance, no buffering.
"""
from __future__ import annotations

from collections.abc import Iterable

import shapely

from bot.district.files import GridRecord


class GridIndex:
    """An STRtree over grid polygons; `locate` takes about 10 µs per point."""

    def __init__(self, grids: Iterable[GridRecord]):
        grids = list(grids)
        self._ids = [g.grid_id for g in grids]
        self._tree = shapely.STRtree([g.polygon() for g in grids])

    def __len__(self) -> int:
        return len(self._ids)

    def locate(self, lat: float, lon: float) -> str | None:
        """The grid_id covering (lat, lon), boundary included, or None outside the district."""
        # A point intersects a polygon exactly when the polygon covers it (interior or boundary).
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        return min((self._ids[i] for i in hits), default=None)

    def district_contains(self, lat: float, lon: float) -> bool:
        """True if (lat, lon) lies in the district; grids tile it, so this is "in some grid"."""
        return self.locate(lat, lon) is not None
