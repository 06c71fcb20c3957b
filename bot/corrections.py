"""How the address library learns from officers: every "not my grid" transfer is a GridCorrection.

When officers keep moving cases about the same library entry to the same grid, the entry's grid is
probably wrong (or the grid boundary is); `gridsec district corrections` lists those with the
evidence, for the address-library maintainers to fix in addresses.csv (or grids.geojson) and
re-import. Corrections without a library entry (a shared point) point at the grid boundary instead.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Address, GridCorrection


async def suggested_fixes(session: AsyncSession, minimum: int = 1) -> list[dict]:
    rows = (await session.execute(select(GridCorrection).order_by(GridCorrection.id))).scalars().all()
    by_place: dict[tuple, Counter] = defaultdict(Counter)
    for row in rows:
        key = ("address", row.address_id) if row.address_id else ("point", round(row.lat or 0, 4), round(row.lon or 0, 4))
        by_place[key][(row.from_grid_id, row.to_grid_id)] += 1
    fixes = []
    for key, moves in by_place.items():
        (from_grid, to_grid), count = moves.most_common(1)[0]
        if count < minimum:
            continue
        fix = {"kind": key[0], "from_grid": from_grid, "to_grid": to_grid, "corrections": count,
               "disagreeing": sum(moves.values()) - count}
        if key[0] == "address":
            address = await session.get(Address, key[1])
            fix.update(address_id=key[1], name=address.name if address else None,
                       library_grid=address.grid_id if address else None)
        else:
            fix.update(lat=key[1], lon=key[2])
        fixes.append(fix)
    return sorted(fixes, key=lambda f: -f["corrections"])
