"""Per-person limits end to end: a resident over the message limit is told once, then stored and
left unanswered until the minute has passed; /join guesses are throttled and logged, masked."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.people import create_invite
from gridsec.simulate import Simulation, simulation_config
from handlers.texts import t
from storage.models import InboundUpdate
from tests.e2e.conftest import ASSETS, PEOPLE, START, texts


@pytest.fixture
async def limited(config, tmp_path):
    cfg = simulation_config(config, config.database.url, None, tmp_path)
    cfg = cfg.copy_with(limits=cfg.limits.copy_with(messages_per_minute=3, join_attempts_per_hour=3))
    async with Simulation(cfg, {"start": START, "users": PEOPLE, "steps": []}, ASSETS,
                          emit=lambda record: None) as sim:
        yield sim


async def test_over_the_limit_one_notice_then_silence_until_the_minute_passes(limited):
    sim = limited
    answered = [await sim.play({"user": "alice", "text": "你好"}) for _ in range(3)]
    assert all(texts(out, "alice") for out in answered)
    out = await sim.play({"user": "alice", "text": "你好"})
    assert texts(out, "alice") == [t("rate_limited")]
    for _ in range(5):
        assert await sim.play({"user": "alice", "text": "楼下垃圾没人收"}) == []
    out = await sim.play({"user": "bob", "text": "你好"})
    assert texts(out, "bob")  # nobody else is affected
    sim.clock.advance(timedelta(minutes=1))
    out = await sim.play({"user": "alice", "text": "你好"})
    assert texts(out, "alice") and t("rate_limited") not in texts(out, "alice")
    async with sim.runtime.services.db.session() as s:
        rows = (await s.execute(select(InboundUpdate.status, InboundUpdate.error)
                                .where(InboundUpdate.tg_user_id == sim.users["alice"].tg_id))).all()
    assert len(rows) == 10 and {status for status, _ in rows} == {"done"}
    assert sum(error == "rate-limited" for _, error in rows) == 6


async def test_join_guesses_are_throttled_and_logged_masked(limited, caplog):
    sim = limited
    async with sim.runtime.services.db.session() as s:
        code = (await create_invite(s, sim.clock.now(), timedelta(hours=3), officer_id="YX-O00022")).code
    caplog.set_level(logging.WARNING, logger="bot.people")
    guesses = ["ABCDEFGH", "ZZZZZZZZ", "QWERTYUP"]
    for guess in guesses:
        out = await sim.play({"user": "bob", "command": f"join {guess}"})
        assert texts(out, "bob") == [t("invite_unknown")]
        sim.clock.advance(timedelta(minutes=1))  # slower than the message limit
    out = await sim.play({"user": "bob", "command": f"join {code}"})  # even the right one, for now
    assert texts(out, "bob") == [t("join_throttled")]
    logged = [r.getMessage() for r in caplog.records if "/join" in r.getMessage()]
    assert len(logged) == 4 and all(g not in line for g in guesses + [code] for line in logged)
    sim.clock.advance(timedelta(hours=1))
    out = await sim.play({"user": "bob", "command": f"join {code}"})
    assert "绑定成功" in texts(out, "bob")[0]
