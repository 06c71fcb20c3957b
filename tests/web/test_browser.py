"""The command centre in a real browser: Playwright driving Debian's Chromium (scripts/setup.sh
installs it with a CJK font) against the app served on loopback beside the running bot and the
Telegram stand-in, on SQLite and PostgreSQL. A street supervisor opens their /web link, sees the
coloured map, drills down street → community → grid → cases, filters, opens a case with its photo
and its point drawn on its grid's polygon, presses 督办 and the officer's message arrives at the
stand-in; the Excel export reads back.

Screenshots of every page are kept in var/test-artifacts/web/ (look at them).
"""
from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import async_playwright

from gridsec.simulate import Simulation, free_port, simulation_config
from tests.e2e.conftest import ASSETS, INSIDE, START

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "web"
USERS = [{"name": "luo", "role": "street_supervisor", "officer_id": "YX-O00003"},   # street YX-BZ
         {"name": "wang", "role": "grid_officer", "officer_id": "YX-O00021"},       # grid YX-BZ-01-03
         {"name": "alice", "role": "resident"}]


@pytest.fixture
async def running(config, tmp_path):
    """The bot on the stand-in with a case filed (text, photo, location), serving the app beside it
    on a free port (web.enabled, as `gridsec run` does)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run scripts/setup.sh (as root it installs chromium and fonts-noto-cjk)")
    port = free_port()
    cfg = simulation_config(config, config.database.url, None, tmp_path)
    cfg = cfg.copy_with(web=cfg.web.copy_with(enabled=True, port=port))
    async with Simulation(cfg, {"start": START, "users": USERS, "steps": []}, ASSETS, emit=lambda r: None) as sim:
        await sim.play({"user": "alice", "text": "小区门口路灯坏了一个星期了"})
        await sim.play({"user": "alice", "photo": "sample.jpg"})
        await sim.play({"user": "alice", "location": list(INSIDE)})
        filed = await sim.play({"user": "alice", "press": "确认"})
        ticket = next(r["case"] for r in filed if r["to"] == "alice" and r["case"])
        yield sim, ticket


async def click_at(page, lat: float, lon: float) -> None:
    """Click the map where the point (WGS-84) is drawn."""
    x, y = await page.evaluate(
        "([lon, lat]) => { const el = document.getElementById('map'); const r = el.getBoundingClientRect();"
        " const [x, y] = echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [lon, lat]);"
        " return [r.left + x, r.top + y]; }", [lon, lat])
    await page.mouse.click(x, y)


async def place_point_colour(page) -> str:
    """What the case page's small map shows where it says the case's point is: red (the point),
    blue (only the polygon) or nothing."""
    await page.wait_for_selector("#place-map[data-drawn]")
    r, g, b, _ = await page.evaluate(
        "() => { const el = document.getElementById('place-map'); const [x, y] = JSON.parse(el.dataset.drawn).point;"
        " const canvas = el.querySelector('canvas'); const k = canvas.width / el.clientWidth;"
        " return [...canvas.getContext('2d').getImageData(Math.round(x * k), Math.round(y * k), 1, 1).data]; }")
    return "red" if r > 180 and g < 90 and b < 90 else "blue" if b > r else "nothing"


async def drawn(page) -> dict:
    await page.wait_for_selector("#map[data-drawn]")
    await page.wait_for_timeout(600)  # let ECharts finish its animation before the screenshot
    return await page.evaluate("JSON.parse(document.getElementById('map').dataset.drawn)")


async def test_a_supervisor_works_a_case_from_the_browser(running, request):
    sim, ticket = running
    shots = ARTIFACTS / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    [answer] = await sim.play({"user": "luo", "text": "/web"})
    link = re.search(r"(http://127\.0\.0\.1:\d+/login/\S+)", answer["text"]).group(1)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": 1280, "height": 860}, accept_downloads=True)
        await page.goto(link)
        assert page.url.endswith("/scope/YX-BZ")
        assert await drawn(page) == {"YX-BZ-01": "green", "YX-BZ-02": "grey"}
        assert await page.get_attribute('.tile[data-key="filed"]', "title") == "本期受理（提交）的诉求件数"
        await page.screenshot(path=shots / "1-street.png")

        await click_at(page, *INSIDE)
        await page.wait_for_url(re.compile(r"/scope/YX-BZ-01\?"))
        states = await drawn(page)
        assert states["YX-BZ-01-03"] == "green" and set(states) == {f"YX-BZ-01-0{n}" for n in range(1, 5)}
        await page.screenshot(path=shots / "2-community.png")

        await click_at(page, *INSIDE)
        await page.wait_for_url(re.compile(r"/cases\?scope=YX-BZ-01-03"))
        await page.fill('input[name="q"]', ticket)
        await page.click(".filters button")
        await page.wait_for_url(re.compile(r"q=" + ticket))
        assert await page.locator("table.cases tr[data-case]").count() == 1
        await page.screenshot(path=shots / "3-cases.png")

        await page.click(f"text={ticket}")
        await page.wait_for_selector(".photos img")
        assert await page.evaluate("document.querySelector('.photos img').naturalWidth") > 0
        assert await place_point_colour(page) == "red"  # the reported point, on the grid's polygon
        await page.screenshot(path=shots / "4-case.png", full_page=True)

        wang = sim.users["wang"].tg_id
        before = len(sim.standin.messages_to(wang))
        await page.fill('#supervise input[name="note"]', "请今天下班前修好")
        await page.click("#supervise button")
        await page.wait_for_selector(".notice.done")
        await sim.standin.wait_until(lambda: any("请今天下班前修好" in (m.get("text") or "")
                                                for m in sim.standin.messages_to(wang)[before:]), timeout=15)
        await page.screenshot(path=shots / "5-supervised.png", full_page=True)

        await page.goto(page.url.split("/cases/")[0] + "/cases")
        async with page.expect_download() as info:
            await page.click("#export-xlsx")
        download = await info.value
        rows = list(load_workbook(io.BytesIO(Path(await download.path()).read_bytes())).active.iter_rows(values_only=True))
        assert rows[0][0] == "工单号" and [r[0] for r in rows[1:]] == [ticket]
        await browser.close()
