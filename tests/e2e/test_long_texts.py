"""A resident who writes a lot: three 1,900-character messages make a 5,700-character description.
Every message about the case still goes out (the stand-in refuses over-long texts as Telegram
does), showing the description cut with "…"; the database keeps it whole."""
from __future__ import annotations

from sqlalchemy import select

from handlers.render import TEXT_LIMIT
from storage.models import Case, OutboxMessage
from tests.e2e.conftest import INSIDE
from tests.e2e.test_deadlines import ALICE, LIANG, WANG, advance, dsim, to, until  # noqa: F401 (fixture)

LONG = 1900


def long_message(n: int) -> str:
    text = f"第{n}次说明：" + "楼下垃圾堆了三天了没人收，天气热臭味很大，老人小孩经过都要捂鼻子。" * 60
    return text[:LONG]


async def test_three_long_messages_and_a_location_still_reach_everyone(dsim):
    sim = await dsim([ALICE, WANG, LIANG])
    for n in (1, 2, 3):
        await sim.play({"user": "alice", "text": long_message(n)})
    out = await sim.play({"user": "alice", "location": list(INSIDE)})
    summary = to(out, "alice")
    assert len(summary) == 1 and summary[0]["buttons"] == ["确认", "修改", "取消"]
    assert "…" in summary[0]["text"] and len(summary[0]["text"]) <= TEXT_LIMIT

    out = await sim.play({"user": "alice", "press": "确认"})
    ticket = next(r["case"] for r in to(out, "alice") if r["case"])
    card = [r for r in to(out, "wang") if r["buttons"]]
    assert len(card) == 1 and ticket in card[0]["text"] and "…" in card[0]["text"]

    reminder = await advance(sim, "15m")  # half of the 30 minutes to accept
    assert [r["to"] for r in reminder] == ["wang"] and "⏰" in reminder[0]["text"]
    escalation = await advance(sim, "15m")
    assert any("超时上报" in r["text"] for r in to(escalation, "liang"))
    assert any("已上报" in r["text"] for r in to(escalation, "wang"))
    evening = await until(sim, "2026-11-24 18:00")
    assert any("日报" in r["text"] for r in to(evening, "liang"))
    morning = await until(sim, "2026-11-25 08:00")
    assert any("今日待办" in r["text"] for r in to(morning, "wang"))
    view = await sim.play({"user": "alice", "text": ticket})
    assert ticket in view[0]["text"] and "…" in view[0]["text"]

    async with sim.runtime.services.db.session() as s:
        description = await s.scalar(select(Case.description).where(Case.ticket == ticket))
        statuses = set((await s.execute(select(OutboxMessage.status))).scalars())
    assert len(description) >= 3 * LONG  # kept whole
    assert statuses == {"sent"}
    assert all(len(r.get("text") or "") <= TEXT_LIMIT for r in sim.standin.sent)
