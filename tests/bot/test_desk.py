"""The desk on SQLite and PostgreSQL: a first contact has nothing to look up (no draft, no
question, no case), which is most of a typhoon night's updates; from the second update on, the
question and the draft are read with the caller, in one statement."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from bot.clock import ManualClock
from bot.desk import Caller
from gridsec.app import build_services
from storage.models import Case

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
NEWCOMER = Caller(90001, 90001, "新街坊", None)


@pytest.fixture
async def services(config):
    built = await build_services(config, ManualClock(NOW))
    yield built
    await built.db.dispose()


@pytest.fixture
def selects(services):
    """The SELECT statements run from the moment the test clears the list."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(services.db.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(services.db.engine.sync_engine, "before_cursor_execute", record)


async def test_a_first_contact_reads_nothing_of_theirs_but_sees_what_this_update_asked(services, selects):
    async with services.desk(NEWCOMER) as desk:
        assert desk.first_contact
        selects.clear()  # the person is created: from here on, nothing of theirs is in the database
        situation = await desk.situation()
        before = await desk.pending()
        await desk.expect("meant", text="你好")
        asked = await desk.pending()
        assert selects == []
    assert (situation.draft, situation.open_cases, before) == (None, (), None)
    assert asked.action == "meant"
    selects.clear()
    async with services.desk(NEWCOMER) as desk:  # the second update reads what the first left, with the caller
        assert not desk.first_contact
        assert (await desk.pending()).data == {"text": "你好"}
        assert (await desk.situation()).draft is None
        assert len(selects) == 2  # the caller with their question and draft; their open cases


async def test_a_returning_resident_loads_only_the_open_cases_among_their_newest(services):
    async with services.desk(NEWCOMER) as desk:
        for i, status in enumerate(["assigned", "closed", "closed", "accepted", "rejected", "resolved", "merged"]):
            desk.session.add(Case(ticket=f"YX-T-{i}", status=status, category="garbage", description="x",
                                  reporter_id=desk.person.id, created_at=NOW, updated_at=NOW))
    async with services.desk(NEWCOMER) as desk:
        situation = await desk.situation()
        assert [c.ticket for c in situation.open_cases] == ["YX-T-5", "YX-T-3", "YX-T-0"]  # newest first
        assert sorted(o.ticket for o in desk.session.identity_map.values() if isinstance(o, Case)) == [
            "YX-T-0", "YX-T-3", "YX-T-5"]  # the settled ones were not loaded
        newest_three = await desk.cases.open_reported_by(desk.person, limit=3)  # of the newest three
        assert [c.ticket for c in newest_three] == ["YX-T-5"]
