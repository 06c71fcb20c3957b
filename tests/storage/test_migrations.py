"""The migrations build exactly the schema the models describe, on both databases."""
import asyncio
from datetime import datetime, timezone

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from storage.db import Database, alembic_config
from storage.models import Base, CaseEvent, GridCorrection


async def test_migrations_match_the_models(database_url):
    db = Database(database_url)  # the fixture's database was built by running every migration
    async with db.engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": False}),
                                          Base.metadata))
    await db.dispose()
    assert diff == []


async def test_existing_cases_get_their_flags_from_their_timeline(database_url):
    """0009 keeps on each case what its timeline says it went through (bot/figures.py reads the flags)."""
    url = database_url
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0008")
    db = Database(url)
    at = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
    async with db.session() as session:
        reporter_id = (await session.execute(text(  # in SQL: the models are newer than the schema at 0008
            "INSERT INTO people (tg_user_id, chat_id, display_name, created_at) VALUES (1, 1, '居民', :at) RETURNING id"),
            {"at": at})).scalar_one()
        for ticket, actions, moved in (("T1", ("resolve", "reopen"), False), ("T2", ("return",), True),
                                       ("T3", (), False)):
            case_id = (await session.execute(text(
                "INSERT INTO cases (ticket, status, source, category, urgent, description, reporter_id, created_at,"
                " updated_at, deadline_round, version) VALUES (:t, 'assigned', 'resident', 'garbage', false, '垃圾',"
                " :r, :at, :at, 0, 1) RETURNING id"), {"t": ticket, "r": reporter_id, "at": at})).scalar_one()
            for action in actions:
                session.add(CaseEvent(case_id=case_id, at=at, actor_role="assignee", action=action,
                                      to_status="assigned", data={}))
            if moved:
                session.add(GridCorrection(case_id=case_id, to_grid_id="YX-BZ-01-03", at=at))
        await session.commit()
    await db.upgrade()
    async with db.engine.connect() as connection:
        flags = (await connection.execute(text(
            "SELECT ticket, was_resolved, was_reopened, was_returned, was_moved FROM cases ORDER BY ticket"))).all()
    await db.dispose()
    assert [(t, *map(bool, rest)) for t, *rest in flags] == [
        ("T1", True, True, False, False), ("T2", False, False, True, True), ("T3", False, False, False, False)]
