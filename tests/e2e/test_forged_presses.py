"""Forged button presses through the real bot (issue 12): a press the lifecycle table does not allow
the presser's roles changes nothing, tells nobody else and asks the presser to type nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.lifecycle import RULES, Action, Role
from storage.models import Case, CaseEvent, PendingInput, Person
from tests.e2e.conftest import file_case, resolve
from tests.e2e.test_bad_input import forge_press
from tests.e2e.test_casework import LEADER, OTHER, RESIDENT, WANG

BOB = {"name": "bob", "role": "resident"}
UNJOINED = "YX-O00019"  # a grid officer of the case's community who never sent /join
# Each case verb (handlers/casework.py CASE_BUTTONS) and the action it takes; 不满意 is a rating (RATE).
VERB_ACTIONS = {
    "acc": Action.ACCEPT, "res": Action.RESOLVE, "rok": Action.RESOLVE, "tr": Action.TRANSFER,
    "ra": Action.TRANSFER, f"rao:{UNJOINED}": Action.TRANSFER, "ret": Action.RETURN, "rej": Action.REJECT,
    "urg": Action.URGE, "inf": Action.ADD_INFO, "can": Action.CANCEL, "cyes": Action.CANCEL, "rep": Action.RELAY,
    "rt:satisfied": Action.RATE, "rt:unsatisfied": Action.RATE, "sup": Action.SUPERVISE, "ext": Action.EXTEND,
    "reo": Action.REOPEN, "cls": Action.CLOSE,
}
ROLES = {"alice": {Role.REPORTER}, "bob": set(), "luo": set(), "liang": {Role.SUPERVISOR}}


async def state(sim, case_id: int, presser: str) -> tuple:
    async with sim.runtime.services.db.session() as s:
        case = await s.get(Case, case_id)
        events = await s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id))
        person = await s.scalar(select(Person.id).where(Person.tg_user_id == sim.users[presser].tg_id))
        asked = await s.scalar(select(func.count()).select_from(PendingInput).where(PendingInput.person_id == person))
    return case.status, case.assignee_officer_id, case.grid_id, events, asked


async def test_forged_presses_the_table_refuses_change_nothing(sim_for):
    sim = await sim_for([RESIDENT, BOB, WANG, LEADER, OTHER])
    await file_case(sim)
    await sim.play({"user": "wang", "press": "接单"})
    await file_case(sim, text="路灯坏了一个星期")
    await resolve(sim)
    async with sim.runtime.services.db.session() as s:
        cases = list((await s.execute(select(Case.id, Case.status).order_by(Case.id))).all())
    assert [status for _, status in cases] == ["accepted", "resolved"]
    refused = 0
    for case_id, _ in cases:
        for presser, roles in ROLES.items():
            for verb, action in VERB_ACTIONS.items():
                if roles & RULES[action].roles:
                    continue
                before = await state(sim, case_id, presser)
                update_id = forge_press(sim, presser, f"c:{case_id}:{verb}")
                await sim.settle([update_id])
                out = await sim.flush(0)
                assert await state(sim, case_id, presser) == before, (presser, verb, case_id)
                assert {r["to"] for r in out} <= {presser}, (presser, verb, case_id)
                refused += 1
    assert refused > 100


async def test_a_leaders_transfer_to_another_community_is_carried_out_once_the_reason_is_typed(sim_for):
    sim = await sim_for([RESIDENT, WANG, LEADER, OTHER])
    await file_case(sim)
    async with sim.runtime.services.db.session() as s:
        case_id = await s.scalar(select(Case.id))
    await sim.settle([forge_press(sim, "liang", f"t:{case_id}:g")])
    await sim.play({"user": "liang", "text": "YX-BZ-02-01"})
    out = await sim.play({"user": "liang", "text": "属隔壁社区"})
    assert any("已转办" in r["text"] for r in out if r["to"] == "liang")
    async with sim.runtime.services.db.session() as s:
        case = await s.get(Case, case_id)
    assert (case.grid_id, case.assignee_officer_id, case.status) == ("YX-BZ-02-01", "YX-O00023", "assigned")
