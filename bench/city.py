#!/usr/bin/env python3
"""City-scale bench: import, point → grid, text → place and memory on a synthetic city.

    .venv/bin/python -m bench.city [--grids 20000] [--addresses 1000000] [--quick] [--postgres]

1. Generates (seeded, deterministic, in a temporary directory) a city in the district import
   format: `--grids` Voronoi cells of a jittered, centre-weighted lattice, the cells whose seeds
   fall inside a wobbly outline (so the district edge is irregular and the grids tile it exactly,
   neighbours sharing vertices); streets and communities are k-means groups of grids, ids like the
   real district's (`SC-AB-03-07`); officers for every role; the shared district's
   departments.csv; and `--addresses` addresses: house numbers along straight named road segments
   (corridors cut into 一路/二路… or 西/中/东路, odd numbers on the left, even on the right,
   skipped near crossings), compounds with buildings around them, landmarks, and crossings of two
   roads, with aliases. Every address's grid_id is the grid strictly containing its written point,
   found with an STRtree.
2. Times `gridsec district import DIR` into a fresh SQLite database (and PostgreSQL with
   --postgres) and a second import with no changes, as subprocesses (wall time, peak RSS), beside
   a row-by-row ORM insert (add + flush per row) of a slice of the addresses, extrapolated.
3. In a fresh process holding what the running bot holds (`gridsec.app.build_services` on the
   imported SQLite database: grid index, place matcher, NLU): RSS before and after, the peak,
   build time; then point lookup p50/p99 (`GridIndex.locate`) and text lookup p50/p99
   (`PlaceMatcher.match`).
4. In this process, the naive baselines on subsets of the same queries: a linear scan of all grid
   polygons (shapely `covers` one by one, and vectorised over the array), and a scan of every name
   and alias for substring containment (`bench.address_match.naive`).
Prints one table with the issue's targets (point p99 < 1 ms, text p99 < 20 ms) and PASS/FAIL.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.address_match import NUMERALS, STRUCTURE, naive, rss_mb  # noqa: E402
from bot.places.normalize import POSITION_WORDS, normalize  # noqa: E402

SEED = 20261123
DISTRICT_ID = "SC"
DISTRICT_NAME = "示范区"
DEFAULT_PG = os.environ.get("GRIDSEC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

# Local equirectangular frame in metres around the city centre (as the shared generator does).
LON0, LAT0 = 113.30, 23.13
_PHI = math.radians(LAT0)
M_PER_DEG_LAT = 111132.92 - 559.82 * math.cos(2 * _PHI) + 1.175 * math.cos(4 * _PHI)
M_PER_DEG_LON = 111412.84 * math.cos(_PHI) - 93.5 * math.cos(3 * _PHI) + 0.118 * math.cos(5 * _PHI)

GRID_AREA_M2 = 17_855  # mean grid area of the shared district
GRIDS_PER_COMMUNITY = 8.5
GRIDS_PER_STREET = 105
# Shares of the shared district's address library, by kind.
SHARES = {"compound": 0.042, "building": 0.308, "landmark": 0.0127, "intersection": 0.0042}
BUILDINGS_PER_COMPOUND = 7.3
NUMBER_GAP_M = 9.0  # mean distance between house numbers on one side (adjusted to hit the count)
CROSSING_SKIP_M = 12.0  # no door this close to a crossing road's centre line

# Characters of the shared district's compound, landmark and community names, minus structure
# (路, 村, 栋 …), numerals, position words and connectors: stems of every generated name.
POOL = ("华花新广小岗越云德福海桂秀永金湖行天山光井文沙兴寓塘安政景雅城宿河学长龙丰人信元商民白乐建寺水平"
        "梅江珠明流银住泰仓环羊设麓卫风务登竹居杨豪兰国宣京右巷淘农化回堤州惠旧波湾濠达鹤支服松碧万均子朝"
        "生贤事办宁宏岭榕派荣仙儿圣太林桥王紫翠锦骏台川幼康沿筑育运黄医彩虹保嘉头宾峰恒执晴港烈草荫丝书富"
        "放棉畔纸解通青丛净塔应慧方泉法洪源矿粤署芳亚仁先共基宝庙府怀教洋瀛瑞皋箕纪诗部高凤双圃坊复妈孝承"
        "晖柯津状益禺米聚荔荷贝迎钱隆侨卖厅友司堂墩庆庚星棚母浦涌澜灵烟盐盘营谊较香麻庄怡成擢旗柏牛玉甲眼"
        "秉素红航薇藏象走龟世合启培孤庐恤机枝桃梓榨横正段满粉群联莲轩连郊靖麒麟亭俊兆印名工春月木瑶盈祥禧"
        "远阳际颐业伦关冬发君念悦枫洲清球电盛秋立绿茵颂骄鸿丽体凰址日旭汉禾穗荆菊誉丹义士宫属码绣起邮会储"
        "图委客岛年招气汽火童蓄装讲货贸遗酒陵佛健军利力动博古吉味器团塑妇孙实察少展干总才播时暖术来果案档"
        "检步漫灯煤版物科粮练美自观视训语财迅逸都隍雕音顶食验鲁")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏宇浩凯晨欣怡婷雪琳佳颖思嘉俊峰志斌海燕飞云波丹健春梅亮林彬晓东琴君慧倩琪诗雨昊然子涵博瑞泽楠佩薇"
CN_DIGITS = "零一二三四五六七八九"
ROAD_SUFFIXES = ("路", "路", "路", "大道", "街")
COMPOUND_SUFFIXES = (("新村", ("{s}新邨",), "number"), ("花园", ("{s}花园小区",), "number"),
                     ("小区", (), "number"), ("大院", (), "number"), ("苑", ("{s}苑小区",), "number"),
                     ("华庭", (), "number"), ("公寓", (), "number"), ("大厦", ("{s}大楼",), "letter"),
                     ("广场", (), "letter"), ("商住楼", (), "letter"), ("宿舍", ("{s}宿舍区",), "number"),
                     ("阁", (), "number"), ("山庄", (), "number"), ("雅居", (), "number"))
# kind weight, name template, alias templates ({s}: a new stem, {r}: the nearest road)
LANDMARKS = ((4, "{s}地铁站", ("{s}站", "地铁{s}站", "{s}地铁口")), (12, "{s}小学", ("{s}小",)),
             (8, "{s}中学", ("{s}中",)), (8, "{s}幼儿园", ("{s}幼",)), (6, "{s}公园", ()),
             (10, "{s}市场", ("{s}菜市场", "{s}肉菜市场")), (6, "{s}医院", ()),
             (14, "{r}公交站", ("{r}车站",)), (6, "中国银行{r}支行", ("中行{r}支行",)),
             (5, "工商银行{r}支行", ("工行{r}支行",)), (5, "{s}派出所", ()), (3, "{s}图书馆", ()),
             (3, "{s}体育馆", ()), (10, "{s}大酒店", ("{s}酒店",)))
BODIES = ("{}门口垃圾没人收", "{}附近有人摆摊", "在{}看到有人乱倒垃圾", "{}的路灯坏了", "{}楼下很吵",
          "{}旁边井盖没了", "{}对面违章停车好多天了", "你好，{}这里下水道堵了", "{}", "麻烦派人来{}看看，树倒了")
NO_PLACE = ("垃圾没人收", "路灯坏了三天了", "小区门口乱停车", "我想查询工单进度", "楼上天天装修很吵",
            "有人在路边烧东西", "下水道反味好几天了", "请问怎么投诉")
OUTSIDE = ("天河区体育西路{n}号有人摆摊", "番禺区市桥{n}号垃圾没人收", "海珠区江南大道{n}号路灯坏了",
           "我在深圳，{n}号楼下很吵", "白云区三元里{n}号门口乱停车")


def cn_number(n: int) -> str:
    """12 → 十二, 105 → 一百零五, 110 → 一百一十, 2003 → 二千零三 (what normalize reads back)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // unit % 10
        if d:
            out += ("零" if zero and out else "") + CN_DIGITS[d] + name
            zero = False
        elif out:
            zero = True
    return out


# ============================================================================ the city

class Addr(NamedTuple):
    """One row of addresses.csv; fits `bot.places.matcher.AddressRecord` and `address_match.naive`."""

    address_id: str
    kind: str
    name: str
    road: str
    number: int | None
    aliases: tuple[str, ...]
    lat: float
    lon: float
    grid_id: str


@dataclass
class Road:
    name: str
    digits: str  # how residents write it with Arabic numerals (中山5路), else the name
    corridor: int
    pieces: list[tuple[float, float]]  # parameter ranges along the corridor, metres


@dataclass
class City:
    path: Path
    grid_ids: list[str]
    polygons: np.ndarray  # shapely polygons in lon/lat, exactly as written
    addresses: list[Addr]
    roads: list[Road]
    counts: dict[str, int] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)


class Names:
    """Unique names from 2-character stems of POOL (3 characters once those run out)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.taken: set[str] = set()  # names and aliases, all unique across the file
        self._stems = self._stem_source()
        # A stem must not make a name that reads as another district or as the district itself.
        text = (REPO / "bot/places/outside.txt").read_text("utf-8").splitlines()
        self.banned = [w for w in text if w and not w.startswith(("#", "["))] + ["越秀", "广州"]

    def _stem_source(self):
        banned = STRUCTURE | NUMERALS | set("".join(POSITION_WORDS))
        pool = [c for c in dict.fromkeys(POOL) if c not in banned and normalize(c) == c]
        for size in (2, 3):
            order = [a + b for a in pool for b in pool if a != b] if size == 2 else None
            if order is None:
                while True:
                    yield "".join(self.rng.sample(pool, 3))
            self.rng.shuffle(order)
            yield from order

    def stem(self) -> str:
        while True:
            s = next(self._stems)
            if not any(w in s for w in self.banned):
                return s

    def claim(self, name: str, aliases=()) -> tuple[str, ...] | None:
        """Reserve a name (None if taken) and those of its aliases nobody holds."""
        if name in self.taken or any(w in name for w in self.banned):
            return None
        self.taken.add(name)
        kept = []
        for a in aliases:
            if a not in self.taken and a != name:
                self.taken.add(a)
                kept.append(a)
        return tuple(kept)


def to_lonlat(xy: np.ndarray, decimals: int) -> np.ndarray:
    return np.column_stack([np.round(LON0 + xy[:, 0] / M_PER_DEG_LON, decimals),
                            np.round(LAT0 + xy[:, 1] / M_PER_DEG_LAT, decimals)])


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 10) -> np.ndarray:
    """Labels 0..k'-1 of a plain Lloyd k-means (empty clusters dropped)."""
    k = max(1, min(k, len(points)))
    centres = points[rng.choice(len(points), k, replace=False)]
    for _ in range(iterations):
        labels = np.empty(len(points), dtype=np.int64)
        for i in range(0, len(points), 4096):  # bounded temporary memory
            d = ((points[i:i + 4096, None, :] - centres[None, :, :]) ** 2).sum(-1)
            labels[i:i + 4096] = d.argmin(1)
        counts = np.bincount(labels, minlength=k)
        ok = counts > 0
        for axis in (0, 1):
            sums = np.bincount(labels, weights=points[:, axis], minlength=k)
            centres[ok, axis] = sums[ok] / counts[ok]
    return np.unique(labels, return_inverse=True)[1]


def north_to_south(points: np.ndarray) -> np.ndarray:
    """Order of points north→south, then west→east within ~100 m bands."""
    return np.lexsort((points[:, 0], -np.round(points[:, 1] / 100)))


class Locator:
    """Bulk point → grid (strictly inside; -1 outside the district or on a boundary)."""

    def __init__(self, polygons: np.ndarray):
        self.tree = shapely.STRtree(polygons)

    def __call__(self, lonlat: np.ndarray) -> np.ndarray:
        out = np.full(len(lonlat), -1, dtype=np.int64)
        if len(lonlat):
            pts = shapely.points(lonlat)
            inp, hit = self.tree.query(pts, predicate="within")
            out[inp] = hit
        return out


def generate_city(out: Path, n_grids: int, n_addresses: int, seed: int, departments: Path) -> City:
    t_all = time.perf_counter()
    stages: dict[str, float] = {}
    rng = np.random.default_rng(seed)
    names = Names(random.Random(seed))
    out.mkdir(parents=True, exist_ok=True)

    # ---- grids: Voronoi cells of a jittered lattice, denser towards the centre
    t0 = time.perf_counter()
    spacing = math.sqrt(GRID_AREA_M2)
    phases = rng.uniform(0, 2 * math.pi, 6)
    amps = rng.uniform(0.03, 0.09, 6) / np.arange(1, 7) ** 0.5
    factor = 2.8
    while True:
        side = int(math.ceil(math.sqrt(n_grids * factor)))
        i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
        base = np.column_stack([(i.ravel() - side / 2 + 0.5 + rng.uniform(-0.4, 0.4, side * side)),
                                (j.ravel() - side / 2 + 0.5 + rng.uniform(-0.4, 0.4, side * side))])
        half = side / 2
        d = np.hypot(base[:, 0], base[:, 1]) / half
        seeds = base * spacing * (0.8 + 0.3 * d)[:, None]  # centre cells smaller
        theta = np.arctan2(seeds[:, 1], seeds[:, 0])
        wobble = 1 + sum(amps[k] * np.cos((k + 2) * theta + phases[k]) for k in range(6))
        rho = np.hypot(seeds[:, 0], seeds[:, 1]) / wobble
        order = np.argsort(rho, kind="stable")
        cut = rho[order[n_grids - 1]]
        ring = order[rho[order] <= cut * 1.15]
        if d[ring].max() < 0.95 and len(ring) > n_grids:  # the closing ring lies inside the lattice
            break
        factor *= 1.5
    seeds = seeds[ring]  # the first n_grids are the city's, the rest only close the cells
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), ordered=True))[:n_grids]
    seeds = seeds[:n_grids]
    polygons = shapely.orient_polygons(
        shapely.transform(cells, lambda c: to_lonlat(c, 7)), exterior_cw=False)
    if not shapely.is_valid(polygons).all():
        raise RuntimeError("a generated grid polygon is invalid after rounding")
    district_m = shapely.coverage_union_all(cells)
    district_deg = shapely.coverage_union_all(polygons)
    area_m2 = float(district_m.area)

    # ---- hierarchy: streets and communities are k-means groups of grid seeds
    street_of = kmeans(seeds, round(n_grids / GRIDS_PER_STREET), rng)
    n_streets = street_of.max() + 1
    street_centres = np.array([seeds[street_of == s].mean(0) for s in range(n_streets)])
    street_rank = np.empty(n_streets, dtype=np.int64)
    street_rank[north_to_south(street_centres)] = np.arange(n_streets)
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    codes = [a + b for a in letters for b in letters]
    grid_ids = [""] * n_grids
    grid_props: list[dict] = [{} for _ in range(n_grids)]
    hierarchy: list[tuple[str, str, list[tuple[str, str, list[int]]]]] = []  # street → communities → grids
    for s in np.argsort(street_rank):
        code = codes[street_rank[s]] if street_rank[s] < len(codes) else f"S{street_rank[s]}"
        street_id, street_name = f"{DISTRICT_ID}-{code}", None
        while street_name is None or names.claim(street_name) is None:
            street_name = names.stem() + "街道"
        members = np.flatnonzero(street_of == s)
        comm_of = kmeans(seeds[members], round(len(members) / GRIDS_PER_COMMUNITY), rng)
        centres = np.array([seeds[members[comm_of == c]].mean(0) for c in range(comm_of.max() + 1)])
        communities = []
        for rank, c in enumerate(north_to_south(centres), start=1):
            community_id, community_name = f"{street_id}-{rank:02d}", None
            while community_name is None or names.claim(community_name) is None:
                community_name = names.stem() + "社区"
            gs = members[comm_of == c]
            gs = gs[north_to_south(seeds[gs])]
            for n, g in enumerate(gs, start=1):
                grid_ids[g] = f"{community_id}-{n:02d}"
                grid_props[g] = {"grid_id": grid_ids[g], "grid_name": f"{community_name}第{n}网格",
                                 "community_id": community_id, "community_name": community_name,
                                 "street_id": street_id, "street_name": street_name,
                                 "district_name": DISTRICT_NAME}
            communities.append((community_id, community_name, [int(g) for g in gs]))
        hierarchy.append((street_id, street_name, communities))
    by_id = sorted(range(n_grids), key=grid_ids.__getitem__)
    with (out / "grids.geojson").open("w", encoding="utf-8") as f:
        f.write('{"type": "FeatureCollection", "name": "synthetic_city_grids", "features": [\n')
        coords = shapely.get_coordinates(polygons)
        ends = np.cumsum(shapely.get_num_coordinates(polygons))
        for k, g in enumerate(by_id):
            ring = coords[ends[g] - shapely.get_num_coordinates(polygons[g]):ends[g]].tolist()
            feature = {"type": "Feature", "properties": grid_props[g],
                       "geometry": {"type": "Polygon", "coordinates": [ring]}}
            f.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
                    + (",\n" if k + 1 < n_grids else "\n"))
        f.write("]}\n")
    stages["grids"] = time.perf_counter() - t0

    # ---- officers and departments
    t0 = time.perf_counter()
    prng = random.Random(seed + 1)
    officers: list[tuple[str, str, str]] = []  # role, scope_ids, on_duty
    officers += [("district_supervisor", DISTRICT_ID, h) for h in ("24h", "08:30-17:30", "17:30-08:30")]
    for street_id, _, communities in hierarchy:
        officers.append(("street_supervisor", street_id, "24h"))
        for community_id, _, gs in communities:
            officers.append(("community_secretary", community_id, "09:00-18:00"))
            officers.append(("grid_leader", community_id, "08:30-17:30"))
            k = 0
            while k < len(gs):  # about one grid officer in nine covers two neighbouring grids
                take = 2 if k + 1 < len(gs) and prng.random() < 0.11 else 1
                duty = prng.choices(("08:30-17:30", "24h", "17:30-08:30", "09:00-21:00"), (80, 8, 6, 6))[0]
                officers.append(("grid_officer", ";".join(grid_ids[g] for g in gs[k:k + take]), duty))
                k += take
    phones = rng.choice(10 ** 8, len(officers), replace=False)
    people: set[str] = set()
    with (out / "officers.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["officer_id", "name", "phone", "role", "scope_ids", "on_duty"])
        for k, (role, scope, duty) in enumerate(officers, start=1):
            name = ""
            while not name or name in people:
                name = prng.choice(SURNAMES) + "".join(prng.choices(GIVEN, k=prng.choice((1, 2, 2))))
            people.add(name)
            w.writerow([f"{DISTRICT_ID}-O{k:06d}", name, f"139{phones[k - 1]:08d}", role, scope, duty])
    shutil.copyfile(departments / "departments.csv", out / "departments.csv")
    stages["officers"] = time.perf_counter() - t0

    # ---- roads: straight corridors east-west and north-south, cut into named segments
    t0 = time.perf_counter()
    locate = Locator(polygons)
    quota = {k: round(v * n_addresses) for k, v in SHARES.items()}
    quota["road_number"] = n_addresses - sum(quota.values())
    gap = 4 * area_m2 * 0.8 / (NUMBER_GAP_M * max(quota["road_number"], 1) * 1.1)
    gap = min(max(gap, 120.0), 1500.0)  # distance between parallel roads
    minx, miny, maxx, maxy = district_m.bounds
    corridors = []  # (origin, direction, orientation)
    for horizontal in (True, False):
        lo, hi = (miny, maxy) if horizontal else (minx, maxx)
        at = lo + gap * rng.uniform(0.3, 0.7)
        while at < hi:
            tilt = math.radians(rng.uniform(-6, 6))
            if horizontal:
                origin, direction = np.array([minx - 100, at]), np.array([math.cos(tilt), math.sin(tilt)])
            else:
                origin, direction = np.array([at, miny - 100]), np.array([math.sin(tilt), math.cos(tilt)])
            corridors.append((origin, direction, horizontal))
            at += gap * rng.uniform(0.75, 1.25)
    span = 2 * max(maxx - minx, maxy - miny) + 400
    roads: list[Road] = []
    corridor_roads: list[list[int]] = []
    for c, (origin, direction, horizontal) in enumerate(corridors):
        line = shapely.linestrings([origin, origin + direction * span])
        parts = [p for p in shapely.get_parts(shapely.intersection(line, district_m))
                 if p.geom_type == "LineString" and not p.is_empty]
        ranges = sorted((float(np.dot(np.asarray(p.coords)[[0, -1]] - origin, direction).min()),
                         float(np.dot(np.asarray(p.coords)[[0, -1]] - origin, direction).max())) for p in parts)
        ranges = [r for r in ranges if r[1] - r[0] >= 150]
        corridor_roads.append([])
        if not ranges:
            continue
        a, b = ranges[0][0], ranges[-1][1]
        k = max(1, round((b - a) / rng.uniform(1800, 3000)))
        cuts = np.linspace(a, b, k + 1)
        cuts[1:-1] += rng.uniform(-0.2, 0.2, k - 1) * (b - a) / k
        stem = names.stem()
        if k == 1:
            labels = [stem + ROAD_SUFFIXES[int(rng.integers(len(ROAD_SUFFIXES)))]]
            digits = labels
        elif k <= 3 and rng.random() < 0.5:
            dirs = ("西", "中", "东") if horizontal else ("南", "中", "北")
            dirs = dirs if k == 3 else (dirs[0], dirs[2])
            labels = digits = [stem + d + "路" for d in dirs]
        else:
            labels = [stem + cn_number(n) + "路" for n in range(1, k + 1)]
            digits = [f"{stem}{n}路" for n in range(1, k + 1)]
        for n in range(k):
            pieces = [(max(lo, cuts[n]), min(hi, cuts[n + 1])) for lo, hi in ranges
                      if min(hi, cuts[n + 1]) - max(lo, cuts[n]) > 30]
            if pieces and names.claim(labels[n]) is not None:
                corridor_roads[c].append(len(roads))
                roads.append(Road(labels[n], digits[n], c, pieces))

    def road_at(c: int, t: float) -> int | None:
        for r in corridor_roads[c]:
            if any(lo <= t <= hi for lo, hi in roads[r].pieces):
                return r
        return None

    # crossings of every east-west corridor with every north-south one
    crossings: list[tuple[int, int, np.ndarray]] = []  # road a (east-west), road b, point
    skip: dict[int, list[float]] = {}  # corridor → parameters of its crossings
    ew = [c for c, x in enumerate(corridors) if x[2]]
    ns = [c for c, x in enumerate(corridors) if not x[2]]
    for ca in ew:
        oa, da, _ = corridors[ca]
        for cb in ns:
            ob, db, _ = corridors[cb]
            m = np.array([da, -db]).T
            ta, tb = np.linalg.solve(m, ob - oa)
            skip.setdefault(ca, []).append(ta)
            skip.setdefault(cb, []).append(tb)
            ra, rb = road_at(ca, ta), road_at(cb, tb)
            if ra is not None and rb is not None:
                crossings.append((ra, rb, oa + da * ta))
    skip_sorted = {c: np.sort(np.array(v)) for c, v in skip.items()}
    road_lines = shapely.linestrings([
        [corridors[r.corridor][0] + corridors[r.corridor][1] * t for t in piece] for r in roads for piece in r.pieces])
    line_road = np.array([i for i, r in enumerate(roads) for _ in r.pieces])
    road_tree = shapely.STRtree(road_lines)

    def nearest_road(xy: np.ndarray) -> np.ndarray:
        idx = road_tree.query_nearest(shapely.points(xy), all_matches=False)
        out_ = np.empty(len(xy), dtype=np.int64)
        out_[idx[0]] = line_road[idx[1]]
        return out_
    stages["roads"] = time.perf_counter() - t0

    def inside_points(n: int, draw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """n points from `draw(m) -> xy` that fall strictly inside some grid: xy, lon/lat, grid."""
        got_xy, got_ll, got_g, have = [], [], [], 0
        while have < n:
            xy = draw(int((n - have) * 1.3) + 16)
            ll = to_lonlat(xy, 6)
            g = locate(ll)
            ok = g >= 0
            got_xy.append(xy[ok])
            got_ll.append(ll[ok])
            got_g.append(g[ok])
            have += int(ok.sum())
        return (np.concatenate(got_xy)[:n], np.concatenate(got_ll)[:n], np.concatenate(got_g)[:n])

    def uniform(m: int) -> np.ndarray:
        return np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])

    rows: list[list] = []  # kind, name, road, number, aliases, lat, lon, grid index

    # ---- intersections: a sample of the crossings
    t0 = time.perf_counter()
    inter: list[list] = []
    if crossings:
        pick = rng.permutation(len(crossings))
        for k in pick:
            if len(inter) >= quota["intersection"]:
                break
            ra, rb, p = crossings[k]
            a, b = roads[ra].name, roads[rb].name
            xy = (p + rng.uniform(-3, 3, 2))[None, :]
            ll = to_lonlat(xy, 6)
            g = locate(ll)[0]
            if g < 0:
                continue
            aliases = names.claim(f"{a}与{b}交叉口", (f"{b}与{a}交叉口", f"{a}和{b}交叉口", f"{a}{b}路口"))
            if aliases is not None:
                inter.append(["intersection", f"{a}与{b}交叉口", f"{a};{b}", None, aliases, ll[0, 1], ll[0, 0], g])
    quota["road_number"] += quota["intersection"] - len(inter)  # a small city has fewer crossings

    # ---- compounds with their buildings around them
    comp_xy, comp_ll, comp_g = inside_points(quota["compound"], uniform)
    comp_road = nearest_road(comp_xy)
    per = rng.multinomial(quota["building"], np.full(quota["compound"], 1 / max(quota["compound"], 1)))
    owner = np.repeat(np.arange(quota["compound"]), per)

    # Buildings within ~100 m of their compound, drawn together; those outside the district redrawn.
    b_ll = np.zeros((len(owner), 2))
    b_g = np.full(len(owner), -1)
    todo = np.arange(len(owner))
    for _ in range(200):
        if not len(todo):
            break
        r = 100 * np.sqrt(rng.uniform(0, 1, len(todo)))
        a = rng.uniform(0, 2 * math.pi, len(todo))
        ll = to_lonlat(comp_xy[owner[todo]] + np.column_stack([r * np.cos(a), r * np.sin(a)]), 6)
        g = locate(ll)
        b_ll[todo], b_g[todo] = ll, g
        todo = todo[g < 0]
    b_ll[todo], b_g[todo] = comp_ll[owner[todo]], comp_g[owner[todo]]  # give up: the compound's point
    first_building = np.concatenate([[0], np.cumsum(per)])
    for c in range(quota["compound"]):
        while True:
            suffix, alias_forms, labels = COMPOUND_SUFFIXES[int(rng.integers(len(COMPOUND_SUFFIXES)))]
            stem = names.stem()
            name = stem + suffix
            aliases = names.claim(name, tuple(a.format(s=stem) for a in alias_forms))
            if aliases is not None:
                break
        road = roads[comp_road[c]].name
        rows.append(["compound", name, road, None, aliases, comp_ll[c, 1], comp_ll[c, 0], comp_g[c]])
        count = per[c]
        lettered = labels == "letter" and count <= 20
        for n in range(count):
            k = first_building[c] + n
            if lettered:
                label = "ABCDEFGHJKLMNPQRSTUVWXYZ"[n]
                bname, al = f"{name}{label}座", (f"{name}{label}栋",)
            else:
                bname, al = f"{name}{n + 1}栋", (f"{name}{n + 1}号楼", f"{name}{cn_number(n + 1)}栋")
            al = names.claim(bname, al)
            if al is not None:
                rows.append(["building", bname, road, None, al, b_ll[k, 1], b_ll[k, 0], b_g[k]])
    quota["road_number"] += quota["compound"] + quota["building"] - len(rows)

    # ---- landmarks
    weights = np.array([w for w, _, _ in LANDMARKS], dtype=float)
    lm_xy, lm_ll, lm_g = inside_points(quota["landmark"], uniform)
    lm_road = nearest_road(lm_xy)
    landmarks = []
    for k in range(quota["landmark"]):
        for _attempt in range(50):
            _, template, alias_forms = LANDMARKS[int(rng.choice(len(LANDMARKS), p=weights / weights.sum()))]
            stem, road = names.stem(), roads[lm_road[k]].name
            aliases = names.claim(template.format(s=stem, r=road),
                                  tuple(a.format(s=stem, r=road) for a in alias_forms))
            if aliases is not None:
                landmarks.append(["landmark", template.format(s=stem, r=road), road, None, aliases,
                                  lm_ll[k, 1], lm_ll[k, 0], lm_g[k]])
                break
    quota["road_number"] += quota["landmark"] - len(landmarks)
    stages["places"] = time.perf_counter() - t0

    # ---- house numbers: both sides of every road, the gap tuned until there are enough
    t0 = time.perf_counter()
    mean_gap = NUMBER_GAP_M
    for _attempt in range(8):
        nrng = np.random.default_rng(seed + 7)
        parts_xy, parts_road, parts_number = [], [], []
        for r, road in enumerate(roads):
            origin, direction, _ = corridors[road.corridor]
            normal = np.array([-direction[1], direction[0]])  # left of the drawing direction
            a, b = road.pieces[0][0], road.pieces[-1][1]
            crossing_t = skip_sorted.get(road.corridor, np.array([]))
            for parity, sign in ((1, 1.0), (2, -1.0)):
                m = int((b - a) / (mean_gap * 0.5)) + 4
                gaps = nrng.uniform(0.55, 1.45, m) * mean_gap
                pos = a + nrng.uniform(0.3, 1.2) * mean_gap + np.cumsum(gaps) - gaps[0]
                pos = pos[pos <= b]
                number = 2 * np.arange(len(pos)) + parity
                keep = np.zeros(len(pos), dtype=bool)
                for lo, hi in road.pieces:
                    keep |= (pos >= lo) & (pos <= hi)
                if len(crossing_t):  # distance to the nearest crossing along the road
                    at = np.clip(np.searchsorted(crossing_t, pos), 1, max(len(crossing_t) - 1, 1))
                    at = np.minimum(at, len(crossing_t) - 1)
                    near = np.minimum(np.abs(crossing_t[at] - pos), np.abs(crossing_t[np.maximum(at - 1, 0)] - pos))
                    keep &= near >= CROSSING_SKIP_M
                pos, number = pos[keep], number[keep]
                offset = sign * nrng.uniform(12, 16, len(pos))
                parts_xy.append(origin + pos[:, None] * direction + offset[:, None] * normal)
                parts_road.append(np.full(len(pos), r))
                parts_number.append(number)
        xy = np.concatenate(parts_xy)
        ll = to_lonlat(xy, 6)
        g = locate(ll)
        ok = np.flatnonzero(g >= 0)
        if len(ok) >= quota["road_number"]:
            break
        mean_gap *= len(ok) / quota["road_number"] * 0.97
    else:
        raise RuntimeError(f"could not place {quota['road_number']} house numbers (got {len(ok)})")
    ok = np.sort(nrng.choice(ok, quota["road_number"], replace=False))
    road_of, number_of = np.concatenate(parts_road)[ok], np.concatenate(parts_number)[ok]
    ll, g = ll[ok], g[ok]
    order = np.lexsort((number_of, road_of))
    numbered = []
    for k in order:
        road = roads[road_of[k]]
        n = int(number_of[k])
        name = f"{road.name}{n}号"
        aliases = [f"{road.name}{cn_number(n)}号"]
        if road.digits != road.name:
            aliases.append(f"{road.digits}{n}号")
        # unique by construction (one road name, one number), so not claimed: saves a set of 2M strings
        numbered.append(["road_number", name, road.name, n, tuple(aliases), ll[k, 1], ll[k, 0], g[k]])
    stages["numbers"] = time.perf_counter() - t0
    stages["number_gap_m"] = mean_gap

    # ---- addresses.csv: numbers by road, compounds with their buildings, landmarks, crossings
    t0 = time.perf_counter()
    addresses: list[Addr] = []
    with (out / "addresses.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["address_id", "kind", "name", "road", "number", "aliases", "lat", "lon", "grid_id"])
        for k, (kind, name, road, number, aliases, lat, lon, gi) in enumerate(
                numbered + rows + landmarks + inter, start=1):
            aid = f"{DISTRICT_ID}-A{k:07d}"
            lat, lon = float(lat), float(lon)
            w.writerow([aid, kind, name, road, "" if number is None else number, ";".join(aliases),
                        f"{lat:.6f}", f"{lon:.6f}", grid_ids[gi]])
            addresses.append(Addr(aid, kind, name, road, number, tuple(aliases), lat, lon, grid_ids[gi]))
    stages["write"] = time.perf_counter() - t0
    stages["total"] = time.perf_counter() - t_all
    counts = {"grids": n_grids, "streets": len(hierarchy),
              "communities": sum(len(c) for _, _, c in hierarchy), "officers": len(officers),
              "officer_scopes": sum(len(s.split(";")) for _, s, _ in officers),
              "departments": len((out / "departments.csv").read_text(encoding="utf-8").splitlines()) - 1,
              "roads": len(roads), "crossings": len(crossings), "addresses": len(addresses),
              "area_km2": area_m2 / 1e6, "road_gap_m": gap, "district_parts": len(shapely.get_parts(district_deg))}
    for a in addresses:
        counts[a.kind] = counts.get(a.kind, 0) + 1
    return City(out, [grid_ids[g] for g in range(n_grids)], polygons, addresses, roads, counts, stages)


# ============================================================================ queries

def point_queries(city: City, n: int, seed: int) -> list[tuple[float, float]]:
    """60 % uniform over the district's box (some outside), 25 % address points, 15 % grid vertices
    (on boundaries shared by two or three grids)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = shapely.total_bounds(city.polygons)
    k_uniform, k_addr = int(n * 0.6), int(n * 0.25)
    k_vertex = n - k_uniform - k_addr
    out = list(zip(np.round(rng.uniform(miny, maxy, k_uniform), 6).tolist(),
                   np.round(rng.uniform(minx, maxx, k_uniform), 6).tolist()))
    for i in rng.integers(0, len(city.addresses), k_addr):
        a = city.addresses[int(i)]
        out.append((a.lat, a.lon))
    coords = shapely.get_coordinates(city.polygons)
    for i in rng.integers(0, len(coords), k_vertex):
        out.append((float(coords[i, 1]), float(coords[i, 0])))
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def text_queries(city: City, n: int, seed: int) -> list[dict]:
    """Messages written the way residents write, each with what a right answer is:
    `grid` (the grid of the place meant), or `status` ask / outside."""
    rng = random.Random(seed)
    by_kind: dict[str, list[Addr]] = {}
    for a in city.addresses:
        by_kind.setdefault(a.kind, []).append(a)
    digits = {r.name: r.digits for r in city.roads}
    known = {r.name for r in city.roads} | {a.name for a in by_kind.get("landmark", ())}
    kinds = ("number", "number", "number", "number_cn", "building", "building", "compound", "landmark",
             "landmark", "intersection", "typo", "none", "outside")
    out = []
    for _ in range(n):
        kind = rng.choice(kinds)
        body = rng.choice(BODIES)
        if kind == "none":
            out.append({"text": rng.choice(NO_PLACE), "kind": kind, "status": "ask", "grid": None})
            continue
        if kind == "outside":
            out.append({"text": rng.choice(OUTSIDE).format(n=rng.randint(1, 300)), "kind": kind,
                        "status": "outside", "grid": None})
            continue
        typo_on = rng.choice(("road_number", "landmark")) if kind == "typo" else None
        pool = by_kind.get(typo_on or {"number": "road_number", "number_cn": "road_number"}.get(kind, kind))
        if not pool:
            continue
        a = rng.choice(pool)
        if kind == "number":
            place = f"{digits.get(a.road, a.road)}{a.number}号"
        elif kind == "number_cn":
            place = f"{a.road}{cn_number(a.number)}号"
        elif kind == "building":
            base = re.match(r"(.+?)(\d+栋|[A-Z]座)$", a.name)
            if base and base.group(2).endswith("栋"):
                place = base.group(1) + rng.choice((base.group(2), base.group(2)[:-1] + "号楼"))
            else:
                place = a.name
        elif kind == "intersection":
            x, y = a.road.split(";")
            x, y = (x, y) if rng.random() < 0.5 else (y, x)
            place = f"{digits.get(x, x)}{rng.choice(('和', '与', ''))}{digits.get(y, y)}{rng.choice(('交叉口', '路口'))}"
        elif kind == "typo":  # one character of the name's stem mistyped, never into another name
            word = a.road if typo_on == "road_number" else a.name
            if len(word) < 4:
                continue
            i = rng.randrange(2)
            word = word[:i] + rng.choice(POOL) + word[i + 1:]
            if word in known:
                continue
            place = word + (f"{a.number}号" if typo_on == "road_number" else "")
        else:
            place = rng.choice((a.name,) + a.aliases)
            if a.name.endswith("地铁站") and rng.random() < 0.5:
                place += rng.choice("ABCD") + "出口"
        out.append({"text": body.format(place), "kind": kind, "status": "matched", "grid": a.grid_id})
    return out


def grade(queries: list[dict], answers: list[tuple[str, str | None, list[str]]]) -> dict[str, float]:
    """Shares of right / confirm (right grid offered) / wrong grid / other, over all queries."""
    tally = {"right": 0, "confirm": 0, "wrong_grid": 0, "other": 0}
    for q, (status, grid, offered) in zip(queries, answers):
        if q["grid"] is None:
            tally["right" if status == q["status"] else "wrong_grid" if status == "matched" else "other"] += 1
        elif status == "matched":
            tally["right" if grid == q["grid"] else "wrong_grid"] += 1
        elif status == "confirm" and q["grid"] in offered:
            tally["confirm"] += 1
        else:
            tally["other"] += 1
    return {k: v / max(len(answers), 1) for k, v in tally.items()}


# ============================================================================ timing helpers

def quantiles_ms(ms: list[float]) -> dict[str, float]:
    if len(ms) < 2:
        v = ms[0] if ms else float("nan")
        return {"p50": v, "p99": v, "max": v, "n": len(ms)}
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": q[49], "p99": q[98], "max": max(ms), "n": len(ms)}


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_command(cmd: list[str], env: dict | None = None) -> dict:
    """Run a command to completion: wall seconds, its own peak RSS, output, exit code."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO, env=env, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime,
                "stdout": out.read(), "stderr": err.read(), "code": p.returncode}


# ============================================================================ databases

class Scratch:
    """Scratch databases: SQLite files in the work directory, PostgreSQL databases dropped at the end."""

    def __init__(self, work: Path, pg_admin: str):
        self.work, self.pg_admin = work, pg_admin.replace("postgresql+asyncpg://", "postgresql://")
        self.pg_names: list[str] = []

    def sqlite(self, name: str) -> str:
        path = self.work / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite+aiosqlite:///{path}"

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.pg_admin, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def postgres(self, name: str) -> str:
        db = f"gridsec_city_{os.getpid()}_{name}"
        await self._admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await self._admin(f'CREATE DATABASE "{db}"')
        self.pg_names.append(db)
        return self.pg_admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + db

    async def clone(self, backend: str, url: str, name: str) -> str:
        """A copy of the database at `url` (no connection to it may be open)."""
        if backend == "sqlite":
            source = Path(url.split("///", 1)[1])
            target = self.sqlite(name)
            for suffix in ("", "-wal"):
                if Path(str(source) + suffix).exists():
                    shutil.copyfile(str(source) + suffix, target.split("///", 1)[1] + suffix)
            return target
        db = f"gridsec_city_{os.getpid()}_{name}"
        await self._admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await self._admin(f'CREATE DATABASE "{db}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
        self.pg_names.append(db)
        return url.rsplit("/", 1)[0] + "/" + db

    async def drop_all(self) -> None:
        for db in self.pg_names:
            try:
                await self._admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"could not drop scratch database {db}: {exc}", file=sys.stderr)
        self.pg_names.clear()


def table_rows(counts: dict[str, int]) -> int:
    """Rows an import writes: streets, communities, grids, departments, officers, scopes, addresses."""
    return sum(counts[k] for k in ("streets", "communities", "grids", "departments", "officers",
                                   "officer_scopes", "addresses"))


async def row_by_row_baseline(url: str, city: City, slice_n: int) -> dict:
    """The naive import of addresses: one ORM object added and flushed (one INSERT statement) per
    address, for a slice of the addresses, in one transaction, into a database that already holds
    the district (a copy of the imported one, its addresses deleted)."""
    from sqlalchemy import text

    from storage.db import Database
    from storage.models import Address

    db = Database(url)
    try:
        async with db.session() as session:
            await session.execute(text("DELETE FROM addresses"))
        rows = city.addresses[:slice_n]
        t0 = time.perf_counter()
        async with db.session() as session:
            for a in rows:
                session.add(Address(id=a.address_id, kind=a.kind, name=a.name, road=a.road, number=a.number,
                                    aliases=list(a.aliases), lat=a.lat, lon=a.lon, grid_id=a.grid_id))
                await session.flush()
        seconds = time.perf_counter() - t0
    finally:
        await db.dispose()
    return {"rows": len(rows), "seconds": seconds, "rows_per_s": len(rows) / seconds}


def timed_gridsec(out: str, argv: list[str]) -> int:
    """`gridsec ARGV` (gridsec.cli.main) with timers around the phases of a district import; the
    figures go to the JSON file `out`."""
    import bot.district.files as files
    import bot.district.importer as importer
    import storage.db as storage_db
    from gridsec.cli import main as gridsec_main

    phases: dict[str, float] = {}

    def timed(module, name, key, is_async):
        original = getattr(module, name)
        if is_async:
            async def wrapper(*a, **k):
                t0 = time.perf_counter()
                try:
                    return await original(*a, **k)
                finally:
                    phases[key] = phases.get(key, 0.0) + time.perf_counter() - t0
        else:
            def wrapper(*a, **k):
                t0 = time.perf_counter()
                try:
                    return original(*a, **k)
                finally:
                    phases[key] = phases.get(key, 0.0) + time.perf_counter() - t0
        setattr(module, name, wrapper)

    timed(storage_db.Database, "upgrade", "schema_upgrade_s", True)
    timed(files, "load_district", "load_district_s", False)
    timed(importer, "import_district", "import_district_s", True)
    timed(importer, "_import_addresses", "addresses_s", True)
    timed(storage_db.Database, "dispose", "dispose_s", True)
    t0 = time.perf_counter()
    code = gridsec_main(argv)
    phases["main_s"] = time.perf_counter() - t0
    phases["peak_mb"] = peak_rss_mb()
    Path(out).write_text(json.dumps(phases), encoding="utf-8")
    return code


def import_phases(city: City) -> dict[str, float]:
    """What `gridsec district import` spends before touching the database: reading and checking the
    grids/officers/departments, and streaming the checked addresses."""
    from bot.district.files import load_district

    t0 = time.perf_counter()
    district = load_district(city.path)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = sum(1 for _ in district.addresses())
    stream = time.perf_counter() - t0
    return {"load_district_s": load, "stream_addresses_s": stream, "addresses": n}


# ============================================================================ the bot's side (child)

async def measure_bot(db_url: str, queries_path: Path, out_path: Path) -> None:
    """Run in a fresh process: build what the running bot holds, then time its lookups."""
    rss_start = rss_mb()
    import gridsec.app as app
    import bot.district.importer as importer
    from bot.config import load_config

    info: dict = {"rss_start_mb": rss_start}
    gc.collect()
    info["rss_before_mb"] = rss_mb()
    config = load_config(REPO / "config.yaml").with_database(db_url)
    info["nlu_backend"] = config.nlu.backend

    original_grid_index, original_places, original_matcher = (
        app.load_grid_index, app.load_place_matcher, importer.PlaceMatcher)

    async def load_grid_index(session):
        t0 = time.perf_counter()
        index = await original_grid_index(session)
        info["grid_index_s"] = time.perf_counter() - t0
        info["rss_after_grid_index_mb"] = rss_mb()
        return index

    async def load_place_matcher(session):
        t0 = time.perf_counter()
        matcher = await original_places(session)
        info["place_matcher_s"] = time.perf_counter() - t0
        info["rss_after_place_matcher_mb"] = rss_mb()
        return matcher

    def place_matcher(records):
        info["rss_orm_rows_loaded_mb"] = rss_mb()
        t0 = time.perf_counter()
        matcher = original_matcher(records)
        info["matcher_index_s"] = time.perf_counter() - t0
        return matcher

    app.load_grid_index, app.load_place_matcher = load_grid_index, load_place_matcher
    importer.PlaceMatcher = place_matcher
    t0 = time.perf_counter()
    services = await app.build_services(config)
    info["build_services_s"] = time.perf_counter() - t0
    info["peak_during_build_mb"] = peak_rss_mb()
    gc.collect()
    info["rss_after_mb"] = rss_mb()
    info["grids"] = len(services.grids)
    info["addresses"] = len(services.places)

    q = json.loads(queries_path.read_text(encoding="utf-8"))
    points, texts = q["points"], q["texts"]
    grids, places = services.grids, services.places
    for lat, lon in points[:500]:  # warm-up
        grids.locate(lat, lon)
    clock = time.perf_counter_ns
    ms, located = [], []
    for lat, lon in points:
        t0 = clock()
        gid = grids.locate(lat, lon)
        ms.append((clock() - t0) / 1e6)
        located.append(gid)
    info["point"] = quantiles_ms(ms)
    info["point_results"] = located[:q["point_baseline_n"]]
    info["point_outside"] = sum(g is None for g in located) / len(located)

    for t in texts[:50]:
        places.match(t["text"])
    ms, answers = [], []
    for t in texts:
        t0 = clock()
        d = places.match(t["text"])
        ms.append((clock() - t0) / 1e6)
        answers.append((d.status, d.grid_id, [c.grid_id for c in d.candidates]))
    info["text"] = quantiles_ms(ms)
    info["text_grade"] = grade(texts, answers)
    slow = sorted(range(len(ms)), key=ms.__getitem__, reverse=True)[:5]
    info["text_slowest"] = [(texts[i]["text"], ms[i], answers[i][0]) for i in slow]
    kinds: dict[str, list[float]] = {}
    for t, x in zip(texts, ms):
        kinds.setdefault(t["kind"], []).append(x)
    info["text_by_kind"] = {k: quantiles_ms(v) for k, v in kinds.items()}
    info["text_grade_by_kind"] = {k: grade([t for t in texts if t["kind"] == k],
                                           [a for a, t in zip(answers, texts) if t["kind"] == k]) for k in kinds}
    info["peak_mb"] = peak_rss_mb()
    await services.db.dispose()
    out_path.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")


# ============================================================================ baselines (parent)

def point_baseline(city: City, points: list[tuple[float, float]]) -> dict:
    """Linear scans over every grid polygon: shapely `covers` one polygon at a time in Python,
    and vectorised over the whole array (one C call per point). Boundary points go to the smallest
    grid_id covering them, as GridIndex does."""
    polys = list(city.polygons)
    ids = city.grid_ids
    order = sorted(range(len(ids)), key=ids.__getitem__)  # smallest id first, so the first hit wins
    polys_sorted = [polys[i] for i in order]
    ids_sorted = [ids[i] for i in order]
    arr = np.array(polys_sorted, dtype=object)
    one, vec, results = [], [], []
    for lat, lon in points:
        pt = shapely.Point(lon, lat)
        t0 = time.perf_counter()
        found = None
        for gid, poly in zip(ids_sorted, polys_sorted):
            if poly.covers(pt) and found is None:
                found = gid  # keep scanning: a linear scan checks every polygon
        one.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        hit = np.flatnonzero(shapely.covers(arr, pt))
        vec.append((time.perf_counter() - t0) * 1000)
        results.append(found)
        assert (ids_sorted[hit[0]] if len(hit) else None) == found
    return {"one_by_one": quantiles_ms(one), "vectorised": quantiles_ms(vec), "results": results}


def text_baseline(city: City, texts: list[dict]) -> dict:
    t0 = time.perf_counter()
    lookup = naive(city.addresses)
    build = time.perf_counter() - t0
    ms, answers = [], []
    for q in texts:
        t0 = time.perf_counter()
        a = lookup(q["text"])
        ms.append((time.perf_counter() - t0) * 1000)
        answers.append(("matched", a.grid_id, []) if a is not None else ("ask", None, []))
    return {"build_s": build, "text": quantiles_ms(ms), "grade": grade(texts, answers)}


# ============================================================================ report

def fmt_ms(q: dict) -> str:
    return f"{q['p50']:.3f} / {q['p99']:.3f} ms"


def print_report(args, city: City, res: dict) -> None:
    c = city.counts
    w = 34
    line = "-" * 132
    print()
    print(f"Synthetic city: {c['grids']:,} grids in {c['streets']} streets / {c['communities']:,} communities "
          f"({c['area_km2']:.0f} km², {c['district_parts']} part), {c['officers']:,} officers, "
          f"{c['departments']} departments, {c['roads']:,} roads ({c['crossings']:,} crossings, parallel roads "
          f"~{c['road_gap_m']:.0f} m apart, doors ~{city.stages['number_gap_m']:.1f} m apart per side)")
    kinds = ("road_number", "compound", "building", "landmark", "intersection")
    print(f"  {c['addresses']:,} addresses: " + ", ".join(f"{k} {c.get(k, 0):,}" for k in kinds))
    print(f"  generated in {city.stages['total']:.1f} s (" + ", ".join(
        f"{k} {v:.1f}" for k, v in city.stages.items() if k not in ("total", "number_gap_m")) + f") → {city.path}")
    print()
    print(f"{'measure':{w}} {'Grid Secretary':42} {'naive baseline, same run':40} {'ratio':>8}  {'target':13} result")
    print(line)
    rows_n = table_rows(c)

    def row(label, ours, base="", ratio="", target="", result=""):
        print(f"{label:{w}} {ours:42} {base:40} {ratio:>8}  {target:13} {result}")

    n_addr = c["addresses"]
    for backend in ("sqlite", "postgres"):
        imp = res.get(f"import_{backend}")
        if imp is None:
            continue
        if "error" in imp:
            row(f"import, {backend}", f"FAILED: {imp['error'][:40]}")
            continue
        first, second = imp["first"], imp["second"]
        ph = first["phases"]
        full = first["seconds"]
        district = ph["import_district_s"] - ph["addresses_s"]
        row(f"import, {backend} (gridsec)", f"{full:7.1f} s {rows_n / full:9,.0f} rows/s (all tables)")
        row("  grids, officers … (no addresses)", f"{district:7.1f} s {(rows_n - n_addr) / district:9,.0f} rows/s")
        base = res.get(f"baseline_{backend}")
        ours = f"{ph['addresses_s']:7.1f} s {n_addr / ph['addresses_s']:9,.0f} rows/s"
        if base:
            est = n_addr / base["rows_per_s"]
            row("  addresses", ours, f"row by row {base['rows_per_s']:,.0f}/s → {est / 60:,.1f} min",
                f"{est / ph['addresses_s']:,.1f}x", "–")
        else:
            row("  addresses", ours)
        again = second["seconds"]
        row(f"re-import unchanged, {backend}", f"{again:7.1f} s {rows_n / again:9,.0f} rows/s",
            "(" + "; ".join(second["report"]) + ")")
        row(f"  import peak RSS, {backend}", f"{first['peak_mb']:,.0f} MB (re-import {second['peak_mb']:,.0f} MB)")
    bot = res["bot"]
    pb = res["point_baseline"]
    p99 = bot["point"]["p99"]
    row("point → grid p50 / p99", fmt_ms(bot["point"]) + f" (n={bot['point']['n']:,})",
        "scan covers() " + fmt_ms(pb["one_by_one"]) + f" n={pb['one_by_one']['n']}",
        f"{pb['one_by_one']['p50'] / bot['point']['p50']:,.0f}x", "p99 < 1 ms", "PASS" if p99 < 1 else "FAIL")
    row("", f"agrees with the scan on {pb['agree']}/{pb['one_by_one']['n']}",
        "vectorised scan " + fmt_ms(pb["vectorised"]),
        f"{pb['vectorised']['p50'] / bot['point']['p50']:,.0f}x")
    tb = res["text_baseline"]
    t99 = bot["text"]["p99"]
    row("text → place p50 / p99", fmt_ms(bot["text"]) + f" (n={bot['text']['n']:,})",
        "substring scan " + fmt_ms(tb["text"]) + f" n={tb['text']['n']}",
        f"{tb['text']['p50'] / bot['text']['p50']:,.0f}x", "p99 < 20 ms", "PASS" if t99 < 20 else "FAIL")
    g, gb = bot["text_grade"], tb["grade"]
    row("  answers (right/confirm/wrong)", f"{g['right']:.0%} / {g['confirm']:.0%} / {g['wrong_grid']:.1%}",
        f"{gb['right']:.0%} / – / {gb['wrong_grid']:.1%}")
    orm_s = bot["place_matcher_s"] - bot["matcher_index_s"]
    row("PlaceMatcher build (from DB)", f"{bot['place_matcher_s']:6.1f} s (ORM rows {orm_s:.1f} + index "
        f"{bot['matcher_index_s']:.1f})", f"naive spellings list {tb['build_s']:.1f} s")
    row("GridIndex build (from DB)", f"{bot['grid_index_s']:6.2f} s")
    row("build_services total", f"{bot['build_services_s']:6.1f} s")
    row("bot RSS before → after", f"{bot['rss_before_mb']:,.0f} → {bot['rss_after_mb']:,.0f} MB "
        f"(+{bot['rss_after_mb'] - bot['rss_before_mb']:,.0f} MB)", "", "", "–")
    row("  of which grid index / matcher", f"+{bot['rss_after_grid_index_mb'] - bot['rss_before_mb']:,.0f} MB / "
        f"+{bot['rss_after_place_matcher_mb'] - bot['rss_after_grid_index_mb']:,.0f} MB")
    row("bot process peak RSS", f"{bot['peak_mb']:,.0f} MB (RSS with the ORM rows loaded: "
        f"{bot['rss_orm_rows_loaded_mb']:,.0f} MB)")
    print(line)
    for backend in ("sqlite", "postgres"):
        imp = res.get(f"import_{backend}")
        if not imp or "error" in imp:
            continue
        for label in ("first", "second"):
            r = imp[label]
            ph = r["phases"]
            commit = ph["main_s"] - ph.get("schema_upgrade_s", 0) - ph["load_district_s"] - ph["import_district_s"] \
                - ph.get("dispose_s", 0)
            parts = [f"process start + imports {r['seconds'] - ph['main_s']:.1f}",
                     f"schema upgrade {ph.get('schema_upgrade_s', 0):.1f}",
                     f"reading grids/officers/departments {ph['load_district_s']:.1f}",
                     f"grids/officers/… rows {ph['import_district_s'] - ph['addresses_s']:.1f}",
                     f"addresses {ph['addresses_s']:.1f}"
                     + (f" (of which reading + checking the CSV ~{res['phases']['stream_addresses_s']:.1f})"
                        if "phases" in res else ""),
                     f"commit {commit:.1f}"]
            print(f"{'import' if label == 'first' else 're-import'} ({backend}), seconds: " + ", ".join(parts))
    for backend in ("sqlite", "postgres"):
        base = res.get(f"baseline_{backend}")
        if base:
            print(f"row-by-row baseline ({backend}): {base['rows']:,} addresses, one ORM add + flush each, "
                  f"{base['seconds']:.1f} s, extrapolated to {c['addresses']:,}")
    print("text lookups by kind of message, p50 / p99 ms, and share right / confirm / wrong grid: " + "; ".join(
        f"{k} {q['p50']:.2f} / {q['p99']:.2f} ({bot['text_grade_by_kind'][k]['right']:.0%} / "
        f"{bot['text_grade_by_kind'][k]['confirm']:.0%} / {bot['text_grade_by_kind'][k]['wrong_grid']:.0%})"
        for k, q in sorted(bot["text_by_kind"].items(), key=lambda kv: -kv[1]["p99"])))
    print("text lookups, slowest: " + "; ".join(f"{t} {m:.1f} ms ({s})" for t, m, s in bot["text_slowest"][:3]))
    print(f"point queries: {bot['point_outside']:.0%} outside the district; NLU backend (config.yaml): "
          f"{bot['nlu_backend']}" + (" (the bot holds only a client; the Rasa model's memory is in the Rasa "
                                     "server's process, not counted above)" if bot["nlu_backend"] == "rasa" else ""))
    print(f"bench wall time {res['wall_s'] / 60:.1f} min")


# ============================================================================ main

async def run(args) -> int:
    t_start = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="gridsec-city-"))
    scratch = Scratch(work, args.pg_url)
    res: dict = {}
    try:
        print(f"generating a city of {args.grids:,} grids and {args.addresses:,} addresses in {work} …", flush=True)
        city = generate_city(work / "city", args.grids, args.addresses, args.seed, args.district)
        print(f"  done in {city.stages['total']:.1f} s", flush=True)
        points = point_queries(city, args.point_queries, args.seed + 11)
        texts = text_queries(city, args.text_queries, args.seed + 13)
        queries = work / "queries.json"
        queries.write_text(json.dumps({"points": points, "texts": texts, "point_baseline_n": args.point_baseline},
                                      ensure_ascii=False), encoding="utf-8")

        backends = ["sqlite"] + (["postgres"] if args.postgres else [])
        for backend in backends:
            print(f"gridsec district import → {backend} …", flush=True)
            try:
                url = scratch.sqlite("city") if backend == "sqlite" else await scratch.postgres("city")
            except Exception as exc:  # noqa: BLE001 - PostgreSQL may be down: say so, go on
                res[f"import_{backend}"] = {"error": str(exc)}
                continue
            runs = {}
            for label in ("first", "second"):
                phases = work / f"phases-{backend}-{label}.json"
                r = run_command([sys.executable, "-m", "bench.city", "--timed-gridsec", str(phases),
                                 "district", "import", str(city.path), "--database", url])
                if r["code"] != 0:
                    raise RuntimeError(f"gridsec district import failed:\n{r['stderr'][-3000:]}")
                r["report"] = [ln for ln in r["stdout"].splitlines() if not ln.startswith("imported ")]
                r["phases"] = json.loads(phases.read_text(encoding="utf-8"))
                runs[label] = r
                print(f"  {label}: {r['seconds']:.1f} s, peak {r['peak_mb']:,.0f} MB: {'; '.join(r['report'])}",
                      flush=True)
            res[f"import_{backend}"] = runs
            if backend == "sqlite":
                res["db_url"] = url
            if args.baseline_slice:
                print(f"row-by-row ORM baseline, {args.baseline_slice:,} addresses → {backend} …", flush=True)
                burl = await scratch.clone(backend, url, "baseline")
                res[f"baseline_{backend}"] = await row_by_row_baseline(burl, city, args.baseline_slice)
        if args.phases:
            print("import phases (reading the files only) …", flush=True)
            res["phases"] = import_phases(city)

        print("the running bot: build_services + lookups in a fresh process …", flush=True)
        out = work / "bot.json"
        r = run_command([sys.executable, "-m", "bench.city", "--measure-bot", res["db_url"], str(queries), str(out)])
        if r["code"] != 0:
            raise RuntimeError(f"the bot measurement failed:\n{r['stderr'][-3000:]}")
        res["bot"] = json.loads(out.read_text(encoding="utf-8"))

        print(f"naive baselines: linear scan over {len(city.grid_ids):,} polygons, substring scan over "
              f"{len(city.addresses):,} addresses …", flush=True)
        pb = point_baseline(city, points[:args.point_baseline])
        pb["agree"] = sum(a == b for a, b in zip(pb["results"], res["bot"]["point_results"]))
        res["point_baseline"] = pb
        res["text_baseline"] = text_baseline(city, texts[:args.text_baseline])
        res["wall_s"] = time.perf_counter() - t_start
        print_report(args, city, res)
    finally:
        await scratch.drop_all()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grids", type=int)
    ap.add_argument("--addresses", type=int)
    ap.add_argument("--quick", action="store_true", help="2,000 grids and 100,000 addresses, under a minute")
    ap.add_argument("--postgres", action="store_true", help="also import into PostgreSQL (scratch database)")
    ap.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL URL allowed to CREATE DATABASE")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--district", type=Path, default=REPO.parent / "shared/data/district",
                    help="where departments.csv is taken from")
    ap.add_argument("--point-queries", type=int)
    ap.add_argument("--text-queries", type=int)
    ap.add_argument("--point-baseline", type=int, help="queries for the linear-scan baseline")
    ap.add_argument("--text-baseline", type=int, help="queries for the substring-scan baseline")
    ap.add_argument("--baseline-slice", type=int, help="addresses inserted row by row (0: skip)")
    ap.add_argument("--no-phases", dest="phases", action="store_false", help="skip timing the file reading alone")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (city files, SQLite DB)")
    ap.add_argument("--measure-bot", nargs=3, metavar=("DB_URL", "QUERIES", "OUT"), help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--timed-gridsec"]:
        return timed_gridsec(argv[1], argv[2:])
    args = ap.parse_args(argv)
    if args.measure_bot:
        url, queries, out = args.measure_bot
        asyncio.run(measure_bot(url, Path(queries), Path(out)))
        return 0
    quick = args.quick
    defaults = {"grids": (20_000, 2_000), "addresses": (1_000_000, 100_000), "point_queries": (20_000, 5_000),
                "text_queries": (2_000, 1_000), "point_baseline": (100, 200), "text_baseline": (50, 100),
                "baseline_slice": (50_000, 5_000)}
    for key, (full, small) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, small if quick else full)
    if not (args.district / "departments.csv").is_file():
        from bot.district import SAMPLE_DIR
        args.district = Path(SAMPLE_DIR)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
