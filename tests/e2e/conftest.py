"""End-to-end fixtures: the real bot (PTB Application, polling) against the Telegram stand-in."""
from __future__ import annotations

from pathlib import Path

import pytest

from gridsec.simulate import Simulation, simulation_config
from handlers.texts import BUTTONS, t

ASSETS = Path(__file__).resolve().parents[2] / "gridsec" / "assets"
START = "2026-11-24T14:00:00+08:00"  # the sample grid officer works 13:00-22:00
# In the bundled sample district: (23.1291, 113.2644) lies in grid YX-BZ-01-03, whose officer is YX-O00021.
INSIDE = (23.1291, 113.2644)
OFFICER = "YX-O00021"
OUTSIDE = (23.2000, 113.4000)
PEOPLE = [
    {"name": "alice", "role": "resident"},
    {"name": "bob", "role": "resident"},
    {"name": "wang", "role": "grid_officer", "officer_id": OFFICER},
]


@pytest.fixture
async def sim_for(config, tmp_path):
    """sim_for(users, start=..., web={...}, casework={...}) → a running Simulation (`web`, `casework`:
    changes to those sections); stopped after the test."""
    running = []

    async def make(users=PEOPLE, start=START, transport="polling", web: dict | None = None,
                   casework: dict | None = None) -> Simulation:
        cfg = simulation_config(config, config.database.url, None, tmp_path)
        if web:
            cfg = cfg.copy_with(web=cfg.web.copy_with(**web))
        if casework:
            cfg = cfg.copy_with(casework=cfg.casework.copy_with(**casework))
        sim = Simulation(cfg, {"start": start, "users": users, "steps": []}, ASSETS, emit=lambda record: None,
                         transport=transport)
        await sim.__aenter__()
        running.append(sim)
        return sim

    yield make
    for sim in running:
        await sim.__aexit__(None, None, None)


@pytest.fixture
async def sim(sim_for) -> Simulation:
    return await sim_for()


def texts(records: list[dict], to: str | None = None) -> list[str]:
    return [r["text"] for r in records if to is None or r["to"] == to]


async def file_case(sim: Simulation, user: str = "alice", text: str = "楼下垃圾堆了三天了没人收") -> str:
    """Report through the bot and return the ticket number. With a case of theirs open, the bot asks
    whether a report at no new place is about that case; the resident answers 反映新问题. Offered an
    open case nearby that looks the same (附近已有相同问题), they report it anyway (仍然新报)."""
    out = await sim.play({"user": user, "text": text})
    if any(t("meant_report") in b for r in out if r["to"] == user for b in r["buttons"]):
        await sim.play({"user": user, "press": t("meant_report")})
    await sim.play({"user": user, "location": list(INSIDE)})
    out = await sim.play({"user": user, "press": "确认"})
    if any(BUTTONS["file_anyway"] in r["buttons"] for r in out if r["to"] == user):
        out = await sim.play({"user": user, "press": BUTTONS["file_anyway"]})
    return next(r["case"] for r in out if r["to"] == user and r["case"])


async def resolve(sim: Simulation, note: str = "已处理", officer: str = "wang") -> list[dict]:
    """The officer accepts the case on their card and closes it with a note (接单, 办结, note, 确认办结)."""
    await sim.play({"user": officer, "press": "接单"})
    await sim.play({"user": officer, "press": "办结"})
    await sim.play({"user": officer, "text": note})
    return await sim.play({"user": officer, "press": "确认办结"})
