"""The command centre's case list: filters as data, read into one query of the cases a viewer may see.

Filters: status, category, an area (grid, community or street id), department, overdue now, the
filing date range (whole local days) and free text (ticket, description, address). Pages of
`PER_PAGE`, newest first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.figures import Period, Scope, running_limit
from storage.models import Case, UtcDateTime

PER_PAGE = 50


@dataclass(frozen=True)
class CaseFilter:
    status: str = ""
    category: str = ""
    scope: str = ""          # a grid, community or street id
    department: str = ""
    overdue: bool = False
    first: date | None = None
    last: date | None = None
    text: str = ""
    page: int = 1

    @classmethod
    def of(cls, params: Mapping[str, str]) -> "CaseFilter":
        """From a query string; a malformed date or page is a ValueError."""
        day = lambda key: date.fromisoformat(params[key]) if params.get(key) else None  # noqa: E731
        return cls(status=params.get("status", ""), category=params.get("category", ""),
                   scope=params.get("scope", ""), department=params.get("department", ""),
                   overdue=params.get("overdue") in ("1", "on", "true"), first=day("from"), last=day("to"),
                   text=params.get("q", "").strip(), page=max(1, int(params.get("page") or 1)))

    def conditions(self, area: Scope | None, tz: ZoneInfo, now: datetime) -> list[ColumnElement[bool]]:
        found = []
        if self.status:
            found.append(Case.status == self.status)
        if self.category:
            found.append(Case.category == self.category)
        if area is not None and area.cases() is not None:
            found.append(area.cases())
        if self.department:
            found.append(Case.assignee_department_id == self.department)
        if self.overdue:
            found.append(running_limit() < literal(now, UtcDateTime()))
        if self.first:
            found.append(Case.created_at >= Period.day(self.first, tz).start)
        if self.last:
            found.append(Case.created_at < Period.day(self.last, tz).end)
        if self.text:
            like = f"%{self.text}%"
            found.append(or_(Case.ticket.ilike(like), Case.description.ilike(like), Case.address_text.ilike(like)))
        return found

    def query_string(self, **changes: Any) -> str:
        """This filter as a query string (with `changes`), for the pager and the export links."""
        values = {"status": self.status, "category": self.category, "scope": self.scope,
                  "department": self.department, "overdue": "1" if self.overdue else "",
                  "from": self.first.isoformat() if self.first else "", "to": self.last.isoformat() if self.last else "",
                  "q": self.text, "page": str(self.page), **{k: str(v) for k, v in changes.items()}}
        return urlencode({k: v for k, v in values.items() if v})


@dataclass(frozen=True)
class CasePage:
    cases: tuple[Case, ...]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


async def case_page(session: AsyncSession, visible: list[ColumnElement[bool]], wanted: CaseFilter,
                    area: Scope | None, tz: ZoneInfo, now: datetime) -> CasePage:
    conditions = [*visible, *wanted.conditions(area, tz, now)]
    total = await session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    rows = (await session.execute(_newest(conditions).offset((wanted.page - 1) * PER_PAGE).limit(PER_PAGE))).scalars()
    return CasePage(tuple(rows), total, wanted.page)


async def all_cases(session: AsyncSession, visible: list[ColumnElement[bool]], wanted: CaseFilter,
                    area: Scope | None, tz: ZoneInfo, now: datetime, limit: int) -> list[Case]:
    """Every case of the filter, newest first, at most `limit`."""
    return list((await session.execute(_newest([*visible, *wanted.conditions(area, tz, now)]).limit(limit))).scalars())


def _newest(conditions: list[ColumnElement[bool]]):
    return select(Case).where(*conditions).order_by(Case.created_at.desc(), Case.id.desc())
