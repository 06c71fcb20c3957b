"""The bot on the real Rasa NLU server: plain Chinese is understood end to end, and killing the
server in the middle of a conversation loses nothing (the keyword fallback answers meanwhile)."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from gridsec.simulate import Simulation, simulation_config
from nlu import server
from storage.models import Case, CaseEvent
from tests.e2e.conftest import ASSETS, START, texts

PEOPLE = [
    {"name": "alice", "role": "resident"},
    {"name": "feng", "role": "grid_officer", "officer_id": "YX-O00022"},   # 秉政苑, YX-BZ-01-04
    {"name": "deng", "role": "grid_officer", "officer_id": "YX-O00026"},   # 文澜市场, YX-BZ-02-04
]


@pytest.fixture
async def rasa_sim(config, tmp_path):
    running = []

    async def make(url: str) -> Simulation:
        cfg = simulation_config(config, config.database.url, None, tmp_path)
        cfg = cfg.copy_with(nlu=cfg.nlu.copy_with(backend="rasa", url=url, timeout_seconds=5))
        sim = Simulation(cfg, {"start": START, "users": PEOPLE, "steps": []}, ASSETS, emit=lambda r: None)
        await sim.__aenter__()
        running.append(sim)
        return sim

    yield make
    for sim in running:
        await sim.__aexit__(None, None, None)


async def cases(sim) -> list[Case]:
    async with sim.runtime.services.db.session() as s:
        return list((await s.execute(select(Case).order_by(Case.id))).scalars())


async def test_plain_chinese_is_filed_with_category_place_and_urgency(rasa_sim, rasa_url):
    sim = await rasa_sim(rasa_url)
    out = await sim.play({"user": "alice", "text": "文澜市场门口成日有人摆摊卖菜，行人都过唔到"})
    assert "占道经营" in out[-1]["text"] and "文澜市场" in out[-1]["text"]
    await sim.play({"user": "alice", "press": "确认"})
    out = await sim.play({"user": "alice", "text": "秉政苑2栋楼道里好大一股煤气味，好危险"})
    assert "（紧急）" in out[-1]["text"] and "燃气" in out[-1]["text"]
    out = await sim.play({"user": "alice", "press": "确认"})
    card = [r for r in out if r["to"] == "feng" and r["buttons"]][-1]
    assert card["text"].startswith("🚨 紧急")
    vending, gas = await cases(sim)
    assert (vending.category, vending.grid_id, vending.urgent) == ("street_vending", "YX-BZ-02-04", False)
    assert (gas.category, gas.grid_id, gas.urgent) == ("gas_emergency", "YX-BZ-01-04", True)


async def test_progress_and_urging_in_plain_words(rasa_sim, rasa_url):
    sim = await rasa_sim(rasa_url)
    await sim.play({"user": "alice", "text": "秉政苑1栋下面啲垃圾堆咗成个礼拜冇人理"})
    out = await sim.play({"user": "alice", "press": "确认"})
    ticket = next(r["case"] for r in out if r["to"] == "alice" and r["case"])
    out = await sim.play({"user": "alice", "text": "我的垃圾问题处理到哪了"})
    assert ticket in out[0]["text"] and "待接单" in out[0]["text"]
    out = await sim.play({"user": "alice", "text": "催一下"})
    assert any("催办" in t for t in texts(out, "feng"))
    async with sim.runtime.services.db.session() as s:
        actions = list((await s.execute(select(CaseEvent.action).order_by(CaseEvent.id))).scalars())
    assert actions[-1] == "urge"


async def test_killing_the_server_mid_conversation_loses_nothing(rasa_sim, rasa_model):
    own = server.start_server(port=None, model=rasa_model, timeout=300)
    try:
        sim = await rasa_sim(own.url)
        out = await sim.play({"user": "alice", "text": "秉政苑2栋门口的路灯坏咗好耐"})
        assert "路灯" in out[-1]["text"]
    finally:
        own.stop()  # the server dies between two messages of one report
    out = await sim.play({"user": "alice", "text": "晚上成条路黑蚊蚊好危险"})
    assert out and "路灯" in out[-1]["text"]  # the keyword fallback carried the conversation
    out = await sim.play({"user": "alice", "press": "确认"})
    assert any(r["to"] == "feng" for r in out)
    (case,) = await cases(sim)
    assert case.category == "streetlight" and "黑蚊蚊" in case.description
