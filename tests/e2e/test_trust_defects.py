"""Small things that would make a grid office stop trusting the bot, each reproduced first: the
resident's rating comment reaches the officer; the 办结 confirmation counts the photos added; the
resident's help has no staff commands; a transfer to another grid leaves the place label alone and
takes the buttons off the old card."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import Case
from tests.e2e.conftest import file_case, resolve, texts

RESIDENT = {"name": "alice", "role": "resident"}
WANG = {"name": "wang", "role": "grid_officer", "officer_id": "YX-O00021"}    # grid YX-BZ-01-03
OTHER = {"name": "luo", "role": "grid_officer", "officer_id": "YX-O00023"}    # grid YX-BZ-02-01


async def test_the_residents_rating_comment_reaches_the_officer(sim):
    ticket = await file_case(sim)
    await resolve(sim)
    await sim.play({"user": "alice", "press": "满意"})
    out = await sim.play({"user": "alice", "text": "谢谢，处理得很及时"})
    assert any("意见已记录" in t for t in texts(out, "alice"))
    told = texts(out, "wang")
    assert len(told) == 1 and ticket in told[0] and "谢谢，处理得很及时" in told[0]


async def test_the_resolve_confirmation_counts_a_photo_sent_after_the_note(sim):
    await file_case(sim)
    await sim.play({"user": "wang", "press": "接单"})
    await sim.play({"user": "wang", "press": "办结"})
    out = await sim.play({"user": "wang", "text": "已清理完毕"})
    assert "照片：0张" in out[0]["text"]
    out = await sim.play({"user": "wang", "photo": "sample"})
    confirm = [r for r in out if "确认办结" in r["buttons"]]
    assert len(confirm) == 1 and "照片：1张" in confirm[0]["text"] and "已清理完毕" in confirm[0]["text"]
    out = await sim.play({"user": "wang", "press": "确认办结"})
    assert any(r["photo"] for r in out if r["to"] == "alice")


async def test_the_resolve_confirmation_counts_a_photo_sent_before_the_note(sim):
    await file_case(sim)
    await sim.play({"user": "wang", "press": "接单"})
    await sim.play({"user": "wang", "press": "办结"})
    await sim.play({"user": "wang", "photo": "sample"})
    out = await sim.play({"user": "wang", "text": "已清理完毕"})
    assert "照片：1张" in out[0]["text"]


async def test_the_residents_help_lists_no_staff_commands(sim):
    out = await sim.play({"user": "alice", "command": "help"})
    assert not any(command in out[0]["text"] for command in ("/join", "/tasks", "/patrol"))
    out = await sim.play({"user": "alice", "command": "nosuchcommand"})
    assert not any(command in out[0]["text"] for command in ("/join", "/tasks", "/patrol", "/leave"))
    out = await sim.play({"user": "wang", "command": "help"})
    assert "/tasks" in out[0]["text"] and "/patrol" in out[0]["text"]


async def test_a_transfer_to_another_grid_keeps_the_place_label_and_strips_the_old_card(sim_for):
    sim = await sim_for([RESIDENT, WANG, OTHER])
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "转办"})
    await sim.play({"user": "wang", "press": "其他网格"})
    await sim.play({"user": "wang", "text": "YX-BZ-02-01"})
    out = await sim.play({"user": "wang", "text": "业主委托隔壁网格处理"})
    card = [r for r in out if r["to"] == "luo" and r["buttons"]][-1]
    assert "位置：秉北社区第3网格（23.12910, 113.26440）" in card["text"]
    assert "秉北社区第3网格 罗洋洋" not in card["text"]
    # wang's card for the case lost its buttons; what he gets now is the note that it went
    stripped = [r for r in out if r["to"] == "wang" and r["edited"]]
    assert stripped and all(r["buttons"] == [] for r in stripped)
    now_shown = {m["message_id"]: m for m in sim.standin.messages_to(sim.users["wang"].tg_id)}  # edits come later
    about = [m for m in now_shown.values() if ticket in (m.get("text") or "")]
    assert about and not any((m.get("reply_markup") or {}).get("inline_keyboard") for m in about)
    async with sim.runtime.services.db.session() as s:
        case = await s.scalar(select(Case))
    assert (case.grid_id, case.assignee_officer_id) == ("YX-BZ-02-01", "YX-O00023")
