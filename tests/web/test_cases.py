"""The command centre's cases on SQLite and PostgreSQL: the filtered, paged list; the case page
(timeline, the reporter masked as in chat, photos only for those who may see the case); and the
supervisor's 督办 / 延期 / 改派 through the desk and CaseService, which put the officer's Telegram
message in the outbox exactly as the same action in chat does."""
from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from shapely.geometry import Point, shape
from sqlalchemy import select

from bot.people import create_invite, ensure_person, redeem_invite
from bot.web_access import WebAccess
from storage.models import Attachment, Case, CaseEvent, OutboxMessage
from tests.web.conftest import NOW, client_of

H = timedelta(hours=1)
OFFICER, OFFICER_CHAT = "YX-O00021", 7021          # grid YX-BZ-01-03
COLLEAGUE, COLLEAGUE_CHAT = "YX-O00020", 7020      # grid YX-BZ-01-02, same community
PLACE = (23.1291, 113.2644)                        # lat, lon in grid YX-BZ-01-03
STREET, STREET_CHAT = "YX-O00003", 7003            # street supervisor of YX-BZ
PHOTO = b"\xff\xd8\xff\xe0 not much of a jpeg"


@pytest.fixture
async def world(services):
    """Joined officer, colleague and street supervisor; 55 cases in YX-BZ-01-03 (the newest one with a
    photo and its officer assigned) and one garbage case elsewhere."""
    ids = {}
    async with services.db.session() as session:
        for officer, chat in ((OFFICER, OFFICER_CHAT), (COLLEAGUE, COLLEAGUE_CHAT), (STREET, STREET_CHAT)):
            person = await ensure_person(session, chat, chat, f"p{chat}", None, NOW)
            invite = await create_invite(session, NOW, H, officer_id=officer)
            await redeem_invite(session, person, invite.code, NOW)
        reporter = await ensure_person(session, 5001, 5001, "张伟明", None, NOW)
        reporter.phone = "13812345678"
        for n in range(55):
            session.add(Case(ticket=f"YX26112{n:04d}", status="accepted" if n else "closed",
                             category="noise" if n % 2 else "streetlight", description=f"第{n}号 楼下噪音",
                             grid_id="YX-BZ-01-03", reporter_id=reporter.id, assignee_officer_id=OFFICER,
                             created_at=NOW - (55 - n) * H, updated_at=NOW, accepted_at=NOW - (55 - n) * H,
                             due_from=NOW - (55 - n) * H, resolve_due_at=NOW - (50 - n) * H,
                             lat=PLACE[0] if n == 54 else None, lon=PLACE[1] if n == 54 else None))
        session.add(Case(ticket="YX261124OTHER", status="accepted", category="garbage", description="垃圾满了",
                         grid_id="YX-RY-01-01", reporter_id=reporter.id, created_at=NOW - H, updated_at=NOW,
                         resolve_due_at=NOW + 5 * H))
        await session.flush()
        ids["newest"] = await session.scalar(select(Case.id).where(Case.ticket == "YX261120054"))
        ids["other"] = await session.scalar(select(Case.id).where(Case.ticket == "YX261124OTHER"))
        stored = services.photos.save(PHOTO)
        photo = Attachment(case_id=ids["newest"], purpose="report", tg_file_id="f", tg_file_unique_id="u",
                           path=stored.path, sha256=stored.sha256, size=stored.size, created_at=NOW)
        session.add(photo)
        await session.flush()
        ids["photo"] = photo.id
    return ids


async def logged_in(services, officer: str):
    async with services.db.session() as session:
        link = await WebAccess(session, services.clock, services.config).link_for_officer(officer)
    client = client_of(services)
    assert (await client.get(link.removeprefix(services.config.web.base_url))).status_code == 303
    return client


def tickets(page: str) -> list[str]:
    return re.findall(r'<a href="/cases/\d+">(YX\w+)</a>', page)


async def listed(client, **params) -> tuple[int, list[str]]:
    data = (await client.get("/api/cases", params=params)).json()
    return data["total"], [c["ticket"] for c in data["cases"]]


async def test_the_list_filters_and_pages(services, world):
    client = await logged_in(services, "YX-O00001")
    total, first = await listed(client)
    assert total == 56 and len(first) == 50 and first[0] == "YX261124OTHER"
    _, second = await listed(client, page="2")
    assert second == [f"YX26112{n:04d}" for n in range(5, -1, -1)]
    assert (await listed(client, status="closed")) == (1, ["YX261120000"])
    assert (await listed(client, category="garbage")) == (1, ["YX261124OTHER"])
    assert (await listed(client, scope="YX-RY")) == (1, ["YX261124OTHER"])
    assert (await listed(client, q="第7号"))[1] == ["YX261120007"]
    # past their 办结 limit now: the open ones due before NOW (n < 50), not the closed one
    assert (await listed(client, overdue="1"))[0] == 49
    # filed on the local day 2026-11-23 (16:00 UTC on the 22nd to 16:00 UTC on the 23rd)
    day_total, day = await listed(client, **{"from": "2026-11-23", "to": "2026-11-23"})
    assert day_total == 24 and all(t.startswith("YX26112") for t in day)
    page = (await client.get("/cases", params={"category": "noise", "page": "1"})).text
    assert "共 27 件，第 1/1 页" in page and len(tickets(page)) == 27
    page = (await client.get("/cases")).text
    assert "共 56 件，第 1/2 页" in page and 'href="/cases?page=2"' in page
    await client.aclose()


async def test_a_grid_officer_cannot_filter_their_way_out_of_their_grid(services, world):
    client = await logged_in(services, OFFICER)
    assert (await listed(client))[0] == 55
    assert (await client.get("/api/cases", params={"scope": "YX-RY"})).status_code == 403
    assert (await client.get(f"/cases/{world['other']}")).status_code == 403
    await client.aclose()


async def test_the_case_page_shows_the_timeline_and_masks_the_reporter(services, world):
    client = await logged_in(services, STREET)
    page = (await client.get(f"/cases/{world['newest']}")).text
    assert "YX261120054" in page and "第54号 楼下噪音" in page
    reporter = re.search(r'<dd class="reporter">(.*?)</dd>', page).group(1)
    assert "张伟明" not in page and "13812345678" not in page and reporter.startswith("张")
    assert f'<img src="/photos/{world["photo"]}"' in page
    assert 'id="supervise"' in page and "谢华（秉北社区第2网格）" in page  # the colleague to 改派 to
    await client.aclose()


async def test_the_case_page_timeline_says_who_received_each_escalation(services, world):
    async with services.db.session() as session:
        for data in ({"phase": "resolve", "to": ["YX-O00003"], "names": ["罗红"], "roles": ["street_supervisor"]},
                     {"phase": "resolve", "to": [], "names": [], "roles": [], "duty": False}):
            session.add(CaseEvent(case_id=world["newest"], at=NOW, actor_role="system", action="escalate",
                                  from_status="accepted", to_status="accepted", data=data))
    client = await logged_in(services, STREET)
    page = html.unescape((await client.get(f"/cases/{world['newest']}")).text)
    assert "超时上报：街道督办 罗红" in page and "超时上报：无人接收（上级均未绑定）" in page
    await client.aclose()


async def test_the_case_page_maps_the_place_on_its_grid_polygon(services, world):
    client = await logged_in(services, STREET)
    page = (await client.get(f"/cases/{world['newest']}")).text
    place = json.loads(html.unescape(re.search(r"<div id=\"place-map\" data-place='(.*?)'>", page).group(1)))
    assert place["grid"] == "YX-BZ-01-03" and place["point"] == [PLACE[1], PLACE[0]]
    [outline] = place["geojson"]["features"]
    assert outline["properties"]["name"] == "YX-BZ-01-03" and outline["geometry"]["type"] == "Polygon"
    assert shape(outline["geometry"]).contains(Point(PLACE[1], PLACE[0]))
    assert "/static/case_map.js" in page
    async with services.db.session() as session:
        pointless = await session.scalar(select(Case.id).where(Case.ticket == "YX261120053"))
    unplaced = (await client.get(f"/cases/{pointless}")).text  # no point: the polygon alone
    assert json.loads(html.unescape(re.search(r"data-place='(.*?)'", unplaced).group(1)))["point"] is None
    await client.aclose()


async def test_photos_are_served_only_to_those_who_may_see_the_case(services, world):
    allowed = await logged_in(services, STREET)
    answer = await allowed.get(f"/photos/{world['photo']}")
    assert answer.status_code == 200 and answer.content == PHOTO
    other_street = await logged_in(services, "YX-O00002")  # street supervisor of YX-RY
    assert (await other_street.get(f"/photos/{world['photo']}")).status_code == 403
    assert (await client_of(services).get(f"/photos/{world['photo']}")).status_code == 401
    for client in (allowed, other_street):
        await client.aclose()


async def outbox_to(services, chat_id: int) -> list[str]:
    async with services.db.session() as session:
        rows = (await session.execute(select(OutboxMessage.payload).where(OutboxMessage.chat_id == chat_id)
                                      .order_by(OutboxMessage.id))).scalars()
        return [payload.get("text", "") for payload in rows]


async def timeline(services, case_id: int) -> list[tuple[str, str | None]]:
    async with services.db.session() as session:
        return [(e.action, e.note) for e in (await session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))).scalars()]


async def test_supervise_extend_and_reassign_tell_the_officer_through_the_outbox(services, world):
    case_id = world["newest"]
    client = await logged_in(services, STREET)
    before = len(await outbox_to(services, OFFICER_CHAT))
    answer = await client.post(f"/cases/{case_id}/supervise", data={"note": "请今天内处理完"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/cases/{case_id}?done=supervise"
    told = (await outbox_to(services, OFFICER_CHAT))[before:]
    assert len(told) == 1 and "请今天内处理完" in told[0] and "督办" in told[0]
    assert "已督办" in (await client.get(answer.headers["location"])).text

    answer = await client.post(f"/cases/{case_id}/extend", data={"text": "2天 需协调物业"})
    assert answer.status_code == 303
    async with services.db.session() as session:
        case = await session.get(Case, case_id)
        assert case.resolve_due_at > NOW + 40 * H
    assert "需协调物业" in (await outbox_to(services, OFFICER_CHAT))[-1]

    refused = await client.post(f"/cases/{case_id}/extend", data={"text": "过几天吧"})
    assert refused.status_code == 409 and 'class="notice refused"' in refused.text

    answer = await client.post(f"/cases/{case_id}/reassign", data={"officer_id": COLLEAGUE, "reason": "同事更熟悉"})
    assert answer.status_code == 303
    assert any("同事更熟悉" in text or "YX261120054" in text for text in await outbox_to(services, COLLEAGUE_CHAT))
    actions = [a for a, _ in await timeline(services, case_id)]
    assert actions[-3:] == ["supervise", "extend", "transfer"]
    async with services.db.session() as session:
        assert (await session.get(Case, case_id)).assignee_officer_id == COLLEAGUE
    await client.aclose()


async def test_an_officer_who_is_no_supervisor_of_the_case_gets_no_action(services, world):
    client = await logged_in(services, OFFICER)  # the assignee: sees the case, may not 督办 it
    page = (await client.get(f"/cases/{world['newest']}")).text
    assert 'id="supervise"' not in page
    refused = await client.post(f"/cases/{world['newest']}/supervise", data={"note": "自己督办自己"})
    assert refused.status_code == 409
    assert all(a != "supervise" for a, _ in await timeline(services, world["newest"]))
    outsider = await logged_in(services, "YX-O00002")
    assert (await outsider.post(f"/cases/{world['newest']}/supervise", data={"note": "x"})).status_code == 403
    for c in (client, outsider):
        await c.aclose()


async def test_the_filtered_list_and_the_figures_export_to_excel_and_csv(services, world):
    client = await logged_in(services, STREET)
    answer = await client.get("/export/cases.xlsx", params={"category": "noise"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("工单号", "状态", "类别") and len(rows) == 1 + 27
    assert {r[2] for r in rows[1:]} == {services.config.category_name("noise")}
    answer = await client.get("/export/cases.csv", params={"q": "第7号"})
    assert answer.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r[0] for r in table] == ["工单号", "YX261120007"]
    answer = await client.get("/export/figures.xlsx", params={"scope": "YX-BZ", "from": "2026-11-22",
                                                               "to": "2026-11-24"})
    figures = {r[1]: r[2] for r in load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True)}
    json = (await client.get("/api/figures", params={"scope": "YX-BZ", "from": "2026-11-22", "to": "2026-11-24"})).json()
    assert figures["filed"] == json["filed"] == 55 and figures["overdue_open"] == json["overdue_open"]
    assert (await client.get("/export/figures.csv", params={"scope": "YX-RY"})).status_code == 403
    assert (await client.get("/export/cases.pdf")).status_code == 404
    assert (await client.get("/export/cases.csv", params={"scope": "YX-RY"})).status_code == 403
    await client.aclose()


async def test_the_area_page_shows_the_hot_spots_its_grid_leaders_are_pinged_about(services, world):
    """The world's last day brought a dozen noise and a dozen streetlight cases to YX-BZ-01-03, far more
    than its own days before: both are hot spots (bot/hotspots.py), shown with links to their cases."""
    client = await logged_in(services, STREET)
    page = (await client.get("/scope/YX-BZ-01")).text
    table = page[page.index('<table id="hot-spots">'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") == 3 and "路灯" in table and "噪音" in table
    assert f'<a href="/cases/{world["newest"]}">YX261120054</a>' in table
    response = await client.get("/scope/YX-BZ-02")  # another community: nothing unusual
    assert response.status_code == 200 and 'id="hot-spots"' not in response.text
    await client.aclose()
