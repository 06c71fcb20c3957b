#!/usr/bin/env python3
"""Same-spot duplicates and hot spots over many cases, each beside a naive baseline in the same run.

    .venv/bin/python -m bench.casework [--cases 100000] [--lookups 200] [--backend sqlite|postgres|both]

`--cases` cases are spread over the last 35 days around the sample district's centre (±2 km), in
random categories (garbage twice as likely), two thirds of them still open, each with a short Chinese
description from a few templates; six water leaks in one grid within the last hour (a category the
rest never has) make one hot spot to find.

1. **duplicates** (`bot.duplicates.nearby_duplicates`, what 确认 asks before filing and the card
   shows): `--lookups` reports at random points, p50 and p99 of one lookup, beside the *baseline*:
   the same rule without the latitude/longitude box in the query (every open case of the category
   in the window loaded, then distance and similarity in Python).
2. **hot spots** (`bot.hotspots.hot_spots`, what each scheduler tick asks): median of 5 calls, beside
   the *baseline*: every case of the window and the baseline span loaded and counted in Python.

Nothing is asserted; compare the ratios.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

import asyncpg  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bot.config import load_config  # noqa: E402
from bot.duplicates import nearby_duplicates  # noqa: E402
from bot.hotspots import NOT_COUNTED, allowance, hot_spots  # noqa: E402
from bot.lifecycle import MERGEABLE  # noqa: E402
from bot.similarity import metres_between, similarity  # noqa: E402
from gridsec.app import ensure_district  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Case, Grid, Person  # noqa: E402

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
CENTRE = (23.1291, 113.2644)
SPREAD = 0.018  # degrees: about 2 km
TEXTS = ["楼下垃圾堆了{n}天没人收", "路灯不亮了{n}盏", "井盖破损很危险{n}", "晚上{n}点还有施工噪音", "门口有人占道摆摊{n}",
         "下水道堵了积水{n}厘米", "树枝断了挡路{n}", "违章停车堵住消防通道{n}"]
CATEGORIES = ["garbage", "garbage", "streetlight", "road_damage", "noise", "street_vending", "drainage", "greenery",
              "illegal_parking"]
PG = os.environ.get("GRIDSEC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def build(url: str, config, n: int) -> Database:
    db = Database(url)
    await db.upgrade()
    await ensure_district(db, config)
    rng = random.Random(7)
    async with db.session() as session:
        grids = list((await session.execute(select(Grid.id))).scalars())
        person = Person(tg_user_id=1, chat_id=1, display_name="bench", created_at=NOW)
        session.add(person)
        await session.flush()
        rows = []
        for i in range(n):
            category = rng.choice(CATEGORIES)
            at = NOW - timedelta(minutes=rng.uniform(0, 35 * 24 * 60))
            rows.append(dict(
                ticket=f"B{i:08d}", status=rng.choice(["assigned", "accepted", "closed"]), source="resident",
                category=category, urgent=False, description=rng.choice(TEXTS).format(n=rng.randint(1, 9)),
                lat=CENTRE[0] + rng.uniform(-SPREAD, SPREAD), lon=CENTRE[1] + rng.uniform(-SPREAD, SPREAD),
                grid_id=rng.choice(grids), reporter_id=person.id, created_at=at, updated_at=at, deadline_round=0,
                version=1))
        hot_grid = grids[len(grids) // 2]  # a hot spot to find: six leaks in one grid this hour, none before
        rows += [dict(rows[0], ticket=f"H{i:08d}", status="assigned", category="water_leak", grid_id=hot_grid,
                      created_at=NOW - timedelta(minutes=10 * i), updated_at=NOW) for i in range(6)]
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Case), rows[start:start + 5000])
    return db


async def naive_duplicates(session, config, category, lat, lon, text, now):
    """The rule without the box in the query: every open case of the category in the window, then Python."""
    rules = config.casework.duplicates
    cases = (await session.execute(select(Case).where(
        Case.category == category, Case.status.in_(sorted(str(s) for s in MERGEABLE)),
        Case.created_at >= now - rules.window))).scalars()
    found = [(similarity(text, c.description), metres_between(lat, lon, c.lat, c.lon), c) for c in cases]
    found = [(alike, metres, c) for alike, metres, c in found
             if metres <= rules.radius_m and alike >= rules.min_similarity]
    return [c for _, _, c in sorted(found, key=lambda f: (-f[0], f[1], f[2].id))][:3]


async def naive_hot_spots(session, config, now):
    rules = config.casework.hotspots
    start = now - rules.window
    rows = (await session.execute(select(Case.grid_id, Case.category, Case.created_at).where(
        Case.created_at > start - rules.baseline, Case.created_at <= now,
        Case.status.not_in(NOT_COUNTED)))).all()
    recent = Counter((g, c) for g, c, at in rows if at > start)
    before = Counter((g, c) for g, c, at in rows if at <= start)
    windows = rules.baseline / rules.window
    return [k for k, n in recent.items()
            if n >= rules.min_cases and n > allowance(before[k] / windows, rules.min_cases, rules.factor)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


async def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = await fn(*args)
    return time.perf_counter() - start, result


async def run(backend: str, url: str, config, args) -> None:
    build_start = time.perf_counter()
    db = await build(url, config, args.cases)
    print(f"\n[{backend}] {args.cases} cases built in {time.perf_counter() - build_start:.1f} s")
    rng = random.Random(11)
    ours, theirs, agree = [], [], 0
    async with db.session() as session:
        for _ in range(args.lookups):
            category = rng.choice(CATEGORIES)
            lat, lon = CENTRE[0] + rng.uniform(-SPREAD, SPREAD), CENTRE[1] + rng.uniform(-SPREAD, SPREAD)
            text = rng.choice(TEXTS).format(n=3)
            took, found = await timed(lambda: nearby_duplicates(session, config, category=category, lat=lat, lon=lon,
                                                                text=text, now=NOW))
            ours.append(took)
            took, naive = await timed(naive_duplicates, session, config, category, lat, lon, text, NOW)
            theirs.append(took)
            agree += {d.case.id for d in found} == {c.id for c in naive}
            session.expunge_all()
    q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1]  # noqa: E731
    print(f"duplicates, one lookup      p50 {ms(q(ours, 50))}  p99 {ms(q(ours, 99))}")
    print(f"  baseline (no box)         p50 {ms(q(theirs, 50))}  p99 {ms(q(theirs, 99))}"
          f"   same cases found in {agree}/{args.lookups}")
    spots, naive_spots = [], []
    async with db.session() as session:
        for _ in range(5):
            took, found = await timed(hot_spots, session, config, NOW)
            spots.append(took)
            took, naive = await timed(naive_hot_spots, session, config, NOW)
            naive_spots.append(took)
    print(f"hot spots, one tick         median {ms(statistics.median(spots))}   ({len(found)} hot)")
    print(f"  baseline (load and count) median {ms(statistics.median(naive_spots))}   ({len(naive)} hot)")
    await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    config = load_config(REPO / "tests" / "config.yaml", env={})
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            await run("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", config, args)
    if args.backend in ("postgres", "both"):
        name = f"gridsec_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            await run("postgres", PG.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}",
                      config, args)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
