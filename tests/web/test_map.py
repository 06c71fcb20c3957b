"""The command centre's map (bot/area_map.py and /api/map) on SQLite and PostgreSQL: the areas one
level below a scope, their outlines from the district's own polygons, and the colour rule — red
past a limit, yellow within 20 % of one, green on time, grey with nothing open — on purpose-built
cases; outside the viewer's scope the map answers 403."""
from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import shape

from bot.area_map import area_map, state_of
from bot.figures import Period, find_scope
from bot.people import ensure_person
from bot.web_access import WebAccess
from storage.models import Case, Grid
from tests.web.conftest import NOW, client_of

H = timedelta(hours=1)


async def build(session) -> None:
    reporter = await ensure_person(session, 5001, 5001, "居民", None, NOW)
    cases = [
        # grid YX-BZ-01-03 (community YX-BZ-01): past its 办结 limit → red
        ("YX-BZ-01-03", "accepted", dict(due_from=NOW - 5 * H, resolve_due_at=NOW - H)),
        # and an on-time one beside it: the area stays red
        ("YX-BZ-01-03", "accepted", dict(due_from=NOW - H, resolve_due_at=NOW + 9 * H)),
        # grid YX-BZ-02-01 (community YX-BZ-02): 1 h of a 10 h 接单 limit left → yellow
        ("YX-BZ-02-01", "assigned", dict(due_from=NOW - 9 * H, accept_due_at=NOW + H, resolve_due_at=NOW + 20 * H)),
        # grid YX-RY-01-01: 9 h of 10 left → green
        ("YX-RY-01-01", "accepted", dict(due_from=NOW - H, resolve_due_at=NOW + 9 * H)),
        # grid YX-RY-01-02: waiting to be accepted in time, though its 办结 limit is past: 接单 runs → green
        ("YX-RY-01-02", "assigned", dict(due_from=NOW - H, accept_due_at=NOW + 9 * H, resolve_due_at=NOW - H)),
        # grid YX-RY-02-01: closed today, nothing open → grey, but filed in the period
        ("YX-RY-02-01", "closed", dict(due_from=NOW - 3 * H, resolve_due_at=NOW - H, closed_at=NOW - 2 * H)),
    ]
    for n, (grid, status, times) in enumerate(cases):
        session.add(Case(ticket=f"YX261124{n:02d}", status=status, category="garbage", description="垃圾",
                         grid_id=grid, reporter_id=reporter.id, created_at=NOW - 4 * H, updated_at=NOW, **times))
    await session.flush()


@pytest.fixture
async def db(services):
    async with services.db.session() as session:
        await build(session)
    return services.db


async def the_map(db, config, scope_id: str):
    async with db.session() as session:
        return await area_map(session, await find_scope(session, scope_id), Period.day(NOW.date(), config.tz), NOW)


def states(result) -> dict[str, str]:
    return {a.id: a.state for a in result.areas}


async def test_the_district_map_colours_its_streets(db, config):
    result = await the_map(db, config, "YX")
    assert result.kind == "street" and states(result) == {"YX-BZ": "red", "YX-RY": "green"}
    bz = next(a for a in result.areas if a.id == "YX-BZ")
    assert (bz.open, bz.overdue, bz.near, bz.filed) == (3, 1, 1, 3)
    assert [f["properties"]["name"] for f in result.outlines["features"]] == ["YX-BZ", "YX-RY"]


async def test_a_street_drills_down_to_communities_and_a_community_to_grids(db, config):
    assert states(await the_map(db, config, "YX-BZ")) == {"YX-BZ-01": "red", "YX-BZ-02": "yellow"}
    assert states(await the_map(db, config, "YX-RY")) == {"YX-RY-01": "green", "YX-RY-02": "grey"}
    grids = await the_map(db, config, "YX-RY-02")
    assert grids.kind == "grid" and set(states(grids).values()) == {"grey"}
    assert {a.id: a.filed for a in grids.areas if a.filed} == {"YX-RY-02-01": 1}
    assert states(await the_map(db, config, "YX-RY-02-01")) == {"YX-RY-02-01": "grey"}


async def test_an_area_outline_is_the_union_of_its_grids(db, config):
    result = await the_map(db, config, "YX-BZ")
    outline = shape(next(f for f in result.outlines["features"] if f["properties"]["name"] == "YX-BZ-01")["geometry"])
    async with db.session() as session:
        grids = [shape(g) for g in (await session.execute(
            Grid.__table__.select().with_only_columns(Grid.geometry).where(Grid.community_id == "YX-BZ-01"))).scalars()]
    assert grids and outline.area == pytest.approx(sum(g.area for g in grids), rel=1e-6)
    assert all(outline.buffer(1e-9).contains(g) for g in grids)


@pytest.mark.parametrize("open_, overdue, near, state", [
    (0, 0, 0, "grey"), (2, 0, 0, "green"), (2, 0, 1, "yellow"), (2, 1, 1, "red"), (1, 1, 0, "red")])
def test_the_colour_rule(open_, overdue, near, state):
    assert state_of(open_, overdue, near) == state


async def test_the_map_json_answers_within_the_scope_only(db, services, config):
    async with db.session() as session:
        link = await WebAccess(session, services.clock, config).link_for_officer("YX-O00003")  # street YX-BZ
    async with client_of(services) as client:
        assert (await client.get(link.removeprefix(config.web.base_url))).status_code == 303
        answer = await client.get("/api/map", params={"scope": "YX-BZ", "from": "2026-11-24", "to": "2026-11-24"})
        assert answer.status_code == 200
        data = answer.json()
        assert {a["id"]: a["state"] for a in data["areas"]} == {"YX-BZ-01": "red", "YX-BZ-02": "yellow"}
        assert data["geojson"]["type"] == "FeatureCollection" and len(data["geojson"]["features"]) == 2
        assert (await client.get("/api/map", params={"scope": "YX"})).status_code == 403
        assert (await client.get("/api/map", params={"scope": "YX-RY"})).status_code == 403
        page = (await client.get("/scope/YX-BZ", params={"from": "2026-11-24", "to": "2026-11-24"})).text
        assert 'id="map" data-scope="YX-BZ"' in page and "echarts-6.1.0.min.js" in page
        overdue = page[page.index('id="overdue-grids"'):page.index('id="by-category"')]
        assert "秉北社区第3网格</a></td><td>1<" in overdue  # the ten grids with most cases past a limit
        assert (await client.get("/static/vendor/echarts-6.1.0.min.js")).status_code == 200
        tiles = await client.get("/scope/YX-BZ/tiles")
        assert tiles.status_code == 200 and tiles.text.startswith('<section class="tiles"')
