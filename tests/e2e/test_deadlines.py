"""Deadlines end to end, through the stand-in, with the domain clock moved by `{advance: ...}`:
reminders, each rung of the escalation ladder, 督办, 改派, 延期, digests, rating request and
auto-close, 不满意 to a supervisor, quiet hours, urgent cases, a restart mid-schedule, the lease.

The tests use their own time limits (below), so tuning config.yaml does not break them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import yaml
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.config import load_config
from gridsec.simulate import Simulation, simulation_config
from bot.supervision import Supervisor
from handlers.supervision import OutboxDigests
from storage.models import Case, CaseEvent, DeadlineStep, DigestRun
from tests.conftest import TEST_CONFIG
from tests.e2e.conftest import ASSETS, INSIDE, file_case, texts

TUESDAY = "2026-11-24T14:00:00+08:00"
POLICY = """
deadlines:
  working_days: [mon, tue, wed, thu, fri]
  working_hours: ["08:30-12:00", "14:00-17:30"]
  holidays: []
  extra_working_days: []
  quiet_hours: "22:00-07:30"
  reminders: [0.5, 0.8]
  default: {accept: 1h, resolve: 1d, hours: working}
  urgent:
    accept: 15m
    resolve: 2h
    hours: calendar
    escalation:
      accept: [{to: grid_leader, after: 0m}, {to: street_supervisor, after: 15m}]
      resolve: [{to: community_secretary, after: 0m}]
  urgent_categories: [gas_emergency, fire_hazard]
  categories:
    garbage: {accept: 30m, resolve: 4h}
    noise: {accept: 1h, resolve: 12h, hours: calendar}
  escalation:
    accept: [{to: grid_leader, after: 0m}]
    resolve: [{to: community_secretary, after: 0m}, {to: street_supervisor, after: 4h},
              {to: district_supervisor, after: 1d}]
digests: {officer_morning: "08:00", supervisor_daily: "18:00", catch_up: 2h}
cases: {on_unsatisfied: reopen, ask_rating_after: 1h, close_after: 3d}
scheduler: {enabled: true, sweep_seconds: 3600, lease_seconds: 7200, batch: 100}
"""
ALICE = {"name": "alice", "role": "resident"}
BOB = {"name": "bob", "role": "resident"}
WANG = {"name": "wang", "role": "grid_officer", "officer_id": "YX-O00021"}        # grid YX-BZ-01-03, 13:00-22:00
XIE = {"name": "xie", "role": "grid_officer", "officer_id": "YX-O00020"}          # grid YX-BZ-01-02
LIANG = {"name": "liang", "role": "grid_leader", "officer_id": "YX-O00008"}       # community YX-BZ-01
LIN = {"name": "lin", "role": "community_secretary", "officer_id": "YX-O00009"}   # community YX-BZ-01
LUO = {"name": "luo", "role": "street_supervisor", "officer_id": "YX-O00003"}     # street YX-BZ
CHIEF = {"name": "chief", "role": "district_supervisor", "officer_id": "YX-O00001"}
SUPERVISOR_BUTTONS = ["督办", "改派", "延期"]


def policy_config(config, tmp_path, **sections):
    """tests/config.yaml with this file's time limits (and any section overrides)."""
    raw = yaml.safe_load(TEST_CONFIG.read_text(encoding="utf-8"))
    raw.update(yaml.safe_load(POLICY))
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    path = tmp_path / "deadlines.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    loaded = load_config(path, env={})
    return loaded.copy_with(database=config.database, storage=config.storage)


@pytest.fixture
async def dsim(config, tmp_path):
    """dsim(users, start=..., **config sections) → a running Simulation with this file's policy."""
    running = []

    async def make(users, start=TUESDAY, **sections) -> Simulation:
        cfg = simulation_config(policy_config(config, tmp_path, **sections), config.database.url, None, tmp_path)
        sim = Simulation(cfg, {"start": start, "users": users, "steps": []}, ASSETS, emit=lambda record: None)
        await sim.__aenter__()
        running.append(sim)
        return sim

    yield make
    for sim in running:
        await sim.__aexit__(None, None, None)


def to(records: list[dict], user: str) -> list[dict]:
    return [r for r in records if r["to"] == user]


async def advance(sim: Simulation, span: str) -> list[dict]:
    return await sim.play({"advance": span})


async def until(sim: Simulation, local: str) -> list[dict]:
    """Move the clock to a local time (YYYY-MM-DD HH:MM, Asia/Shanghai) and run what fell due."""
    target = datetime.fromisoformat(local + "+08:00")
    sim.clock.set(target)
    return await sim.play({"advance": "0s"})


async def press_on(sim: Simulation, user: str, label: str, ticket: str) -> list[dict]:
    """Press `label` on the newest message to `user` that is about `ticket`."""
    who = sim.users[user]
    for message in reversed(sim.standin.messages_to(who.tg_id)):
        if ticket not in (message.get("text") or ""):
            continue
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("text") == label:
                    update = sim.standin.inject_callback(who.tg_id, message["message_id"], button["callback_data"])
                    await sim.settle([update.update_id])
                    return await sim.flush(0)
    raise AssertionError(f"no message to {user} about {ticket} has a button {label!r}")


async def resolve(sim: Simulation, ticket: str, note: str = "已清理完毕") -> None:
    await press_on(sim, "wang", "办结", ticket)
    await sim.play({"user": "wang", "text": note})
    await sim.play({"user": "wang", "press": "确认办结"})


async def case_of(sim: Simulation, ticket: str) -> Case:
    async with sim.runtime.services.db.session() as s:
        return await s.scalar(select(Case).where(Case.ticket == ticket))


async def timeline(sim: Simulation, ticket: str) -> list[CaseEvent]:
    async with sim.runtime.services.db.session() as s:
        return list((await s.execute(select(CaseEvent).join(Case).where(Case.ticket == ticket)
                                     .order_by(CaseEvent.id))).scalars())


async def steps(sim: Simulation) -> list[tuple[str, str]]:
    async with sim.runtime.services.db.session() as s:
        return [(r.step, r.outcome) for r in (await s.execute(
            select(DeadlineStep).order_by(DeadlineStep.id))).scalars()]


# ---------------------------------------------------------------- reminders and the ladder
async def test_reminders_then_the_grid_leader_hears_of_a_case_nobody_accepted(dsim):
    sim = await dsim([ALICE, WANG, LIANG])
    ticket = await file_case(sim)
    case = await case_of(sim, ticket)
    assert (case.accept_due_at, case.resolve_due_at) == (datetime.fromisoformat("2026-11-24T14:30:00+08:00"),
                                                         datetime.fromisoformat("2026-11-25T09:00:00+08:00"))
    assert await advance(sim, "14m") == []
    out = await advance(sim, "1m")  # 14:15, half of the 30 minutes to accept
    assert [r["to"] for r in out] == ["wang"]
    assert "⏰" in out[0]["text"] and "还剩15分钟" in out[0]["text"] and ticket in out[0]["text"]
    assert out[0]["buttons"] == ["接单", "转办", "退回", "回复居民"] and out[0]["case"] == ticket
    out = await advance(sim, "9m")  # 14:24, 80 %
    assert [r["to"] for r in out] == ["wang"] and "还剩6分钟" in out[0]["text"]
    out = await advance(sim, "6m")  # 14:30: the limit ran out
    leader = to(out, "liang")
    assert len(leader) == 1 and leader[0]["buttons"] == SUPERVISOR_BUTTONS and leader[0]["case"] == ticket
    assert "超时上报" in leader[0]["text"] and "接单时限已超时" in leader[0]["text"] and "罗洋洋" in leader[0]["text"]
    assert any("已上报 网格长 梁峰" in t for t in texts(out, "wang"))
    assert to(out, "alice") == []
    assert await advance(sim, "10m") == []  # nothing twice
    assert [e.action for e in await timeline(sim, ticket)][-3:] == ["remind", "remind", "escalate"]
    assert await steps(sim) == [("accept.remind.0", "done"), ("accept.remind.1", "done"),
                                ("accept.escalate.0", "done")]
    # the escalation is on the timeline the resident sees
    out = await sim.play({"user": "alice", "text": ticket})
    assert "超时上报：网格长 梁峰" in out[0]["text"]
    # the officer acts on the reminder's own buttons
    out = await press_on(sim, "wang", "接单", ticket)
    assert any("接单" in t for t in texts(out, "alice"))


async def test_an_unresolved_case_climbs_every_rung_of_the_ladder(dsim):
    sim = await dsim([ALICE, WANG, LIANG, LIN, LUO, CHIEF])
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "接单"})
    out = await until(sim, "2026-11-24 16:00")  # half of 4 working hours
    assert [r["to"] for r in out] == ["wang"] and "办结时限 11-25 09:00" in out[0]["text"]
    assert out[0]["buttons"] == ["办结", "转办", "退回", "回复居民"]  # RULES let an accepted case be returned
    out = await until(sim, "2026-11-24 17:12")  # 80 %
    assert [r["to"] for r in out] == ["wang"]
    rungs = [("2026-11-25 09:00", "lin"), ("2026-11-25 15:00", "luo"), ("2026-11-26 09:00", "chief")]
    for when, who in rungs:
        out = await until(sim, when)
        escalations = [r for r in out if "超时上报" in r["text"]]
        assert [r["to"] for r in escalations] == [who], when
        assert escalations[0]["buttons"] == SUPERVISOR_BUTTONS and "办结时限已超时" in escalations[0]["text"]
        assert any("已上报" in t for t in texts(out, "wang"))
    assert [s for s, _ in await steps(sim) if "escalate" in s] == [
        "resolve.escalate.0", "resolve.escalate.1", "resolve.escalate.2"]
    assert (await case_of(sim, ticket)).next_check_at is None  # nothing more is owed
    assert [r for r in await until(sim, "2026-11-27 10:00") if "超时上报" in r["text"]] == []


async def test_supervise_sends_the_supervisors_note_to_the_officer(dsim):
    sim = await dsim([ALICE, WANG, LIANG])
    ticket = await file_case(sim)
    await advance(sim, "30m")
    out = await sim.play({"user": "liang", "press": "督办"})
    assert "督办意见" in out[0]["text"] and "罗洋洋" in out[0]["text"]
    out = await sim.play({"user": "liang", "text": "请半小时内到现场处理并回复居民"})
    note = to(out, "wang")
    assert len(note) == 1 and "📌 网格长 梁峰 督办" in note[0]["text"] and "半小时内到现场" in note[0]["text"]
    assert note[0]["buttons"] == ["接单", "转办", "退回", "回复居民"] and note[0]["case"] == ticket
    assert any("已督办" in t for t in texts(out, "liang")) and to(out, "alice") == []
    event = (await timeline(sim, ticket))[-1]
    assert (event.action, event.note, event.actor_role) == ("supervise", "请半小时内到现场处理并回复居民", "supervisor")


async def test_a_supervisor_extends_the_deadline_with_a_reason(dsim):
    sim = await dsim([ALICE, WANG, LIANG, LIN])
    ticket = await file_case(sim)
    await advance(sim, "30m")
    await sim.play({"user": "wang", "press": "接单"})
    out = await sim.play({"user": "liang", "press": "延期"})
    assert "当前办结时限：11-25 09:00" in out[0]["text"]
    out = await sim.play({"user": "liang", "text": "过几天吧"})
    assert "没看懂" in out[0]["text"]
    out = await sim.play({"user": "liang", "text": "今天上午9点 已协调"})
    assert "必须晚于现在" in out[0]["text"]
    out = await sim.play({"user": "liang", "text": "明天吧"})
    assert "写明延期理由" in out[0]["text"]
    out = await sim.play({"user": "liang", "text": "延期两天，需协调环卫车辆"})
    # two working days (14 working hours) after Wednesday 09:00 is Friday 09:00
    assert any("办结时限改为 11-27 09:00" in t for t in texts(out, "liang"))
    assert any("延至 11-27 09:00" in t and "需协调环卫车辆" in t and "网格长 梁峰" in t for t in texts(out, "wang"))
    case = await case_of(sim, ticket)
    assert case.resolve_due_at == datetime.fromisoformat("2026-11-27T09:00:00+08:00")
    event = (await timeline(sim, ticket))[-1]
    assert (event.action, event.note) == ("extend", "需协调环卫车辆")
    assert event.data["previous"].startswith("2026-11-25T01:00")
    # the old deadline passes without an escalation; the new one brings it
    assert [r for r in await until(sim, "2026-11-25 09:30") if "超时上报" in r["text"]] == []
    out = await until(sim, "2026-11-27 09:00")
    assert [r["to"] for r in out if "超时上报" in r["text"]] == ["lin"]


async def test_reassign_to_another_officer_restarts_the_clock(dsim):
    sim = await dsim([ALICE, WANG, XIE, LIANG])
    ticket = await file_case(sim)
    await advance(sim, "30m")
    out = await sim.play({"user": "liang", "press": "改派"})
    labels = out[0]["buttons"]
    assert any(label.startswith("谢华") for label in labels) and "区城市管理和综合执法局" in labels
    assert not any(label.startswith("罗洋洋") for label in labels)
    await sim.play({"user": "liang", "press": next(label for label in labels if label.startswith("谢华"))})
    out = await sim.play({"user": "liang", "text": "罗洋洋今天外出培训"})
    card = [r for r in to(out, "xie") if r["buttons"]]
    assert card and card[-1]["buttons"][0] == "接单" and "罗洋洋今天外出培训" in card[-1]["text"]
    assert any("转出" in t for t in texts(out, "wang")) and any("谢华" in t for t in texts(out, "alice"))
    case = await case_of(sim, ticket)
    assert (case.assignee_officer_id, case.grid_id, case.status) == ("YX-O00020", "YX-BZ-01-03", "assigned")
    assert case.accept_due_at == datetime.fromisoformat("2026-11-24T15:00:00+08:00") and case.deadline_round == 2
    out = await advance(sim, "15m")
    assert [r["to"] for r in out] == ["xie"] and "⏰" in out[0]["text"]


# ---------------------------------------------------------------- digests
async def test_digests_the_supervisors_evening_report_and_the_officers_morning_list(dsim):
    sim = await dsim([ALICE, BOB, WANG, LIANG])
    first = await file_case(sim)
    second = await file_case(sim, "bob", "小区门口垃圾桶满了没人清理")
    await advance(sim, "10m")
    await press_on(sim, "wang", "接单", first)
    await resolve(sim, first)
    await sim.play({"user": "alice", "press": "满意"})
    out = await until(sim, "2026-11-24 18:00")
    report = [r for r in to(out, "liang") if "日报" in r["text"]]  # besides the escalation of the second case
    assert len(report) == 1
    text = report[0]["text"]
    assert "11-24 秉北社区 日报" in text
    assert "新增 2 件；办结 1 件（当日办结 1 件，按期办结 1 件）；结案 1 件" in text
    assert "超期未办结 1 件：秉北社区第3网格 1件" in text
    assert "平均接单用时 10分钟，平均办结用时 10分钟" in text
    assert "满意率 100%（评价 1 件）" in text
    assert not any("今日待办" in t for t in texts(out, "wang"))  # officers get their list in the morning
    out = await until(sim, "2026-11-25 08:00")
    morning = to(out, "wang")
    assert len(morning) == 1
    assert "今日待办 1 件：已超期 1 件，今日到期 0 件" in morning[0]["text"]
    assert f"🔴{second}" in morning[0]["text"] and first not in morning[0]["text"]
    assert morning[0]["buttons"] == [f"查看 {second}"]
    assert not any("今日待办" in t for t in texts(await until(sim, "2026-11-25 09:30")))  # once a day
    async with sim.runtime.services.db.session() as s:
        runs = (await s.execute(select(DigestRun.kind, DigestRun.day, DigestRun.messages)
                                .order_by(DigestRun.day))).all()
    assert runs == [("supervisor_daily", "2026-11-24", 1), ("officer_morning", "2026-11-25", 1)]


async def test_a_digest_missed_for_too_long_is_skipped(dsim):
    sim = await dsim([ALICE, WANG, LIANG])
    await file_case(sim)
    out = await until(sim, "2026-11-24 20:30")  # 2 h 30 after 18:00: later than digests.catch_up
    assert not any("日报" in r["text"] for r in out)


# ---------------------------------------------------------------- residents
async def test_the_resident_is_asked_to_rate_then_the_case_closes_by_itself(dsim):
    sim = await dsim([ALICE, WANG])
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "接单"})
    await resolve(sim, ticket)
    assert await advance(sim, "59m") == []
    out = await advance(sim, "1m")
    assert [r["to"] for r in out] == ["alice"] and "请您评价" in out[0]["text"] and "已清理完毕" in out[0]["text"]
    assert out[0]["buttons"] == ["满意", "基本满意", "不满意"] and out[0]["case"] == ticket
    out = await advance(sim, "3d")
    assert [r["to"] for r in out] == ["alice"] and "已自动结案" in out[0]["text"]
    case = await case_of(sim, ticket)
    assert case.status == "closed" and case.next_check_at is None
    event = (await timeline(sim, ticket))[-1]
    assert (event.action, event.actor_role, event.data) == ("close", "system", {"auto": True})


async def test_a_resident_who_rated_is_not_asked_again(dsim):
    sim = await dsim([ALICE, WANG])
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "接单"})
    await resolve(sim, ticket)
    await sim.play({"user": "alice", "press": "基本满意"})
    assert await advance(sim, "1h") == [] and await advance(sim, "3d") == []
    assert (await case_of(sim, ticket)).status == "closed"


async def test_unsatisfied_goes_to_the_supervisor_who_reopens_it(dsim):
    sim = await dsim([ALICE, WANG, LIANG], cases={"on_unsatisfied": "supervisor"})
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "接单"})
    await resolve(sim, ticket)
    out = await sim.play({"user": "alice", "press": "不满意"})
    assert any("已提交 网格长 梁峰 复核" in t for t in texts(out, "alice"))
    card = to(out, "liang")
    assert card and card[-1]["buttons"] == ["重新办理", "结案"] and "不满意" in card[-1]["text"]
    assert (await case_of(sim, ticket)).status == "resolved"
    # the resident was not silent: no rating request, no automatic close
    assert to(await advance(sim, "1h"), "alice") == [] and to(await advance(sim, "3d"), "alice") == []
    assert (await case_of(sim, ticket)).status == "resolved"
    out = await sim.play({"user": "liang", "press": "重新办理"})
    assert any(r["buttons"][:1] == ["接单"] for r in to(out, "wang"))
    assert any("重新交给" in t for t in texts(out, "alice"))
    case = await case_of(sim, ticket)
    assert case.status == "assigned" and case.accept_due_at > sim.clock.now()


async def test_unsatisfied_closed_when_so_configured_tells_the_resident(dsim):
    sim = await dsim([ALICE, WANG], cases={"on_unsatisfied": "close"})
    ticket = await file_case(sim)
    await sim.play({"user": "wang", "press": "接单"})
    await resolve(sim, ticket)
    out = await sim.play({"user": "alice", "press": "不满意"})
    assert any("已结案" in t and "重新反映" in t for t in texts(out, "alice"))
    assert (await case_of(sim, ticket)).status == "closed"


# ---------------------------------------------------------------- quiet hours and urgent cases
async def test_quiet_hours_hold_pings_until_the_morning(dsim):
    sim = await dsim([ALICE, WANG, LIANG], start="2026-11-24T21:00:00+08:00")
    ticket = await file_case(sim, text="楼上装修太吵了")
    assert (await case_of(sim, ticket)).category == "noise"  # calendar hours: accept within 1 h, by 22:00
    out = await advance(sim, "30m")
    assert [r["to"] for r in out] == ["wang"] and "⏰" in out[0]["text"]
    out = await until(sim, "2026-11-24 22:05")  # the 80 % reminder (21:48) is overtaken; the escalation is due
    assert out == []
    assert await until(sim, "2026-11-25 07:29") == []
    out = await until(sim, "2026-11-25 07:30")
    assert [r["to"] for r in out if "超时上报" in r["text"]] == ["liang"]
    assert "已超9小时30分钟" in to(out, "liang")[0]["text"]


async def test_an_urgent_case_is_chased_at_night(dsim):
    # 21:59: the grid officer is still on duty (13:00-22:00) and gets the case; the rest happens in quiet hours
    sim = await dsim([ALICE, WANG, LIANG, LUO], start="2026-11-24T21:59:00+08:00")
    ticket = await file_case(sim, text="闻到很浓的煤气味，好像燃气泄漏了")
    case = await case_of(sim, ticket)
    assert case.urgent and case.assignee_officer_id == "YX-O00021"
    assert case.accept_due_at == datetime.fromisoformat("2026-11-24T22:14:00+08:00")
    out = await advance(sim, "8m")  # 22:07: quiet hours, but urgent
    assert [r["to"] for r in out] == ["wang"] and "⏰" in out[0]["text"] and "🚨" in out[0]["text"]
    out = await advance(sim, "7m")
    assert [r["to"] for r in out if "超时上报" in r["text"]] == ["liang"]
    out = await advance(sim, "15m")  # the urgent ladder's next rung, 15 minutes later
    assert [r["to"] for r in out if "超时上报" in r["text"]] == ["luo"]


# ---------------------------------------------------------------- restarts and the lease
async def test_a_restart_in_the_middle_of_a_schedule_loses_and_repeats_nothing(dsim):
    sim = await dsim([ALICE, WANG, LIANG])
    ticket = await file_case(sim)
    out = await advance(sim, "15m")
    assert len(to(out, "wang")) == 1
    await sim.restart()
    out = await advance(sim, "9m")
    assert len(to(out, "wang")) == 1 and "还剩6分钟" in out[0]["text"]
    # the bot is down when the limit runs out; the new process catches up once
    config = sim.runtime.config
    await sim.runtime.stop()
    sim.clock.advance(timedelta(minutes=20))
    await sim._start_runtime(config)
    out = await advance(sim, "0s")
    assert len([r for r in to(out, "liang") if "超时上报" in r["text"]]) == 1
    await sim.restart()
    assert [r for r in await advance(sim, "1h") if "超时上报" in r["text"]] == []
    leader = [m for m in sim.standin.messages_to(sim.users["liang"].tg_id) if "超时上报" in (m.get("text") or "")]
    reminders = [m for m in sim.standin.messages_to(sim.users["wang"].tg_id) if "⏰" in (m.get("text") or "")]
    assert len(leader) == 1 and len(reminders) == 2
    assert [s for s, _ in await steps(sim)] == ["accept.remind.0", "accept.remind.1", "accept.escalate.0"]
    assert (await case_of(sim, ticket)).next_check_at is not None  # the 办结 ladder is still ahead


async def test_only_the_lease_holder_acts_and_a_step_is_recorded_once(dsim):
    sim = await dsim([ALICE, WANG, LIANG])
    ticket = await file_case(sim)
    await sim.tick()  # the running bot holds the lease
    services = sim.runtime.services
    config, clock = services.config, services.clock
    other = Supervisor(services.db, clock, config, services.notifier_for, OutboxDigests(config),
                       holder="another-process")
    sim.clock.advance(timedelta(minutes=30))
    report = await other.tick()
    assert not report.leader and report.performed == 0
    async with services.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(DeadlineStep)) == 0
    await sim.runtime.supervisor.close()  # a clean stop hands the lease back at once
    report = await other.tick()
    assert report.leader and report.performed == 1 and report.skipped == 2
    await sim.settle([])
    assert len([r for r in await sim.flush(0) if "超时上报" in r["text"]]) == 1
    case = await case_of(sim, ticket)
    with pytest.raises(IntegrityError):
        async with services.db.session() as s:
            s.add(DeadlineStep(case_id=case.id, round=case.deadline_round, step="accept.escalate.0",
                               due_at=clock.now(), done_at=clock.now(), outcome="done"))
    await other.close()


async def test_a_case_that_fails_in_the_sweep_does_not_hold_up_the_others(dsim, monkeypatch):
    sim = await dsim([ALICE, BOB, WANG, LIANG])
    first = await file_case(sim)
    second = await file_case(sim, "bob", "小区门口垃圾桶满了没人清理")
    supervisor = sim.runtime.supervisor
    perform = supervisor._perform

    async def broken(session, cases, case, point):
        if case.ticket == first:
            raise RuntimeError("simulated failure")
        return await perform(session, cases, case, point)

    monkeypatch.setattr(supervisor, "_perform", broken)
    sim.clock.advance(timedelta(minutes=15))
    report = await sim.tick()
    assert (report.performed, report.failed) == (1, 1)
    await sim.settle([])
    assert [r["case"] for r in await sim.flush(0)] == [second]
    monkeypatch.setattr(supervisor, "_perform", perform)
    out = await advance(sim, "0s")  # the next sweep retries it
    assert [r["case"] for r in out] == [first]


async def test_a_rung_never_escalates_to_the_assignee_itself(dsim):
    sim = await dsim([ALICE, LIANG, LIN])  # no grid officer has joined: the grid leader has the case
    ticket = await file_case(sim)
    assert (await case_of(sim, ticket)).assignee_officer_id == "YX-O00008"
    out = await advance(sim, "30m")
    assert [r["to"] for r in out if "超时上报" in r["text"]] == ["lin"]
    assert any("已上报 社区书记 林超超" in t for t in texts(out, "liang"))


# ---------------------------------------------------------------- /tasks shows the limits
CAROL = {"name": "carol", "role": "resident"}
DAVE = {"name": "dave", "role": "resident"}


async def test_tasks_show_each_limit_and_put_the_most_urgent_first(dsim):
    sim = await dsim([ALICE, BOB, CAROL, DAVE, WANG])
    late = await file_case(sim)                                   # 14:00, garbage: 接单 by 14:30
    done = await file_case(sim, "bob", "小区门口垃圾桶满了没人清理")
    await press_on(sim, "wang", "接单", done)
    await resolve(sim, done)                                      # 已办结待评价: no running limit
    await advance(sim, "40m")                                     # 14:40: the first is 10 minutes late
    later = await file_case(sim, "carol", "工地施工噪音太大了")     # noise, calendar hours
    await press_on(sim, "wang", "接单", later)                     # 办结 12 h after 14:40
    urgent = await file_case(sim, "dave", "闻到很浓的煤气味，好像燃气泄漏了")  # 接单 within 15 minutes
    out = await sim.play({"user": "wang", "command": "tasks"})
    lines = out[0]["text"].splitlines()
    assert lines == [
        "待办工单 4 件：",
        f"🚨{urgent}　待接单　燃气泄漏　接单时限 今天 14:55",
        f"{late}　待接单　垃圾/环境卫生　⏰已超时10分钟（接单时限 今天 14:30）",
        f"{later}　处理中　噪音　办结时限 明天 02:40",
        f"{done}　已办结待评价　垃圾/环境卫生",
    ], lines
    assert out[0]["buttons"] == [f"查看 {t}" for t in (urgent, late, later, done)]
    # two days later everything still open is late; the morning list tells the limits the same way
    out = await until(sim, "2026-11-26 08:00")
    morning = [r["text"] for r in to(out, "wang") if "今日待办" in r["text"]]
    assert len(morning) == 1 and f"🔴{later}　处理中　噪音　时限 昨天 02:40" in morning[0]
    out = await sim.play({"user": "wang", "command": "tasks"})
    assert out[0]["text"].splitlines()[1:] == [
        f"🚨{urgent}　待接单　燃气泄漏　⏰已超时1天17小时（接单时限 11月24日 14:55）",
        f"{late}　待接单　垃圾/环境卫生　⏰已超时1天17小时（接单时限 11月24日 14:30）",
        f"{later}　处理中　噪音　⏰已超时1天5小时（办结时限 昨天 02:40）",
        f"{done}　已办结待评价　垃圾/环境卫生",
    ]


# ---------------------------------------------------------------- cases older than deadlines
async def null_limits(sim: Simulation, *tickets: str) -> None:
    """Make cases look as if filed before migration 0003 added deadlines, then start the upgraded bot
    (it looks for such cases once, at its first tick as the lease holder)."""
    async with sim.runtime.services.db.session() as s:
        await s.execute(update(Case).where(Case.ticket.in_(tickets)).values(
            due_from=None, accept_due_at=None, resolve_due_at=None, deadline_round=0, deadline_round_at=None,
            next_check_at=None))
    await sim.restart()


async def test_a_dispatched_case_without_limits_gets_a_round_counted_from_its_dispatch(dsim):
    sim = await dsim([ALICE, BOB, WANG])
    ticket = await file_case(sim)                                 # dispatched at 14:00
    closed = await file_case(sim, "bob", "小区门口垃圾桶满了没人清理")
    await press_on(sim, "wang", "接单", closed)
    await resolve(sim, closed)
    await sim.play({"user": "bob", "press": "满意"})
    assert (await case_of(sim, closed)).status == "closed"
    await null_limits(sim, ticket, closed)
    sim.clock.advance(timedelta(minutes=5))
    report = await sim.tick()
    assert (report.started, report.performed) == (1, 0)
    case = await case_of(sim, ticket)
    at = datetime.fromisoformat
    assert (case.due_from, case.accept_due_at, case.resolve_due_at) == (
        at("2026-11-24T14:00:00+08:00"), at("2026-11-24T14:30:00+08:00"), at("2026-11-25T09:00:00+08:00"))
    assert (case.deadline_round, case.deadline_round_at, case.next_check_at) == (
        1, at("2026-11-24T14:00:00+08:00"), at("2026-11-24T14:15:00+08:00"))
    untouched = await case_of(sim, closed)
    assert (untouched.due_from, untouched.accept_due_at, untouched.resolve_due_at, untouched.deadline_round,
            untouched.deadline_round_at, untouched.next_check_at) == (None, None, None, 0, None, None)
    assert (await sim.tick()).started == 0                        # nothing more to start
    await sim.settle([])
    assert await sim.flush(0) == []                               # starting a round says nothing itself
    out = await advance(sim, "10m")                               # 14:15, half of the 30 minutes to accept
    assert [r["to"] for r in out] == ["wang"] and "还剩15分钟" in out[0]["text"] and out[0]["case"] == ticket
    assert await steps(sim) == [("accept.remind.0", "done")]
    assert (await case_of(sim, closed)).deadline_round == 0


async def test_a_case_without_limits_that_is_already_late_is_chased_at_once(dsim):
    sim = await dsim([ALICE, WANG, LIANG])
    ticket = await file_case(sim)
    await null_limits(sim, ticket)
    sim.clock.advance(timedelta(minutes=40))                      # past the 接单 limit, counted from 14:00
    report = await sim.tick()
    assert report.started == 1 and report.performed == 1          # the escalation; the reminders are overtaken
    await sim.settle([])
    out = await sim.flush(0)
    assert [r["to"] for r in out if "超时上报" in r["text"]] == ["liang"]
    assert "已超10分钟" in to(out, "liang")[0]["text"]
    assert (await sim.tick()).started == 0


async def test_rounds_for_cases_without_limits_start_in_batches_under_the_lease(dsim):
    # No timer of its own: its first tick, racing the filings below, could take the lease first.
    sim = await dsim([ALICE, BOB, CAROL, WANG], scheduler={"batch": 1, "enabled": False})
    tickets = [await file_case(sim, user) for user in ("alice", "bob", "carol")]
    await null_limits(sim, *tickets)
    services = sim.runtime.services
    config, clock = services.config, services.clock
    other = Supervisor(services.db, clock, config, services.notifier_for, OutboxDigests(config),
                       holder="another-process")
    report = await other.tick()                                   # the other process takes the lease
    assert report.started == 3 and report.leader                  # one case a batch, all in one tick
    assert {(await case_of(sim, t)).deadline_round for t in tickets} == {1}
    report = await sim.tick()                                     # without the lease: does nothing
    assert not report.leader and report.started == 0
    await other.close()
    report = await sim.tick()                                     # now the holder: nothing left to start
    assert report.leader and report.started == 0
