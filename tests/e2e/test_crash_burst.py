"""SIGKILL in the middle of a burst: 150 residents each send a report and a location (300 updates),
the bot is killed, restarted, then all of them press 确认 and it is killed and restarted again. (It
is one pile, so every 确认 after the first is offered that case; each resident reports it anyway.)
Every update Telegram considers delivered must have been stored at the kill and is handled
exactly once; every 确认 is a case; no reply is queued twice nor sent twice: a message in flight at
a kill is sent again only visibly marked （重发） (the outbox's rule for an answer never heard). Polling and webhook, SQLite and
PostgreSQL, with the real `gridsec run` against the stand-in."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from gridsec.simulate import free_port
from handlers.texts import t
from standin import StandIn
from storage.models import Case, InboundUpdate
from tests.e2e.bot_process import (
    BotProcess, Recorded, confirm_button, finished, join_officer, offered, queued_twice, sent_twice, standin_with,
    wait_for, write_bot_config,
)
from tests.e2e.conftest import INSIDE, OFFICER

RESIDENTS = [300001 + i for i in range(150)]
WANG = 200002
REPORT = "楼下垃圾堆了三天了没人收"


@pytest.fixture
async def standin():
    async with standin_with(RESIDENTS, WANG) as server:
        yield server


@pytest.fixture(params=["polling", "webhook"])
def bot(request, standin, config, tmp_path):
    port = free_port() if request.param == "webhook" else None
    path = write_bot_config(tmp_path / "bot.yaml", standin, config.database.url, webhook_port=port)
    process = BotProcess(path, webhook_url=f"http://127.0.0.1:{port}/hook" if port else None)
    yield process
    process.stop()
    print(process.log.read_text(errors="replace")[-5000:])  # shown by pytest when the test fails


async def kill_midway(bot: BotProcess, standin: StandIn, db: Recorded, injected: list[int], handled: int) -> dict:
    """SIGKILL once `handled` of the injected updates are done; what was acknowledged, stored and
    handled at that moment."""
    await wait_for(lambda: handled_at_least(db, injected, handled), what=f"{handled} updates handled")
    killed_at = time.time()
    bot.kill()
    acknowledged = set(injected) - set(standin.unconfirmed())
    stored = await db.ids(InboundUpdate.update_id.in_(injected))
    done = await db.ids(InboundUpdate.update_id.in_(injected), InboundUpdate.status == "done")
    assert acknowledged <= stored, f"acknowledged but never stored: {sorted(acknowledged - stored)[:10]}"
    return {"injected": len(injected), "acknowledged": len(acknowledged), "stored": len(stored),
            "handled": len(done), "at": killed_at}


async def handled_at_least(db: Recorded, injected: list[int], handled: int) -> bool:
    return await db.count(InboundUpdate, InboundUpdate.update_id.in_(injected),
                             InboundUpdate.status == "done") >= handled


async def test_a_burst_survives_sigkill_twice(standin, bot, config):
    db = Recorded(config.database.url)
    await join_officer(db, WANG, OFFICER)
    began = time.monotonic()
    bot.start()
    await wait_for(lambda: any(c["method"] in ("getUpdates", "setWebhook") for c in standin.calls),
                   what="the bot to poll or set its webhook")

    reports = [standin.inject_text(r, REPORT).update_id for r in RESIDENTS]
    reports += [standin.inject_location(r, *INSIDE).update_id for r in RESIDENTS]
    first = await kill_midway(bot, standin, db, reports, handled=100)
    bot.start()
    await wait_for(lambda: finished(db, standin, reports), timeout=120, what="the reports to be handled")

    presses = [standin.inject_callback(r, *confirm_button(standin, r)).update_id for r in RESIDENTS]
    second = await kill_midway(bot, standin, db, presses, handled=50)
    bot.start()
    await wait_for(lambda: finished(db, standin, presses), timeout=120, what="the presses to be handled")
    following = [r for r in RESIDENTS if offered(standin, r)]
    assert len(following) == len(RESIDENTS) - 1  # one pile: the first 确认 filed it
    anyway = [standin.inject_callback(r, *confirm_button(standin, r, "仍然新报")).update_id for r in following]
    await wait_for(lambda: finished(db, standin, anyway), timeout=120, what="the 仍然新报 presses to be handled")

    everything = reports + presses + anyway
    stored = await db.count(InboundUpdate, InboundUpdate.update_id.in_(everything))
    handled = await db.count(InboundUpdate, InboundUpdate.update_id.in_(everything), InboundUpdate.status == "done")
    async with db.session() as s:
        reporters = Counter((await s.execute(select(Case.reporter_id))).scalars())
    accepted = Counter(r for r in RESIDENTS for m in standin.messages_to(r) if "已受理" in (m["text"] or ""))
    doubled, requeued = sent_twice(standin), await queued_twice(db)
    marked = sum(1 for r in standin.sent if (r["text"] or "").startswith(t("resend_mark")))
    for kill in (first, second):
        kill.pop("at")  # when it happened: not a figure to print
    await db.dispose()
    variant = f"{'webhook' if bot.webhook_url else 'polling'} on {config.database.url.split('+')[0]}"
    print(f"\n{variant}\nfirst kill: {first}\nsecond kill: {second}\nafter restarts ({time.monotonic() - began:.0f} s): "
          f"stored {stored}, handled {handled} of {len(everything)}; {sum(reporters.values())} cases from "
          f"{len(reporters)} residents; 已受理 {sum(accepted.values())}; queued twice {sum(requeued.values())}; "
          f"sent twice unmarked {len(doubled)}; resent marked （重发） {marked}")
    assert stored == handled == len(everything)
    assert len(reporters) == len(RESIDENTS) and set(reporters.values()) == {1}
    assert not requeued, requeued
    assert not doubled, doubled
    assert set(accepted) == set(RESIDENTS)  # every 确认 answered
