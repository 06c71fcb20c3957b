"""Smart casework through the stand-in: same-spot duplicates followed or merged (and a merge undone),
a hot spot that pings its grid leader once, a joint case that waits for every part, and a
department's 办结 that reaches the resident only after the grid officer's on-site check."""
from __future__ import annotations

from sqlalchemy import select

from bot.figures import find_scope, hot_spots_in
from storage.models import Case, CaseEvent, CaseFollower, CasePart, HotSpotAlert, Rating
from tests.e2e.conftest import INSIDE, file_case, resolve, texts

ALICE = {"name": "alice", "role": "resident"}
BOB = {"name": "bob", "role": "resident"}
CAROL = {"name": "carol", "role": "resident"}
DAVE = {"name": "dave", "role": "resident"}
WANG = {"name": "wang", "role": "grid_officer", "officer_id": "YX-O00021"}      # grid YX-BZ-01-03
LEADER = {"name": "liang", "role": "grid_leader", "officer_id": "YX-O00008"}    # community YX-BZ-01
CITY_A = {"name": "chengguan_a", "role": "department_staff", "department": "YX-D01"}
CITY = "区城市管理和综合执法局"
NEARBY = [INSIDE[0] + 0.0002, INSIDE[1]]  # about 22 m north
RATING = ["满意", "基本满意", "不满意"]


async def report(sim, user: str, text: str, where=NEARBY) -> list[dict]:
    """Describe, share the place, confirm: what the bot answered the confirmation with."""
    await sim.play({"user": user, "text": text})
    await sim.play({"user": user, "location": list(where)})
    return await sim.play({"user": user, "press": "确认"})


async def rows(sim, model, *where):
    async with sim.runtime.services.db.session() as s:
        return list((await s.execute(select(model).where(*where).order_by(model.id))).scalars())


async def actions_of(sim, ticket: str) -> list[str]:
    async with sim.runtime.services.db.session() as s:
        return list((await s.execute(select(CaseEvent.action).join(Case, Case.id == CaseEvent.case_id)
                                     .where(Case.ticket == ticket).order_by(CaseEvent.id))).scalars())


async def test_three_nearby_reports_become_one_case_whose_three_residents_hear_and_rate(sim_for):
    sim = await sim_for([ALICE, BOB, CAROL, WANG])
    ticket = await file_case(sim, "alice", "楼下垃圾堆了三天了没人收")
    for user, text in (("bob", "楼下垃圾堆成山了好几天没人收"), ("carol", "垃圾桶满了溢出来没人收")):
        out = await report(sim, user, text)
        offer = [r for r in out if r["to"] == user][-1]
        assert offer["text"].startswith(f"附近已有相同问题 {ticket}") and offer["buttons"] == ["关注它", "仍然新报"]
        out = await sim.play({"user": user, "press": "关注它"})
        assert any(f"已关注 {ticket}" in t for t in texts(out, user))
        assert any("又有居民反映" in t and text in t for t in texts(out, "wang"))
    assert len(await rows(sim, Case)) == 1
    assert len(await rows(sim, CaseFollower)) == 2
    mine = texts(await sim.play({"user": "bob", "command": "my"}), "bob")[-1]
    assert f"{ticket}　待接单" in mine and mine.endswith("（关注）")  # a followed case is in /my, marked

    out = await resolve(sim, "已清运")
    for user in ("alice", "bob", "carol"):
        told = [r for r in out if r["to"] == user and "已办结" in r["text"]]
        assert told and told[-1]["buttons"] == RATING, user

    out = await sim.play({"user": "bob", "press": "满意"})
    assert any("关注的居民评价：满意" in t for t in texts(out, "wang"))
    assert (await rows(sim, Case))[0].status == "resolved"  # a follower's rating decides nothing
    await sim.play({"user": "carol", "press": "不满意"})
    assert (await rows(sim, Case))[0].status == "resolved"
    await sim.play({"user": "alice", "press": "满意"})
    assert (await rows(sim, Case))[0].status == "closed"
    assert sorted(r.score for r in await rows(sim, Rating)) == ["satisfied", "satisfied", "unsatisfied"]


async def test_an_officer_merges_a_duplicate_and_a_supervisor_undoes_it(sim_for):
    sim = await sim_for([ALICE, DAVE, WANG, LEADER])
    first = await file_case(sim, "alice", "楼下垃圾堆了三天了没人收")
    await report(sim, "dave", "楼下垃圾没人收")
    out = await sim.play({"user": "dave", "press": "仍然新报"})
    second = next(r["case"] for r in out if r["to"] == "dave" and r["case"])
    card = [r for r in out if r["to"] == "wang" and r["case"] == second and r["buttons"]][-1]
    assert "附近有1件在办工单可能是同一问题" in card["text"] and card["buttons"][-1] == f"合并到 {first}"

    out = await sim.play({"user": "wang", "press": f"合并到 {first}"})
    assert any(f"已将 {second} 合并到 {first}" in t for t in texts(out, "wang"))
    assert any(f"{second} 与 {first} 是同一问题" in t for t in texts(out, "dave"))
    assert (await actions_of(sim, second))[-1] == "merge" and (await actions_of(sim, first))[-1] == "absorb"
    dave = (await rows(sim, Case, Case.ticket == second))[0].reporter_id
    assert [(f.person_id, f.from_case_id is not None) for f in await rows(sim, CaseFollower)] == [(dave, True)]
    await sim.play({"user": "wang", "text": first})  # the kept case's view, to act on it
    out = await resolve(sim, "已清运")  # its 办结 reaches the merged case's reporter too
    assert [r["buttons"] for r in out if r["to"] == "dave" and "已办结" in r["text"]] == [RATING]

    out = await sim.play({"user": "liang", "text": second})
    assert out[0]["buttons"] == ["撤销合并"]
    out = await sim.play({"user": "liang", "press": "撤销合并"})
    assert any(f"{second} 已撤销与 {first} 的合并" in t for t in texts(out, "dave"))
    assert any(r["to"] == "wang" and r["case"] == second and r["buttons"][:1] == ["接单"] for r in out)
    assert (await rows(sim, Case, Case.ticket == second))[0].status == "assigned"
    assert await rows(sim, CaseFollower) == []
    assert (await actions_of(sim, first))[-1] == "split"


async def test_a_hot_spot_pings_its_grid_leader_once(sim_for):
    sim = await sim_for([ALICE, BOB, CAROL, DAVE, WANG, LEADER])
    tickets = [await file_case(sim, user, text) for user, text in (
        ("alice", "楼下垃圾堆了三天了没人收"), ("bob", "路口的垃圾箱坏了"), ("carol", "绿化带里有人乱扔建筑垃圾"))]
    out = await sim.play({"advance": "5m"})  # the scheduler looks every casework.hotspots.check_every
    pings = [r for r in out if "预警" in r["text"]]
    assert [r["to"] for r in pings] == ["liang"]
    assert all(t in pings[0]["text"] for t in tickets) and pings[0]["buttons"] == [f"查看 {t}" for t in tickets]
    out = await sim.play({"user": "liang", "press": f"查看 {tickets[1]}"})
    assert out[0]["text"].startswith(f"工单 {tickets[1]}")

    await file_case(sim, "dave", "小区垃圾清运不及时")  # still the same hot spot: no second ping
    out = await sim.play({"advance": "5m"})  # casework.hotspots.check_every: looked at again
    assert not [r for r in out if "预警" in r["text"]]
    assert [a.count for a in await rows(sim, HotSpotAlert)] == [3]
    async with sim.runtime.services.db.session() as s:  # the command centre reads the same signal
        spots = await hot_spots_in(s, sim.runtime.config, await find_scope(s, "YX-BZ-01"), sim.clock.now())
    assert [(h.grid_id, h.category, h.count) for h in spots] == [("YX-BZ-01-03", "garbage", 4)]


async def test_a_joint_case_cannot_be_resolved_while_a_part_is_open(sim_for):
    sim = await sim_for([ALICE, WANG, CITY_A])
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "接单"})
    await sim.play({"user": "wang", "press": "转办"})
    out = await sim.play({"user": "wang", "press": "联合处置（加协办部门）"})
    assert CITY in out[0]["buttons"]
    out = await sim.play({"user": "wang", "press": CITY})
    card = [r for r in out if r["to"] == "chengguan_a" and r["buttons"]][-1]
    assert card["case"] == ticket and card["buttons"] == ["协办接单", "协办完成"] and "联合处置" in card["text"]
    assert any(f"增加了协办单位：{CITY}" in t for t in texts(out, "alice"))

    out = await sim.play({"user": "wang", "press": "办结"})
    assert out[0]["text"] == f"还不能办结：协办单位 {CITY} 尚未完成。"
    out = await sim.play({"user": "chengguan_a", "press": "协办接单"})
    assert any(f"协办单位 {CITY} 已接单" in t for t in texts(out, "wang"))
    await sim.play({"user": "chengguan_a", "press": "协办完成"})
    out = await sim.play({"user": "chengguan_a", "text": "已清理周边占道杂物"})
    for user in ("alice", "wang"):
        assert any(f"协办单位 {CITY} 已完成：已清理周边占道杂物" in t for t in texts(out, user)), user
    assert [p.status for p in await rows(sim, CasePart)] == ["done"]

    await sim.play({"user": "wang", "press": "办结"})
    await sim.play({"user": "wang", "text": "已清运"})
    out = await sim.play({"user": "wang", "press": "确认办结"})
    assert any("已办结" in t for t in texts(out, "alice"))
    assert (await rows(sim, Case))[0].status == "resolved"


async def test_a_department_resolution_reaches_the_resident_only_after_the_on_site_check(sim_for):
    sim = await sim_for([ALICE, WANG, CITY_A], casework={"verify_categories": ["street_vending"]})
    ticket = await file_case(sim, text="路边有人长期占道摆摊卖水果")
    await sim.play({"user": "wang", "press": "转办"})
    await sim.play({"user": "wang", "press": CITY})
    await sim.play({"user": "wang", "text": "占道经营属城管执法"})

    async def department_resolves(note: str) -> list[dict]:
        await sim.play({"user": "chengguan_a", "press": "接单"})
        await sim.play({"user": "chengguan_a", "press": "办结"})
        await sim.play({"user": "chengguan_a", "text": note})
        return await sim.play({"user": "chengguan_a", "press": "确认办结"})

    out = await department_resolves("已劝离摊贩")
    assert not texts(out, "alice")
    assert any("等待网格员现场核查" in t for t in texts(out, "chengguan_a"))
    card = [r for r in out if r["to"] == "wang" and r["buttons"]][-1]
    assert card["case"] == ticket and card["buttons"] == ["属实办结", "未办好退回"] and "已劝离摊贩" in card["text"]
    assert (await rows(sim, Case))[0].status == "verifying"

    await sim.play({"user": "wang", "press": "未办好退回"})
    out = await sim.play({"user": "wang", "text": "摊贩又回来了"})
    assert not texts(out, "alice")
    back = [r for r in out if r["to"] == "chengguan_a" and r["buttons"]][-1]
    assert back["buttons"][0] == "接单" and "现场核查未通过，退回重办：摊贩又回来了" in back["text"]

    await department_resolves("已依法暂扣经营工具")
    await sim.play({"user": "wang", "press": "属实办结"})
    out = await sim.play({"user": "wang", "photo": "sample"})
    assert any("已收到核查照片" in t for t in texts(out, "wang"))
    out = await sim.play({"user": "wang", "text": "现场已无摊贩"})
    told = [r for r in out if r["to"] == "alice"]
    assert any(r["photo"] for r in told)
    assert "现场核查属实" in told[-1]["text"] and "已依法暂扣经营工具" in told[-1]["text"]
    assert told[-1]["buttons"] == RATING
    checking = ("submit_check", "verify_fail", "verify")
    assert [a for a in await actions_of(sim, ticket) if a in checking] == [
        "submit_check", "verify_fail", "submit_check", "verify"]
    await sim.play({"user": "alice", "press": "满意"})
    assert (await rows(sim, Case))[0].status == "closed"
