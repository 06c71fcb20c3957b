"""Two webhook workers behind nginx on one PostgreSQL database, in a storm: the real
`gridsec run --workers 2` and Debian's nginx as separate processes, the stand-in posting every
update through nginx, and the same updates posted again (redelivered by the stand-in in shuffled
order, and at once by a second sender, as Telegram does when it never heard an answer).

Counted at the end: every resident's report filed once; every update stored and handled once, a
person's in the order they were sent; replies per chat in order; nothing queued or sent twice; both
workers took posts; and the sends within Telegram's overall limit."""
from __future__ import annotations

import asyncio
import json
import random
from collections import Counter

import aiohttp
import pytest
from sqlalchemy import select

from gridsec.nginx import LocalNginx, NginxMissing, free_ports_from
from gridsec.simulate import free_port
from standin import StandIn
from storage.models import Case, InboundUpdate
from tests.e2e.bot_process import (
    BotProcess, Recorded, confirm_button, finished, join_officer, offered, queued_twice, sent_twice, standin_with,
    wait_for, write_bot_config,
)
from tests.e2e.conftest import INSIDE, OFFICER

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # several workers: PostgreSQL

RESIDENTS = [400001 + i for i in range(60)]
WANG = 200002
REPORT = "小区门口的路灯坏了好几天，晚上黑漆漆的"
SECRET = "crash-test-secret"  # write_bot_config's webhook secret
OVERALL_PER_SECOND = 30  # Telegram's overall limit, shared by the two workers


@pytest.fixture
async def standin():
    async with standin_with(RESIDENTS, WANG) as server:
        yield server


@pytest.fixture
def nginx(tmp_path):
    hook = free_ports_from(2)
    try:
        proxy = LocalNginx(tmp_path / "nginx", free_port(), [hook, hook + 1])
    except NginxMissing as exc:
        pytest.fail(str(exc))
    proxy.hook_port = hook
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def workers(standin, nginx, config, tmp_path):
    path = write_bot_config(tmp_path / "bot.yaml", standin, config.database.url, webhook_port=nginx.hook_port,
                            outbox={"per_chat_per_second": 1, "per_chat_burst": 3,
                                    "global_per_second": OVERALL_PER_SECOND, "backoff_base_seconds": 0.2})
    process = BotProcess(path, webhook_url=nginx.url, workers=2)
    yield process
    process.stop()
    print(process.log.read_text(errors="replace")[-5000:])  # shown by pytest when the test fails


async def post_again(url: str, updates: list[dict]) -> None:
    """A second sender posting already delivered updates at once, as a Telegram retry overlapping the first."""
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as session:
        async def post(update):
            async with session.post(url, data=json.dumps(update), headers=headers) as response:
                assert response.status == 200, await response.text()
        await asyncio.gather(*(post(u) for u in updates))


def redeliver_shuffled(standin: StandIn, update_ids: list[int], rng: random.Random) -> list[dict]:
    again = rng.sample(update_ids, len(update_ids) // 2)
    return [standin.redeliver(update_id) for update_id in again]


def beyond_the_limit(times: list[float], rate: float, burst: float) -> list[tuple[float, int]]:
    """Stretches of sends more than a token bucket of `rate` a second holding `burst` lets through
    (the outbox's pacing, shared by the workers): (seconds, sends) of each."""
    times = sorted(times)
    return [(later - at, j - i + 1) for i, at in enumerate(times) for j, later in enumerate(times[i + 1:], i + 1)
            if j - i + 1 > burst + rate * (later - at) + 1]


async def test_two_workers_behind_nginx_handle_a_storm_once_each_and_in_order(standin, nginx, workers, config):
    rng = random.Random(16)
    db = Recorded(config.database.url)
    await join_officer(db, WANG, OFFICER)
    workers.start()
    await wait_for(lambda: any(c["method"] == "setWebhook" for c in standin.calls), what="the webhook to be set")
    hook_url = nginx.url

    reports = [standin.inject_text(r, REPORT).update_id for r in RESIDENTS]
    reports += [standin.inject_location(r, *INSIDE).update_id for r in RESIDENTS]
    await wait_for(lambda: not standin.unconfirmed(), what="the reports to be delivered")
    twice = redeliver_shuffled(standin, reports, rng)
    await post_again(hook_url, rng.sample(twice, len(twice)))
    await wait_for(lambda: finished(db, standin, reports), timeout=120, what="the reports to be handled")

    presses = [standin.inject_callback(r, *confirm_button(standin, r)).update_id for r in RESIDENTS]
    await wait_for(lambda: not standin.unconfirmed(), what="the presses to be delivered")
    twice = redeliver_shuffled(standin, presses, rng)
    await post_again(hook_url, twice)
    await wait_for(lambda: finished(db, standin, presses), timeout=120, what="the presses to be handled")
    anyway = [standin.inject_callback(r, *confirm_button(standin, r, "仍然新报")).update_id
              for r in RESIDENTS if offered(standin, r)]  # one pile: every 确认 after the first is offered it
    await post_again(hook_url, [standin.redeliver(u) for u in anyway])
    await wait_for(lambda: finished(db, standin, anyway), timeout=120, what="the 仍然新报 presses to be handled")

    everything = reports + presses + anyway
    async with db.session() as s:
        handled = dict((await s.execute(select(InboundUpdate.update_id, InboundUpdate.handled_at)
                                        .where(InboundUpdate.update_id.in_(everything),
                                               InboundUpdate.status == "done"))).all())
        reporters = Counter((await s.execute(select(Case.reporter_id))).scalars())
    in_order = all(handled[reports[i]] <= handled[reports[i + len(RESIDENTS)]] <= handled[presses[i]]
                   for i in range(len(RESIDENTS)))
    replies_in_order = all(replies_follow(standin, r) for r in RESIDENTS)
    doubled, requeued = sent_twice(standin), await queued_twice(db)
    used = nginx.answered_by()
    too_fast = beyond_the_limit([r["at"] for r in standin.sent], OVERALL_PER_SECOND, OVERALL_PER_SECOND)
    await db.dispose()
    print(f"\nposts answered by each worker: {dict(used)}; handled {len(handled)} of {len(everything)}; "
          f"{sum(reporters.values())} cases from {len(reporters)} residents; queued twice {sum(requeued.values())}; "
          f"sent twice {len(doubled)}; {len(standin.sent)} sends, stretches beyond the overall limit {len(too_fast)}")
    assert len(handled) == len(everything)
    assert len(reporters) == len(RESIDENTS) and set(reporters.values()) == {1}
    assert in_order and replies_in_order
    assert not requeued, requeued
    assert not doubled, doubled
    assert len(used) == 2 and min(used.values()) > 0, used
    assert not too_fast, too_fast[:5]


def replies_follow(standin: StandIn, resident: int) -> bool:
    """The resident's replies in the order of what they sent: the question for a place, the summary
    with 确认, the filing notice."""
    texts = [m["text"] or "" for m in standin.messages_to(resident)]
    card = next(i for i, m in enumerate(standin.messages_to(resident))
                if any(b["text"] == "确认" for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                       for b in row))
    filed = [i for i, text in enumerate(texts) if text.startswith("已受理")]
    return len(filed) == 1 and 0 < card < filed[0]
