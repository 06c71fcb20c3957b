"""Typed places end to end: a resident names a place instead of sharing a location, and the case
reaches the officer of that place's grid; an unsure match asks with buttons; an officer's
"not my grid" transfer is recorded as a correction for the address library."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import Case, GridCorrection
from tests.e2e.conftest import texts

# In the bundled sample district: 秉政苑 lies in YX-BZ-01-04 (officer YX-O00022, on duty 17:30-08:30),
# 文澜市场 in YX-BZ-02-04 (YX-O00026), 仙邻路28号 in YX-RY-01-02.
PEOPLE = [
    {"name": "alice", "role": "resident"},
    {"name": "feng", "role": "grid_officer", "officer_id": "YX-O00022"},
    {"name": "deng", "role": "grid_officer", "officer_id": "YX-O00026"},
    {"name": "wang", "role": "grid_officer", "officer_id": "YX-O00021"},
]


async def the_case(sim) -> Case:
    async with sim.runtime.services.db.session() as s:
        return await s.scalar(select(Case))


async def test_a_typed_address_is_routed_without_a_location(sim_for):
    sim = await sim_for(PEOPLE)
    out = await sim.play({"user": "alice", "text": "秉政苑2号楼楼下垃圾桶满了冇人清"})
    summary = out[-1]
    assert summary["buttons"] == ["确认", "修改", "取消"] and "秉政苑2栋" in summary["text"]
    out = await sim.play({"user": "alice", "press": "确认"})
    assert any(r["to"] == "feng" and r["buttons"][:1] == ["接单"] for r in out)
    case = await the_case(sim)
    assert (case.grid_id, case.assignee_officer_id, case.address_id is not None) == ("YX-BZ-01-04", "YX-O00022", True)


async def test_a_landmark_with_position_words(sim_for):
    sim = await sim_for(PEOPLE)
    await sim.play({"user": "alice", "text": "文澜市场门口有人乱摆卖，堵住了路"})
    out = await sim.play({"user": "alice", "press": "确认"})
    assert any(r["to"] == "deng" for r in out)
    assert (await the_case(sim)).category == "street_vending"


async def test_an_unsure_place_is_confirmed_with_buttons(sim_for):
    sim = await sim_for(PEOPLE)
    out = await sim.play({"user": "alice", "text": "仙邻路99号门口井盖松了"})  # the road ends at 28
    ask = out[-1]
    assert ask["buttons"] == ["仙邻路28号", "都不是，发送位置"]
    out = await sim.play({"user": "alice", "press": "仙邻路28号"})
    assert out[-1]["buttons"] == ["确认", "修改", "取消"] and "仙邻路28号" in out[-1]["text"]
    await sim.play({"user": "alice", "press": "确认"})
    assert (await the_case(sim)).grid_id == "YX-RY-01-02"


async def test_none_of_these_asks_for_a_location(sim_for):
    sim = await sim_for(PEOPLE)
    await sim.play({"user": "alice", "text": "文澜大院4栋楼下井盖松了"})  # there is no 4栋
    out = await sim.play({"user": "alice", "press": "都不是，发送位置"})
    assert "发送问题所在位置" in out[0]["text"]


async def test_a_place_outside_the_district_is_refused_politely(sim_for):
    sim = await sim_for(PEOPLE)
    out = await sim.play({"user": "alice", "text": "天河区体育西路这边路灯坏了"})
    assert "不在本辖区" in out[-1]["text"] and "12345" in out[-1]["text"]
    async with sim.runtime.services.db.session() as s:
        assert await s.scalar(select(Case)) is None


async def test_not_my_grid_is_recorded_as_a_correction(sim_for):
    sim = await sim_for(PEOPLE)
    await sim.play({"user": "alice", "text": "秉政苑1栋门口污水横流"})
    await sim.play({"user": "alice", "press": "确认"})
    await sim.play({"user": "feng", "press": "转办"})
    await sim.play({"user": "feng", "press": "其他网格"})
    await sim.play({"user": "feng", "text": "YX-BZ-01-03"})
    out = await sim.play({"user": "feng", "text": "秉政苑1栋其实在隔壁网格"})
    assert any(r["to"] == "wang" and r["buttons"][:1] == ["接单"] for r in out)
    assert any("罗洋洋" in t for t in texts(out, "alice"))
    async with sim.runtime.services.db.session() as s:
        correction = await s.scalar(select(GridCorrection))
    assert (correction.from_grid_id, correction.to_grid_id, correction.officer_id) == \
        ("YX-BZ-01-04", "YX-BZ-01-03", "YX-O00022")
    assert correction.address_text == "秉政苑1栋" and correction.address_id


async def test_leave_with_a_substitute_reroutes_new_cases(sim_for):
    sim = await sim_for(PEOPLE)
    out = await sim.play({"user": "wang", "text": "/leave 2d YX-O00026"})
    assert "YX-O00026" in out[0]["text"]
    await sim.play({"user": "alice", "text": "路灯不亮"})
    await sim.play({"user": "alice", "location": [23.1291, 113.2644]})  # wang's grid YX-BZ-01-03
    out = await sim.play({"user": "alice", "press": "确认"})
    assert any(r["to"] == "deng" and r["buttons"][:1] == ["接单"] for r in out)
    out = await sim.play({"user": "wang", "command": "back"})
    assert "已销假" in out[0]["text"]
    out = await sim.play({"user": "feng", "text": "/leave YX-O00021 1d"})
    assert "只能为自己或下属" in out[0]["text"]
    out = await sim.play({"user": "wang", "text": "/leave 一百天"})
    assert "用法" in out[0]["text"]
