"""Open311 answers as GeoReport v2 writes them: the same fields in JSON and in XML.

Answers are built as plain values (dicts, lists, strings, numbers, None) and then written in the
format asked for; XML names each list's items by `ITEMS` (<services><service>…).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from bot.channels import PlaceUnsure, RequestView, Service
from bot.config import Config
from bot.lifecycle import PUBLIC_NOTES
from handlers.render import personal
from handlers.texts import ACTIONS, OPEN311

JSON, XML = "json", "xml"
MEDIA = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "candidates": "candidate", "endpoints": "endpoint", "formats": "format", "values": "value"}
PUBLIC = frozenset()  # the roles of a reader of the API: none, so personal numbers are always masked


def when(at: datetime | None, config: Config) -> str | None:
    """ISO 8601 in the configured zone: 2026-11-24T14:00:00+08:00."""
    return at.astimezone(config.tz).isoformat(timespec="seconds") if at else None


def service(entry: Service) -> dict[str, Any]:
    return {"service_code": entry.code, "service_name": entry.name, "description": None, "metadata": False,
            "type": "realtime", "keywords": None, "group": entry.group}


def definition(entry: Service) -> dict[str, Any]:
    """A category defines no extra questions, so its definition has no attributes."""
    return {"service_code": entry.code, "attributes": []}


def status_notes(view: RequestView, config: Config) -> str | None:
    """The public timeline, a line per step: 接单, 转办, 办结 with the officer's note, 重新办理…"""
    lines = []
    for event in view.events:
        note = f"：{personal(config, event.note, PUBLIC)}" if event.note and event.action in PUBLIC_NOTES else ""
        lines.append(OPEN311["note_line"].format(time=event.at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M"),
                                                 action=ACTIONS.get(event.action, event.action), note=note))
    return "\n".join(lines) or None


def request(view: RequestView, config: Config, *, extensions: bool = False,
            notice: str | None = None) -> dict[str, Any]:
    """A request as anyone with the right to read it sees it: never the caller's name, phone or e-mail,
    and numbers in the description masked."""
    case = view.case
    fields: dict[str, Any] = {
        "service_request_id": case.ticket, "status": "open" if view.is_open else "closed",
        "status_notes": status_notes(view, config), "service_name": config.category_name(case.category),
        "service_code": case.category, "description": personal(config, case.description, PUBLIC),
        "agency_responsible": view.agency, "service_notice": notice,
        "requested_datetime": when(case.created_at, config), "updated_datetime": when(case.updated_at, config),
        "expected_datetime": when(case.resolve_due_at, config) if view.is_open else None,
        "address": case.address_text, "address_id": case.address_id, "zipcode": None,
        "lat": case.lat, "long": case.lon, "media_url": view.media_url,
    }
    if extensions:
        grid = case.grid
        fields.update({"detailed_status": case.status, "grid_id": case.grid_id,
                       "street": grid.community.street.name if grid else None,
                       "community": grid.community.name if grid else None, "channel": view.channel})
    return fields


def notice(view: RequestView, config: Config) -> str:
    case = view.case
    agency = view.agency or OPEN311["nobody"]
    if case.resolve_due_at:
        return OPEN311["service_notice"].format(ticket=case.ticket, agency=agency,
                                                due=case.resolve_due_at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M"))
    return OPEN311["service_notice_no_due"].format(ticket=case.ticket, agency=agency)


def error(code: int, reason: str, params: dict[str, Any], refused: Exception | None = None) -> list[dict[str, Any]]:
    """GeoReport's error list; an unsure place adds its candidates, to resend with one's address_id."""
    candidates = refused.candidates if isinstance(refused, PlaceUnsure) else ()
    text_params = {**params, "candidates": "；".join(f"{c.name}（address_id={c.address_id}）" for c in candidates)}
    entry: dict[str, Any] = {"code": code, "description": OPEN311[reason].format(**text_params)}
    if isinstance(refused, PlaceUnsure):
        entry["candidates"] = [{"address_id": c.address_id, "name": c.name, "grid_id": c.grid_id} for c in candidates]
    return [entry]


def write(value: Any, fmt: str, root: str) -> bytes:
    """`value` as JSON, or as XML under the element `root`."""
    if fmt == JSON:
        return json.dumps(value, ensure_ascii=False).encode()
    element = ET.Element(root)
    _fill(element, value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEMS.get(element.tag, "item")), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
