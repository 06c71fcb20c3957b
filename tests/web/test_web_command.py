"""/web in the bot, end to end through the real PTB Application and the Telegram stand-in, on
SQLite and PostgreSQL: staff get a one-time link that logs the browser in as their post; a
resident is told the command centre is for staff."""
from __future__ import annotations

import re

from gridsec.simulate import Simulation, simulation_config
from tests.e2e.conftest import ASSETS, START
from tests.web.conftest import client_of
from web.app import COOKIE

LUO = {"name": "luo", "role": "street_supervisor", "officer_id": "YX-O00003"}  # street YX-BZ
ALICE = {"name": "alice", "role": "resident"}


async def test_staff_get_a_link_that_logs_them_in_and_residents_do_not(config, tmp_path):
    cfg = simulation_config(config, config.database.url, None, tmp_path)
    async with Simulation(cfg, {"start": START, "users": [LUO, ALICE], "steps": []}, ASSETS,
                          emit=lambda record: None) as sim:
        [answer] = await sim.play({"user": "luo", "text": "/web"})
        refused = await sim.play({"user": "alice", "text": "/web"})
        assert answer["to"] == "luo" and "10分钟内有效" in answer["text"]
        assert [r["text"] for r in refused] and all("/login/" not in r["text"] for r in refused)
        path = re.search(r"http://127\.0\.0\.1:8080(/login/\S+)", answer["text"]).group(1)
        async with client_of(sim.runtime.services) as client:
            login = await client.get(path)
            assert login.status_code == 303 and COOKIE in login.cookies
            assert (await client.get("/")).headers["location"] == "/scope/YX-BZ"
            assert (await client.get("/api/figures", params={"scope": "YX-RY"})).status_code == 403
