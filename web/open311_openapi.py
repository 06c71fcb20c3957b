"""The OpenAPI 3 description of /open311/v2/ (served at /open311/v2/openapi.json): what clients
code against and what tests/web/test_open311_fuzz.py fuzzes the API with. The JSON answers; the
XML ones carry the same fields (GeoReport v2)."""
from __future__ import annotations

from typing import Any

from bot.channels import MAX_DESCRIPTION, MAX_NOTE
from bot.config import Config


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


ERRORS = {"type": "array", "minItems": 1, "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"},
                   "candidates": {"type": "array", "items": {
                       "type": "object", "required": ["address_id", "name"],
                       "properties": {"address_id": {"type": "string"}, "name": {"type": "string"},
                                      "grid_id": {"type": "string"}}}}}}}
SERVICE = {"type": "object", "required": ["service_code", "service_name", "metadata", "type"], "properties": {
    "service_code": {"type": "string"}, "service_name": {"type": "string"}, "description": _nullable("string"),
    "metadata": {"type": "boolean"}, "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
    "keywords": _nullable("string"), "group": _nullable("string")}}
DEFINITION = {"type": "object", "required": ["service_code", "attributes"], "properties": {
    "service_code": {"type": "string"}, "attributes": {"type": "array", "maxItems": 0, "items": {"type": "object"}}}}
REQUEST = {"type": "object", "required": ["service_request_id", "status", "service_code", "requested_datetime"],
           "properties": {
               "service_request_id": {"type": "string"}, "status": {"type": "string", "enum": ["open", "closed"]},
               "status_notes": _nullable("string"), "service_name": _nullable("string"),
               "service_code": {"type": "string"}, "description": _nullable("string", maxLength=MAX_DESCRIPTION),
               "agency_responsible": _nullable("string"), "service_notice": _nullable("string"),
               "requested_datetime": {"type": "string", "format": "date-time"},
               "updated_datetime": _nullable("string", format="date-time"),
               "expected_datetime": _nullable("string", format="date-time"),
               "address": _nullable("string"), "address_id": _nullable("string"), "zipcode": _nullable("string"),
               "lat": _nullable("number"), "long": _nullable("number"), "media_url": _nullable("string"),
               # extensions=true (and every POST answer)
               "detailed_status": {"type": "string", "enum": ["submitted", "assigned", "accepted", "returned",
                                                              "resolved", "closed", "rejected", "cancelled"]},
               "grid_id": _nullable("string"), "street": _nullable("string"), "community": _nullable("string"),
               "channel": _nullable("string")}}
DISCOVERY = {"type": "object", "required": ["endpoints"], "properties": {
    "changeset": {"type": "string"}, "contact": {"type": "string"}, "key_service": {"type": "string"},
    "endpoints": {"type": "array", "items": {"type": "object"}}}}
PAGE_HEADERS = {name: {"schema": {"type": "string", "pattern": "^[0-9]+$"}, "required": True}
                for name in ("X-Total-Count", "X-Page", "X-Page-Size")}


def _json(schema: dict[str, Any], description: str, headers: dict | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {400: "bad parameters (each error says which)", 403: "no api_key, or a bad or revoked one",
               404: "no such service or request"}
    return {str(code): _json({"$ref": "#/components/schemas/Errors"}, meaning[code]) for code in codes}


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


def openapi(config: Config) -> dict[str, Any]:
    settings = config.open311
    codes = list(config.categories)
    key = _query("api_key", {"type": "string"}, "the channel's key (gridsec apikey create NAME)")
    extensions = _query("extensions", {"type": "string", "enum": ["true", "false"]},
                        "true: add detailed_status, grid_id, street, community and channel")
    requests = {"type": "array", "items": {"$ref": "#/components/schemas/Request"}}
    text = {"type": "string", "maxLength": 256}
    filing = {
        "api_key": {"type": "string", "minLength": 1}, "service_code": {"type": "string", "enum": codes},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": text, "address_id": {"type": "string", "maxLength": 32},
        "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
        "first_name": {"type": "string", "maxLength": 64}, "last_name": {"type": "string", "maxLength": 64},
        "phone": {"type": "string", "maxLength": 32}, "email": {"type": "string", "maxLength": 254},
        "media_url": {"type": "string", "format": "uri", "maxLength": 1024},
        "callback_url": {"type": "string", "format": "uri", "maxLength": 1024,
                         "description": "extension: every public status change is POSTed here as the request"},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "网格秘书 Open311 GeoReport v2", "version": "2.0",
                 "description": "One service per report category; requests are filed, routed and handled "
                                "exactly as chat reports. Times are ISO 8601 in the district's zone."},
        "servers": [{"url": "/"}],
        "paths": {
            "/open311/v2/discovery.json": {"get": {
                "operationId": "discovery", "responses": {"200": _json(DISCOVERY, "where the API is")}}},
            "/open311/v2/services.json": {"get": {
                "operationId": "services",
                "responses": {"200": _json({"type": "array", "items": {"$ref": "#/components/schemas/Service"}},
                                           "every report category")}}},
            "/open311/v2/services/{service_code}.json": {"get": {
                "operationId": "service_definition", "parameters": [_path("service_code")],
                "responses": {"200": _json(DEFINITION, "the category's extra questions (none)"), **_errors(404)}}},
            "/open311/v2/requests.json": {
                "get": {"operationId": "requests", "parameters": [
                    key, extensions,
                    _query("service_request_id", {"type": "string"}, "ids, comma separated (the others ignored)"),
                    _query("service_code", {"type": "string", "enum": codes}, "a report category"),
                    _query("start_date", {"type": "string", "format": "date-time"}, "filed at or after"),
                    _query("end_date", {"type": "string", "format": "date-time"},
                           f"filed at or before (at most {settings.max_days} days after start_date)"),
                    _query("status", {"type": "string", "enum": ["open", "closed"]}, "open or closed"),
                    _query("page", {"type": "integer", "minimum": 1}, "extension: page, from 1"),
                    _query("page_size", {"type": "integer", "minimum": 1, "maximum": settings.max_page_size},
                           "extension: requests per page"),
                ], "responses": {"200": _json(requests, "the requests, newest first; totals in the headers",
                                              PAGE_HEADERS), **_errors(400, 403, 404)}},
                "post": {"operationId": "file_request",
                         "requestBody": _form(filing, ["api_key", "service_code"]),
                         "responses": {"201": _json(requests, "filed: its ticket as service_request_id"),
                                       **_errors(400, 403, 404)}}},
            "/open311/v2/requests/{service_request_id}.json": {"get": {
                "operationId": "request", "parameters": [_path("service_request_id"), key, extensions],
                "responses": {"200": _json(requests, "the request"), **_errors(400, 403, 404)}}},
            "/open311/v2/requests/{service_request_id}/notes.json": {"post": {
                "operationId": "add_note", "parameters": [_path("service_request_id")],
                "requestBody": _form({"api_key": {"type": "string"},
                                      "description": {"type": "string", "maxLength": MAX_NOTE}},
                                     ["api_key", "description"]),
                "responses": {"201": _json(requests, "the caller's follow-up reached whoever has the case"),
                              **_errors(400, 403, 404)}}},
        },
        "components": {"schemas": {"Errors": ERRORS, "Service": SERVICE, "Request": REQUEST}},
    }
