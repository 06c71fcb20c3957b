"""Supervisor and officer tools in chat: 改派 to any officer of the supervisor's scope, found by name,
grid name or code (the grid's own officers and neighbours as buttons first) or to a department; a grid
found by its name; roster names, not Telegram nicknames, wherever a person is named; and 转办 with the
category's lead department first."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import Case
from tests.e2e.conftest import file_case, texts
from tests.e2e.test_deadlines import CHIEF, LIANG, WANG, XIE, dsim, to, until  # noqa: F401 (dsim)

ALICE = {"name": "alice", "role": "resident"}
CAI = {"name": "cai", "role": "grid_officer", "officer_id": "YX-O00019"}    # 秉北社区第1网格
LUOYAN = {"name": "luoyan", "role": "grid_officer", "officer_id": "YX-O00023"}  # 文澜社区第1网格, another community
XIAOSU = {"name": "xiaosu", "role": "department_staff", "department": "YX-D01"}  # 区城市管理和综合执法局
OTHER_PEOPLE = "其他人员（按姓名或网格查找）"


async def returned_case(sim) -> str:
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "退回"})
    await sim.play({"user": "wang", "text": "不是我网格的事"})
    return ticket


async def assignee(sim) -> str:
    async with sim.runtime.services.db.session() as s:
        return (await s.scalar(select(Case))).assignee_officer_id


async def test_reassign_offers_the_neighbours_then_departments_then_a_search_by_grid_name(dsim):
    sim = await dsim([ALICE, WANG, XIE, CAI, LIANG, LUOYAN])
    ticket = await returned_case(sim)
    out = await sim.play({"user": "liang", "press": "改派"})
    assert out[0]["buttons"] == ["蔡平（秉北社区第1网格）", "谢华（秉北社区第2网格）", "区城市管理和综合执法局",
                                 OTHER_PEOPLE]
    out = await sim.play({"user": "liang", "press": OTHER_PEOPLE})
    assert "姓名、网格名称或编号" in out[0]["text"]
    out = await sim.play({"user": "liang", "text": "罗艳"})  # an officer of another community: not his to give
    assert "没有找到“罗艳”" in out[0]["text"]
    out = await sim.play({"user": "liang", "text": "秉北社区第2网格"})  # the grid's own name, as typed
    assert "转办原因" in out[0]["text"]
    out = await sim.play({"user": "liang", "text": "谢华熟悉这一片"})
    card = [r for r in to(out, "xie") if r["buttons"]][-1]
    assert card["case"] == ticket and card["buttons"][0] == "接单" and "谢华熟悉这一片" in card["text"]
    assert await assignee(sim) == "YX-O00020"


async def test_a_grid_outside_the_supervisors_scope_named_in_the_search_takes_the_case_to_its_handler(dsim):
    sim = await dsim([ALICE, WANG, LIANG, LUOYAN])
    ticket = await returned_case(sim)
    await sim.play({"user": "liang", "press": "改派"})
    await sim.play({"user": "liang", "press": OTHER_PEOPLE})
    out = await sim.play({"user": "liang", "text": "文澜社区第1网格"})
    assert "转办原因" in out[0]["text"]
    out = await sim.play({"user": "liang", "text": "位置在文澜社区"})
    assert [r for r in to(out, "luoyan") if r["buttons"]][-1]["case"] == ticket
    async with sim.runtime.services.db.session() as s:
        case = await s.scalar(select(Case))
    assert (case.grid_id, case.assignee_officer_id, case.place_grid_id) == ("YX-BZ-02-01", "YX-O00023", "YX-BZ-01-03")


async def test_a_district_supervisor_finds_any_officer_by_name_or_code_and_picks_among_several(dsim):
    sim = await dsim([ALICE, WANG, XIE, CAI, LUOYAN, CHIEF])
    await file_case(sim)
    await until(sim, "2026-11-25 09:00")  # the case is late; the district supervisor steps in
    await sim.play({"user": "chief", "press": "改派"})
    await sim.play({"user": "chief", "press": OTHER_PEOPLE})
    out = await sim.play({"user": "chief", "text": "秉北社区"})  # every grid officer of that community matches
    assert "找到多位" in out[0]["text"]
    assert out[0]["buttons"] == ["蔡平（秉北社区第1网格）", "谢华（秉北社区第2网格）"]
    out = await sim.play({"user": "chief", "text": "罗艳"})  # still asked: a name from another street
    assert "转办原因" in out[0]["text"]
    out = await sim.play({"user": "chief", "text": "罗艳离得最近"})
    assert [r for r in to(out, "luoyan") if r["buttons"]][-1]["buttons"][0] == "接单"
    assert await assignee(sim) == "YX-O00023"


async def test_an_officer_transfers_to_a_grid_named_by_its_name(dsim):
    sim = await dsim([ALICE, WANG, LUOYAN])
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "转办"})
    await sim.play({"user": "wang", "press": "其他网格"})
    out = await sim.play({"user": "wang", "text": "文澜社区第1网格"})
    assert "转办原因" in out[0]["text"]
    out = await sim.play({"user": "wang", "text": "在隔壁网格"})
    assert [r for r in to(out, "luoyan") if r["buttons"]][-1]["case"] == ticket


async def test_people_are_named_as_the_roster_names_them_not_by_their_telegram_names(dsim):
    sim = await dsim([ALICE, WANG, LIANG, XIAOSU])
    await file_case(sim)
    await sim.play({"user": "wang", "press": "转办"})
    await sim.play({"user": "wang", "press": "区城市管理和综合执法局"})
    await sim.play({"user": "wang", "text": "属城管职责"})
    await sim.play({"user": "xiaosu", "press": "退回"})
    out = await sim.play({"user": "xiaosu", "text": "不属于本局职责"})
    card = to(out, "liang")[-1]
    assert "区城市管理和综合执法局 退回" in card["text"] and "xiaosu" not in card["text"]
    second = await file_case(sim, text="小区门口垃圾桶满了没人清理")
    out = await until(sim, "2026-11-25 08:00")
    morning = [r for r in to(out, "wang") if "早上好" in r["text"]]
    assert morning and morning[0]["text"].startswith("☀️ 罗洋洋，早上好") and second in morning[0]["text"]


async def test_transfer_lists_the_categorys_lead_department_first(dsim):
    sim = await dsim([ALICE, WANG])
    await file_case(sim, text="路口下水道堵了，污水漫到马路上")
    out = await sim.play({"user": "wang", "press": "转办"})
    assert out[0]["buttons"][0] == "区水务局"
    assert texts(out, "wang")
