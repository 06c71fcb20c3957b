"""Hand-offs and follow-ups: 转办 to a department or grid, 退回 and 驳回, urge, add info, cancel,
an unsatisfied rating, patrol reports, and two staff pressing 接单 together."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import Case, CaseEvent
from tests.e2e.conftest import INSIDE, file_case, resolve, texts

RESIDENT = {"name": "alice", "role": "resident"}
WANG = {"name": "wang", "role": "grid_officer", "officer_id": "YX-O00021"}      # grid YX-BZ-01-03
LEADER = {"name": "liang", "role": "grid_leader", "officer_id": "YX-O00008"}    # community YX-BZ-01
OTHER = {"name": "luo", "role": "grid_officer", "officer_id": "YX-O00023"}      # grid YX-BZ-02-01
CITY_A = {"name": "chengguan_a", "role": "department_staff", "department": "YX-D01"}
CITY_B = {"name": "chengguan_b", "role": "department_staff", "department": "YX-D01"}


async def case_row(sim) -> Case:
    async with sim.runtime.services.db.session() as s:
        return await s.scalar(select(Case))


async def actions(sim) -> list[str]:
    async with sim.runtime.services.db.session() as s:
        return list((await s.execute(select(CaseEvent.action).order_by(CaseEvent.id))).scalars())


async def test_transfer_to_a_department_whose_staff_get_the_same_card(sim_for):
    sim = await sim_for([RESIDENT, WANG, CITY_A, CITY_B])
    ticket = await file_case(sim, text="路边有人长期占道摆摊卖水果")
    out = await sim.play({"user": "wang", "press": "转办"})
    assert "区城市管理和综合执法局" in out[0]["buttons"] and "其他网格" in out[0]["buttons"]
    await sim.play({"user": "wang", "press": "区城市管理和综合执法局"})
    out = await sim.play({"user": "wang", "text": "占道经营属城管执法"})
    assert any("区城市管理和综合执法局" in t and "占道经营属城管执法" in t for t in texts(out, "alice"))
    for staff in ("chengguan_a", "chengguan_b"):
        card = [r for r in out if r["to"] == staff and r["buttons"]][-1]
        assert card["buttons"] == ["接单", "转办", "退回", "回复居民"] and card["case"] == ticket
        assert "转办原因：占道经营属城管执法" in card["text"]
    assert any("已转办" in t for t in texts(out, "wang"))
    # wang no longer holds it
    out = await sim.play({"user": "wang", "command": "tasks"})
    assert ticket not in out[0]["text"]
    out = await sim.play({"user": "chengguan_b", "press": "接单"})
    assert any("区城市管理和综合执法局" in t for t in texts(out, "alice"))
    assert (await case_row(sim)).status == "accepted"


async def test_two_staff_pressing_accept_together(sim_for):
    sim = await sim_for([RESIDENT, WANG, CITY_A, CITY_B])
    await file_case(sim)
    await sim.play({"user": "wang", "press": "转办"})
    await sim.play({"user": "wang", "press": "区城市管理和综合执法局"})
    await sim.play({"user": "wang", "text": "城管处理"})
    a, b = sim.users["chengguan_a"], sim.users["chengguan_b"]
    presses = [sim.standin.inject_callback(u.tg_id, *sim._button(u, "接单")).update_id for u in (a, b)]
    await sim.settle(presses)
    out = await sim.flush(0)
    winners = [r["to"] for r in out if r["text"].startswith("已接单")]
    assert len(winners) == 1
    loser = ({"chengguan_a", "chengguan_b"} - set(winners)).pop()
    assert any("已被接单" in t for t in texts(out, loser))
    assert (await actions(sim)).count("accept") == 1


async def test_transfer_to_another_grid_by_id(sim_for):
    sim = await sim_for([RESIDENT, WANG, OTHER])
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "转办"})
    out = await sim.play({"user": "wang", "press": "其他网格"})
    assert "网格编号" in out[0]["text"]
    out = await sim.play({"user": "wang", "text": "YX-XX-99-99"})
    assert "没有找到网格" in out[0]["text"]
    await sim.play({"user": "wang", "text": "yx-bz-02-01"})
    out = await sim.play({"user": "wang", "text": "位置在隔壁网格"})
    card = [r for r in out if r["to"] == "luo" and r["buttons"]][-1]
    assert card["case"] == ticket and card["buttons"][0] == "接单"
    assert any("罗艳" in t for t in texts(out, "alice"))
    case = await case_row(sim)
    assert (case.grid_id, case.assignee_officer_id, case.status) == ("YX-BZ-02-01", "YX-O00023", "assigned")


async def test_return_goes_to_the_grid_leader_who_rejects(sim_for):
    sim = await sim_for([RESIDENT, WANG, LEADER])
    ticket = await file_case(sim, text="我家楼上装修太吵了")
    out = await sim.play({"user": "wang", "press": "退回"})
    assert "退回原因" in out[0]["text"]
    out = await sim.play({"user": "wang", "text": "属于私人装修纠纷，已劝导"})
    card = [r for r in out if r["to"] == "liang"][-1]
    assert card["buttons"] == ["改派", "驳回"] and "属于私人装修纠纷" in card["text"] and card["case"] == ticket
    await sim.play({"user": "liang", "press": "驳回"})
    out = await sim.play({"user": "liang", "text": "装修时段内施工，不违反规定"})
    assert any("不予受理" in t and "装修时段内施工" in t for t in texts(out, "alice"))
    assert (await case_row(sim)).status == "rejected"


async def test_return_then_reassign_to_a_department(sim_for):
    sim = await sim_for([RESIDENT, WANG, LEADER, CITY_A])
    await file_case(sim)
    await sim.play({"user": "wang", "press": "退回"})
    await sim.play({"user": "wang", "text": "不是我网格的事"})
    await sim.play({"user": "liang", "press": "改派"})
    await sim.play({"user": "liang", "press": "区城市管理和综合执法局"})
    out = await sim.play({"user": "liang", "text": "交城管"})
    assert any(r["to"] == "chengguan_a" and r["buttons"][:1] == ["接单"] for r in out)
    assert (await actions(sim))[-2:] == ["return", "transfer"]


async def test_resident_urges_adds_info_and_asks_progress_in_plain_words(sim):
    ticket = await file_case(sim)
    out = await sim.play({"user": "alice", "text": "我的垃圾问题处理到哪了"})
    assert ticket in out[0]["text"] and "待接单" in out[0]["text"]
    out = await sim.play({"user": "alice", "text": "催一下，怎么还没人来"})
    assert any("催办" in t for t in texts(out, "wang")) and any("已催办" in t for t in texts(out, "alice"))
    out = await sim.play({"user": "alice", "text": "我想补充一下情况"})
    assert "补充" in out[0]["text"]
    out = await sim.play({"user": "alice", "text": "垃圾旁边还有一个烂沙发"})
    assert any("烂沙发" in t for t in texts(out, "wang"))
    assert (await actions(sim))[-2:] == ["urge", "add_info"]


async def test_resident_cancels_from_my_list(sim):
    ticket = await file_case(sim)
    out = await sim.play({"user": "alice", "command": "my"})
    assert ticket in out[0]["text"] and out[0]["buttons"] == [f"查看 {ticket}"]
    out = await sim.play({"user": "alice", "press": f"查看 {ticket}"})
    assert out[0]["buttons"] == ["催办", "补充材料", "撤销"]
    await sim.play({"user": "alice", "press": "撤销"})
    out = await sim.play({"user": "alice", "press": "确定撤销"})
    assert any("已撤销" in t for t in texts(out, "alice"))
    assert any("无需再处理" in t for t in texts(out, "wang"))
    assert (await case_row(sim)).status == "cancelled"


async def test_unsatisfied_rating_reopens_the_case(sim):
    ticket = await file_case(sim)
    await resolve(sim)
    out = await sim.play({"user": "alice", "press": "不满意"})
    assert any("重新交给" in t for t in texts(out, "alice"))
    card = [r for r in out if r["to"] == "wang" and r["buttons"]][-1]
    assert card["case"] == ticket and card["buttons"][0] == "接单" and "不满意" in card["text"]
    assert (await case_row(sim)).status == "assigned"


async def test_officer_files_a_patrol_report(sim):
    await sim.play({"user": "wang", "command": "patrol"})
    await sim.play({"user": "wang", "text": "巡查发现路灯不亮"})
    await sim.play({"user": "wang", "location": list(INSIDE)})
    out = await sim.play({"user": "wang", "press": "确认"})
    assert any("巡查上报已立案" in t for t in texts(out, "wang"))
    case = await case_row(sim)
    assert (case.source, case.category, case.assignee_officer_id) == ("patrol", "streetlight", "YX-O00021")
