"""The command centre's map: the areas one level below a scope, their outlines and their state.

The district's own polygons, no tiles: grids as imported, a community or street the union of its
grids (shapely). Each area is coloured by its open cases (one aggregate query per map over the open
cases and those filed in the period, grouped by grid and rolled up here):

- red: an open case is past its running limit (接单 while waiting for it, else 办结);
- yellow: none is, but one has less than 20 % of its limit's span left;
- green: open cases, all on time; grey: no open case.

`filed` counts the cases filed in the period, for the map's other colouring (by case count).

Outlines are unions of hundreds of polygons (about half a second for a whole district), so each
process keeps them, keyed by the scope and which grids make up each of its areas: a re-import that
adds, drops or moves grids gets new outlines at once; one that only redraws a grid's polygon is
seen after the command centre restarts.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import mapping, shape
from shapely.ops import unary_union
from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.figures import Dialect, Period, Scope, running_limit
from bot.lifecycle import OPEN
from storage.models import Case, Community, Grid, Street, UtcDateTime

CHILD_KIND = {"district": "street", "street": "community", "community": "grid", "grid": "grid"}
NEAR_SHARE = 0.2  # yellow: less than this share of the limit's span left
STATES = ("red", "yellow", "green", "grey")


@dataclass(frozen=True)
class AreaState:
    id: str
    name: str
    state: str      # red | yellow | green | grey
    open: int
    overdue: int
    near: int       # within NEAR_SHARE of their limit, not past it
    filed: int      # in the period


@dataclass(frozen=True)
class AreaMap:
    scope: Scope
    kind: str                    # what the areas are: street, community or grid
    areas: tuple[AreaState, ...]
    outlines: dict[str, Any]     # GeoJSON FeatureCollection, each feature's `name` an area id

    def as_dict(self) -> dict[str, Any]:
        return {"scope": {"id": self.scope.id, "kind": self.scope.kind, "name": self.scope.name},
                "kind": self.kind, "areas": [vars(a) for a in self.areas], "geojson": self.outlines}


def state_of(open_: int, overdue: int, near: int) -> str:
    return "red" if overdue else "yellow" if near else "green" if open_ else "grey"


async def area_map(session: AsyncSession, scope: Scope, period: Period, now: datetime) -> AreaMap:
    """The areas one level below `scope` (a grid: the grid itself), outlined and coloured."""
    kind = CHILD_KIND[scope.kind]
    grids = (await session.execute(_grids_in(scope))).all()
    area_of = {g.grid_id: getattr(g, f"{kind}_id") for g in grids}
    names = {getattr(g, f"{kind}_id"): getattr(g, f"{kind}_name") for g in grids}
    outlines = await _outlines(session, scope, area_of)
    counts = await _counts(session, scope, period, now)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for grid_id, row in counts.items():
        if grid_id in area_of:
            totals[area_of[grid_id]] = [a + b for a, b in zip(totals[area_of[grid_id]], row)]
    areas = tuple(AreaState(area, names[area], state_of(*totals[area][:3]), *totals[area])
                  for area in sorted(names))
    return AreaMap(scope, kind, areas, outlines)


_OUTLINES: dict[tuple, dict[str, Any]] = {}  # (scope id, its grids and their areas) → FeatureCollection


async def _outlines(session: AsyncSession, scope: Scope, area_of: dict[str, str]) -> dict[str, Any]:
    key = (scope.id, tuple(sorted(area_of.items())))
    if key not in _OUTLINES:
        shapes: dict[str, list[Any]] = defaultdict(list)
        for grid_id, geometry in (await session.execute(
                select(Grid.id, Grid.geometry).where(Grid.id.in_(list(area_of))))).all():
            shapes[area_of[grid_id]].append(shape(geometry))
        _OUTLINES[key] = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": area},
             "geometry": mapping(parts[0] if len(parts) == 1 else unary_union(parts))}
            for area, parts in sorted(shapes.items())]}
    return _OUTLINES[key]


def _grids_in(scope: Scope):
    query = (select(Grid.name.label("grid_name"), Grid.id.label("grid_id"),
                    Community.id.label("community_id"), Community.name.label("community_name"),
                    Street.id.label("street_id"), Street.name.label("street_name"))
             .join(Community, Grid.community_id == Community.id).join(Street, Community.street_id == Street.id)
             .order_by(Grid.id))
    condition = {"grid": Grid.id, "community": Community.id, "street": Street.id}.get(scope.kind)
    return query if condition is None else query.where(condition == scope.id)


async def _counts(session: AsyncSession, scope: Scope, period: Period, now: datetime) -> dict[str, list[int]]:
    """grid id → [open, overdue, near, filed in the period], for the cases of the scope."""
    sql = Dialect(session, period)
    at_now = literal(now, UtcDateTime())
    limit = running_limit()
    started = func.coalesce(Case.due_from, Case.created_at)
    overdue = limit < at_now
    near = and_(limit >= at_now, sql.seconds(limit, at_now) < NEAR_SHARE * sql.seconds(limit, started))
    scoped = [] if scope.cases() is None else [scope.cases()]
    is_open, filed = Case.status.in_(sorted(str(s) for s in OPEN)), period.holds(Case.created_at)
    rows = await session.execute(
        select(Case.grid_id, _count(is_open), _count(and_(is_open, overdue)), _count(and_(is_open, near)),
               _count(filed))
        .where(or_(is_open, filed), *scoped).group_by(Case.grid_id))
    return {grid_id: [int(n or 0) for n in counts] for grid_id, *counts in rows.all()}


def _count(condition):
    return func.sum(case((condition, 1), else_=0))
