"""Escalations that reach a person: each rung goes to the nearest joined post up the chain, then the
duty chat; the timeline names who received it; nobody gets the same escalation twice for one step,
and a rung that reaches nobody says so once instead of claiming the case went up."""
from __future__ import annotations

from tests.e2e.conftest import file_case, texts
from tests.e2e.test_deadlines import ALICE, LIANG, LUO, WANG, dsim, steps, timeline, to, until  # noqa: F401 (dsim)

# The limits of tests/e2e/test_deadlines.py: a garbage case is accepted by 14:30 and resolved by
# 09:00 the next morning; the 办结 ladder then climbs at 09:00, 15:00 (4 working hours) and 09:00.
RUNGS = ("2026-11-24 14:30", "2026-11-25 09:00", "2026-11-25 15:00", "2026-11-26 09:00")
ESCALATIONS = ["accept.escalate.0", "resolve.escalate.0", "resolve.escalate.1", "resolve.escalate.2"]
DUTY = {"name": "duty", "role": "resident"}  # the duty office's chat, as the stand-in knows it
DUTY_CHAT = 100003                            # its chat id: the third user of the simulation


async def climb(sim) -> list[list[dict]]:
    """What each rung's time brought."""
    return [await until(sim, when) for when in RUNGS]


def no_repeats(records: list[dict]) -> None:
    seen = [(r["to"], r["text"]) for r in records]
    assert len(seen) == len(set(seen)), "a message was sent twice"


async def test_with_nobody_above_joined_the_officer_is_told_once_and_the_timeline_claims_nothing(dsim):
    sim = await dsim([ALICE, WANG])
    ticket = await file_case(sim)
    at = await climb(sim)
    told = [t for rung in at for t in texts(rung, "wang") if "超时" in t or "上报" in t]
    assert len(told) == 2  # one for the 接单 limit, one for the 办结 limit; the later rungs add nothing
    assert "接单时限已超" in told[0] and "办结时限已超" in told[1]
    assert all("没能上报给任何人" in t and "已上报" not in t for t in told)
    no_repeats([r for rung in at for r in rung])
    escalations = [e for e in await timeline(sim, ticket) if e.action == "escalate"]
    assert [e.data["step"] for e in escalations] == ESCALATIONS[:2]
    assert all(e.data["to"] == [] and not e.data["duty"] for e in escalations)
    assert [s for s in await steps(sim) if "escalate" in s[0]] == [
        ("accept.escalate.0", "done"), ("resolve.escalate.0", "done"),
        ("resolve.escalate.1", "skipped"), ("resolve.escalate.2", "skipped")]
    out = await sim.play({"user": "alice", "text": ticket})
    assert out[0]["text"].count("超时上报：无人接收（上级均未绑定）") == 2
    assert "尚未绑定）" not in out[0]["text"].replace("上级均未绑定）", "")


async def test_with_only_the_street_supervisor_joined_every_rung_reaches_them_exactly_once(dsim):
    sim = await dsim([ALICE, WANG, LUO])
    ticket = await file_case(sim)
    at = await climb(sim)
    for when, rung in zip(RUNGS, at):
        escalated = [r for r in rung if "超时上报" in r["text"]]
        assert [r["to"] for r in escalated] == ["luo"], when
        assert escalated[0]["buttons"] == ["督办", "改派", "延期"] and escalated[0]["case"] == ticket
        told = [t for t in texts(rung, "wang") if "已上报" in t]
        assert len(told) == 1 and "已上报 街道督办 罗红" in told[0], when
    no_repeats([r for rung in at for r in rung])
    escalations = [e for e in await timeline(sim, ticket) if e.action == "escalate"]
    assert [e.data["step"] for e in escalations] == ESCALATIONS
    assert all(e.data["to"] == ["YX-O00003"] for e in escalations)
    out = await sim.play({"user": "alice", "text": ticket})
    assert out[0]["text"].count("超时上报：街道督办 罗红") == 4


async def test_the_duty_chat_gets_what_no_joined_post_above_can_take(dsim):
    sim = await dsim([ALICE, WANG, DUTY, LUO], deadlines={"duty_chat_id": DUTY_CHAT})
    ticket = await file_case(sim)
    at = await climb(sim)
    # the street supervisor takes the rungs at or below his post; the district's rung goes to the duty chat
    assert [[r["to"] for r in rung if "超时上报" in r["text"]] for rung in at] == [["luo"], ["luo"], ["luo"], ["duty"]]
    duty = to(at[3], "duty")[0]
    assert "值班" in duty["text"] and ticket in duty["text"] and duty["buttons"] == [] and duty["case"] == ticket
    assert "反映人：a**" in duty["text"]  # the card as supervisors see it
    assert any("已上报 区值班室" in t for t in texts(at[3], "wang"))
    last = [e for e in await timeline(sim, ticket) if e.action == "escalate"][-1]
    assert (last.data["to"], last.data["duty"]) == ([], True)
    out = await sim.play({"user": "alice", "text": ticket})
    assert "超时上报：区值班室" in out[0]["text"]


async def test_with_nobody_joined_every_rung_goes_to_the_duty_chat(dsim):
    sim = await dsim([ALICE, WANG, DUTY], deadlines={"duty_chat_id": DUTY_CHAT})
    await file_case(sim)
    at = await climb(sim)
    assert [[r["to"] for r in rung if "超时上报" in r["text"]] for rung in at] == [["duty"]] * 4
    no_repeats([r for rung in at for r in rung])


async def test_the_supervisors_daily_report_counts_the_posts_nobody_has_joined(dsim):
    sim = await dsim([ALICE, WANG, LIANG, LUO])
    out = await until(sim, "2026-11-24 18:00")
    reports = {r["to"]: r["text"] for r in out if "日报" in r["text"]}
    # 秉北社区: its secretary and three of its four grid officers; 北京街道: those and the other community's six
    assert "尚未绑定机器人的岗位 4 个" in reports["liang"]
    assert "尚未绑定机器人的岗位 10 个" in reports["luo"]
