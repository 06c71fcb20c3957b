"""Who may open what in the command centre (web/), on SQLite and PostgreSQL, through the real ASGI
application (httpx's ASGI transport, no server thread): every post's scope × page and JSON, the
one-time link (single use, 10 minutes, bound to the post), sessions ending with the post, and the
Telegram Mini App's signed initData (valid, tampered, signed with another token, too old).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from bot.cases import Actor
from bot.people import create_invite, ensure_person, redeem_invite, staff_post
from bot.web_access import WebAccess, sign_init_data
from storage.models import Case, Officer, Person
from tests.web.conftest import NOW, TOKEN, client_of
from web.app import COOKIE

DEPARTMENT = "YX-D01"
# One case per place, and one held by a department (in a grid of another street).
PLACES = {"mine": "YX-BZ-01-03", "community": "YX-BZ-01-01", "street": "YX-BZ-02-01", "other": "YX-RY-01-01",
          "department": "YX-RY-02-01"}
SCOPES = ["YX-BZ-01-03", "YX-BZ-01-01", "YX-BZ-01", "YX-BZ-02", "YX-BZ", "YX-RY", "YX"]
# post → (the scopes it may open, the cases it may see)
POSTS = {
    "YX-O00021": ({"YX-BZ-01-03"}, {"mine"}),                                                   # grid officer
    "YX-O00008": ({"YX-BZ-01-03", "YX-BZ-01-01", "YX-BZ-01"}, {"mine", "community"}),           # grid leader
    "YX-O00009": ({"YX-BZ-01-03", "YX-BZ-01-01", "YX-BZ-01"}, {"mine", "community"}),           # community secretary
    "YX-O00003": ({"YX-BZ-01-03", "YX-BZ-01-01", "YX-BZ-01", "YX-BZ-02", "YX-BZ"},
                  {"mine", "community", "street"}),                                             # street supervisor
    "YX-O00001": (set(SCOPES), set(PLACES)),                                                    # district supervisor
    DEPARTMENT: (set(), {"department"}),                                                        # department staff
}


@pytest.fixture
async def world(services):
    """The app on the test database, its clock, the cases by place name, and a way to log in."""
    config, db, clock = services.config, services.db, services.clock
    cases = {}
    async with db.session() as session:
        reporter = await ensure_person(session, 5001, 5001, "居民", None, NOW)
        for n, (name, grid) in enumerate(PLACES.items()):
            case = Case(ticket=f"YX2611240{n}", status="assigned", category="garbage", description="垃圾",
                        grid_id=grid, reporter_id=reporter.id, created_at=NOW - timedelta(hours=1), updated_at=NOW,
                        assignee_department_id=DEPARTMENT if name == "department" else None)
            session.add(case)
            await session.flush()
            cases[name] = case.id
    client = client_of(services)
    yield World(config, db, clock, client, cases)
    await client.aclose()


class World:
    def __init__(self, config, db, clock, client, cases) -> None:
        self.config, self.db, self.clock, self.client, self.cases = config, db, clock, client, cases

    async def link(self, post: str) -> str:
        """A one-time link's path: by `gridsec web link` for an officer post, by /web for department staff."""
        async with self.db.session() as session:
            access = WebAccess(session, self.clock, self.config)
            if post != DEPARTMENT:
                url = await access.link_for_officer(post)
            else:
                person = await self.join(session, 6001, department_id=DEPARTMENT)
                url = await access.link_for(Actor(person, await staff_post(session, person)))
        assert url.startswith(self.config.web.base_url + "/login/")
        return url.removeprefix(self.config.web.base_url)

    async def join(self, session, tg_id: int, **post: str) -> Person:
        person = await ensure_person(session, tg_id, tg_id, f"p{tg_id}", None, self.clock.now())
        invite = await create_invite(session, self.clock.now(), timedelta(hours=1), **post)
        await redeem_invite(session, person, invite.code, self.clock.now())
        return person

    async def login(self, post: str) -> None:
        answer = await self.client.get(await self.link(post))
        assert answer.status_code == 303 and COOKIE in answer.cookies


@pytest.mark.parametrize("post", list(POSTS))
async def test_each_post_opens_its_scope_and_nothing_else(world, post):
    scopes, seen = POSTS[post]
    await world.login(post)
    for scope in SCOPES:
        expected = 200 if scope in scopes else 403
        page = await world.client.get(f"/scope/{scope}")
        assert page.status_code == expected, (post, scope)
        data = await world.client.get("/api/figures", params={"scope": scope})
        assert data.status_code == expected, (post, scope)
        if expected == 200:
            assert data.json()["scope"]["id"] == scope and "受理量" in page.text
        else:
            assert data.json() == {"error": "forbidden"} and "您无权查看" in page.text
    for name, case_id in world.cases.items():
        answer = await world.client.get(f"/api/cases/{case_id}")
        assert answer.status_code == (200 if name in seen else 403), (post, name)
    listed = {c["id"] for c in (await world.client.get("/api/cases")).json()["cases"]}
    assert listed == {world.cases[name] for name in seen}
    page = (await world.client.get("/cases")).text
    assert {name for name, case_id in world.cases.items() if f'data-case="{case_id}"' in page} == seen


async def test_home_opens_the_posts_own_area(world):
    await world.login("YX-O00003")
    assert (await world.client.get("/")).headers["location"] == "/scope/YX-BZ"
    world.client.cookies.clear()
    await world.login("YX-O00001")
    assert (await world.client.get("/")).headers["location"] == "/scope/YX"
    world.client.cookies.clear()
    await world.login(DEPARTMENT)
    assert (await world.client.get("/")).headers["location"] == "/cases"


async def test_a_figures_tile_carries_its_definition(world):
    await world.login("YX-O00001")
    page = (await world.client.get("/scope/YX", params={"from": "2026-11-24", "to": "2026-11-24"})).text
    assert 'data-key="filed" title="本期受理（提交）的诉求件数"' in page
    assert "2026-11-24 – 2026-11-24" in page
    figures = (await world.client.get("/api/figures", params={"scope": "YX", "from": "2026-11-24",
                                                              "to": "2026-11-24"})).json()
    assert figures["filed"] == len(PLACES)
    assert (await world.client.get("/api/figures", params={"scope": "YX", "from": "2026-11-25",
                                                           "to": "2026-11-24"})).status_code == 404
    assert (await world.client.get("/api/figures", params={"scope": "YX-NOPE"})).status_code == 404
    assert (await world.client.get("/api/cases/999999")).status_code == 404


async def test_without_a_session_pages_ask_for_a_link_and_json_answers_401(world):
    page = await world.client.get("/scope/YX")
    assert page.status_code == 401 and "/web" in page.text
    assert (await world.client.get("/api/cases")).status_code == 401
    world.client.cookies.set(COOKIE, "forged")
    assert (await world.client.get("/api/cases")).status_code == 401


async def test_a_link_works_once(world):
    link = await world.link("YX-O00003")
    assert (await world.client.get(link)).status_code == 303
    world.client.cookies.clear()
    again = await world.client.get(link)
    assert again.status_code == 403 and "已经用过" in again.text and COOKIE not in again.cookies
    assert (await world.client.get("/api/cases")).status_code == 401
    assert (await world.client.get("/login/not-a-link")).status_code == 403


async def test_a_link_expires_after_ten_minutes(world):
    fresh, stale = await world.link("YX-O00003"), await world.link("YX-O00003")
    world.clock.advance(timedelta(minutes=9, seconds=59))
    assert (await world.client.get(fresh)).status_code == 303
    world.clock.advance(timedelta(seconds=1))
    expired = await world.client.get(stale)
    assert expired.status_code == 403 and "已过期" in expired.text


async def test_a_session_lasts_its_hours_and_ends_at_logout(world):
    await world.login("YX-O00003")
    world.clock.advance(timedelta(hours=world.config.web.session_hours) - timedelta(seconds=1))
    assert (await world.client.get("/api/cases")).status_code == 200
    world.clock.advance(timedelta(seconds=1))
    assert (await world.client.get("/api/cases")).status_code == 401
    await world.login("YX-O00003")
    assert (await world.client.post("/logout")).status_code == 303
    world.client.cookies.clear()
    assert (await world.client.get("/api/cases")).status_code == 401


async def test_a_link_from_web_is_bound_to_the_person_holding_the_post(world):
    """/web binds the link to its sender as well as the post: once the post changes hands, neither
    the unused link nor the session made from it opens anything."""
    async with world.db.session() as session:
        person = await world.join(session, 6100, officer_id="YX-O00003")
        url = await WebAccess(session, world.clock, world.config).link_for(
            Actor(person, await staff_post(session, person)))
        unused = await WebAccess(session, world.clock, world.config).link_for(
            Actor(person, await staff_post(session, person)))
    assert (await world.client.get(url.removeprefix(world.config.web.base_url))).status_code == 303
    assert (await world.client.get("/api/cases")).status_code == 200
    async with world.db.session() as session:
        (await session.get(Officer, "YX-O00003")).person_id = None  # the post is vacated …
    async with world.db.session() as session:
        await world.join(session, 6101, officer_id="YX-O00003")  # … and a successor takes it
    assert (await world.client.get("/api/cases")).status_code == 401
    world.client.cookies.clear()
    gone = await world.client.get(unused.removeprefix(world.config.web.base_url))
    assert gone.status_code == 403 and "岗位已变更" in gone.text


async def test_a_deactivated_post_ends_its_sessions(world):
    await world.login("YX-O00021")
    async with world.db.session() as session:
        (await session.get(Officer, "YX-O00021")).active = False
    assert (await world.client.get("/api/cases")).status_code == 401


# ---------------------------------------------------------------- Telegram Mini App
def init_data(tg_user_id: int, signed_at: datetime, token: str = TOKEN, **extra: str) -> dict[str, str]:
    fields = {"auth_date": str(int(signed_at.timestamp())), "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
              "user": json.dumps({"id": tg_user_id, "first_name": "罗", "language_code": "zh-hans"},
                                 ensure_ascii=False), **extra}
    return {"init_data": sign_init_data(fields, token)}


async def joined_officer(world, tg_id: int, officer_id: str) -> None:
    async with world.db.session() as session:
        await world.join(session, tg_id, officer_id=officer_id)


async def test_the_mini_app_page_posts_telegrams_init_data(world):
    page = await world.client.get("/app")
    assert page.status_code == 200 and "tgWebAppData" in page.text and '"/login/telegram"' in page.text


async def test_a_mini_app_logs_in_with_its_signed_init_data(world):
    await joined_officer(world, 6200, "YX-O00003")
    answer = await world.client.post("/login/telegram", data=init_data(6200, NOW - timedelta(minutes=5)))
    assert answer.status_code == 200 and answer.json() == {"ok": True, "next": "/"}
    assert (await world.client.get("/api/figures", params={"scope": "YX-BZ"})).status_code == 200
    assert (await world.client.get("/api/figures", params={"scope": "YX-RY"})).status_code == 403


@pytest.mark.parametrize("tamper, reason", [
    ("user", "init_data_bad"),          # another user id put in after signing
    ("hash", "init_data_bad"),          # the hash itself changed
    ("token", "init_data_bad"),         # signed with another bot's token
    ("duplicate", "init_data_bad"),     # a field given twice
    ("no_hash", "init_data_bad"),
    ("old", "init_data_old"),           # older than web.init_data_max_age
    ("future", "init_data_old"),
    ("stranger", "not_staff"),          # valid, but the user holds no post
])
async def test_a_tampered_or_stale_init_data_is_refused(world, tamper, reason):
    await joined_officer(world, 6200, "YX-O00003")
    signed_at = {"old": NOW - world.config.web.init_data_max_age - timedelta(seconds=1),
                 "future": NOW + timedelta(minutes=5)}.get(tamper, NOW)
    form = init_data(6300 if tamper == "stranger" else 6200, signed_at,
                     token="654321:OTHER" if tamper == "token" else TOKEN)
    raw = form["init_data"]
    if tamper == "user":
        raw = raw.replace("6200", "6201")
    elif tamper == "hash":
        raw = raw[:-1] + ("0" if raw[-1] != "0" else "1")
    elif tamper == "duplicate":
        raw += "&auth_date=1"
    elif tamper == "no_hash":
        raw = raw[:raw.index("&hash=")]
    answer = await world.client.post("/login/telegram", data={"init_data": raw})
    assert answer.status_code == 403 and answer.json() == {"error": reason}
    assert COOKIE not in answer.cookies
