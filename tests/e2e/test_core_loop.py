"""The whole loop through the real bot and the stand-in, on SQLite and PostgreSQL."""
from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import Attachment, Case, CaseEvent, InboundUpdate, Rating, RelayedMessage
from tests.e2e.conftest import INSIDE, texts  # noqa: E402


async def test_report_to_rating(sim):
    out = await sim.play({"user": "alice", "command": "start"})
    assert "网格秘书" in out[0]["text"] and "保存" in out[0]["text"]

    out = await sim.play({"user": "alice", "text": "楼下垃圾堆了三天了没人收"})
    assert "位置" in out[-1]["text"]
    await sim.play({"user": "alice", "photo": "sample"})
    out = await sim.play({"user": "alice", "location": list(INSIDE)})
    summary = out[-1]
    assert summary["buttons"] == ["确认", "修改", "取消"]
    assert "垃圾" in summary["text"] and "照片：1张" in summary["text"]

    out = await sim.play({"user": "alice", "press": "确认"})
    to_alice = [r for r in out if r["to"] == "alice"]
    ticket = to_alice[0]["case"]
    assert re.fullmatch(r"YX-20261124-\d{4}", ticket)
    assert ticket in to_alice[0]["text"] and "罗洋洋" in to_alice[0]["text"]
    to_wang = [r for r in out if r["to"] == "wang"]
    assert [r["photo"] for r in to_wang][:1] == [True]
    assert any(r["location"] == list(INSIDE) for r in to_wang)
    card = to_wang[-1]
    assert card["buttons"] == ["接单", "转办", "退回", "回复居民"] and card["case"] == ticket
    assert "楼下垃圾" in card["text"] and "a**" in card["text"]

    out = await sim.play({"user": "wang", "press": "接单"})
    assert any("接单" in t and ticket in t for t in texts(out, "alice"))
    assert any(r["edited"] and "办结" in r["buttons"] for r in out if r["to"] == "wang")

    out = await sim.play({"user": "wang", "reply": True, "text": "已安排清运"})
    assert any("已安排清运" in t for t in texts(out, "alice"))
    out = await sim.play({"user": "alice", "reply": True, "text": "好的谢谢"})
    assert any("好的谢谢" in t for t in texts(out, "wang"))

    await sim.play({"user": "wang", "press": "办结"})
    await sim.play({"user": "wang", "text": "已清运完毕"})
    out = await sim.play({"user": "wang", "photo": "sample"})
    assert "照片：1张" in out[-1]["text"] and out[-1]["buttons"] == ["确认办结"]  # the confirmation, counted again
    out = await sim.play({"user": "wang", "press": "确认办结"})
    to_alice = [r for r in out if r["to"] == "alice"]
    assert to_alice[0]["photo"]  # the resolution photo reaches the resident
    assert "已清运完毕" in to_alice[-1]["text"] and to_alice[-1]["buttons"] == ["满意", "基本满意", "不满意"]

    out = await sim.play({"user": "alice", "press": "满意"})
    assert any("感谢" in t for t in texts(out, "alice"))
    assert any("满意" in t for t in texts(out, "wang"))
    await sim.play({"user": "alice", "text": "很快很好"})

    out = await sim.play({"user": "alice", "text": ticket})
    timeline = out[-1]["text"]
    for step in ("提交诉求", "派单", "接单", "留言", "办结", "评价"):
        assert step in timeline, step

    async with sim.runtime.services.db.session() as s:
        case = await s.scalar(select(Case).where(Case.ticket == ticket))
        assert case.status == "closed"
        events = [e.action for e in (await s.execute(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))).scalars()]
        assert events == ["file", "assign", "accept", "relay", "relay", "resolve", "rate", "rate_comment"]
        rating = await s.scalar(select(Rating).where(Rating.case_id == case.id))
        assert (rating.score, rating.comment) == ("satisfied", "很快很好")
        photos = (await s.execute(select(Attachment).where(Attachment.case_id == case.id))).scalars().all()
        assert sorted(p.purpose for p in photos) == ["report", "resolution"]
        assert all(p.sha256 and len(p.sha256) == 64 for p in photos)
        relayed = (await s.execute(select(RelayedMessage.text).where(RelayedMessage.case_id == case.id)
                                   .order_by(RelayedMessage.id))).scalars().all()
        assert relayed == ["已安排清运", "好的谢谢"]
        assert not (await s.execute(select(InboundUpdate).where(InboundUpdate.status != "done"))).all()
