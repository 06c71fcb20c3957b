"""Callbacks: a public status change of a request filed with a callback URL is a persisted row,
posted to a real HTTP receiver on loopback; a 5xx is retried after a backoff, a 4xx is given up, and
a post in flight when the process stopped is posted again. The worker's passes are driven by hand
on a movable clock: no sleeps."""
from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.callbacks import CallbackWorker
from bot.channels import create_key
from bot.clock import ManualClock
from bot.desk import Caller
from bot.people import create_invite, ensure_person, redeem_invite
from gridsec.simulate import free_port
from storage.models import CallbackDelivery, Case
from tests.web.conftest import NOW, client_of
from web.open311_callbacks import HttpCallbacks

OFFICER = "YX-O00022"  # 秉政苑's grid officer in the bundled sample district
FENG = Caller(200001, 200001, "feng")


@pytest.fixture
async def receiver():
    """Answers with the statuses in `answers` (then 200), keeping every body."""
    state = {"answers": [], "bodies": []}

    async def take(request: web.Request) -> web.Response:
        state["bodies"].append(await request.json())
        return web.Response(status=state["answers"].pop(0) if state["answers"] else 200)

    app = web.Application()
    app.router.add_post("/hook", take)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state["url"] = f"http://127.0.0.1:{port}/hook"
    yield state
    await runner.cleanup()


async def accepted_case(services, url: str) -> Case:
    """A hotline request with a callback URL, accepted by its grid officer: one callback owed."""
    async with services.db.session() as s:
        key = await create_key(s, "12345热线", NOW)
        person = await ensure_person(s, FENG.user_id, FENG.chat_id, FENG.name, None, NOW)
        invite = await create_invite(s, NOW, timedelta(hours=1), officer_id=OFFICER)
        await redeem_invite(s, person, invite.code, NOW)
    async with client_of(services) as api:
        filed = await api.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "garbage", "address_string": "秉政苑2栋", "callback_url": url})
    assert filed.status_code == 201, filed.text
    async with services.desk(FENG) as desk:
        case = await desk.cases.by_ticket(filed.json()[0]["service_request_id"])
        await desk.cases.accept(case, desk.actor)
    return case


async def deliveries(services) -> list[CallbackDelivery]:
    async with services.db.session() as s:
        return list((await s.execute(select(CallbackDelivery).order_by(CallbackDelivery.id))).scalars())


def worker_for(services, wall: ManualClock) -> CallbackWorker:
    return CallbackWorker(services.db, HttpCallbacks(services), services.config.open311, now=wall.now)


async def test_a_failed_post_is_retried_after_its_backoff(services, receiver):
    case = await accepted_case(services, receiver["url"])
    (owed,) = await deliveries(services)
    wall = ManualClock(owed.next_attempt_at)
    worker = worker_for(services, wall)
    receiver["answers"] = [503]
    await worker.drain_once()
    (row,) = await deliveries(services)
    assert (row.status, row.attempts, len(receiver["bodies"])) == ("pending", 1, 1)
    await worker.drain_once()  # not due yet: nothing is posted
    assert len(receiver["bodies"]) == 1
    wall.advance(timedelta(seconds=services.config.open311.callback_backoff_seconds))
    await worker.drain_once()
    (row,) = await deliveries(services)
    assert row.status == "sent" and worker.delivered == 1
    body = receiver["bodies"][-1]
    assert (body["service_request_id"], body["event"]["action"], body["detailed_status"]) == \
        (case.ticket, "accept", "accepted")
    assert "phone" not in body and "email" not in body


async def test_a_refusal_is_given_up_and_a_post_in_flight_at_a_stop_is_sent_again(services, receiver):
    await accepted_case(services, receiver["url"])
    (owed,) = await deliveries(services)
    async with services.db.session() as s:  # the last process died while posting it
        (await s.get(CallbackDelivery, owed.id)).status = "sending"
    worker = worker_for(services, ManualClock(owed.next_attempt_at))
    await worker.drain_once()
    assert [r.status for r in await deliveries(services)] == ["sent"] and len(receiver["bodies"]) == 1
    async with services.db.session() as s:
        (await s.get(CallbackDelivery, owed.id)).status = "pending"
    receiver["answers"] = [404]
    await worker.drain_once()
    (row,) = await deliveries(services)
    assert (row.status, row.last_error) == ("failed", "HTTP 404")
