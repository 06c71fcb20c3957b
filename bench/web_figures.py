#!/usr/bin/env python3
"""The command centre at scale: the figures and the map data for the whole district with 100,000 cases.

    .venv/bin/python -m bench.web_figures [--cases 100000] [--runs 30] [--pg-url URL] [--district DIR]

On PostgreSQL, the shared district (1,893 grids, ../shared/data/district) and `--cases` cases spread
over its grids and the last 60 days, in every status, with their 办结 / 重新办理 / 退回 timeline rows
and ratings. Measured in-process (the server's time for one request's data, no HTTP), `--runs` times
each after one warm-up, p50 and p99:

- *figures*: bot/figures.py for the district and for one street, the last 30 days;
- *map*: bot/area_map.py for the district (its streets) and for one street (its communities);
- *baseline*: the same figures and map states computed by loading every case (and its timeline
  rows and ratings) into Python, in the same run, on the same data (fewer runs: it is slow).

Nothing is asserted; the figures depend on the machine. The issue's target: under 300 ms p99 each.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

import asyncpg  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from bot.area_map import NEAR_SHARE, area_map, state_of  # noqa: E402
from bot.cases import WAS  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.figures import GOOD_SCORES, Period, Tally, figures, find_scope  # noqa: E402
from bot.lifecycle import OPEN  # noqa: E402
from gridsec.app import ensure_district  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Case, CaseEvent, Community, Grid, GridCorrection, Person, Rating, Street  # noqa: E402

DEFAULT_PG = os.environ.get("GRIDSEC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


async def admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def fill(db: Database, n: int) -> None:
    """`n` cases over the district's grids and the last 60 days, in every status."""
    rng = random.Random(13)
    async with db.session() as session:
        grids = list((await session.execute(select(Grid.id))).scalars())
        reporter = Person(tg_user_id=1, chat_id=1, display_name="居民", created_at=NOW)
        session.add(reporter)
        await session.flush()
        first_id = 1
        cases, events, ratings, corrections = [], [], [], []
        for i in range(n):
            filed = NOW - timedelta(minutes=rng.uniform(0, 60 * 24 * 60))
            accept_due, resolve_due = filed + H, filed + 72 * H
            roll = rng.random()
            status = ("closed" if roll < .4 else "resolved" if roll < .55 else "accepted" if roll < .8
                      else "assigned" if roll < .93 else "returned" if roll < .97 else "cancelled")
            accepted = filed + timedelta(minutes=rng.uniform(5, 120)) if status in ("closed", "resolved", "accepted") \
                else None
            resolved = accepted + timedelta(hours=rng.uniform(1, 100)) if status in ("closed", "resolved") else None
            if resolved and resolved > NOW:
                resolved = NOW - timedelta(minutes=1)
            closed = (resolved + H) if status == "closed" else (filed + 2 * H if status == "cancelled" else None)
            case_id = first_id + i
            marks = []
            if resolved:
                marks.append((resolved, "resolve", "resolved"))
                if rng.random() < .05:
                    marks.append((resolved, "reopen", "assigned"))
            if status == "returned" or rng.random() < .02:
                marks.append((filed + H, "return", "returned"))
            events += [{"case_id": case_id, "at": at, "actor_role": "assignee", "action": action, "to_status": to,
                        "data": {}} for at, action, to in marks]
            moved = rng.random() < .02
            if moved:
                corrections.append({"case_id": case_id, "to_grid_id": rng.choice(grids), "at": filed + H})
            if status == "closed":
                ratings.append({"case_id": case_id, "score": rng.choice(["satisfied", "basic", "unsatisfied"]),
                                "at": closed})
            done = {action for _, action, _ in marks}
            cases.append({"id": case_id, "ticket": f"B{i:07d}", "status": status, "source": "resident",
                          "category": "garbage", "urgent": False, "description": "楼下垃圾堆了三天了没人收",
                          "grid_id": rng.choice(grids), "reporter_id": reporter.id, "created_at": filed,
                          "updated_at": filed, "due_from": filed, "accepted_at": accepted, "resolved_at": resolved,
                          "closed_at": closed, "accept_due_at": accept_due, "resolve_due_at": resolve_due,
                          "version": 1, "deadline_round": 1, "was_moved": moved,
                          **{flag: any(str(a) in done for a, f in WAS.items() if f == flag)
                             for flag in WAS.values()}})
        for model, rows in ((Case, cases), (CaseEvent, events), (Rating, ratings), (GridCorrection, corrections)):
            for start in range(0, len(rows), 5000):
                await session.execute(insert(model), rows[start:start + 5000])
    async with db.engine.begin() as conn:  # committed: statistics ANALYZE writes in a rolled-back transaction vanish
        await conn.execute(text("ANALYZE"))


async def timed(what, runs: int) -> list[float]:
    await what()  # warm-up
    spans = []
    for _ in range(runs):
        start = time.perf_counter()
        await what()
        spans.append((time.perf_counter() - start) * 1000)
    return spans


def p(spans: list[float], q: float) -> float:
    ordered = sorted(spans)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# ---------------------------------------------------------------- the baselines: every case in Python
async def python_figures(db: Database, period: Period, now: datetime) -> Tally:
    """The figures of the district from every case row, its timeline rows and ratings, in Python."""
    async with db.session() as session:
        cases = (await session.execute(select(Case.id, Case.status, Case.created_at, Case.due_from,
                                              Case.accepted_at, Case.resolved_at, Case.closed_at,
                                              Case.accept_due_at, Case.resolve_due_at))).all()
        actions = defaultdict(set)
        for case_id, action in (await session.execute(select(CaseEvent.case_id, CaseEvent.action))).all():
            actions[case_id].add(action)
        corrected = set((await session.execute(select(GridCorrection.case_id))).scalars())
        ratings = (await session.execute(select(Rating.score, Rating.at))).all()
    tz, start, end = period.tz, period.start, period.end
    inside = lambda at: at is not None and start <= at < end  # noqa: E731
    t = defaultdict(float)
    for c in cases:
        if inside(c.created_at):
            t["filed"] += 1
            t["same_day"] += bool(c.resolved_at and c.resolved_at.astimezone(tz).date() == c.created_at.astimezone(tz).date())
            late = c.resolved_at is None and c.resolve_due_at and c.resolve_due_at < (c.closed_at or now)
            t["on_time_due"] += bool(c.resolved_at or late)
            t["on_time"] += bool(c.resolved_at and (c.resolve_due_at is None or c.resolved_at <= c.resolve_due_at))
            t["closed"] += c.status == "closed"
            t["resolved_once"] += "resolve" in actions[c.id]
            t["reopened"] += "reopen" in actions[c.id]
            t["first_dispatch"] += "return" not in actions[c.id] and c.id not in corrected
        dispatched = c.due_from or c.created_at
        if inside(c.accepted_at) and c.accepted_at >= dispatched:
            t["accepted"] += 1
            t["accept_seconds"] += (c.accepted_at - dispatched).total_seconds()
        if inside(c.resolved_at):
            t["resolved"] += 1
            t["resolve_seconds"] += (c.resolved_at - c.created_at).total_seconds()
        limit = running(c)
        t["overdue_open"] += bool(limit and limit < now)
    for score, at in ratings:
        if inside(at):
            t["rated"] += 1
            t["satisfied"] += score in GOOD_SCORES
    return Tally.of(t)


def running(c):
    if c.status == "assigned" and c.accept_due_at:
        return c.accept_due_at
    return c.resolve_due_at if c.status in ("assigned", "accepted", "returned") else None


async def python_map(db: Database, now: datetime) -> dict[str, str]:
    """The district map's street states from every open case, in Python."""
    async with db.session() as session:
        street_of = dict((await session.execute(select(Grid.id, Community.street_id).join(Community))).all())
        cases = (await session.execute(select(Case.grid_id, Case.status, Case.created_at, Case.due_from,
                                              Case.accept_due_at, Case.resolve_due_at))).all()
    counts = defaultdict(lambda: [0, 0, 0])
    for c in cases:
        if c.status not in OPEN:
            continue
        row = counts[street_of.get(c.grid_id)]
        row[0] += 1
        limit = running(c)
        if limit is None:
            continue
        started = c.due_from or c.created_at
        if limit < now:
            row[1] += 1
        elif (limit - now) < NEAR_SHARE * (limit - started):
            row[2] += 1
    return {street: state_of(*row) for street, row in counts.items()}


# ---------------------------------------------------------------- main
async def main(args) -> None:
    base = load_config(REPO / "tests" / "config.yaml", env={})
    config = base.copy_with(district=base.district.copy_with(dir=str(Path(args.district).resolve())))
    name = f"gridsec_bench_web_{uuid.uuid4().hex[:8]}"
    await admin(args.pg_url, f'CREATE DATABASE "{name}"')
    url = args.pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    db = Database(url)
    try:
        began = time.perf_counter()
        await db.upgrade()
        await ensure_district(db, config)
        await fill(db, args.cases)
        print(f"prepared {args.cases:,} cases on PostgreSQL in {time.perf_counter() - began:.0f} s")
        period = Period(NOW.date() - timedelta(days=29), NOW.date(), config.tz)
        async with db.session() as session:
            first_street = await session.scalar(select(Street.id).order_by(Street.id).limit(1))
            district = await find_scope(session, first_street.split("-")[0])
            street = await find_scope(session, first_street)

        def run(fn, scope):
            async def one():
                async with db.session() as session:
                    return await fn(session, scope, period, NOW)
            return one

        rows = []
        for label, fn, scope in (("figures, district", figures, district), ("figures, one street", figures, street),
                                 ("map data, district", area_map, district), ("map data, one street", area_map, street)):
            spans = await timed(run(fn, scope), args.runs)
            rows.append((label, p(spans, .5), p(spans, .99)))
        baseline_runs = max(3, args.runs // 6)
        figures_py = await timed(lambda: python_figures(db, period, NOW), baseline_runs)
        map_py = await timed(lambda: python_map(db, NOW), baseline_runs)
        rows.append(("baseline: figures from every case in Python", p(figures_py, .5), p(figures_py, .99)))
        rows.append(("baseline: map states from every case in Python", p(map_py, .5), p(map_py, .99)))
        # the two ways agree (a check of the bench, not a test)
        async with db.session() as session:
            sql = (await figures(session, district, period, NOW)).tally
            states = {a.id: a.state for a in (await area_map(session, district, period, NOW)).areas}
        same = sql.figures() == (await python_figures(db, period, NOW)).figures()
        same_map = states == {k: v for k, v in (await python_map(db, NOW)).items() if k in states}
        base = {"figures": rows[-2][1], "map data": rows[-1][1]}  # the baseline's p50 for each kind
        print(f"\n{'what':<50}{'p50 ms':>10}{'p99 ms':>10}{'baseline p50 / p50':>20}")
        for label, p50, p99 in rows:
            kind = label.split(",")[0]
            ratio = f"{base[kind] / p50:.1f}x" if kind in base else ""
            print(f"{label:<50}{p50:>10.1f}{p99:>10.1f}{ratio:>20}")
        print(f"\nruns: {args.runs} (baseline {baseline_runs}); SQL and Python agree: figures {same}, map {same_map}; "
              f"target: under 300 ms p99 for the map data and the figures")
    finally:
        await db.dispose()
        await admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--district", default=str(REPO.parent / "shared" / "data" / "district"))
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
