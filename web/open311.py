"""The Open311 GeoReport v2 API under /open311/v2/: a thin adapter on bot/channels.py.

Each call reads the request into plain values, asks `Channels` (the domain) in one unit of work,
and writes the answer in the format the path's suffix (.json / .xml) or `format` names, XML by
default as the specification has it. A refusal is GeoReport's list of {code, description} with
400, 403 or 404; anything unforeseen is logged and answered 500 in the same form, never a trace.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable
from urllib.parse import urlparse

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.channels import MAX_DESCRIPTION, Channels, ChannelRefused, NewRequest, NotFound, RequestQuery
from bot.services import Services
from web import open311_render as render
from web.open311_openapi import openapi

log = logging.getLogger(__name__)
PREFIX = "/open311/v2"
MAX_UPLOAD = 10 * 1024 * 1024
READ_AT_MOST = 10 * MAX_DESCRIPTION  # longer free text than the domain allows is its to refuse, in its words
TEXT_LIMITS = {"first_name": 64, "last_name": 64, "phone": 32, "email": 254, "address_string": 256,
               "address_id": 32, "service_code": 64, "media_url": 1024, "callback_url": 1024}


class BadInput(ChannelRefused):
    """A parameter that is not what the specification says it is."""


Handler = Callable[[Request, Channels, dict[str, str], str], Awaitable[tuple[int, Any, str, dict[str, str]]]]


def open311_routes(services: Services) -> "Open311":
    config = services.config

    async def discovery(request: Request, channels: Channels, params: dict[str, str], fmt: str):
        base = f"{config.web.base_url}{PREFIX}/"
        return 200, {"changeset": "2026-12-02T00:00:00+08:00", "contact": "12345", "key_service": "gridsec apikey",
                     "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                                    "changeset": "2026-12-02T00:00:00+08:00", "type": "production",
                                    "formats": ["application/json", "text/xml"]}]}, "discovery", {}

    async def services_list(request: Request, channels: Channels, params: dict[str, str], fmt: str):
        return 200, [render.service(s) for s in await channels.services_offered()], "services", {}

    async def service_definition(request: Request, channels: Channels, params: dict[str, str], fmt: str):
        return 200, render.definition(await channels.service(params["code"])), "service_definition", {}

    async def requests_list(request: Request, channels: Channels, params: dict[str, str], fmt: str):
        q = request.query_params
        wanted, extensions = RequestQuery(  # every parameter read and checked before anything is looked up
            tickets=tuple(t for t in q.get("service_request_id", "").split(",") if t.strip()),
            service_code=q.get("service_code"), start=_time(q, "start_date", config),
            end=_time(q, "end_date", config), status=q.get("status"),
            page=_integer(q, "page") if "page" in q else 1, page_size=_integer(q, "page_size")), _extensions(q)
        page = await channels.find(await channels.reader(q.get("api_key")), wanted)
        body = [render.request(v, config, extensions=extensions) for v in page.views]
        return 200, body, "service_requests", {"X-Total-Count": str(page.total), "X-Page": str(page.page),
                                               "X-Page-Size": str(page.page_size)}

    async def request_one(request: Request, channels: Channels, params: dict[str, str], fmt: str):
        q = request.query_params
        extensions = _extensions(q)
        view = await channels.get(await channels.reader(q.get("api_key")), params["id"])
        return 200, [render.request(view, config, extensions=extensions)], "service_requests", {}

    async def file_request(request: Request, channels: Channels, params: dict[str, str], fmt: str):
        form = await _form(request)
        key = await channels.key(form.get("api_key") or request.query_params.get("api_key"))
        view = await channels.file(key, await _new_request(form))
        answer = render.request(view, config, extensions=True, notice=render.notice(view, config))
        return 201, [answer], "service_requests", {}

    async def add_note(request: Request, channels: Channels, params: dict[str, str], fmt: str):
        form = await _form(request)
        key = await channels.key(form.get("api_key") or request.query_params.get("api_key"))
        view = await channels.add_note(key, params["id"], _text(form, "description", READ_AT_MOST) or "")
        return 201, [render.request(view, config, extensions=True)], "service_requests", {}

    table: list[tuple[str, re.Pattern, Handler]] = [
        ("GET", re.compile(r"discovery"), discovery),
        ("GET", re.compile(r"services"), services_list),
        ("GET", re.compile(r"services/(?P<code>[^/]+)"), service_definition),
        ("GET", re.compile(r"requests"), requests_list),
        ("POST", re.compile(r"requests"), file_request),
        ("GET", re.compile(r"requests/(?P<id>[^/]+)"), request_one),
        ("POST", re.compile(r"requests/(?P<id>[^/]+)/notes"), add_note),
    ]

    async def endpoint(request: Request) -> Response:
        path, fmt = _split(request.path_params["rest"], request.query_params.get("format"))
        try:
            found = [(m, handler, pattern.fullmatch(path)) for m, pattern, handler in table]
            found = [(m, handler, match) for m, handler, match in found if match]
            if not found:
                raise NotFound("not_found")
            chosen = next(((h, match) for m, h, match in found if m == request.method), None)
            if chosen is None:
                return _answer(405, render.error(405, "method_not_allowed", {}), fmt, "errors",
                               {"Allow": ", ".join(sorted({m for m, _, _ in found}))})
            handler, match = chosen
            if fmt not in render.MEDIA:
                raise BadInput("bad_format", format=fmt)
            _no_nul("path", path)
            for name, value in request.query_params.multi_items():
                _no_nul(name, value)
            async with services.db.session() as session:
                status, body, root, headers = await handler(request, Channels(services, session),
                                                            match.groupdict(), fmt)
            return _answer(status, body, fmt, root, headers)
        except ChannelRefused as refused:
            shown = fmt if fmt in render.MEDIA else render.JSON
            return _answer(refused.status, render.error(refused.status, refused.reason, refused.params, refused),
                           shown, "errors")
        except Exception:
            log.exception("open311 %s %s failed", request.method, request.url.path)
            shown = fmt if fmt in render.MEDIA else render.JSON
            return _answer(500, render.error(500, "server_error", {}), shown, "errors")
        finally:
            services.queued()  # a filing's card and a note's message are committed now: wake the senders

    async def not_found(request: Request, exc: Exception) -> Response:
        """What the router finds no route for (a path param with a line break in it, say): under
        the API's prefix, GeoReport's 404; elsewhere Starlette's own."""
        if request.url.path.startswith(PREFIX + "/"):
            fmt = _split(request.url.path, request.query_params.get("format"))[1]
            return _answer(404, render.error(404, "not_found", {}), fmt if fmt in render.MEDIA else render.JSON,
                           "errors")
        return PlainTextResponse("Not Found", status_code=404)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi(config))

    # Every method reaches `endpoint`, which answers 405 itself with an Allow of the path's own methods.
    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Open311([Route(f"{PREFIX}/openapi.json", openapi_json),
                    Route(PREFIX + "/{rest:path}", endpoint, methods=methods)], not_found)


@dataclass(frozen=True)
class Open311:
    routes: list[Route]
    not_found: Callable[[Request, Exception], Awaitable[Response]]  # the app's 404 handler


def _answer(status: int, body: Any, fmt: str, root: str, headers: dict[str, str] | None = None) -> Response:
    return Response(render.write(body, fmt, root), status_code=status, media_type=render.MEDIA[fmt],
                    headers=headers)


def _no_nul(field: str, value: str) -> str:
    """A NUL character is no text (PostgreSQL refuses to store one): the caller's mistake, not a 500."""
    if "\x00" in value:
        raise BadInput("bad_text", field=field)
    return value


def _split(path: str, format_param: str | None) -> tuple[str, str]:
    """'requests/YX-1.json' → ('requests/YX-1', 'json'); without a suffix, `format` or XML."""
    head, dot, suffix = path.rpartition(".")
    if dot and "/" not in suffix:
        return head, suffix.lower()
    return path, (format_param or render.XML).lower()


def _extensions(query) -> bool:
    value = query.get("extensions")
    if value not in (None, "true", "false"):
        raise BadInput("bad_choice", field="extensions", choices="true, false")
    return value == "true"


def _integer(query, field: str) -> int | None:
    value = query.get(field)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise BadInput("bad_integer", field=field)
    return int(value)


def _time(query, field: str, config) -> datetime | None:
    value = query.get(field)
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput("bad_date", field=field) from None
    return at if at.tzinfo else at.replace(tzinfo=config.tz)


async def _form(request: Request):
    try:
        return await request.form(max_files=1, max_fields=50, max_part_size=MAX_UPLOAD)
    except Exception:  # a malformed or oversized body is the caller's mistake
        raise BadInput("bad_body", most=MAX_UPLOAD // (1024 * 1024)) from None


def _text(form, field: str, most: int | None = None) -> str | None:
    value = form.get(field)
    if value is None or isinstance(value, UploadFile):
        return None
    value = _no_nul(field, str(value).strip())
    limit = most or TEXT_LIMITS.get(field)
    if limit and len(value) > limit:
        raise BadInput("too_long", field=field, most=limit)
    return value or None


def _number(form, field: str) -> float | None:
    value = _text(form, field, 64)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise BadInput("bad_number", field=field) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise BadInput("bad_number", field=field)
    return number


def _url(form, field: str) -> str | None:
    value = _text(form, field)
    if value is not None and (urlparse(value).scheme not in ("http", "https") or not urlparse(value).netloc):
        raise BadInput("bad_url", field=field)
    return value


async def _new_request(form) -> NewRequest:
    code = _text(form, "service_code")
    if not code:
        raise BadInput("missing", field="service_code")
    media = form.get("media")
    return NewRequest(
        service_code=code, description=_text(form, "description", READ_AT_MOST) or "",
        lat=_number(form, "lat"), lon=_number(form, "long"), address_string=_text(form, "address_string"),
        address_id=_text(form, "address_id"), first_name=_text(form, "first_name"),
        last_name=_text(form, "last_name"), phone=_text(form, "phone"), email=_text(form, "email"),
        media_url=_url(form, "media_url"), callback_url=_url(form, "callback_url"),
        media=await media.read() if isinstance(media, UploadFile) else None)
