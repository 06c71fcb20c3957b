"""Generate the small sample district bundled for the offline demo: `python -m bot.district.sample OUT_DIR`.

Same four files and format as a real import (so the demo exercises the real loader), but tiny:
2 streets, 4 communities and 16 rectangular grids tiling ~1.2 × 1.2 km of central Yuexiu, with
(23.1291, 113.2644) inside grid YX-BZ-01-03. Everything is invented. The output is
byte-identical on every run (fixed seed, fixed layout), so the bundled copy can be checked
against a fresh one.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
from pathlib import Path

from bot.district.files import (
    ADDRESSES_FILE, DEPARTMENTS_FILE, GRIDS_FILE, OFFICERS_FILE, GridRecord, load_district,
)
from bot.district.geo import GridIndex
from bot.understanding import CATEGORIES

SEED = 20261123
LAT0, LON0 = 23.1291, 113.2644  # the local origin, in central Yuexiu
M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(LAT0))

# Cell edges in metres east / north of the origin; uneven widths look less like graph paper.
XS = (-620, -320, -100, 250, 580)
YS = (-560, -260, -60, 280, 640)
# Columns 0-1 form the western street, 2-3 the eastern; rows 2-3 the northern community.
STREETS = (("YX-RY", "榕荫街道", ("仙邻社区", "榕南社区")),
           ("YX-BZ", "秉政街道", ("秉北社区", "文澜社区")))

# (name, metres north of the origin) and (name, metres east), each running across the district.
EW_ROADS = (("榕荫路", 120), ("文澜路", -400))
NS_ROADS = (("仙邻路", -200), ("秉政路", 420))
HOUSE_STEP, HOUSE_OFFSET, CROSSING_GAP = 70, 14, 30  # metres

# (name, alias, x, y, building offsets in metres)
COMPOUNDS = (
    ("榕荫新村", "榕荫新邨", -450, 200, ((-40, 30), (35, 25), (0, -45))),
    ("仙邻花园", "仙邻花园小区", -150, 420, ((-30, 40), (30, 40))),
    ("文澜大院", "文澜路大院", 80, -330, ((-35, 20), (35, 20), (0, 50))),
    ("秉政苑", "秉政小区", 470, 30, ((-25, -40), (40, 35))),
    ("德润新村", "德润新邨", 150, 450, ((-40, -30), (40, -30), (0, 40))),
)
TOWERS = (("越润大厦", 300, 200, ("A", "B")),)  # office towers: building kind, lettered blocks
LANDMARKS = (
    ("榕荫小学", "榕荫路小学", -380, -150),
    ("仙邻公园", "仙邻路公园", -520, 470),
    ("文澜市场", "文澜肉菜市场", 320, -480),
    ("秉政医院", "秉政路医院", 500, 380),
    ("仙邻路地铁站", "仙邻路站", -230, 160),
    ("榕荫街道办事处", "榕荫街道办", -270, -20),
    ("秉政街道办事处", "秉政街道办", 350, -150),
)

# (name, handled categories, lead categories): every taxonomy category has exactly one lead.
DEPARTMENTS = (
    ("区城市管理和综合执法局", "garbage;street_vending;illegal_construction;streetlight;greenery;illegal_parking;noise",
     "garbage;street_vending;illegal_construction;streetlight;greenery"),
    ("区住房和城乡建设局", "road_damage;property_management;illegal_construction", "road_damage;property_management"),
    ("区水务局", "water_leak;drainage", "water_leak;drainage"),
    ("区生态环境分局", "air_pollution;noise", "air_pollution"),
    ("区市场监督管理局", "food_safety;street_vending", "food_safety"),
    ("区民政局", "social_assistance", "social_assistance"),
    ("区人力资源和社会保障局", "wage_arrears", "wage_arrears"),
    ("区公安分局", "public_security;noise;illegal_parking;neighbor_dispute", "public_security;noise;illegal_parking"),
    ("区司法局", "neighbor_dispute", "neighbor_dispute"),
    ("区消防救援大队", "fire_hazard", "fire_hazard"),
    ("区燃气公司", "gas_emergency", "gas_emergency"),
    ("区网格化服务管理中心", "other", "other"),
)

SURNAMES = "陈李黄张梁刘林何罗吴郑谢冯邓曾彭萧蔡潘许"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玲志红峰建文斌"
PAIRED_GRIDS = ("YX-RY-02-03", "YX-RY-02-04")  # one officer for both, as happens in real districts
GRID_SHIFTS = ("08:30-17:30", "08:30-17:30", "09:00-18:00", "08:30-17:30", "13:00-22:00", "17:30-08:30")


def _lat(y: float) -> float:
    return LAT0 + y / M_PER_DEG_LAT


def _lon(x: float) -> float:
    return LON0 + x / M_PER_DEG_LON


def sample_files() -> dict[str, str]:
    """The sample district as {file name: text}, README included."""
    grids = _grids()
    addresses = _addresses(GridIndex(grids))
    officers = _officers(grids)
    files = {
        GRIDS_FILE: _geojson(grids),
        OFFICERS_FILE: _csv(("officer_id", "name", "phone", "role", "scope_ids", "on_duty"), officers),
        DEPARTMENTS_FILE: _csv(("dept_id", "name", "categories", "lead_categories"), _departments()),
        ADDRESSES_FILE: _csv(("address_id", "kind", "name", "road", "number", "aliases", "lat", "lon",
                              "grid_id"), addresses),
    }
    files["README.md"] = _readme(grids, officers, addresses)
    return files


def write_sample(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in sample_files().items():
        (out / name).write_text(text, encoding="utf-8", newline="")
    return out


def _grids() -> list[GridRecord]:
    # Round each edge once, so neighbouring cells share bit-identical vertices.
    lons = [round(_lon(x), 7) for x in XS]
    lats = [round(_lat(y), 7) for y in YS]
    grids = []
    for street_no, (street_id, street_name, communities) in enumerate(STREETS):
        for community_no, community_name in enumerate(communities, start=1):
            community_id = f"{street_id}-{community_no:02d}"
            rows = (3, 2) if community_no == 1 else (1, 0)  # numbered north to south ...
            cols = (2 * street_no, 2 * street_no + 1)  # ... then west to east
            cells = [(c, r) for r in rows for c in cols]
            for n, (c, r) in enumerate(cells, start=1):
                ring = ((lons[c], lats[r]), (lons[c + 1], lats[r]), (lons[c + 1], lats[r + 1]),
                        (lons[c], lats[r + 1]), (lons[c], lats[r]))  # counter-clockwise
                grids.append(GridRecord(f"{community_id}-{n:02d}", f"{community_name}第{n}网格",
                                        community_id, community_name, street_id, street_name,
                                        "越秀区", (ring,)))
    return grids


def _officers(grids: list[GridRecord]) -> list[list[str]]:
    rng = random.Random(SEED)
    phones = rng.sample(range(10000), 100)  # room for up to 100 officers
    names: list[str] = []
    rows: list[list[str]] = []

    def add(role: str, scope: str, duty: str) -> None:
        name = ""
        while not name or name in names:
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        names.append(name)
        rows.append([f"YX-O{len(rows) + 1:05d}", name, f"1380000{phones[len(rows)]:04d}", role, scope, duty])

    add("district_supervisor", "YX", "24h")
    for k, (street_id, _, _) in enumerate(STREETS):
        add("street_supervisor", street_id, "24h" if k else "08:30-17:30")
    communities = list(dict.fromkeys(g.community_id for g in grids))
    for k, community_id in enumerate(communities):
        add("grid_leader", community_id, "24h" if k % 2 else "08:30-17:30")
        add("community_secretary", community_id, "08:30-17:30")
    for k, g in enumerate(grids):
        if g.grid_id != PAIRED_GRIDS[1]:
            scope = ";".join(PAIRED_GRIDS) if g.grid_id == PAIRED_GRIDS[0] else g.grid_id
            add("grid_officer", scope, GRID_SHIFTS[k % len(GRID_SHIFTS)])
    return rows


def _departments() -> list[list[str]]:
    leads = [c for _, _, lead in DEPARTMENTS for c in lead.split(";")]
    assert sorted(leads) == sorted(CATEGORIES), "each category needs exactly one lead department"
    return [[f"YX-D{k:02d}", name, cats, lead] for k, (name, cats, lead) in enumerate(DEPARTMENTS, start=1)]


def _addresses(index: GridIndex) -> list[list[str]]:
    rows: list[tuple[str, str, str, str, str, float, float]] = []  # kind, name, road, no., aliases, x, y
    roads = [(road, y, True) for road, y in EW_ROADS] + [(road, x, False) for road, x in NS_ROADS]
    for road, at, east_west in roads:
        edges, crossings = (XS, [x for _, x in NS_ROADS]) if east_west else (YS, [y for _, y in EW_ROADS])
        number = 0
        for along in range(edges[0] + 25, edges[-1] - 20, HOUSE_STEP):
            if any(abs(along - c) < CROSSING_GAP for c in crossings) or any(abs(along - e) < 10 for e in edges):
                continue  # no house numbers on a crossing or on a grid edge
            for side in (1, -1):  # odd on the left of the drawing direction, even on the right
                number += 1
                x, y = (along, at + side * HOUSE_OFFSET) if east_west else (at - side * HOUSE_OFFSET, along)
                rows.append(("road_number", f"{road}{number}号", road, str(number),
                             f"{road}{_cn_number(number)}号", x, y))
    for name, alias, x, y, offsets in COMPOUNDS:
        road = _nearest_road(x, y)
        rows.append(("compound", name, road, "", alias, x, y))
        for k, (dx, dy) in enumerate(offsets, start=1):
            rows.append(("building", f"{name}{k}栋", road, "", f"{name}{k}号楼;{name}{_cn_number(k)}栋",
                         x + dx, y + dy))
    for name, x, y, blocks in TOWERS:
        for k, block in enumerate(blocks):
            rows.append(("building", f"{name}{block}座", _nearest_road(x, y + 30 * k), "", f"{name}{block}栋",
                         x, y + 30 * k))
    for name, alias, x, y in LANDMARKS:
        rows.append(("landmark", name, _nearest_road(x, y), "", alias, x, y))
    for a, y in EW_ROADS:
        for b, x in NS_ROADS:
            rows.append(("intersection", f"{a}与{b}交叉口", f"{a};{b}", "",
                         f"{b}与{a}交叉口;{a}和{b}交叉口;{a}{b}路口", x, y))

    names = [r[1] for r in rows]
    aliases = [a for r in rows for a in r[4].split(";")]
    assert len(set(names)) == len(names) and len(set(aliases)) == len(aliases) and not set(names) & set(aliases)
    out = []
    for k, (kind, name, road, number, alias, x, y) in enumerate(rows, start=1):
        # Keep clear of grid edges so every point lies strictly inside its grid.
        assert min(abs(x - e) for e in XS) > 5 and min(abs(y - e) for e in YS) > 5, name
        lat, lon = round(_lat(y), 6), round(_lon(x), 6)
        grid_id = index.locate(lat, lon)
        assert grid_id is not None, name
        out.append([f"YX-A{k:06d}", kind, name, road, number, alias, f"{lat:.6f}", f"{lon:.6f}", grid_id])
    return out


def _nearest_road(x: float, y: float) -> str:
    roads = [(abs(y - ry), r) for r, ry in EW_ROADS] + [(abs(x - rx), r) for r, rx in NS_ROADS]
    return min(roads)[1]


def _cn_number(n: int) -> str:
    """1..99 in Chinese numerals, as people type house numbers: 12 → 十二, 40 → 四十."""
    digits = "零一二三四五六七八九"
    assert 0 < n < 100
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + ("十" if tens else "") + (digits[ones] if ones else "")


def _geojson(grids: list[GridRecord]) -> str:
    features = [json.dumps({"type": "Feature",
                            "properties": {"grid_id": g.grid_id, "grid_name": g.grid_name,
                                           "community_id": g.community_id, "community_name": g.community_name,
                                           "street_id": g.street_id, "street_name": g.street_name,
                                           "district_name": g.district_name},
                            "geometry": g.geometry()}, ensure_ascii=False, separators=(",", ":"))
                for g in grids]
    return ('{"type": "FeatureCollection", "name": "yuexiu_sample_grids", "features": [\n'
            + ",\n".join(features) + "\n]}\n")


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _readme(grids: list[GridRecord], officers: list[list[str]], addresses: list[list[str]]) -> str:
    streets = len({g.street_id for g in grids})
    communities = len({g.community_id for g in grids})
    return f"""# Sample district (generated — do not edit)

A tiny, invented district for the offline demo, in the same format as a real district import
(checked by `bot/district/files.py`). Names, phones and places are made up.

- {streets} streets, {communities} communities, {len(grids)} rectangular grids tiling about 1.2 × 1.2 km
- centred near lat {LAT0}, lon {LON0} (central Yuexiu); that point lies in grid YX-BZ-01-03
- {len(officers)} officers, {len(DEPARTMENTS)} departments, {len(addresses)} addresses

Regenerate with the command below; output is byte-identical on every run, and `tests/district`
checks that this copy is current.

    python -m bot.district.sample bot/district/sample
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    out = write_sample(parser.parse_args(argv).out_dir)
    district = load_district(out)  # the sample must pass the same checks as a real import
    print(f"wrote {out}: {len(district.grids)} grids, {len(district.officers)} officers, "
          f"{len(district.departments)} departments, {sum(1 for _ in district.addresses())} addresses")


if __name__ == "__main__":
    main()
