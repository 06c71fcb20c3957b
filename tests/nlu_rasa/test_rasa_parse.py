"""One /model/parse of the real Rasa server returns everything the bot needs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu import paths, server
from bot.understanding import CATEGORIES, INTENTS, Parse
from nlu.rasa_client import RasaClient


async def parse(url: str, text: str) -> Parse:
    async with RasaClient(url, timeout=10) as c:
        return await c.parse(text)


async def test_raw_answer_has_every_head(rasa_url):
    d = server.parse_sync(rasa_url, "东风东路12号门口垃圾堆成山三天冇人收")
    for key in ("intent", "intent_ranking", "entities", "category", "category_ranking", "urgent", "department"):
        assert key in d, key
    assert d["category"]["name"] in CATEGORIES and 0 <= d["category"]["confidence"] <= 1
    assert d["category_ranking"] and d["category_ranking"][0]["name"] == d["category"]["name"]
    assert set(d["urgent"]) >= {"value", "confidence"}


@pytest.mark.parametrize("text,category,address", [
    ("东风东路12号门口垃圾堆成山三天冇人收", "garbage", "东风东路12号"),
    ("华侨新村5栋楼下有台车停在消防通道上", "fire_hazard", "华侨新村5栋"),  # a vehicle in a fire lane: fire_hazard (nlu/eval/README.md)
    ("中山五路路灯坏咗成个礼拜 晚上黑麻麻", "streetlight", "中山五路"),
    ("解放北路和东风中路交界那边下水道堵了污水往上冒", "drainage", "解放北路和东风中路交界"),
    ("楼下饭店油烟直排 熏到家里 😡", "air_pollution", None),
    ("老板欠了我们三个月工资", "wage_arrears", None),
])
async def test_report_category_and_place(rasa_url, text, category, address):
    p = await parse(rasa_url, text)
    assert p.source == "rasa"
    assert p.intent == "report", p
    assert p.category == category, p
    if address:
        assert p.first("address") == address, p.entities
    assert not p.urgent


@pytest.mark.parametrize("text,category", [
    ("北京路步行街附近闻到好大煤气味", "gas_emergency"),
    ("文明路88号有个井盖不见了路中间一个大洞", "road_damage"),
    ("楼上着火了好大烟 里面还有人", "fire_hazard"),
    ("电梯困住人了里面有老人小孩", "property_management"),
])
async def test_urgent_reports(rasa_url, text, category):
    p = await parse(rasa_url, text)
    assert p.intent == "report"
    assert p.urgent, p
    assert p.category == category, p


@pytest.mark.parametrize("text,intent", [
    ("我的垃圾问题处理到哪了", "query_progress"),
    ("催一下", "urge"),
    ("你好", "greet"),
    ("唔该晒", "thanks"),
    ("撤销刚才的上报", "cancel"),
    ("处理得很好 点赞", "rate_good"),
    ("差评 根本没处理", "rate_bad"),
    ("怎么用", "help"),
    ("好的", "affirm"),
    ("不是", "deny"),
    ("今天天气怎么样", "out_of_scope"),
])
async def test_intents(rasa_url, text, intent):
    p = await parse(rasa_url, text)
    assert p.intent in INTENTS
    assert p.intent == intent, p


async def test_an_unsure_report_saying_no_problem_gives_way_to_the_runner_up(rasa_url):
    d = server.parse_sync(rasa_url, "累到要死 头先跑完步")
    assert d["intent"]["name"] != "report"
    assert [r["name"] for r in d["intent_ranking"][:2]] == [d["intent"]["name"], "report"]
    assert d["intent_ranking"][1]["confidence"] < 0.5 and not d["urgent"]["value"]


async def test_regex_entities_once_each(rasa_url):
    p = await parse(rasa_url, "YX-20261123-0007 补充 车牌粤A12345 电话13812345678")
    got = {(e.entity, e.value) for e in p.entities}
    assert ("ticket", "YX-20261123-0007") in got
    assert ("plate", "粤A12345") in got
    assert ("phone", "13812345678") in got
    spans = [(e.start, e.end) for e in p.entities]
    assert len(spans) == len(set(spans)), "an entity came back twice"
    text = "YX-20261123-0007 补充 车牌粤A12345 电话13812345678"
    for e in p.entities:
        assert text[e.start:e.end] == e.value


@pytest.mark.parametrize("trad,simp", [
    ("北京路步行街附近聞到好大煤氣味", "北京路步行街附近闻到好大煤气味"),
    ("東風東路１２號門口垃圾堆成山三天冇人收", "东风东路12号门口垃圾堆成山三天冇人收"),
])
async def test_traditional_and_full_width_understood_like_simplified(rasa_url, trad, simp):
    """Classification sees the folded text; entities and `text` are still those of the message as sent."""
    d = server.parse_sync(rasa_url, trad)
    a, b = await parse(rasa_url, trad), await parse(rasa_url, simp)
    assert d["text"] == trad
    assert (a.intent, a.category, a.urgent) == (b.intent, b.category, b.urgent), (a, b)
    assert [(e.entity, e.start, e.end) for e in a.entities] == [(e.entity, e.start, e.end) for e in b.entities]
    for e in a.entities:
        assert trad[e.start:e.end] == e.value


async def test_time_entity(rasa_url):
    p = await parse(rasa_url, "昨天晚上开始越秀公园门口噪音好大")
    assert p.first("time") == "昨天晚上"
    assert p.first("address") == "越秀公园"


async def test_department_from_router(rasa_url):
    d = server.parse_sync(rasa_url, "小区旁边的工地晚上施工噪音扰民，请环保部门处理")
    if not paths.ROUTER_PATH.exists():
        assert d["department"] is None
        return
    labels = json.loads(paths.ROUTER_PATH.with_suffix(".json").read_text(encoding="utf-8"))["labels"]
    assert d["department"]["name"] in labels
    assert d["department"]["ranking"][0]["name"] == d["department"]["name"]
    async with RasaClient(rasa_url, department_threshold=0.0) as c:
        assert (await c.parse("小区旁边的工地晚上施工噪音扰民")).department in labels
    async with RasaClient(rasa_url, department_threshold=1.01) as c:
        assert (await c.parse("小区旁边的工地晚上施工噪音扰民")).department is None


async def test_category_ranking_for_buttons(rasa_url):
    p = await parse(rasa_url, "有问题")
    assert p.category_ranking and len(p.category_ranking) <= 5
    assert p.category_ranking[0][0] == p.category
    confs = [c for _, c in p.category_ranking]
    assert confs == sorted(confs, reverse=True)
