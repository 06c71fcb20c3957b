"""Where a report is: the one place decision the intake runs and `gridsec route` prints.

A shared point wins over text. Text is read for the NLU's address entity first and the whole
message second (the place matcher does both). `decide` adds who would act (the grid's officer
chain) and the department for the category; `scripts/eval_routing.py` scores it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.district.geo import GridIndex
from bot.places.matcher import Candidate, PlaceMatcher
from bot.routing import department_for_label, departments_for, place_in_grid
from bot.understanding import Parse


class PlaceStatus(StrEnum):
    MATCHED = "matched"   # one grid, sure
    CONFIRM = "confirm"   # a few candidates: the person picks one
    OUTSIDE = "outside"   # a place or point outside the district
    ASK = "ask"           # no usable place: ask for a location


@dataclass(frozen=True)
class Place:
    status: PlaceStatus
    grid_id: str | None
    candidates: tuple[Candidate, ...] = ()
    best: Candidate | None = None  # the matched address (None for a shared point)
    reason: str = ""

    @property
    def outside_name(self) -> str:
        """What to call a place outside the district when refusing it."""
        return self.best.name if self.best else self.reason


def locate(grids: GridIndex, places: PlaceMatcher, *, text: str | None = None, address: str | None = None,
           lat: float | None = None, lon: float | None = None) -> Place:
    """The place a report names: a shared point, else the text with the NLU's address span."""
    if lat is not None and lon is not None:
        grid_id = grids.locate(lat, lon)
        if grid_id is None:
            return Place(PlaceStatus.OUTSIDE, None, reason="point outside the district")
        return Place(PlaceStatus.MATCHED, grid_id, reason="point in grid")
    if not text:
        return Place(PlaceStatus.ASK, None, reason="no text and no point")
    found = places.match(text, address)
    return Place(PlaceStatus(found.status), found.grid_id, found.candidates, found.best, found.reason)


@dataclass
class RouteDecision:
    status: str  # matched | confirm | outside | ask
    grid_id: str | None
    candidates: list[dict] = field(default_factory=list)
    officer_id: str | None = None
    chain: list[str] = field(default_factory=list)
    why: str | None = None
    category: str | None = None
    department: str | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


async def decide(session: AsyncSession, services, now: datetime, *, text: str | None = None,
                 lat: float | None = None, lon: float | None = None) -> RouteDecision:
    """Where a message or point goes and who acts on it, as the intake would file it."""
    parse: Parse | None = await services.nlu.parse(text) if text else None
    place = locate(services.grids, services.places, text=text, address=parse.first("address") if parse else None,
                   lat=lat, lon=lon)
    decision = RouteDecision(str(place.status), place.grid_id, reason=place.reason, candidates=[
        {"address_id": c.address_id, "name": c.name, "kind": c.kind, "grid_id": c.grid_id,
         "score": round(c.score, 3)} for c in place.candidates])
    if place.grid_id:
        placement = await place_in_grid(session, place.grid_id, now)
        decision.officer_id, decision.why = placement.handler_id, placement.why
        decision.chain = [o.id for o in placement.chain]
    if parse is not None:
        decision.category = parse.category
        suggested = await department_for_label(session, services.config, parse.department)
        departments = await departments_for(session, services.config, parse.category, suggested)
        decision.department = departments[0].id if departments else None
    return decision
