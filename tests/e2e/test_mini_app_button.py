"""Where the command centre has a public https address, a staff chat's menu button opens it as a
Telegram Mini App: set at /join and again at /web, through the outbox, at the stand-in."""
from __future__ import annotations

from datetime import timedelta

from bot.people import create_invite

PUBLIC = "https://gridsec.example.org"


async def join(sim, user: str, officer_id: str) -> list[dict]:
    async with sim.runtime.services.db.session() as s:
        invite = await create_invite(s, sim.clock.now(), timedelta(hours=1), officer_id=officer_id)
    return await sim.play({"user": user, "text": f"/join {invite.code}"})


async def test_a_staff_chat_gets_the_mini_app_button_at_join_and_residents_do_not(sim_for):
    sim = await sim_for(web={"public_url": PUBLIC})
    alice, bob = sim.users["alice"].tg_id, sim.users["bob"].tg_id
    out = await join(sim, "alice", "YX-O00003")
    assert "绑定成功" in out[0]["text"]
    assert sim.standin.world.menu_buttons[alice] == {
        "type": "web_app", "text": "指挥中心", "web_app": {"url": f"{PUBLIC}/app"}}
    await sim.play({"user": "bob", "text": "你好"})
    assert bob not in sim.standin.world.menu_buttons


async def test_web_sets_the_button_again_for_staff_who_joined_before(sim_for):
    sim = await sim_for(web={"public_url": PUBLIC + "/"})
    wang = sim.users["wang"].tg_id  # joined before the test began
    assert wang not in sim.standin.world.menu_buttons
    out = await sim.play({"user": "wang", "command": "web"})
    assert f"{PUBLIC}/login/" in out[0]["text"]
    assert sim.standin.world.menu_buttons[wang]["web_app"]["url"] == f"{PUBLIC}/app"


async def test_without_an_https_address_no_menu_button_is_set(sim_for):
    sim = await sim_for(web={"public_url": "http://10.0.0.5:8080"})
    await join(sim, "alice", "YX-O00003")
    await sim.play({"user": "wang", "command": "web"})
    assert sim.standin.world.menu_buttons == {}
    assert not any(c["method"] == "setChatMenuButton" for c in sim.standin.calls)
