"""Bad input gets a clear answer in Chinese and changes nothing it shouldn't."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from telegram import Update

from storage.models import Attachment, Case, CaseEvent, Draft, InboundUpdate
from tests.e2e.conftest import INSIDE, OUTSIDE, file_case, texts


async def count(sim, model, *where) -> int:
    async with sim.runtime.services.db.session() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))


async def test_unsupported_messages_get_an_answer(sim):
    for step, word in (({"sticker": True}, "贴纸"), ({"voice": True}, "语音"), ({"video": True}, "视频"),
                       ({"document": "scan.pdf"}, "文件")):
        out = await sim.play({"user": "alice", **step})
        assert len(out) == 1 and word in out[0]["text"] and "文字" in out[0]["text"]
    out = await sim.play({"user": "alice", "command": "foo"})
    assert "没有这个指令" in out[0]["text"]
    assert await count(sim, Draft) == 0
    assert await count(sim, InboundUpdate, InboundUpdate.status == "done") == 5


async def test_long_text_is_refused_but_stored(sim):
    out = await sim.play({"user": "alice", "text": "垃圾" * 2500})
    assert "5000字" in out[0]["text"] and "2000" in out[0]["text"]
    assert await count(sim, Draft) == 0
    async with sim.runtime.services.db.session() as s:
        stored = await s.scalar(select(InboundUpdate.payload))
    assert len(stored["message"]["text"]) == 5000


async def test_location_outside_the_district_files_nothing(sim):
    await sim.play({"user": "alice", "text": "路灯不亮"})
    out = await sim.play({"user": "alice", "location": list(OUTSIDE)})
    assert "不在本辖区" in out[0]["text"] and "12345" in out[0]["text"]
    out = await sim.play({"user": "alice", "location": list(INSIDE)})
    assert out[-1]["buttons"] == ["确认", "修改", "取消"]


async def test_album_of_ten_photos_answers_once_and_keeps_all(sim):
    out = await sim.play({"user": "alice", "album": ["sample"] * 10})
    assert len(out) == 1 and "照片" in out[0]["text"] and "描述" in out[0]["text"]
    assert await count(sim, Attachment) == 10
    await sim.play({"user": "alice", "text": "有人乱倒建筑垃圾"})
    out = await sim.play({"user": "alice", "location": list(INSIDE)})
    assert "照片：10张" in out[-1]["text"]
    out = await sim.play({"user": "alice", "photo": "sample"})
    assert "最多10张" in out[0]["text"]
    assert await count(sim, Attachment) == 10


async def test_photo_first_then_text_then_location(sim):
    out = await sim.play({"user": "alice", "photo": "sample"})
    assert "描述" in out[0]["text"]
    await sim.play({"user": "alice", "location": list(INSIDE)})
    out = await sim.play({"user": "alice", "text": "人行道上井盖松动了"})
    assert "照片：1张" in out[-1]["text"] and out[-1]["buttons"] == ["确认", "修改", "取消"]


async def test_double_tapped_confirm_files_one_case(sim):
    await sim.play({"user": "alice", "text": "垃圾没人收"})
    await sim.play({"user": "alice", "location": list(INSIDE)})
    await sim.play({"user": "alice", "press": "确认"})
    out = await sim.play({"user": "alice", "press": "确认"})
    assert "过期或已提交" in out[0]["text"]
    assert await count(sim, Case) == 1


async def test_double_tapped_accept_is_refused_politely(sim):
    await file_case(sim)
    wang = sim.users["wang"]
    message_id, data = sim._button(wang, "接单")
    taps = [sim.standin.inject_callback(wang.tg_id, message_id, data).update_id for _ in range(2)]
    await sim.settle(taps)
    out = await sim.flush(0)
    assert texts(out, "wang").count("已接单 " + out[0]["case"] + "。处理完成后点“办结”。") == 1
    assert any("已被接单" in t for t in texts(out, "wang"))
    assert sum("接单" in t for t in texts(out, "alice")) == 1
    async with sim.runtime.services.db.session() as s:
        case = await s.scalar(select(Case))
        events = await s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "accept"))
    assert case.status == "accepted" and events == 1


async def test_resident_cannot_act_on_someone_elses_case(sim):
    ticket = await file_case(sim, "alice")
    out = await sim.play({"user": "bob", "text": ticket})
    assert "不是您提交" in out[0]["text"]
    async with sim.runtime.services.db.session() as s:
        case = await s.scalar(select(Case))
    # A forged button press for alice's case from bob.
    await sim.settle([forge_press(sim, "bob", f"c:{case.id}:cyes")])
    out = await sim.flush(0)
    assert "无权" in out[0]["text"]
    async with sim.runtime.services.db.session() as s:
        assert (await s.get(Case, case.id)).status == "assigned"


async def test_officer_cannot_act_on_a_case_not_theirs(sim_for):
    sim = await sim_for([{"name": "alice", "role": "resident"},
                         {"name": "wang", "role": "grid_officer", "officer_id": "YX-O00021"},
                         {"name": "zhao", "role": "grid_officer", "officer_id": "YX-O00010"}])
    await file_case(sim)
    async with sim.runtime.services.db.session() as s:
        case = await s.scalar(select(Case))
    await sim.settle([forge_press(sim, "zhao", f"c:{case.id}:acc")])
    out = await sim.flush(0)
    assert "无权" in out[0]["text"]
    out = await sim.play({"user": "zhao", "text": case.ticket})
    assert "不是您" in out[0]["text"]


async def test_invites_expire_and_are_single_use(sim):
    from datetime import timedelta

    from bot.people import create_invite

    async with sim.runtime.services.db.session() as s:
        fresh = await create_invite(s, sim.clock.now(), timedelta(hours=1), officer_id="YX-O00010")
        stale = await create_invite(s, sim.clock.now(), timedelta(hours=1), officer_id="YX-O00011")
    sim.clock.advance(timedelta(minutes=30))
    out = await sim.play({"user": "alice", "text": f"/join {fresh.code}"})
    assert "绑定成功" in out[0]["text"]
    out = await sim.play({"user": "bob", "text": f"/join {fresh.code}"})
    assert "已经使用过" in out[0]["text"]
    sim.clock.advance(timedelta(hours=1))
    out = await sim.play({"user": "bob", "text": f"/join {stale.code}"})
    assert "已过期" in out[0]["text"]
    out = await sim.play({"user": "bob", "text": "/join NOPE1234"})
    assert "无效" in out[0]["text"]
    out = await sim.play({"user": "bob", "command": "tasks"})
    assert "仅限网格工作人员" in out[0]["text"]


async def test_empty_and_emoji_only_messages(sim):
    out = await sim.play({"user": "alice", "text": "😀😀😀"})
    assert out and out[0]["text"]
    out = await sim.play({"user": "alice", "text": "   "})
    assert out and "没有收到文字" in out[0]["text"]


def forge_press(sim, user: str, data: str) -> int:
    """A callback the bot never offered this user (a modified client): it must be refused."""
    tg_id = sim.users[user].tg_id
    sent = sim.standin.messages_to(tg_id)
    message = sim.standin.world.message(tg_id, sent[-1]["message_id"]) if sent else None
    user_dict = sim.standin.world.user(tg_id).as_user()
    query = {"id": f"forged-{data}", "from": user_dict, "chat_instance": str(tg_id), "data": data}
    if message is not None:
        query["message"] = message
    return sim.standin.inject_raw({"callback_query": query}).update_id


class BrokenNlu:
    """An NLU that fails in a way the fallback does not catch (a bug, not an outage)."""

    async def parse(self, text: str):
        raise RuntimeError("parser bug")


def with_ops_chat(sim, chat_id: int) -> None:
    services = sim.runtime.services
    services.config = services.config.copy_with(telegram=services.config.telegram.copy_with(ops_chat_id=chat_id))


async def test_a_failing_update_is_stored_apologised_for_and_reported_to_ops(sim):
    ops = sim.users["wang"].tg_id
    with_ops_chat(sim, ops)
    sim.runtime.services.nlu = BrokenNlu()
    out = await sim.play({"user": "alice", "text": "楼下垃圾没人收"})
    to_alice = [r["text"] for r in out if r["to"] == "alice"]
    to_ops = [r["text"] for r in out if r["to"] == "wang"]
    assert to_alice == ["抱歉，系统刚才出了点问题，您的消息已保存，我们会尽快处理。请稍后再试。"]
    assert len(to_ops) == 1 and "parser bug" in to_ops[0] and str(sim.users["alice"].tg_id) in to_ops[0]
    async with sim.runtime.services.db.session() as s:
        row = await s.scalar(select(InboundUpdate).order_by(InboundUpdate.update_id.desc()))
    assert row.status == "failed" and "parser bug" in row.error and row.payload["message"]["text"] == "楼下垃圾没人收"
    assert await count(sim, Draft) == 0


async def wait_sent(sim, n: int) -> dict[int, str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline and len(sim.standin.sent) < n:
        sim.runtime.outbox.wake()
        await asyncio.sleep(0.05)
    return {r["chat_id"]: r["text"] for r in sim.standin.sent}


async def test_ptb_error_handler_apologises_and_alerts(sim):
    """What fails inside PTB itself reaches the registered error handler (PTB's public process_error)."""
    ops = sim.users["wang"].tg_id
    with_ops_chat(sim, ops)
    alice = sim.users["alice"].tg_id
    update = Update.de_json({"update_id": 777, "message": {
        "message_id": 1, "date": 0, "chat": {"id": alice, "type": "private"},
        "from": {"id": alice, "is_bot": False, "first_name": "alice"}, "text": "hi"}}, sim.runtime.application.bot)
    await sim.runtime.application.process_error(update, RuntimeError("ptb trouble"))
    sent = await wait_sent(sim, 2)
    assert sent[alice].startswith("抱歉，系统刚才出了点问题")
    assert "777" in sent[ops] and "ptb trouble" in sent[ops]
