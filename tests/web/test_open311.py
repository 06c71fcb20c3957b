"""The Open311 GeoReport v2 API on the real ASGI app and the bot's services: every JSON answer
against the official schemas (../shared/data/open311/georeport-v2), the XML answers with the same
fields, API keys per channel, refusals as GeoReport's error lists."""
from __future__ import annotations

import io
import json
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft7Validator
from PIL import Image
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from sqlalchemy import select

from bot.channels import create_key, revoke_key
from storage.models import Attachment, Case, ChannelRequest, Person
from tests.conftest import SHARED
from tests.web.conftest import NOW, client_of

SCHEMAS = SHARED / "data" / "open311" / "georeport-v2"
BASE = "/open311/v2"
# In the bundled sample district: 秉政苑2栋 lies in grid YX-BZ-01-04 (秉北社区第4网格); 仙邻路99号 is
# unsure (the road ends at 28); (23.1291, 113.2644) lies in YX-BZ-01-03.
SURE, UNSURE, INSIDE = "秉政苑2栋", "仙邻路99号", (23.1291, 113.2644)


def _validator(name: str) -> Draft7Validator:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()), default_specification=DRAFT7))
                 for p in SCHEMAS.glob("*.json") if p.name != "swagger.json"]
    return Draft7Validator(json.loads((SCHEMAS / name).read_text()), registry=Registry().with_resources(resources))


REQUESTS, SERVICES, DEFINITION = _validator("requests.json"), _validator("services.json"), \
    _validator("service-definition.json")


def conforms(validator: Draft7Validator, answer) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(answer)]
    assert not errors, errors


def xml_fields(text: bytes) -> list[dict]:
    """Each item of an XML answer as {field: text or None}."""
    return [{child.tag: child.text for child in item} for item in ET.fromstring(text)]


def same_fields(json_item: dict, xml_item: dict) -> None:
    assert set(json_item) == set(xml_item)
    for key, value in json_item.items():
        shown = None if value is None else ("true" if value is True else "false" if value is False else str(value))
        assert xml_item[key] == shown, key


@pytest.fixture
async def api(services):
    async with services.db.session() as s:
        key = await create_key(s, "12345热线", NOW)
        other = await create_key(s, "网上信箱", NOW)
    async with client_of(services) as client:
        client.key, client.other = key, other
        yield client


async def file(api, key=None, **fields):
    data = {"api_key": key or api.key, "service_code": "garbage", "address_string": SURE,
            "description": "楼下垃圾桶满了没人清，来电人电话13812345678", "first_name": "小明", "last_name": "李",
            "phone": "13812345678", "email": "li@example.org", **fields}
    return await api.post(f"{BASE}/requests.json", data={k: v for k, v in data.items() if v is not None})


async def test_services_are_the_report_categories_in_json_and_xml(api, services):
    answer = await api.get(f"{BASE}/services.json")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    conforms(SERVICES, answer.json())
    by_code = {s["service_code"]: s for s in answer.json()}
    assert set(by_code) == set(services.config.categories)
    assert by_code["garbage"]["service_name"] == "垃圾/环境卫生" and by_code["garbage"]["group"]
    xml = await api.get(f"{BASE}/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    for j, x in zip(answer.json(), xml_fields(xml.content)):
        same_fields(j, x)
    definition = await api.get(f"{BASE}/services/garbage.json")
    conforms(DEFINITION, definition.json())
    assert (await api.get(f"{BASE}/services/nothing.json")).status_code == 404


async def test_a_hotline_request_with_a_sure_address_is_filed_and_routed_to_the_grid(api, services):
    answer = await file(api)
    assert answer.status_code == 201, answer.text
    conforms(REQUESTS, answer.json())
    filed = answer.json()[0]
    assert filed["service_request_id"].startswith("YX-20261124-")
    assert filed["grid_id"] == "YX-BZ-01-04" and filed["channel"] == "12345热线"
    assert filed["agency_responsible"] == "秉北社区第4网格" and filed["requested_datetime"].endswith("+08:00")
    assert filed["service_request_id"] in filed["service_notice"]
    async with services.db.session() as s:
        case = await s.scalar(select(Case))
        caller = await s.get(Person, case.reporter_id)
        extra = await s.get(ChannelRequest, case.id)
    assert (case.assignee_officer_id, case.category, case.address_id is not None) == ("YX-O00022", "garbage", True)
    assert (caller.channel, caller.tg_user_id, caller.phone, extra.email) == ("12345热线", None, "13812345678",
                                                                            "li@example.org")
    # (the officer's card on their phone: tests/e2e/test_open311_hotline.py)


async def test_get_never_shows_personal_fields_and_xml_carries_the_same_fields(api):
    ticket = (await file(api)).json()[0]["service_request_id"]
    one = await api.get(f"{BASE}/requests/{ticket}.json", params={"api_key": api.key, "extensions": "true"})
    conforms(REQUESTS, one.json())
    text = one.text
    assert "13812345678" not in text and "小明" not in text and "li@example.org" not in text
    assert "138****5678" in one.json()[0]["description"]
    xml = await api.get(f"{BASE}/requests/{ticket}.xml", params={"api_key": api.key, "extensions": "true"})
    same_fields(one.json()[0], xml_fields(xml.content)[0])
    plain = (await api.get(f"{BASE}/requests/{ticket}.json", params={"api_key": api.key})).json()[0]
    assert "channel" not in plain and "grid_id" not in plain


async def test_an_unsure_address_is_refused_with_its_candidates_and_filed_by_address_id(api):
    refused = await file(api, address_string=UNSURE)
    assert refused.status_code == 400
    error = refused.json()[0]
    assert error["code"] == 400 and error["candidates"][0]["name"] == "仙邻路28号"
    assert error["candidates"][0]["address_id"] in error["description"]
    again = await file(api, address_string=None, address_id=error["candidates"][0]["address_id"])
    assert again.status_code == 201 and again.json()[0]["grid_id"] == "YX-RY-01-02"


async def test_places_outside_or_missing_are_400(api):
    outside = await file(api, address_string=None, lat="23.2", long="113.4")
    assert outside.status_code == 400 and outside.json()[0]["description"] == "这个位置不在本区范围内"
    missing = await file(api, address_string=None, description="有问题")
    assert missing.status_code == 400
    point = await file(api, address_string=None, lat=str(INSIDE[0]), long=str(INSIDE[1]))
    assert point.status_code == 201 and point.json()[0]["grid_id"] == "YX-BZ-01-03"
    assert (await file(api, address_string=None, lat="23.1")).status_code == 400
    assert (await file(api, description="长" * 4001)).status_code == 400


async def test_keys_errors_and_services_are_refused_as_the_specification_says(api, services):
    assert (await file(api, key="nope")).status_code == 403
    assert (await file(api, service_code="nothing")).status_code == 404
    xml = await file(api, key="nope")
    assert xml.json() == [{"code": 403, "description": "api_key 无效或已吊销"}]
    as_xml = await api.post(f"{BASE}/requests.xml", data={"api_key": "nope", "service_code": "garbage"})
    assert ET.fromstring(as_xml.content).find("error/code").text == "403"
    assert (await api.get(f"{BASE}/requests.json")).status_code == 403  # no public reads by default
    assert (await api.get(f"{BASE}/nowhere.json")).status_code == 404
    assert (await api.delete(f"{BASE}/requests.json")).status_code == 405
    # a NUL character (which PostgreSQL cannot store) is refused, not a 500 (schemathesis found it)
    assert (await file(api, phone="138\x00")).status_code == 400
    assert (await api.get(f"{BASE}/requests.json", params={"api_key": api.key,
                                                          "service_request_id": "YX\x00"})).status_code == 400
    assert (await api.get(f"{BASE}/requests/YX%00.json", params={"api_key": api.key})).status_code == 400
    async with services.db.session() as s:
        assert await revoke_key(s, "12345热线", NOW)
    assert (await file(api)).status_code == 403


async def test_a_key_reads_its_own_channel_only_with_pages_and_totals(api):
    mine = [(await file(api)).json()[0]["service_request_id"] for _ in range(3)]
    theirs = (await file(api, key=api.other)).json()[0]["service_request_id"]
    listed = await api.get(f"{BASE}/requests.json", params={"api_key": api.key, "page_size": "2"})
    conforms(REQUESTS, listed.json())
    assert listed.headers["X-Total-Count"] == "3" and len(listed.json()) == 2
    second = await api.get(f"{BASE}/requests.json", params={"api_key": api.key, "page_size": "2", "page": "2"})
    assert [r["service_request_id"] for r in listed.json() + second.json()] == mine[::-1]
    assert (await api.get(f"{BASE}/requests/{theirs}.json", params={"api_key": api.key})).status_code == 404
    some = await api.get(f"{BASE}/requests.json", params={"api_key": api.key,
                                                         "service_request_id": f"{mine[0]},{theirs}"})
    assert [r["service_request_id"] for r in some.json()] == [mine[0]]
    closed = await api.get(f"{BASE}/requests.json", params={"api_key": api.key, "status": "closed"})
    assert closed.json() == [] and closed.headers["X-Total-Count"] == "0"
    far = await api.get(f"{BASE}/requests.json", params={"api_key": api.key, "start_date": "2026-01-01T00:00:00+08:00",
                                                        "end_date": "2026-11-30T00:00:00+08:00"})
    assert far.status_code == 400


async def test_public_reads_are_a_config_choice(services):
    services.config = services.config.copy_with(open311=services.config.open311.copy_with(public_reads=True))
    async with services.db.session() as s:
        key = await create_key(s, "12345热线", NOW)
    async with client_of(services) as api:
        api.key = key
        await file(api)
        everyone = await api.get(f"{BASE}/requests.json")
    assert everyone.status_code == 200 and len(everyone.json()) == 1
    assert "13812345678" not in everyone.text


async def test_a_note_reaches_the_case_as_a_residents_addition_and_media_is_stored(api, services):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    data = {"api_key": api.key, "service_code": "garbage", "address_string": SURE, "description": "垃圾满了"}
    filed = await api.post(f"{BASE}/requests.json", data=data, files={"media": ("a.jpg", buffer.getvalue(),
                                                                                 "image/jpeg")})
    assert filed.status_code == 201, filed.text
    ticket = filed.json()[0]["service_request_id"]
    note = await api.post(f"{BASE}/requests/{ticket}/notes.json", data={"api_key": api.key,
                                                                        "description": "来电人补充：东侧也有"})
    assert note.status_code == 201
    conforms(REQUESTS, note.json())
    async with services.db.session() as s:
        case = await s.scalar(select(Case))
        photos = (await s.execute(select(Attachment).where(Attachment.case_id == case.id))).scalars().all()
    assert len(photos) == 1 and photos[0].path and services.photos.read(photos[0].path)
    refused = await api.post(f"{BASE}/requests.json", data=data, files={"media": ("a.jpg", b"not a picture",
                                                                                  "image/jpeg")})
    assert refused.status_code == 400
    assert (await api.post(f"{BASE}/requests/{ticket}/notes.json",
                           data={"api_key": api.other, "description": "x"})).status_code == 404


async def test_the_openapi_description_is_served(api):
    described = (await api.get(f"{BASE}/openapi.json")).json()
    assert described["openapi"].startswith("3.") and f"{BASE}/requests.json" in described["paths"]
