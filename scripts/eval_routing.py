#!/usr/bin/env python3
"""Score routing end to end (NLU + place matcher + point index + officer chain) on a labelled set.

    .venv/bin/python scripts/eval_routing.py --split test [--database URL]

Text rows come from scripts/make_address_eval.py (typed addresses of every kind, ambiguous ones,
places outside the district, messages with no place). Point rows are added here: address points
(expected: their grid), grid vertices shared by several grids (expected: the smallest grid id, a
deterministic answer on the boundary), and points in the bounding box but outside the outline
(expected: outside). The database must hold the shared district (gridsec district import).
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gridsec.app import build_services  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.district.files import load_addresses, load_district  # noqa: E402
from bot.where import decide  # noqa: E402


def text_rows(district: Path, split: str) -> list[dict]:
    spec = importlib.util.spec_from_file_location("make_address_eval", REPO / "scripts" / "make_address_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(district, split)


def point_rows(district: Path, seed: int, n: int = 300) -> list[dict]:
    rng = random.Random(seed)
    rows = [{"kind": "point", "lat": a.lat, "lon": a.lon, "expected_status": "matched", "expected_grid": a.grid_id}
            for a in rng.sample(list(load_addresses(district)), n)]
    files = load_district(district)
    owners: dict[tuple, set[str]] = defaultdict(set)
    for g in files.grids:
        for lon, lat in g.rings[0]:
            owners[(lat, lon)].add(g.grid_id)
    shared = [(p, ids) for p, ids in owners.items() if len(ids) > 1]
    for (lat, lon), ids in rng.sample(shared, min(n // 3, len(shared))):
        rows.append({"kind": "boundary_point", "lat": lat, "lon": lon, "expected_status": "matched",
                     "expected_grid": min(ids)})
    from bot.district.geo import GridIndex
    index = GridIndex(files.grids)
    while sum(r["kind"] == "outside_point" for r in rows) < n // 3:
        lat, lon = rng.uniform(23.1046, 23.1510), rng.uniform(113.2439, 113.3165)
        if index.locate(lat, lon) is None:
            rows.append({"kind": "outside_point", "lat": lat, "lon": lon, "expected_status": "outside",
                         "expected_grid": ""})
    return rows


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--district", type=Path, default=REPO.parent / "shared" / "data" / "district")
    ap.add_argument("--split", choices=("dev", "test"), default="test")
    ap.add_argument("--database", help="database URL holding the district (default: the config's)")
    ap.add_argument("--errors", action="store_true", help="print every row that went wrong")
    args = ap.parse_args()
    config = load_config().with_database(args.database)
    services = await build_services(config)
    rows = text_rows(args.district, args.split) + point_rows(args.district, seed=7 if args.split == "test" else 3)
    tally: dict[str, Counter] = defaultdict(Counter)
    async with services.db.session() as session:
        now = services.clock.now()
        for row in rows:
            d = await decide(session, services, now, text=row.get("text"),
                             lat=row.get("lat"), lon=row.get("lon"))
            want = row["expected_status"]
            if want == "matched":
                verdict = ("right" if d.status == "matched" and d.grid_id == row["expected_grid"] else
                           "wrong" if d.status == "matched" else "confirm" if d.status == "confirm" else "miss")
            else:
                verdict = "right" if d.status == want else "wrong"
            tally[row["kind"]][verdict] += 1
            if args.errors and verdict != "right":
                print(f"  {verdict:7} {row['kind']:14} {row.get('text') or (row['lat'], row['lon'])} → "
                      f"{d.status} {d.grid_id} (want {want} {row['expected_grid']})")
    await services.db.dispose()
    print(f"{'kind':16}{'n':>6}{'right':>9}{'confirm':>9}{'wrong':>8}{'miss':>8}")
    typed = Counter()
    for kind, c in sorted(tally.items()):
        n = sum(c.values())
        if kind in ("road_number", "compound", "building", "landmark", "intersection"):
            typed.update(c)
        print(f"{kind:16}{n:>6}" + "".join(f"{100 * c[v] / n:>8.1f}%" for v in ("right", "confirm", "wrong", "miss")))
    n = sum(typed.values())
    print(f"{'typed, all':16}{n:>6}" + "".join(f"{100 * typed[v] / n:>8.1f}%" for v in ("right", "confirm", "wrong", "miss")))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
