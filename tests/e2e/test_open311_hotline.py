"""A 12345 hotline request end to end: filed through the Open311 API of the running bot (web.enabled),
it reaches the grid officer's phone (the Telegram stand-in) with its channel shown; the officer's
接单, a not-my-grid 转办 and the next officer's 办结 show in status_notes and agency_responsible, and
reach the hotline's callback URL (a real HTTP server on loopback)."""
from __future__ import annotations

import asyncio
import json

import httpx
from aiohttp import web

from bot.channels import create_key
from gridsec.simulate import free_port
from tests.e2e.conftest import resolve

PEOPLE = [
    {"name": "feng", "role": "grid_officer", "officer_id": "YX-O00022"},  # 秉政苑's grid, YX-BZ-01-04
    {"name": "wang", "role": "grid_officer", "officer_id": "YX-O00021"},  # the next grid, YX-BZ-01-03
]


class Receiver:
    """The hotline's callback endpoint: keeps every body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.url = ""

    async def start(self) -> None:
        async def take(request: web.Request) -> web.Response:
            self.bodies.append(json.loads(await request.read()))
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/hook", take)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/hook"

    async def until(self, count: int, services, timeout: float = 30.0) -> list[dict]:
        """Wait (waking the callback worker) until `count` bodies came."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.bodies) < count and loop.time() < deadline:
            services.queued()
            await asyncio.sleep(0.02)
        assert len(self.bodies) >= count, self.bodies
        return self.bodies


async def test_a_hotline_request_is_handled_like_a_chat_report_and_its_channel_follows_it(sim_for):
    port = free_port()
    sim = await sim_for(PEOPLE, web={"enabled": True, "port": port})
    services = sim.runtime.services
    async with services.db.session() as s:
        key = await create_key(s, "12345热线", sim.clock.now())
    receiver = Receiver()
    await receiver.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/open311/v2") as api:
            filed = await api.post("/requests.json", data={
                "api_key": key, "service_code": "garbage", "address_string": "秉政苑2栋",
                "description": "秉政苑2栋楼下垃圾桶满了没人清", "last_name": "李", "first_name": "小明",
                "phone": "13812345678", "callback_url": receiver.url})
            assert filed.status_code == 201, filed.text
            ticket = filed.json()[0]["service_request_id"]
            await sim.settle([])
            out = await sim.flush(1)
            card = next(r for r in out if r["to"] == "feng" and r["buttons"][:1] == ["接单"])
            assert ticket in card["text"] and "来源：12345热线" in card["text"] and "李**（138****5678）" in card["text"]

            await sim.play({"user": "feng", "press": "接单"})
            accepted = (await receiver.until(1, services))[-1]
            assert accepted["service_request_id"] == ticket and accepted["detailed_status"] == "accepted"
            assert "接单" in accepted["status_notes"]

            await sim.play({"user": "feng", "press": "转办"})
            await sim.play({"user": "feng", "press": "其他网格"})
            await sim.play({"user": "feng", "text": "YX-BZ-01-03"})
            out = await sim.play({"user": "feng", "text": "秉政苑2栋其实在隔壁网格"})
            assert any(r["to"] == "wang" and "来源：12345热线" in r["text"] for r in out)
            moved = (await api.get(f"/requests/{ticket}.json", params={"api_key": key, "extensions": "true"})).json()[0]
            assert (moved["agency_responsible"], moved["grid_id"]) == ("秉北社区第3网格", "YX-BZ-01-03")

            note = await api.post(f"/requests/{ticket}/notes.json",
                                  data={"api_key": key, "description": "来电人补充：东侧也有一堆"})
            assert note.status_code == 201
            await sim.settle([])
            assert any("来电人补充：东侧也有一堆" in r["text"] for r in await sim.flush(2) if r["to"] == "wang")

            await resolve(sim, "已清运，垃圾桶已清空", officer="wang")
            done = (await api.get(f"/requests/{ticket}.json", params={"api_key": key})).json()[0]
            assert done["status"] == "closed"
            lines = done["status_notes"].split("\n")
            assert [line.split(" ", 2)[2] for line in lines] == ["接单", "转办", "接单", "办结：已清运，垃圾桶已清空"]
            bodies = await receiver.until(4, services)
            assert [b["event"]["action"] for b in bodies] == ["accept", "transfer", "accept", "resolve"]
            assert bodies[-1]["status"] == "closed" and bodies[-1]["agency_responsible"] == "秉北社区第3网格"
    finally:
        await receiver.runner.cleanup()
