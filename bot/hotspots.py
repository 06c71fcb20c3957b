"""Hot-spot early warning (预警): a grid getting more cases of one category in a window than its own
recent baseline allows (casework.hotspots).

The baseline is the grid's own: its average number of cases of that category per window over the
`baseline` span before the window. A grid is hot when the window's count exceeds
max(min_cases - 1, factor × baseline), so a quiet grid needs `min_cases` at least and a busy one
must clearly exceed what is usual there. Merged duplicates and withdrawn reports do not count: they
are not further problems. The Supervisor pings once per grid and category a window
(`hotspot_alerts`); the command centre reads the same signal (bot/figures.py).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.lifecycle import Status
from storage.models import Case, Grid

NOT_COUNTED = (str(Status.MERGED), str(Status.CANCELLED))


@dataclass(frozen=True)
class HotSpot:
    grid_id: str
    grid_name: str
    category: str
    count: int           # cases in the window
    baseline: float      # the grid's average per window before it
    allowed: float       # what the baseline allows
    case_ids: tuple[int, ...]
    tickets: tuple[str, ...]

    @property
    def cases(self) -> tuple[tuple[int, str], ...]:
        """(case id, ticket) of each case in the window, oldest first."""
        return tuple(zip(self.case_ids, self.tickets))


def allowance(baseline: float, min_cases: int, factor: float) -> float:
    """How many cases a window may bring before it is a hot spot."""
    return max(min_cases - 1, factor * baseline)


async def hot_spots(session: AsyncSession, config: Config, now: datetime,
                    where: ColumnElement[bool] | None = None) -> list[HotSpot]:
    """Every grid and category hot at `now` (among the cases `where` selects), hottest first."""
    rules = config.casework.hotspots
    start = now - rules.window
    query = (select(Case.id, Case.ticket, Case.grid_id, Case.category)
             .where(Case.created_at > start, Case.created_at <= now, Case.grid_id.is_not(None),
                    Case.status.not_in(NOT_COUNTED)).order_by(Case.id))
    recent = (await session.execute(query if where is None else query.where(where))).all()
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for row in recent:
        groups[(row.grid_id, row.category)].append(row)
    candidates = {key: rows for key, rows in groups.items() if len(rows) >= rules.min_cases}
    if not candidates:
        return []
    windows = rules.baseline / rules.window
    before = dict(((g, c), n) for g, c, n in (await session.execute(
        select(Case.grid_id, Case.category, func.count())
        .where(Case.created_at > start - rules.baseline, Case.created_at <= start,
               Case.grid_id.in_(sorted({g for g, _ in candidates})), Case.status.not_in(NOT_COUNTED))
        .group_by(Case.grid_id, Case.category))).all())
    names = dict((await session.execute(
        select(Grid.id, Grid.name).where(Grid.id.in_(sorted({g for g, _ in candidates}))))).all())
    spots = []
    for (grid_id, category), rows in candidates.items():
        baseline = before.get((grid_id, category), 0) / windows
        allowed = allowance(baseline, rules.min_cases, rules.factor)
        if len(rows) > allowed:
            spots.append(HotSpot(grid_id, names.get(grid_id, grid_id), category, len(rows), baseline, allowed,
                                 tuple(r.id for r in rows), tuple(r.ticket for r in rows)))
    return sorted(spots, key=lambda s: (-(s.count - s.allowed), s.grid_id, s.category))
