"""Telegram misbehaving: webhook mode, 429s, 500s and a blocked user. Nothing is lost, nothing doubled."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import OutboxMessage
from tests.e2e.conftest import INSIDE, file_case, texts


async def test_whole_report_in_webhook_mode(sim_for):
    sim = await sim_for(transport="webhook")
    ticket = await file_case(sim)
    assert ticket.startswith("YX-")
    assert any(c["method"] == "setWebhook" for c in sim.standin.calls)
    assert not any(c["method"] == "getUpdates" for c in sim.standin.calls)
    out = await sim.play({"user": "wang", "press": "接单"})
    assert any("接单" in t for t in texts(out, "alice"))


async def test_429_and_500_delay_messages_but_lose_and_double_none(sim):
    sim.standin.fail_next("sendMessage", status=429, retry_after=1, count=2)
    sim.standin.fail_next("sendMessage", status=500, count=2)
    out = await sim.play({"user": "alice", "text": "路灯坏了好几天了"})
    assert len(out) == 1 and "位置" in out[0]["text"]
    out = await sim.play({"user": "alice", "location": list(INSIDE)})
    assert len(out) == 1 and out[0]["buttons"] == ["确认", "修改", "取消"]
    assert sim.standin.served_429 == 2
    async with sim.runtime.services.db.session() as s:
        rows = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    assert [r.status for r in rows] == ["sent", "sent"]
    assert rows[0].attempts == 2  # the 500s count as attempts; the 429s do not


async def test_messages_to_one_chat_keep_their_order_through_429s(sim):
    await file_case(sim)
    sim.standin.fail_next("sendMessage", status=429, retry_after=1, count=1)
    out = await sim.play({"user": "wang", "press": "接单"})
    to_wang = [r for r in out if r["to"] == "wang"]
    assert [r["edited"] for r in to_wang] == [True, False]  # the card changes before the acknowledgement


async def test_a_blocked_officer_does_not_stop_everyone_else(sim):
    sim.standin.block(sim.users["wang"].tg_id)
    ticket = await file_case(sim)
    out = await sim.play({"user": "alice", "text": ticket})
    assert ticket in out[0]["text"]
    async with sim.runtime.services.db.session() as s:
        failed = (await s.execute(select(OutboxMessage).where(OutboxMessage.status == "failed"))).scalars().all()
    assert failed and all(r.chat_id == sim.users["wang"].tg_id for r in failed)
    assert all("blocked" in r.last_error for r in failed)
