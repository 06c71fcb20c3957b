"""Personal data (issue 12), through the real bot on both databases: numbers in a report reach staff
masked and stay whole in the case record; /start says so; a database error logs and stores no values;
old inbound payloads, group chatter included, are emptied while redelivery is still recognised."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.desk import Desk
from bot.inbox import Arrival
from storage.models import Case, InboundUpdate, RelayedMessage
from tests.e2e.conftest import INSIDE
from tests.e2e.test_bad_input import with_ops_chat

MOBILE, ID_CARD, LANDLINE = "13912345678", "440104199001011234", "83331234"
WHOLE = (MOBILE, ID_CARD, LANDLINE)


def staff_texts(out: list[dict]) -> list[str]:
    return [r["text"] for r in out if r["role"] != "resident"]


async def test_numbers_in_a_report_reach_staff_masked_and_stay_whole_in_the_case(sim):
    report = f"楼下垃圾堆了三天了没人收，联系我{MOBILE}，身份证{ID_CARD}"
    out = await sim.play({"user": "alice", "text": report})
    out += await sim.play({"user": "alice", "location": list(INSIDE)})
    assert any(MOBILE in r["text"] for r in out if r["to"] == "alice")  # her own summary: whole
    out = await sim.play({"user": "alice", "press": "确认"})
    out += await sim.play({"user": "alice", "text": f"晚上打座机{LANDLINE}也行", "reply": True})
    out += await sim.play({"advance": "25m"})  # the 接单 reminder carries the card again
    to_staff = staff_texts(out)
    assert len(to_staff) >= 3 and any("139****5678" in text and "440104********1234" in text for text in to_staff)
    assert any("******34" in text for text in to_staff)
    assert [text for text in to_staff if any(number in text for number in WHOLE)] == []
    async with sim.runtime.services.db.session() as s:
        assert (await s.scalar(select(Case.description))) == report
        assert LANDLINE in (await s.scalar(select(RelayedMessage.text)))


async def test_start_says_what_staff_see_and_how_long_messages_are_kept(sim):
    out = await sim.play({"user": "alice", "text": "/start"})
    assert "看到的都是打码的（如 138****8000）" in out[0]["text"] and "30天后清除" in out[0]["text"]


async def test_a_database_error_logs_and_stores_no_personal_values(sim, monkeypatch, caplog):
    ops = sim.users["wang"].tg_id
    with_ops_chat(sim, ops)

    def save_phone_badly(desk: Desk, phone: str) -> None:  # a bug whose statement carries the number
        desk.session.add(RelayedMessage(case_id=987654, at=desk.now, from_person_id=desk.person.id,
                                        to_person_id=desk.person.id, text=phone))

    monkeypatch.setattr(Desk, "save_phone", save_phone_badly)
    with caplog.at_level(logging.INFO):  # gridsec's level; at DEBUG, PTB itself logs whole updates
        out = await sim.play({"user": "alice", "contact": MOBILE})
    sent = {r["to"]: r["text"] for r in out}
    assert sorted(sent) == ["alice", "wang"]  # the apology and the ops alert
    assert "IntegrityError" in sent["wang"] and MOBILE not in sent["wang"]
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records if r.levelno >= logging.INFO)
    assert "IntegrityError" in logged and MOBILE not in logged
    async with sim.runtime.services.db.session() as s:
        row = await s.scalar(select(InboundUpdate).where(InboundUpdate.status == "failed"))
    assert "IntegrityError" in row.error and "\n" not in row.error and MOBILE not in row.error


async def test_old_payloads_and_group_chatter_are_emptied_and_redelivery_still_recognised(sim):
    alice = sim.users["alice"].tg_id
    group = {"id": -100123, "type": "supergroup", "title": "小区群"}
    chatter = sim.standin.inject_raw({"message": {"message_id": 1, "date": 0, "chat": group, "text": f"我电话{MOBILE}",
                                                  "from": {"id": alice, "is_bot": False, "first_name": "alice"}}})
    await sim.settle([chatter.update_id])
    await sim.play({"user": "alice", "text": f"楼下垃圾没人收，电话{MOBILE}"})
    await sim.play({"advance": "29d"})
    recent = sim.standin.inject_text(alice, "还有一件事").update_id
    await sim.settle([recent])
    await sim.play({"advance": "2d"})  # the first two are now 31 days old, the last 2 days
    services = sim.runtime.services
    async with services.db.session() as s:
        rows = {r.update_id: r for r in (await s.execute(select(InboundUpdate))).scalars()}
    old = [uid for uid in rows if uid < recent]
    assert len(old) == 2 and all(rows[uid].payload == {} and rows[uid].status == "done" for uid in old)
    assert rows[recent].payload["message"]["text"] == "还有一件事"
    assert await services.inbox.store([Arrival(old[0], alice, {"update_id": old[0]})], services.clock.now()) == []
    assert (await services.inbox.round_after([old[0]])).still_waiting == set()
    assert sim.runtime.supervisor is not None
    assert (await sim.runtime.supervisor.tick()).pruned == 0  # each row is emptied once
    assert services.clock.now() - rows[old[0]].received_at > timedelta(days=30)
