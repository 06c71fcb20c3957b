#!/usr/bin/env python3
"""The Open311 API's throughput: POST requests and GET requests, beside a bare Starlette endpoint
that writes one row, on SQLite and on PostgreSQL, in the same run.

    .venv/bin/python -m bench.open311 [--n 200] [--concurrency 8] [--skip-postgres] [--pg-url URL]

Each backend gets a fresh database migrated with the bundled sample district and one API key.
Requests go in process through httpx's ASGI transport (no sockets), so what is measured is the
server's own work per request:

- *POST requests*: a hotline request with an address_string, filed through the chat's intake,
  placement and routing (keyword NLU), its officer's card queued in the outbox;
- *GET requests*: the channel's newest page of 50 requests with extensions, after the POSTs;
- *baseline*: a bare Starlette app on the same Database class whose POST inserts one row in a
  table of its own, and whose GET reads 50 rows back.

Each is run sequentially (`--n` requests one after another, requests/s and p50/p99) and with
`--concurrency` clients at once (requests/s), with the SQL statements each request runs. Then a
sequential POST batch and a GET batch run under cProfile and their time is split by where it was
spent (self time by package; "waiting" is the event loop idle while the database works, "hand-offs" what
each statement costs on the way to the driver and back). Nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

import httpx  # noqa: E402
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from bench.web_figures import admin  # noqa: E402
from bot.channels import create_key  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from gridsec.app import build_services  # noqa: E402
from storage.db import Database  # noqa: E402
from web.app import create_app  # noqa: E402

DEFAULT_PG = os.environ.get("GRIDSEC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)  # 14:00 in the district
ROWS = Table("bench_rows", MetaData(), Column("id", Integer, primary_key=True), Column("text", String(4000)))
PLACES = ("秉政苑2栋", "文澜市场", "仙邻路28号")
FILING = {"service_code": "garbage", "description": "楼下垃圾桶满了没人清", "last_name": "李", "first_name": "小明",
          "phone": "13812345678"}


def bare_app(db: Database) -> Starlette:
    """The least a web endpoint writing one row can do: parse the form, insert, commit, answer."""
    async def write(request: Request):
        form = await request.form()
        async with db.session() as s:
            row_id = (await s.execute(insert(ROWS).values(text=str(form.get("description", ""))))).inserted_primary_key[0]
        return JSONResponse([{"service_request_id": str(row_id)}], status_code=201)

    async def read(request: Request):
        async with db.session() as s:
            rows = (await s.execute(select(ROWS).order_by(ROWS.c.id.desc()).limit(50))).all()
        return JSONResponse([{"service_request_id": str(r.id), "description": r.text} for r in rows])

    return Starlette(routes=[Route("/open311/v2/requests.json", write, methods=["POST"]),
                             Route("/open311/v2/requests.json", read, methods=["GET"])])


async def timed(client: httpx.AsyncClient, method: str, data: dict | None, params: dict | None) -> float:
    started = time.perf_counter()
    answer = await client.request(method, "/open311/v2/requests.json", data=data, params=params)
    took = time.perf_counter() - started
    if answer.status_code >= 300:
        raise RuntimeError(f"{method} answered {answer.status_code}: {answer.text[:200]}")
    return took


class Statements:
    """Counts the SQL statements an engine runs (BEGIN and COMMIT included)."""

    def __init__(self, *engines) -> None:
        self.count = 0
        for engine in engines:
            event.listen(engine.sync_engine, "before_cursor_execute", self._one)

    def _one(self, *_args) -> None:
        self.count += 1


async def run(client: httpx.AsyncClient, method: str, key: str, n: int, concurrency: int,
              statements: Statements | None = None) -> dict:
    def data(i: int) -> dict | None:
        return {**FILING, "api_key": key, "address_string": PLACES[i % len(PLACES)]} if method == "POST" else None
    params = None if method == "POST" else {"api_key": key, "extensions": "true", "page_size": "50"}
    await timed(client, method, data(0), params)  # warm-up
    before = statements.count if statements else 0
    times = [await timed(client, method, data(i), params) for i in range(n)]
    per_request = (statements.count - before) / n if statements else 0
    sequential = n / sum(times)
    queue = iter(range(n))

    async def worker():
        for i in queue:
            await timed(client, method, data(i), params)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    concurrent = n / (time.perf_counter() - started)
    times.sort()
    return {"rps": sequential, "p50": times[len(times) // 2] * 1000, "p99": times[int(len(times) * .99) - 1] * 1000,
            "rps_concurrent": concurrent, "statements": per_request}


# What each SQL statement costs besides the database's own work: a driver's hand-offs to its thread or
# socket (asyncpg), the loop's wake-ups, SQLAlchemy's async bridge switching greenlets.
HANDOFFS = ("put_nowait", "'recv'", "'send'", "greenlet", "Context' objects", "set_result")


def where_time_goes(profile: cProfile.Profile) -> list[tuple[str, float]]:
    """Self time by package: the project's own layers, SQLAlchemy, the drivers, the web stack, idle."""
    stats = pstats.Stats(profile).stats
    spent: dict[str, float] = defaultdict(float)
    for (path, _line, name), (_cc, _nc, self_time, _cum, _callers) in stats.items():
        if "poll" in name and ("epoll" in name or "select" in name):
            spent["waiting (event loop idle: the database working)"] += self_time
            continue
        if any(m in name for m in HANDOFFS) or path.endswith("selectors.py"):
            spent["hand-offs per statement (driver thread queue, socket wake-ups, greenlets)"] += self_time
            continue
        where = path.replace("\\", "/")
        for label, marks in (("project bot/", "/bot/"), ("project handlers/", "/handlers/"),
                             ("project web/", "/web/"), ("project nlu/ (keyword)", "/nlu/"),
                             ("project storage/", "/storage/"), ("sqlalchemy", "/sqlalchemy/"),
                             ("aiosqlite / sqlite3", "aiosqlite"), ("asyncpg", "asyncpg"),
                             ("starlette / httpx / multipart", ("starlette", "httpx", "multipart", "anyio")),
                             ("jieba", "jieba"), ("shapely", "shapely"), ("asyncio", "asyncio/")):
            if any(m in where for m in ((marks,) if isinstance(marks, str) else marks)):
                spent[label] += self_time
                break
        else:
            spent["other (stdlib, json, ...)"] += self_time
    total = sum(spent.values())
    return sorted(((k, v / total) for k, v in spent.items()), key=lambda kv: -kv[1])


async def bench_backend(name: str, url: str, args) -> None:
    config = load_config(REPO / "tests" / "config.yaml", env={})
    config = config.copy_with(database=config.database.copy_with(url=url),
                              storage=config.storage.copy_with(photo_dir=tempfile.mkdtemp(prefix="bench311-")))
    services = await build_services(config, ManualClock(NOW))
    async with services.db.session() as s:
        key = await create_key(s, "12345热线", NOW)
    bare_db = Database(url)
    async with bare_db.engine.begin() as conn:
        await conn.run_sync(ROWS.metadata.create_all)
    results = {}
    statements = Statements(services.db.engine, bare_db.engine)
    transport = dict(base_url="http://bench")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services)), **transport) as api, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=bare_app(bare_db)), **transport) as bare:
        for label, client, method in (("POST requests", api, "POST"), ("  bare POST (one row)", bare, "POST"),
                                      ("GET requests (50, extensions)", api, "GET"), ("  bare GET (50 rows)", bare, "GET")):
            results[label] = await run(client, method, key, args.n, args.concurrency, statements)
        profiles = {}
        for method in ("POST", "GET"):
            profiles[method] = profile = cProfile.Profile()
            profile.enable()
            await run(api, method, key, max(20, args.n // 4), 1)
            profile.disable()
    await bare_db.dispose()
    await services.db.dispose()
    print(f"\n== {name}: {args.n} requests each, sequential and {args.concurrency} at once")
    print(f"{'':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s x' + str(args.concurrency):>10} {'SQL/req':>8}")
    for label, r in results.items():
        print(f"{label:34} {r['rps']:8.1f} {r['p50']:8.2f} {r['p99']:8.2f} {r['rps_concurrent']:10.1f}"
              f" {r['statements']:8.1f}")
    post, bare_post = results["POST requests"], results["  bare POST (one row)"]
    print(f"POST requests costs {bare_post['rps'] / post['rps']:.1f}x the bare endpoint's time per request")
    for method, profile in profiles.items():
        print(f"where a {method}'s time goes (self time under cProfile, which slows Python code more than waiting):")
        for label, share in where_time_goes(profile):
            if share >= 0.005:
                print(f"  {share:6.1%}  {label}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await bench_backend("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args)
    if args.skip_postgres:
        return
    name = f"gridsec_bench_{uuid.uuid4().hex[:8]}"
    await admin(args.pg_url, f'CREATE DATABASE "{name}"')
    try:
        base = args.pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        await bench_backend("PostgreSQL", f"{base}/{name}", args)
    finally:
        await admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
