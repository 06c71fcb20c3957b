"""Conversations as new residents really write them: colloquial, Cantonese-flavoured, out of order,
changing their mind. None of these texts appear in the keyword tables' own tests."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import Case, Person
from tests.e2e.conftest import INSIDE, texts


async def the_case(sim) -> Case | None:
    async with sim.runtime.services.db.session() as s:
        return await s.scalar(select(Case))


async def test_cantonese_report_in_pieces(sim):
    await sim.play({"user": "alice", "text": "你好"})
    out = await sim.play({"user": "alice", "text": "我屋企楼下條渠塞咗，啲水浸到成條巷"})
    assert "位置" in out[-1]["text"]
    await sim.play({"user": "alice", "text": "仲好臭添"})  # more detail before the location
    out = await sim.play({"user": "alice", "location": list(INSIDE)})
    assert "仲好臭添" in out[-1]["text"] and "排水" in out[-1]["text"]
    await sim.play({"user": "alice", "press": "确认"})
    assert (await the_case(sim)).category == "drainage"


async def test_changing_the_category_before_confirming(sim):
    await sim.play({"user": "alice", "text": "小区门口那个东西很久没人管了"})
    await sim.play({"user": "alice", "location": list(INSIDE)})
    out = await sim.play({"user": "alice", "press": "修改"})
    assert "请选择问题类别" in out[0]["text"] and "重新描述" in out[0]["buttons"]
    out = await sim.play({"user": "alice", "press": "树木"})
    assert "树木/绿化" in out[-1]["text"] and out[-1]["buttons"] == ["确认", "修改", "取消"]
    await sim.play({"user": "alice", "press": "确认"})
    assert (await the_case(sim)).category == "greenery"


async def test_redescribing_replaces_the_text(sim):
    await sim.play({"user": "alice", "text": "有问题"})
    await sim.play({"user": "alice", "location": list(INSIDE)})
    await sim.play({"user": "alice", "press": "修改"})
    await sim.play({"user": "alice", "press": "重新描述"})
    out = await sim.play({"user": "alice", "text": "晚上十二点还有人在广场放音乐跳舞"})
    assert "描述：晚上十二点还有人在广场放音乐跳舞" in out[-1]["text"] and "噪音" in out[-1]["text"]


async def test_cancelling_a_draft_and_starting_over(sim):
    await sim.play({"user": "alice", "text": "路灯不亮"})
    out = await sim.play({"user": "alice", "command": "cancel"})
    assert "已清除" in out[0]["text"]
    out = await sim.play({"user": "alice", "location": list(INSIDE)})
    assert "描述" in out[0]["text"]  # a fresh draft that only has the location


async def test_urgent_gas_smell_is_marked_on_the_card(sim):
    await sim.play({"user": "alice", "text": "楼道里好大一股煤气味，好危险"})
    out = await sim.play({"user": "alice", "location": list(INSIDE)})
    assert "（紧急）" in out[-1]["text"]
    out = await sim.play({"user": "alice", "press": "确认"})
    card = [r for r in out if r["to"] == "wang" and r["buttons"]][-1]
    assert card["text"].startswith("🚨 紧急")
    assert (await the_case(sim)).urgent


async def test_shared_phone_is_masked_on_the_card(sim):
    out = await sim.play({"user": "alice", "contact": "13912345678"})
    assert "139****5678" in out[0]["text"]
    await sim.play({"user": "alice", "text": "门口有人乱停车堵住消防通道"})
    await sim.play({"user": "alice", "location": list(INSIDE)})
    out = await sim.play({"user": "alice", "press": "确认"})
    card = [r for r in out if r["to"] == "wang" and r["buttons"]][-1]
    assert "139****5678" in card["text"] and "13912345678" not in card["text"]
    async with sim.runtime.services.db.session() as s:
        assert (await s.scalar(select(Person.phone).where(Person.phone.is_not(None)))) == "13912345678"


async def test_small_talk_and_unrelated_questions(sim):
    out = await sim.play({"user": "alice", "text": "谢谢你"})
    assert "不客气" in out[0]["text"]
    out = await sim.play({"user": "alice", "text": "明天天气怎么样"})
    assert "只负责" in out[0]["text"]
    out = await sim.play({"user": "alice", "text": "我的投诉处理到哪一步了"})
    assert "没有正在办理" in out[0]["text"]
    assert texts(out, "wang") == []
