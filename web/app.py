"""The command centre's routes: thin adapters, as handlers/ are for Telegram.

Each route opens one unit of work, asks bot/web_access.py (the domain) for what the logged-in
post may see, and renders a template or JSON. A page or JSON outside the post's scope answers 403,
an unknown one 404; without a session, pages ask for a /web link and JSON answers 401.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.case_list import CaseFilter
from bot.clock import Clock
from bot.config import Config
from bot.desk import Caller, Desk, open_desk
from bot.figures import Period, UnknownScope
from bot.lifecycle import Action, TransitionRefused
from bot.people import Refused
from bot.services import Services
from bot.web_access import Forbidden, LoginRefused, Viewer, WebAccess
from handlers.render import escalated_to, personal, reporter_label
from handlers.texts import ACTIONS, FIGURES, STATUS, WEB, t
from web.export import XLSX, table
from web.open311 import open311_routes

HERE = Path(__file__).resolve().parent
COOKIE = "gridsec_session"
Page = Callable[[Request, WebAccess, Viewer], Awaitable[Response]]
ACTS = ("supervise", "extend", "reassign")  # 督办, 延期, 改派


def create_app(services: Services) -> Starlette:
    """The command centre on the bot's own services: the same database, clock, photo store and
    CaseService (through the desk), so an action taken here tells people exactly as in chat."""
    config, db, clock = services.config, services.db, services.clock
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(W=WEB, FIGURES=FIGURES, STATUS=STATUS, ACTIONS=ACTIONS,
                                 category_name=config.category_name, escalated_to=escalated_to,
                                 reporter=lambda case, viewer: reporter_label(config, case.reporter, viewer.role_on(case)),
                                 # free text (description, notes) masked as chat masks it for the viewer's role
                                 shown=lambda text, case, viewer: personal(config, text, viewer.role_on(case)),
                                 local=lambda at: _local(at, config) or "—", place_map=_place_map)

    @asynccontextmanager
    async def access():
        async with db.session() as session:
            yield WebAccess(session, clock, config)

    def page(template: str, request: Request, status: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(request, template, context, status_code=status)

    def refusal(request: Request, api: bool, status: int, reason: str) -> Response:
        if api:
            return JSONResponse({"error": reason}, status_code=status)
        return page("message.html", request, status, message=WEB[reason])

    def logged_in(handler: Page, api: bool = False):
        """The route for a logged-in post; Forbidden → 403, unknown → 404, no session → 401."""
        async def route(request: Request) -> Response:
            try:
                async with access() as web:
                    viewer = await web.viewer(request.cookies.get(COOKIE))
                    if viewer is None:
                        return refusal(request, api, 401, "login_needed")
                    try:
                        return await handler(request, web, viewer)
                    except Forbidden:
                        return refusal(request, api, 403, "forbidden")
                    except (LookupError, UnknownScope, ValueError):
                        return refusal(request, api, 404, "not_found")
            finally:
                services.queued()  # an action's messages are committed now: wake the outbox sender
        return route

    async def login_link(request: Request) -> Response:
        try:
            async with access() as web:
                secret = await web.redeem(request.path_params["secret"])
        except LoginRefused as refused:
            return refusal(request, False, 403, refused.reason)
        return _with_session(RedirectResponse("/", status_code=303), secret, config)

    async def login_telegram(request: Request) -> Response:
        form = await request.form()
        try:
            async with access() as web:
                secret = await web.login_telegram(str(form.get("init_data", "")))
        except LoginRefused as refused:
            return JSONResponse({"error": refused.reason}, status_code=403)
        return _with_session(JSONResponse({"ok": True, "next": "/"}), secret, config)

    async def miniapp(request: Request) -> Response:
        """The Mini App's entry page: its script posts Telegram's initData to /login/telegram."""
        return page("miniapp.html", request)

    async def logout(request: Request) -> Response:
        async with access() as web:
            await web.logout(request.cookies.get(COOKIE))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    async def home(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        scope_id = await web.home(viewer)
        return RedirectResponse(f"/scope/{scope_id}" if scope_id else "/cases", status_code=303)

    async def scope_page(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        beside = await web.breakdown(viewer, request.path_params["scope_id"], _period(request, config, clock))
        hot = await web.hot_spots(viewer, request.path_params["scope_id"])
        return await _tiles(request, web, viewer, "scope.html", beside=beside, hot=hot)

    async def tiles_partial(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        """The figures tiles alone: what the open page polls for (htmx) to stay current."""
        return await _tiles(request, web, viewer, "tiles.html")

    async def _tiles(request: Request, web: WebAccess, viewer: Viewer, template: str, **context: Any) -> Response:
        period = _period(request, config, clock)
        result = await web.figures(viewer, request.path_params["scope_id"], period)
        query = f"from={period.first}&to={period.last}"
        return page(template, request, viewer=viewer, result=result, values=result.tally.figures(), query=query,
                    **context)

    async def map_json(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        result = await web.area_map(viewer, request.query_params.get("scope", ""), _period(request, config, clock))
        return JSONResponse(result.as_dict())

    async def figures_json(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        result = await web.figures(viewer, request.query_params.get("scope", ""), _period(request, config, clock))
        return JSONResponse(result.as_dict())

    async def cases_page(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        wanted = CaseFilter.of(request.query_params)
        return page("cases.html", request, viewer=viewer, result=await web.case_page(viewer, wanted), wanted=wanted,
                    categories=config.categories)

    async def cases_json(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        result = await web.case_page(viewer, CaseFilter.of(request.query_params))
        return JSONResponse({"cases": [_case(c) for c in result.cases], "total": result.total, "page": result.page})

    async def case_json(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        return JSONResponse(_case(await web.case(viewer, int(request.path_params["case_id"]))))

    async def desk(web: WebAccess, viewer: Viewer) -> Desk:
        """The acting person's desk in the request's own unit of work, as chat opens it for them."""
        person = await web.acting_person(viewer)
        return await open_desk(services, web.session, Caller(person.tg_user_id, person.chat_id, person.display_name),
                               services.notifier_for)

    async def case_page(request: Request, web: WebAccess, viewer: Viewer, notice: str | None = None,
                        status: int = 200) -> Response:
        view = await web.case_view(viewer, int(request.path_params["case_id"]))
        colleagues = None  # None: the viewer is no supervisor of this case (or nobody joined the post)
        if viewer.person_id:
            work = await desk(web, viewer)
            try:
                async with work.savepoint():
                    await work.cases.ensure_allowed(view.case, work.actor, Action.SUPERVISE)
                    colleagues, _ = await work.reassign_options(view.case)
            except (TransitionRefused, Refused):
                pass
        return page("case.html", request, status, viewer=viewer, view=view, notice=notice, colleagues=colleagues,
                    done=request.query_params.get("done"))

    async def photo(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        path = await web.photo(viewer, int(request.path_params["photo_id"]))
        return Response(services.photos.read(path), media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600"})

    async def act(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        """督办 (note), 延期 (text such as '2天 需协调物业') or 改派 (officer, reason), through the acting
        person's desk: CaseService checks they may and queues the officer's message in the outbox."""
        case_id, action = int(request.path_params["case_id"]), request.path_params["action"]
        if action not in ACTS:
            raise LookupError(action)
        await web.case(viewer, case_id)
        form = await request.form()
        work = await desk(web, viewer)
        try:
            async with work.savepoint():
                case = await work.cases.get(case_id, for_update=True)
                if action == "supervise":
                    await work.cases.supervise(case, work.actor, str(form.get("note", "")))
                elif action == "extend":
                    await work.extend(case, str(form.get("text", "")))
                else:
                    await work.reassign(case, str(form.get("officer_id", "")), str(form.get("reason", "")))
        except (TransitionRefused, Refused) as refused:
            return await case_page(request, web, viewer, t(refused.reason, **getattr(refused, "params", {})), 409)
        return RedirectResponse(f"/cases/{case_id}?done={action}", status_code=303)

    async def export_cases(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        wanted = CaseFilter.of(request.query_params)
        header = [WEB["ticket"], WEB["status"], WEB["category"], WEB["grid"], WEB["assignee"], WEB["filed_at"],
                  WEB["resolve_due"], WEB["description"]]
        rows = [[c.ticket, STATUS[c.status], config.category_name(c.category), c.grid.name if c.grid else "",
                 c.assignee_officer.name if c.assignee_officer else
                 (c.assignee_department.name if c.assignee_department else ""),
                 _local(c.created_at, config), _local(c.resolve_due_at, config),
                 personal(config, c.description, viewer.role_on(c))]
                for c in await web.case_export(viewer, wanted)]
        return _download(*table([header, *rows], request.path_params["kind"], WEB["sheet_cases"]), "cases")

    async def export_figures(request: Request, web: WebAccess, viewer: Viewer) -> Response:
        result = await web.figures(viewer, request.query_params.get("scope", ""), _period(request, config, clock))
        values = result.tally.figures()
        rows = [[WEB["figure"], "key", WEB["value"], WEB["definition"]],
                *([name, key, values[key], definition] for key, (name, definition) in FIGURES.items())]
        rows.append([WEB["period"], "period", f"{result.period.first} – {result.period.last}", result.scope.name])
        return _download(*table(rows, request.path_params["kind"], WEB["sheet_figures"]), "figures")

    api = open311_routes(services)
    return Starlette(exception_handlers={404: api.not_found}, routes=[
        Route("/", logged_in(home)),
        Route("/login/{secret}", login_link),
        Route("/login/telegram", login_telegram, methods=["POST"]),
        Route("/app", miniapp),
        Route("/logout", logout, methods=["POST"]),
        Route("/scope/{scope_id}", logged_in(scope_page)),
        Route("/scope/{scope_id}/tiles", logged_in(tiles_partial)),
        Route("/api/map", logged_in(map_json, api=True)),
        Route("/cases", logged_in(cases_page)),
        Route("/api/figures", logged_in(figures_json, api=True)),
        Route("/api/cases", logged_in(cases_json, api=True)),
        Route("/api/cases/{case_id:int}", logged_in(case_json, api=True)),
        Route("/cases/{case_id:int}", logged_in(case_page)),
        Route("/cases/{case_id:int}/{action:str}", logged_in(act), methods=["POST"]),
        Route("/photos/{photo_id:int}", logged_in(photo)),
        Route("/export/cases.{kind:str}", logged_in(export_cases)),
        Route("/export/figures.{kind:str}", logged_in(export_figures)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        *api.routes,
    ])


def _download(content: bytes, media_type: str, name: str) -> Response:
    suffix = "xlsx" if media_type == XLSX else "csv"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"'})


def _local(at, config: Config) -> str:
    return at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M") if at else ""


def _with_session(response: Response, secret: str, config: Config) -> Response:
    response.set_cookie(COOKIE, secret, max_age=int(config.web.session_hours * 3600), httponly=True,
                        samesite="lax", secure=config.web.base_url.startswith("https://"))
    return response


def _period(request: Request, config: Config, clock: Clock) -> Period:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, whole local days; default the last 30 days to today.
    A malformed date is a ValueError, which the route answers with 404."""
    last = date.fromisoformat(request.query_params["to"]) if "to" in request.query_params \
        else clock.now().astimezone(config.tz).date()
    first = date.fromisoformat(request.query_params["from"]) if "from" in request.query_params \
        else last - timedelta(days=29)
    if first > last:
        raise ValueError("from after to")
    return Period(first, last, config.tz)


def _place_map(case) -> dict[str, Any] | None:
    """The case page's small map: its grid's own polygon (no tiles) and, when the case has one,
    its point as [lon, lat]; None for a case without a grid."""
    if case.grid is None:
        return None
    outline = {"type": "Feature", "properties": {"name": case.grid.id}, "geometry": case.grid.geometry}
    return {"grid": case.grid.id, "geojson": {"type": "FeatureCollection", "features": [outline]},
            "point": None if case.lat is None or case.lon is None else [case.lon, case.lat]}


def _case(case) -> dict[str, Any]:
    """A case as the JSON behind the pages show it: no reporter."""
    return {"id": case.id, "ticket": case.ticket, "status": case.status, "category": case.category,
            "grid_id": case.grid_id, "urgent": case.urgent, "created_at": case.created_at.isoformat(),
            "resolve_due_at": case.resolve_due_at.isoformat() if case.resolve_due_at else None}
