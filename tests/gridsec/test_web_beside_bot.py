"""`gridsec run` with `web.enabled` serves the command centre in the bot's own process and event loop,
on the bot's services, and stops it with the bot. The real BotRuntime against the stand-in."""
from __future__ import annotations

import socket

import httpx
import pytest

from bot.web_access import WebAccess
from gridsec.app import BotRuntime
from gridsec.simulate import free_port, simulation_config
from gridsec.web_server import WebPortTaken

DISTRICT_SUPERVISOR = "YX-O00001"  # the sample district's


async def test_a_running_bot_answers_the_command_centre_on_its_port_until_stopped(sim_for):
    port = free_port()
    sim = await sim_for(web={"enabled": True, "port": port})
    base = f"http://127.0.0.1:{port}"
    async with sim.runtime.services.db.session() as session:
        link = await WebAccess(session, sim.clock, sim.runtime.config).link_for_officer(DISTRICT_SUPERVISOR)
    assert link.startswith(base)
    async with httpx.AsyncClient(base_url=base) as browser:
        assert (await browser.get("/api/map", params={"scope": "YX"})).status_code == 401  # not logged in yet
        landed = await browser.get(link, follow_redirects=True)
        assert landed.status_code == 200 and landed.url.path == "/scope/YX"
        assert (await browser.get("/api/map", params={"scope": "YX"})).status_code == 200
    await sim.runtime.stop()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=base) as browser:
            await browser.get("/")


async def test_without_web_enabled_the_bot_serves_no_command_centre(sim):
    assert sim.runtime.web is None


async def test_a_taken_port_stops_the_start_with_a_clear_error(config, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = simulation_config(config, config.database.url, None, tmp_path)
        runtime = BotRuntime(cfg.copy_with(web=cfg.web.copy_with(enabled=True, port=port)))
        with pytest.raises(WebPortTaken, match=f"127.0.0.1:{port}"):
            await runtime.start()
        assert runtime.application is None and runtime.web is None
