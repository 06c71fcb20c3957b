"""`gridsec` — the command line: run, standin, demo, simulate, district import, invite, report, web, apikey, db upgrade, nlu …

Every command takes --config FILE and --database URL (also GRIDSEC_DATABASE_URL).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from datetime import timedelta
from pathlib import Path

from bot.config import REPO_ROOT, ConfigError, load_config
from gridsec.workers import WorkersRefused, check_workers, serve_workers, worker_config

DEMO_SCRIPT = REPO_ROOT / "gridsec" / "assets" / "demo.yaml"
DEMO_SUPERVISOR = "YX-O00001"  # the bundled sample district's district supervisor: sees the whole district


def _config(args):
    return load_config(args.config).with_database(args.database)


@contextlib.contextmanager
def nlu_server(config):
    """With the rasa backend, make sure a Rasa server answers at nlu.url and each port after it that
    nlu.servers asks for: start those that do not as child processes (from this, the main thread,
    so they die with us) and stop them at the end. Without the Rasa venv the bot runs on the
    keyword fallback and says so."""
    if config.nlu.backend != "rasa":
        yield config
        return
    from urllib.parse import urlparse

    from nlu import paths, server
    from nlu.client import server_urls

    missing = [u for u in server_urls(config.nlu.url, config.nlu.servers) if not server.is_healthy(u)]
    if not missing:
        yield config
        return
    try:
        paths.rasa_python()
    except paths.RasaNotInstalled as exc:
        print(f"warning: {exc}; using the keyword fallback NLU", file=sys.stderr)
        yield config
        return
    print(f"starting {len(missing)} Rasa NLU server(s) (about half a minute)...", file=sys.stderr)
    model, started = server.train(), []
    try:
        for url in missing:
            started.append(server.start_server(port=urlparse(url).port, model=model))
        yield config
    finally:
        for rasa in started:
            rasa.stop()


async def _run(args) -> int:
    config = _config(args)
    if not config.telegram.token:
        print("TELEGRAM_BOT_TOKEN is not set (or telegram.token in the config). "
              "To try the bot without Telegram, run: gridsec demo", file=sys.stderr)
        return 2
    if args.worker:  # one of `--workers N`, started by that process: the NLU server is its
        index, count = args.worker
        return await _serve(worker_config(config, index, count), args.webhook_url, index)
    if args.workers > 1:
        try:
            check_workers(config, args.workers, args.webhook_url)
        except WorkersRefused as exc:
            print(exc, file=sys.stderr)
            return 2
    with nlu_server(config) as config:
        if args.workers > 1:
            options = [f"--{name}={value}" for name in ("config", "database") if (value := getattr(args, name, None))]
            return await serve_workers(config, args.workers, args.webhook_url or config.telegram.webhook.url, options)
        return await _serve(config, args.webhook_url)


async def _serve(config, webhook_url: str | None, worker: int | None = None) -> int:
    """The bot until signalled; `worker`: the index of one of several webhook workers, on its own
    port (telegram.webhook.port + index), worker 0 registering the webhook."""
    from gridsec.app import BotRuntime

    runtime = BotRuntime(config)
    mode = "webhook" if webhook_url else config.telegram.mode
    port = None if worker is None else config.telegram.webhook.port + worker
    await runtime.start(mode=mode, webhook_url=webhook_url, port=port, register_webhook=not worker)
    name = "" if worker is None else f", worker {worker} on port {port}"
    print(f"Grid Secretary is running ({mode}{name}). Ctrl+C stops it.", file=sys.stderr)
    await _until_signalled()
    await runtime.stop()
    return 0


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _standin(args) -> int:
    """The Telegram stand-in as its own process, until Ctrl+C; the first line says where it is."""
    from standin import StandIn

    async with StandIn(host=args.host, port=args.port, token=args.token) as server:
        print(json.dumps({"base_url": server.base_url, "bot_api_url": server.bot_base_url,
                          "file_base_url": server.file_base_url, "token": server.token}), flush=True)
        await _until_signalled()
    return 0


async def _simulate(args) -> int:
    from gridsec.simulate import ScriptError, run_simulation

    try:
        with nlu_server(_with_nlu(_config(args), args.nlu)) as config:
            await run_simulation(config, Path(args.script), database=args.database, district=args.district,
                                 out=sys.stdout, pretty=args.pretty)
    except ScriptError as exc:
        print(f"script error: {exc}", file=sys.stderr)
        return 2
    return 0


async def _demo(args) -> int:
    """Plays the demo; then, unless --no-web, prints the demo supervisor's command-centre link and
    keeps serving it (and the demo's database) until Ctrl+C."""
    from gridsec.simulate import run_simulation
    from gridsec.web_server import WebPortTaken

    print("网格秘书 demo: a resident reports, the grid officer handles it, the resident rates it.\n"
          "Everything runs offline: SQLite, the local Telegram stand-in, the bundled sample district.\n",
          file=sys.stderr)
    config = _config(args)
    if not args.no_web:
        config = config.copy_with(web=config.web.copy_with(enabled=True, port=args.port or config.web.port))

    async def show_command_centre(sim) -> None:
        from bot.web_access import WebAccess

        async with sim.runtime.services.db.session() as session:
            link = await WebAccess(session, sim.clock, sim.runtime.config).link_for_officer(DEMO_SUPERVISOR)
        if args.json:
            print(json.dumps({"web_link": link, "officer_id": DEMO_SUPERVISOR}), flush=True)
        else:
            print(f"指挥中心 the command centre of this demo, logged in as the district supervisor "
                  f"({DEMO_SUPERVISOR}), one use:\n    {link}\nCtrl+C ends the demo.", flush=True)
        await _until_signalled()

    with nlu_server(_with_nlu(config, args.nlu)) as config:
        try:
            await run_simulation(config, DEMO_SCRIPT, database=args.database, out=sys.stdout, pretty=not args.json,
                                 afterwards=None if args.no_web else show_command_centre)
        except WebPortTaken as exc:
            print(f"{exc}: give another with --port N, or --no-web", file=sys.stderr)
            return 2
    return 0


def _with_nlu(config, backend: str | None):
    """`--nlu keyword` runs a demo or simulation on the keyword parser instead of the configured NLU."""
    return config.copy_with(nlu=config.nlu.copy_with(backend=backend)) if backend else config


async def _district_import(args) -> int:
    from bot.district.files import DistrictError, load_district
    from bot.district.importer import import_district
    from storage.db import Database

    try:
        district = load_district(args.dir)
    except DistrictError as exc:
        print("the district files have problems:\n  " + "\n  ".join(exc.messages), file=sys.stderr)
        return 2
    for warning in district.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    db = Database(_config(args).database.url)
    await db.upgrade()
    async with db.session() as session:
        report = await import_district(session, district)
    await db.dispose()
    print(f"imported {district.district_name} from {args.dir}: {len(district.grids)} grids, "
          f"{len(district.officers)} officers, {len(district.departments)} departments")
    print("\n".join(report.lines()))
    return 0


async def _invite(args) -> int:
    from bot.clock import SystemClock
    from bot.people import create_invite
    from storage.db import Database

    config = _config(args)
    db = Database(config.database.url)
    await db.upgrade()
    now = SystemClock().now()
    try:
        async with db.session() as session:
            invite = await create_invite(session, now, timedelta(hours=args.hours or config.invites.valid_hours),
                                         officer_id=args.officer_id, department_id=args.department)
    except (LookupError, ValueError) as exc:
        print(f"cannot make an invite: {exc}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    who = args.officer_id or args.department
    expires = invite.expires_at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")
    print(json.dumps({"code": invite.code, "for": who, "expires": expires}, ensure_ascii=False) if args.json
          else f"invite for {who}: /join {invite.code}   (one use, valid until {expires})")
    return 0


async def _invite_all(args) -> int:
    """`gridsec invite --scope ID --all [--csv FILE]`: a code for every post of the scope nobody holds."""
    import csv

    from bot.clock import SystemClock
    from bot.figures import UnknownScope
    from bot.onboarding import invite_unjoined
    from handlers.texts import ROLES
    from storage.db import Database

    config = _config(args)
    db = Database(config.database.url)
    await db.upgrade()
    try:
        async with db.session() as session:
            issued = await invite_unjoined(session, args.scope, SystemClock().now(),
                                           timedelta(hours=args.hours or config.invites.valid_hours))
    except UnknownScope:
        print(f"no grid, community, street or district has the id {args.scope}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    rows = [{"officer_id": i.post.officer_id, "name": i.post.name, "post": ROLES.get(i.post.role, i.post.role),
             "grid": "、".join(i.post.grids), "code": i.code,
             "expires": i.expires_at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")} for i in issued]
    if args.csv:
        with open(args.csv, "w", encoding="utf-8-sig", newline="") as sink:
            writer = csv.DictWriter(sink, fieldnames=["officer_id", "name", "post", "grid", "code", "expires"])
            writer.writeheader()
            writer.writerows(rows)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False) if args.json else
              f"{row['name']}\t{row['post']}\t{row['grid'] or '—'}\t/join {row['code']}\t{row['expires']}")
    print(f"{len(rows)} invites for the posts of {args.scope} nobody has joined"
          + (f", written to {args.csv}" if args.csv else ""), file=sys.stderr)
    return 0


async def _onboarding(args) -> int:
    """`gridsec district onboarding [--scope ID]`: which posts have joined, by street and community."""
    from bot.figures import UnknownScope
    from bot.onboarding import onboarding
    from storage.db import Database

    db = Database(_config(args).database.url)
    await db.upgrade()
    try:
        async with db.session() as session:
            area = await onboarding(session, args.scope)
    except UnknownScope:
        print(f"no grid, community, street or district has the id {args.scope}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    if args.json:
        print(json.dumps(_area_dict(area), ensure_ascii=False))
    else:
        print("\n".join(_area_lines(area)))
    return 0


def _area_lines(area, depth: int = 0) -> list[str]:
    from handlers.texts import ROLES

    pad = "  " * depth
    lines = [f"{pad}{area.name} ({area.id}): {area.joined}/{area.total} joined"]
    for post in area.posts:
        grids = f"  {'、'.join(post.grids)}" if post.grids else ""
        lines.append(f"{pad}  {'✓' if post.joined else '✗'} {ROLES.get(post.role, post.role)} {post.name} "
                     f"({post.officer_id}){grids}")
    for child in area.areas:
        lines += _area_lines(child, depth + 1)
    return lines


def _area_dict(area) -> dict:
    return {"id": area.id, "name": area.name, "kind": area.kind, "joined": area.joined, "total": area.total,
            "posts": [{"officer_id": p.officer_id, "name": p.name, "role": p.role, "grids": list(p.grid_ids),
                       "joined": p.joined} for p in area.posts],
            "areas": [_area_dict(child) for child in area.areas]}


async def _route(args) -> int:
    import csv

    from gridsec.app import build_services
    from bot.where import decide

    if not (args.text or args.input or (args.lat is not None and args.lon is not None)):
        print("give --text, --lat and --lon, or --input FILE.csv --output FILE.jsonl", file=sys.stderr)
        return 2
    services = await build_services(_config(args))
    now = services.clock.now()
    try:
        async with services.db.session() as session:
            if not args.input:
                decision = await decide(session, services, now, text=args.text, lat=args.lat, lon=args.lon)
                print(json.dumps(decision.as_dict(), ensure_ascii=False, indent=None if args.json else 2))
                return 0
            with open(args.input, encoding="utf-8-sig", newline="") as source, \
                    open(args.output, "w", encoding="utf-8") as sink:
                for row in csv.DictReader(source):
                    lat, lon = _number(row.get("lat")), _number(row.get("lon"))
                    decision = await decide(session, services, now, text=(row.get("text") or "").strip() or None,
                                            lat=lat, lon=lon)
                    sink.write(json.dumps({k: decision.as_dict()[k] for k in
                                           ("status", "grid_id", "candidates", "officer_id")},
                                          ensure_ascii=False) + "\n")
    finally:
        await services.db.dispose()
    return 0


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


async def _corrections(args) -> int:
    from bot.corrections import suggested_fixes
    from storage.db import Database

    db = Database(_config(args).database.url)
    async with db.session() as session:
        fixes = await suggested_fixes(session, minimum=args.min)
    await db.dispose()
    for fix in fixes:
        print(json.dumps(fix, ensure_ascii=False))
    if not fixes:
        print("no corrections recorded yet", file=sys.stderr)
    return 0


async def _vocab(args) -> int:
    from sqlalchemy import select

    from bot.district.files import AddressRecord
    from bot.places.vocabulary import place_words, write_jieba_dictionary, write_lookup_table
    from storage.db import Database
    from storage.models import Address

    db = Database(_config(args).database.url)
    await db.upgrade()
    async with db.session() as session:
        rows = (await session.execute(select(Address))).scalars().all()
    await db.dispose()
    words = place_words(AddressRecord(a.id, a.kind, a.name, a.road, a.number, tuple(a.aliases), a.lat, a.lon,
                                      a.grid_id) for a in rows)
    out = Path(args.out)
    write_jieba_dictionary(words, out / "dictionary" / "addresses.txt")
    write_lookup_table(words, out / "data" / "lookups" / "addresses.yml")
    print(f"{len(words)} place names from {len(rows)} addresses → {out}/dictionary/addresses.txt, "
          f"{out}/data/lookups/addresses.yml")
    return 0


async def _nlu(args) -> int:
    """`gridsec nlu train|serve|train-router|predict|eval`: the NLU's own tools (see nlu/)."""
    from nlu import evaluate, router_train, server

    rest = args.nlu_args
    if args.nlu_command == "train":
        print(await asyncio.to_thread(server.train, force="--force" in rest))
        return 0
    if args.nlu_command == "serve":
        port = int(rest[rest.index("--port") + 1]) if "--port" in rest else 5005
        return server.serve(port)  # blocking, in the main thread, where it can catch SIGTERM
    if args.nlu_command == "train-router":
        return await asyncio.to_thread(router_train.main, rest)
    return await asyncio.to_thread(evaluate.main, [args.nlu_command, *rest])


async def _report(args) -> int:
    """The figures of bot/figures.py for a scope and whole local days (default: today's)."""
    from datetime import date, datetime

    from bot.clock import SystemClock
    from bot.figures import Period, UnknownScope, figures, find_scope
    from handlers.texts import FIGURES
    from storage.db import Database

    config = _config(args)
    try:
        now = datetime.fromisoformat(args.now) if args.now else SystemClock().now()
        if now.tzinfo is None:
            now = now.replace(tzinfo=config.tz)
        last = date.fromisoformat(args.last) if args.last else now.astimezone(config.tz).date()
        first = date.fromisoformat(args.first) if args.first else last
    except ValueError as exc:
        print(f"bad date: {exc}", file=sys.stderr)
        return 2
    if first > last:
        print("--from is after --to", file=sys.stderr)
        return 2
    db = Database(config.database.url)
    await db.upgrade()
    try:
        async with db.session() as session:
            result = await figures(session, await find_scope(session, args.scope), Period(first, last, config.tz), now)
    except UnknownScope:
        print(f"no grid, community, street or district has the id {args.scope}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    values = result.as_dict()
    if args.json:
        print(json.dumps(values, ensure_ascii=False))
        return 0
    print(f"{result.scope.name} ({result.scope.id})  {values['from']} – {values['to']}")
    for key, (name, _definition) in FIGURES.items():
        value = values[key]
        shown = "—" if value is None else f"{value:.1%}" if key.endswith("_rate") else f"{value:g}"
        print(f"  {name} {key}: {shown}")
    return 0


async def _web(args) -> int:
    """`gridsec web`: serve the command centre; `gridsec web link OFFICER_ID`: print a login link."""
    from gridsec.app import build_services

    config = _config(args)
    if args.port:
        config = config.copy_with(web=config.web.copy_with(port=args.port))
    services = await build_services(config)
    try:
        if args.web_command == "link":
            return await _web_link(services.db, config, args.officer_id)
        from gridsec.web_server import WebServer

        server = WebServer(services)
        await server.start()
        print(f"the command centre is at {config.web.base_url} (Ctrl+C stops it)", file=sys.stderr)
        await _until_signalled()
        await server.stop()
        return 0
    finally:
        await services.db.dispose()


async def _web_link(db, config, officer_id: str | None) -> int:
    from bot.clock import SystemClock
    from bot.web_access import WebAccess

    if not officer_id:
        print("give the OFFICER_ID the link is for", file=sys.stderr)
        return 2
    try:
        async with db.session() as session:
            url = await WebAccess(session, SystemClock(), config).link_for_officer(officer_id)
    except LookupError as exc:
        print(f"cannot make a link: {exc}", file=sys.stderr)
        return 2
    print(url)
    return 0


async def _apikey(args) -> int:
    """`gridsec apikey create NAME` prints a new key for an Open311 channel (shown once, stored hashed);
    `list` shows the channels; `revoke NAME` stops the key at once (its cases stay)."""
    from bot.channels import create_key, list_keys, revoke_key
    from bot.clock import SystemClock
    from storage.db import Database

    config = _config(args)
    db = Database(config.database.url)
    await db.upgrade()
    now = SystemClock().now()
    try:
        async with db.session() as session:
            if args.apikey_command == "list":
                for key in await list_keys(session):
                    state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
                    print(f"{key.name}\t{state}\tcreated {key.created_at.astimezone(config.tz):%Y-%m-%d %H:%M}")
                return 0
            if not args.name:
                print("give the channel's NAME", file=sys.stderr)
                return 2
            if args.apikey_command == "revoke":
                if not await revoke_key(session, args.name, now):
                    print(f"no active key named {args.name}", file=sys.stderr)
                    return 2
                print(f"revoked {args.name}")
                return 0
            try:
                print(await create_key(session, args.name, now))
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
            return 0
    finally:
        await db.dispose()


async def _db_upgrade(args) -> int:
    from storage.db import Database

    db = Database(_config(args).database.url)
    await db.upgrade()
    await db.dispose()
    print("database is at the newest schema")
    return 0


def _options(default) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--config", default=default, help="config file (default: $GRIDSEC_CONFIG or ./config.yaml)")
    options.add_argument("--database", default=default,
                         help="database URL (default: $GRIDSEC_DATABASE_URL or the config)")
    return options


def _worker_index(value: str) -> tuple[int, int]:
    """I/N: worker I of N."""
    index, _, count = value.partition("/")
    if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise argparse.ArgumentTypeError(f"{value!r} is not I/N")
    return int(index), int(count)


def parser() -> argparse.ArgumentParser:
    """--config and --database go before or after the command; a subcommand's own copy of them
    has no default, so it cannot overwrite one given before the command (argparse would)."""
    p = argparse.ArgumentParser(prog="gridsec", description="Grid Secretary (网格秘书)", parents=[_options(None)])
    common = _options(argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", parents=[common], help="run the bot against Telegram (needs TELEGRAM_BOT_TOKEN)")
    run.add_argument("--webhook-url", help="webhook mode, Telegram posting to this URL (a local Bot API server "
                                           "also takes http://); default: telegram.mode and telegram.webhook.url")
    run.add_argument("--workers", type=int, default=1,
                     help="this many webhook workers sharing a PostgreSQL database, on ports telegram.webhook.port "
                          "and up, behind a reverse proxy (docs/deploy/nginx.conf); default 1")
    run.add_argument("--worker", type=_worker_index, help=argparse.SUPPRESS)  # set by --workers for each worker
    standin = sub.add_parser("standin", parents=[common],
                             help="the local Telegram Bot API stand-in as a server (Bot API and /_sim/ control API)")
    standin.add_argument("--host", default="127.0.0.1")
    standin.add_argument("--port", type=int, default=8081, help="0: any free port (default 8081)")
    standin.add_argument("--token", default="1:TEST", help="the bot token it accepts (default 1:TEST)")
    demo = sub.add_parser("demo", parents=[common], help="play the bundled demo offline")
    demo.add_argument("--json", action="store_true", help="print JSON lines instead of readable text")
    demo.add_argument("--nlu", choices=["rasa", "keyword"], help="the NLU to use (default: the config's, rasa)")
    demo.add_argument("--no-web", action="store_true",
                      help="end after the conversation instead of serving the demo's command centre until Ctrl+C")
    demo.add_argument("--port", type=int, help="port of the demo's command centre (default: web.port)")
    sim = sub.add_parser("simulate", parents=[common], help="run a scripted conversation, print JSON lines")
    sim.add_argument("script")
    sim.add_argument("--district", help="district directory to import first (default: the bundled sample)")
    sim.add_argument("--pretty", action="store_true", help="readable output instead of JSON lines")
    sim.add_argument("--nlu", choices=["rasa", "keyword"], help="the NLU to use (default: the config's, rasa)")
    district = sub.add_parser("district", parents=[common], help="district data").add_subparsers(
        dest="district_command", required=True)
    imp = district.add_parser("import", parents=[common], help="import (or re-import) a district directory")
    imp.add_argument("dir")
    corr = district.add_parser("corrections", parents=[common],
                               help="what officers' not-my-grid corrections say about the address library")
    corr.add_argument("--min", type=int, default=1, help="corrections needed before a fix is suggested")
    onboard = district.add_parser("onboarding", parents=[common],
                                  help="which posts have joined the bot, by street and community")
    onboard.add_argument("--scope", help="a grid, community, street or district id (default: the whole district)")
    onboard.add_argument("--json", action="store_true", help="one JSON object")
    vocab = district.add_parser("vocab", parents=[common],
                                help="write the NLU's jieba dictionary and lookup table from the address library")
    vocab.add_argument("--out", default=str(REPO_ROOT / "var" / "nlu-vocab"),
                       help="directory that gets dictionary/addresses.txt and data/lookups/addresses.yml")
    route = sub.add_parser("route", parents=[common], help="where a message or point goes, and who acts")
    route.add_argument("--text")
    route.add_argument("--lat", type=float)
    route.add_argument("--lon", type=float)
    route.add_argument("--json", action="store_true", help="one line of JSON")
    route.add_argument("--input", help="CSV with columns text, lat, lon (either may be blank)")
    route.add_argument("--output", help="JSONL written with one decision per input row, in order")
    inv = sub.add_parser("invite", parents=[common], help="make a one-time /join code for an officer or department")
    inv.add_argument("officer_id", nargs="?")
    inv.add_argument("--department", help="a dept_id: the code makes its holder staff of that department")
    inv.add_argument("--hours", type=float, help="validity (default: invites.valid_hours)")
    inv.add_argument("--scope", help="with --all: a grid, community, street or district id")
    inv.add_argument("--all", action="store_true",
                     help="a code for every officer of --scope who has not joined: name, post, grid, code, expiry")
    inv.add_argument("--csv", help="with --all: also write them to this CSV file (for printing or sending)")
    inv.add_argument("--json", action="store_true")
    nlu = sub.add_parser("nlu", parents=[common], help="the Rasa NLU: train, serve, train-router, predict, eval")
    nlu.add_argument("nlu_command", choices=["train", "serve", "train-router", "predict", "eval"])
    nlu.add_argument("nlu_args", nargs=argparse.REMAINDER,
                     help="train [--force] | serve [--port N] | train-router --data F.csv [--segmented] | "
                          "predict --input F.csv --output F.jsonl | eval F.csv")
    report = sub.add_parser("report", parents=[common], help="the command centre's figures for a scope and period")
    report.add_argument("--scope", required=True, help="a grid, community, street or district id")
    report.add_argument("--from", dest="first", help="first local day, YYYY-MM-DD (default: --to)")
    report.add_argument("--to", dest="last", help="last local day, YYYY-MM-DD (default: today)")
    report.add_argument("--now", help="ISO time the open cases are judged at (default: now)")
    report.add_argument("--json", action="store_true", help="one JSON object")
    web = sub.add_parser("web", parents=[common], help="serve the command centre, or print a login link")
    web.add_argument("web_command", nargs="?", choices=["link"], help="link: print a one-time login link")
    web.add_argument("officer_id", nargs="?", help="with link: the officer post the link logs in as")
    web.add_argument("--port", type=int, help="port to listen on (default: web.port)")
    apikey = sub.add_parser("apikey", parents=[common], help="Open311 API keys, one per channel (e.g. 12345热线)")
    apikey.add_argument("apikey_command", choices=["create", "list", "revoke"])
    apikey.add_argument("name", nargs="?", help="the channel's name, shown on the officer's card as 来源")
    db = sub.add_parser("db", parents=[common], help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", parents=[common], help="apply migrations")
    return p


COMMANDS = {"run": _run, "standin": _standin, "demo": _demo, "simulate": _simulate, "invite": _invite,
            "route": _route, "nlu": _nlu, "report": _report, "web": _web, "apikey": _apikey,
            ("district", "import"): _district_import, ("district", "corrections"): _corrections,
            ("district", "vocab"): _vocab, ("district", "onboarding"): _onboarding, "invite_all": _invite_all,
            ("db", "upgrade"): _db_upgrade}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    key = args.command if args.command in COMMANDS else (args.command, getattr(args, f"{args.command}_command"))
    if args.command == "invite" and args.all:
        if not args.scope or args.officer_id or args.department:
            print("--all takes --scope ID and no OFFICER_ID or --department", file=sys.stderr)
            return 2
        key = "invite_all"
    elif args.command == "invite" and bool(args.officer_id) == bool(args.department):
        print("give an OFFICER_ID or --department DEPT_ID (exactly one), or --scope ID --all", file=sys.stderr)
        return 2
    try:
        return asyncio.run(COMMANDS[key](args))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
