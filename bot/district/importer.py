"""Loading a checked district into the database, and the grid index the bot routes with.

Import is an upsert keyed by the file's ids, so importing a changed district again updates
names, boundaries and posts in place; officers and departments that disappeared are kept
(cases point at them) but marked inactive.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.district.files import AddressRecord, DistrictFiles, GridRecord
from bot.district.geo import GridIndex
from bot.places.matcher import PlaceMatcher
from storage.models import Address, Community, Department, Grid, Officer, OfficerScope, Street


@dataclass
class ImportReport:
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deactivated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: str, kind: str) -> None:
        target = getattr(self, bucket)
        target[kind] = target.get(kind, 0) + 1

    def lines(self) -> list[str]:
        out = []
        for bucket in ("added", "updated", "deactivated", "removed"):
            counts = getattr(self, bucket)
            if counts:
                out.append(f"{bucket}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        return out or ["no changes"]


class _Upserter:
    """Insert-or-update by primary key against rows loaded once per table (one query, not one per row)."""

    def __init__(self, session: AsyncSession, report: ImportReport) -> None:
        self.session, self.report = session, report
        self.existing: dict[type, dict[str, object]] = {}

    async def load(self, model) -> dict[str, object]:
        if model not in self.existing:
            rows = (await self.session.execute(select(model))).scalars().all()
            self.existing[model] = {row.id: row for row in rows}
        return self.existing[model]

    async def __call__(self, kind: str, model, key: str, values: dict) -> object:
        rows = await self.load(model)
        row = rows.get(key)
        if row is None:
            row = rows[key] = model(id=key, **values)
            self.session.add(row)
            self.report.count("added", kind)
            return row
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if changed:
            self.report.count("updated", kind)
        return row


async def import_district(session: AsyncSession, district: DistrictFiles) -> ImportReport:
    report = ImportReport()
    upsert = _Upserter(session, report)
    for g in district.grids:
        await upsert("streets", Street, g.street_id, {"name": g.street_name, "district_name": g.district_name})
    await session.flush()
    for g in district.grids:
        await upsert("communities", Community, g.community_id, {"name": g.community_name, "street_id": g.street_id})
    await session.flush()
    for g in district.grids:
        await upsert("grids", Grid, g.grid_id,
                     {"name": g.grid_name, "community_id": g.community_id, "geometry": g.geometry()})
    for d in district.departments:
        await upsert("departments", Department, d.dept_id,
                     {"name": d.name, "categories": list(d.categories), "lead_categories": list(d.lead_categories)})
    await session.flush()
    scopes: dict[str, set[str]] = {}
    for row in (await session.execute(select(OfficerScope))).scalars():
        scopes.setdefault(row.officer_id, set()).add(row.scope_id)
    seen = set()
    for o in district.officers:
        seen.add(o.officer_id)
        await upsert("officers", Officer, o.officer_id, {"name": o.name, "phone": o.phone, "role": o.role,
                                                         "on_duty": o.on_duty, "active": True})
        if scopes.get(o.officer_id, set()) != set(o.scope_ids):
            if o.officer_id in scopes:  # only a changed officer has old scopes to drop (a per-row delete is slow)
                await session.execute(delete(OfficerScope).where(OfficerScope.officer_id == o.officer_id))
            session.add_all(OfficerScope(officer_id=o.officer_id, scope_id=s) for s in o.scope_ids)
            if o.officer_id in scopes:
                report.count("updated", "officer scopes")
    for officer in (await upsert.load(Officer)).values():
        if officer.id not in seen and officer.active:
            officer.active = False
            report.count("deactivated", "officers")
    await session.flush()
    await _import_addresses(session, district, report)
    return report


async def _import_addresses(session: AsyncSession, district: DistrictFiles, report: ImportReport) -> None:
    """The address library follows the file exactly: cases keep the matched name and point as text,
    so an address that disappeared can simply go. Rows are compared and written in bulk, because a
    city has millions of them."""
    columns = (Address.id, Address.kind, Address.name, Address.road, Address.number, Address.aliases,
               Address.lat, Address.lon, Address.grid_id)
    existing = {row[0]: tuple(row[1:]) for row in (await session.execute(select(*columns))).all()}
    added, changed, seen = [], [], set()
    for a in district.addresses():
        seen.add(a.address_id)
        values = (a.kind, a.name, a.road, a.number, list(a.aliases), a.lat, a.lon, a.grid_id)
        old = existing.get(a.address_id)
        if old == values:
            continue
        row = dict(zip(("id", "kind", "name", "road", "number", "aliases", "lat", "lon", "grid_id"),
                       (a.address_id, *values)))
        (added if old is None else changed).append(row)
    gone = [key for key in existing if key not in seen]
    for i in range(0, len(gone), 1000):
        await session.execute(delete(Address).where(Address.id.in_(gone[i:i + 1000])))
    for i in range(0, len(changed), 5000):
        await session.execute(update(Address), changed[i:i + 5000])
    for i in range(0, len(added), 5000):
        await session.execute(insert(Address), added[i:i + 5000])
    for bucket, rows in (("added", added), ("updated", changed), ("removed", gone)):
        if rows:
            getattr(report, bucket)["addresses"] = len(rows)


async def load_place_matcher(session: AsyncSession) -> PlaceMatcher:
    rows = (await session.execute(select(Address).order_by(Address.id))).scalars().all()
    return PlaceMatcher(AddressRecord(a.id, a.kind, a.name, a.road, a.number, tuple(a.aliases), a.lat, a.lon,
                                      a.grid_id) for a in rows)


async def load_grid_index(session: AsyncSession) -> GridIndex:
    grids = (await session.execute(select(Grid).order_by(Grid.id))).scalars().all()
    return GridIndex(
        GridRecord(grid_id=g.id, grid_name=g.name, community_id=g.community_id,
                   community_name=g.community.name, street_id=g.community.street_id,
                   street_name=g.community.street.name, district_name=g.community.street.district_name,
                   rings=tuple(tuple(tuple(p) for p in ring) for ring in g.geometry["coordinates"]))
        for g in grids)
