"""A "please type …" question never traps: it says how to get out, any command leaves it, and it is
dropped when its case moves on under it (the resident withdrew it meanwhile)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.texts import t
from storage.models import CaseEvent, PendingInput
from tests.e2e.conftest import file_case, texts

REFUSED = t("not_your_case")


async def withdraw(sim, ticket: str) -> None:
    await sim.play({"user": "alice", "text": ticket})
    await sim.play({"user": "alice", "press": "撤销"})
    await sim.play({"user": "alice", "press": "确定撤销"})


async def relays(sim) -> int:
    async with sim.runtime.services.db.session() as s:
        return len((await s.execute(select(CaseEvent).where(CaseEvent.action == "relay"))).all())


async def test_the_question_says_how_to_get_out(sim):
    await file_case(sim)
    out = await sim.play({"user": "wang", "press": "回复居民"})
    assert "/cancel" in out[0]["text"]
    out = await sim.play({"user": "wang", "press": "接单"})
    out = await sim.play({"user": "wang", "press": "办结"})
    assert "/cancel" in out[0]["text"]


async def test_a_question_whose_case_moved_on_is_dropped_and_said_so(sim):
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "回复居民"})
    await withdraw(sim, ticket)
    out = await sim.play({"user": "wang", "text": "您好，我们明天上午去现场"})
    said = texts(out, "wang")
    assert any(ticket in line and "已撤销" in line and "不再需要" in line for line in said), said
    assert REFUSED not in said and await relays(sim) == 0
    out = await sim.play({"user": "wang", "text": "好的"})
    assert REFUSED not in texts(out, "wang")
    async with sim.runtime.services.db.session() as s:
        assert (await s.execute(select(PendingInput))).all() == []


async def test_the_officers_own_move_keeps_the_question(sim):
    await file_case(sim)
    await sim.play({"user": "wang", "press": "回复居民"})
    await sim.play({"user": "wang", "press": "接单"})  # on the card: the question about the reply stands
    out = await sim.play({"user": "wang", "text": "我们明天上午去现场"})
    assert any("已转达" in line for line in texts(out, "wang"))
    assert any("明天上午去现场" in line for line in texts(out, "alice"))


async def test_a_question_refused_for_good_ends_instead_of_refusing_every_text(sim):
    """A question stored before its case's stage was remembered (an older bot) is still not a trap."""
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "回复居民"})
    await withdraw(sim, ticket)
    async with sim.runtime.services.db.session() as s:
        for row in (await s.execute(select(PendingInput))).scalars():
            row.data = {k: v for k, v in row.data.items() if k != "stage"}
    out = await sim.play({"user": "wang", "text": "您好，我们明天上午去现场"})
    assert texts(out, "wang")[-1] == t("prompt_ended")
    out = await sim.play({"user": "wang", "text": "好的"})
    assert not any(line in (REFUSED, t("already_cancelled")) for line in texts(out, "wang"))


@pytest.mark.parametrize("command", ["start", "help", "my", "tasks", "cancel", "leave"])
async def test_any_command_leaves_the_question(sim, command):
    await file_case(sim)
    await sim.play({"user": "wang", "press": "回复居民"})
    await sim.play({"user": "wang", "command": command})
    async with sim.runtime.services.db.session() as s:
        assert (await s.execute(select(PendingInput))).all() == []
    await sim.play({"user": "wang", "text": "我们明天上午去现场"})
    assert await relays(sim) == 0  # not taken as the reply any more
