#!/usr/bin/env python3
"""Text → place at city scale: PlaceMatcher on a synthetic 1,000,000-address city.

    .venv/bin/python bench/address_match.py [--addresses 1000000] [--queries 2000]

The city is the shared district's address library copied over and over, every copy with its
own names (a per-copy substitution of the characters that start road, compound and landmark
names, so 中山五路 becomes e.g. 鞍铠五路 in one copy and 澜骢五路 in another, corridors and
numbering intact), its own coordinates and grid ids. Deterministic for a seed. Prints build
time and memory, then text-lookup p50/p99 of the matcher beside a naive baseline measured in
the same run: a linear scan testing every name and alias of the city against the message.
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.district.files import load_addresses  # noqa: E402
from bot.places import PlaceMatcher, normalize  # noqa: E402

# Characters of name endings and structure: kept in every copy so roads stay roads.
STRUCTURE = set("路街道大马号栋座村园区场站口厦苑阁庭舍楼院校市心东西南北中与和交叉地铁公车")
NUMERALS = set("零〇一二三四五六七八九十百千两")


@dataclass(frozen=True)
class Address:
    address_id: str
    kind: str
    name: str
    road: str
    number: int | None
    aliases: tuple[str, ...]
    lat: float
    lon: float
    grid_id: str


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def synthetic_city(template: list, total: int, seed: int) -> list[Address]:
    """`total` addresses: copy k of the template with its name characters substituted."""
    rng = random.Random(seed)
    starts = {c for a in template for text in (a.name, a.road) for c in text[:2]}
    stems = sorted(starts - STRUCTURE - NUMERALS)
    used = {c for a in template for text in (a.name, a.road, *a.aliases) for c in text}
    pool = [chr(cp) for cp in range(0x4E00, 0x9FA6)
            if chr(cp) not in used and chr(cp) not in NUMERALS and normalize(chr(cp)) == chr(cp)]
    out: list[Address] = []
    names: set[str] = set()
    copy = 0
    while len(out) < total:
        if copy == 0:
            table = {}
        else:
            table = str.maketrans(dict(zip(stems, rng.sample(pool, len(stems)))))
        dlat, dlon = (copy // 8) * 0.05, (copy % 8) * 0.075
        for a in template:
            name = a.name.translate(table)
            if name in names:
                continue
            names.add(name)
            out.append(Address(f"C{copy:02d}-{a.address_id}", a.kind, name, a.road.translate(table),
                               a.number, tuple(x.translate(table) for x in a.aliases),
                               round(a.lat + dlat, 6), round(a.lon + dlon, 6), f"C{copy:02d}-{a.grid_id}"))
            if len(out) == total:
                break
        copy += 1
    return out


def queries(city: list[Address], n: int, seed: int) -> list[str]:
    """Messages about random places of the city, written a few ways, some with typos,
    plus messages naming no place and places outside."""
    rng = random.Random(seed)
    by_kind: dict[str, list[Address]] = {}
    for a in city:
        by_kind.setdefault(a.kind, []).append(a)
    bodies = ("{}门口垃圾没人收", "{}附近有人摆摊", "在{}看到有人乱倒垃圾", "{}的路灯坏了", "{}楼下很吵")
    out = []
    for _ in range(n):
        kind = rng.choice(("road_number", "road_number", "building", "compound", "landmark",
                           "intersection", "typo", "none", "outside"))
        if kind == "none":
            out.append(rng.choice(("垃圾没人收", "路灯坏了三天了", "小区门口乱停车", "我想查询工单进度")))
            continue
        if kind == "outside":
            out.append(f"天河区体育西路{rng.randint(1, 300)}号有人摆摊")
            continue
        a = rng.choice(by_kind["road_number" if kind == "typo" else kind])
        place = rng.choice((a.name,) + a.aliases)
        if kind == "intersection":
            x, y = a.road.split(";")
            place = f"{x}和{y}交叉口"
        if kind == "typo":
            i = rng.randrange(len(a.road))
            place = a.road[:i] + "的" + a.road[i + 1:] + f"{a.number}号"
        out.append(rng.choice(bodies).format(place))
    return out


def naive(city: list[Address]):
    """The baseline: every spelling of every address tested against the message."""
    spellings = [(normalize(s), i) for i, a in enumerate(city) for s in (a.name, *a.aliases)]

    def lookup(text: str) -> Address | None:
        t = normalize(text)
        best, best_len = None, 0
        for key, i in spellings:
            if len(key) > best_len and key in t:
                best, best_len = i, len(key)
        return None if best is None else city[best]
    return lookup


def percentiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return f"p50 {q[49]:7.3f} ms   p99 {q[98]:7.3f} ms   max {max(ms):7.3f} ms   (n={len(ms)})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--district", type=Path, default=REPO.parent / "shared/data/district")
    ap.add_argument("--addresses", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--baseline-queries", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    template = list(load_addresses(args.district))
    t0 = time.perf_counter()
    city = synthetic_city(template, args.addresses, args.seed)
    print(f"synthetic city: {len(city):,} addresses, {len({a.grid_id for a in city}):,} grids "
          f"({time.perf_counter() - t0:.1f} s to generate)")
    msgs = queries(city, args.queries, args.seed + 1)

    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    matcher = PlaceMatcher(city)
    build = time.perf_counter() - t0
    gc.collect()
    print(f"PlaceMatcher build: {build:.1f} s, memory +{rss_mb() - before:,.0f} MB RSS "
          f"(process {rss_mb():,.0f} MB)")

    before = rss_mb()
    t0 = time.perf_counter()
    baseline = naive(city)
    print(f"baseline build:     {time.perf_counter() - t0:.1f} s, memory +{rss_mb() - before:,.0f} MB RSS")

    for m in msgs[:50]:  # warm-up
        matcher.match(m)
    ms, statuses = [], {}
    for m in msgs:
        t0 = time.perf_counter()
        d = matcher.match(m)
        ms.append((time.perf_counter() - t0) * 1000)
        statuses[d.status] = statuses.get(d.status, 0) + 1
    print(f"PlaceMatcher text lookup: {percentiles(ms)}")
    print(f"  statuses: {statuses}")
    base = []
    for m in msgs[:args.baseline_queries]:
        t0 = time.perf_counter()
        baseline(m)
        base.append((time.perf_counter() - t0) * 1000)
    print(f"naive linear scan:        {percentiles(base)}")
    print(f"speed-up at p50: {statistics.median(base) / statistics.median(ms):,.0f}x; "
          f"target p99 < 20 ms: {'met' if statistics.quantiles(ms, n=100)[98] < 20 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
