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


async def test_words_about_the_open_case_are_asked_about_and_a_button_acts_with_them(sim):
    """A report-like message with no new place while the case is open opens no draft: the bot asks,
    and 补充到 relays the resident's own words; 反映新问题 starts a report with them."""
    from tests.e2e.conftest import file_case
    from storage.models import CaseEvent, Draft
    ticket = await file_case(sim)
    out = await sim.play({"user": "alice", "text": "垃圾还是没人收啊"})
    assert "您是想" in out[0]["text"] and out[0]["buttons"] == [f"催办 {ticket}", f"补充到 {ticket}", f"查看 {ticket} 进度", "反映新问题"]
    out = await sim.play({"user": "alice", "press": f"补充到 {ticket}"})
    assert any("垃圾还是没人收啊" in t for t in texts(out, "wang"))
    async with sim.runtime.services.db.session() as s:
        assert await s.scalar(select(Draft)) is None
        assert (await s.scalar(select(CaseEvent).order_by(CaseEvent.id.desc()))).note == "垃圾还是没人收啊"
    await sim.play({"user": "alice", "text": "垃圾桶旁边还是很臭"})
    out = await sim.play({"user": "alice", "press": "反映新问题"})
    assert "位置" in out[-1]["text"]
    async with sim.runtime.services.db.session() as s:
        assert (await s.scalar(select(Draft))).description == "垃圾桶旁边还是很臭"


async def test_not_fixed_after_resolution_reopens_with_the_residents_words(sim):
    from tests.e2e.conftest import file_case, resolve
    await file_case(sim)
    await resolve(sim, "已清运")
    out = await sim.play({"user": "alice", "text": "说是处理好了，今天去看还是老样子"})
    assert any("重新交给" in t for t in texts(out, "alice"))
    card = [r for r in out if r["to"] == "wang" and r["buttons"]][-1]
    assert "今天去看还是老样子" in card["text"] and card["buttons"][0] == "接单"
    assert (await the_case(sim)).status == "assigned"


async def test_an_urgent_report_says_why_on_the_card_and_whom_to_call(sim):
    out = await sim.play({"user": "alice", "text": "楼道里好大一股煤气味"})
    assert any("96833" in t and "119" in t for t in texts(out, "alice"))
    await sim.play({"user": "alice", "location": list(INSIDE)})
    out = await sim.play({"user": "alice", "press": "确认"})
    assert not any("96833" in t for t in texts(out, "alice"))  # told once, at once
    card = [r for r in out if r["to"] == "wang" and r["buttons"]][-1]
    assert card["text"].startswith("🚨 紧急（") and "煤气味" in card["text"].split("\n")[0]
