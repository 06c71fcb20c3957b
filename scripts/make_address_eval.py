#!/usr/bin/env python3
"""Build a labelled set of resident messages that mention places of the shared district.

    python scripts/make_address_eval.py --split dev --out /tmp/address_eval_dev.csv

Messages are written from templates of how residents type (numerals either way, 号楼/栋/座,
position words, spaces, full-width characters, aliases, shortened road names, a typo now and
then), plus places outside the district and messages without a place. The templates know only
the address file, never the matcher, and the two splits use different seeds: tune on `dev`,
report on `test`. Output is deterministic for a split and a district.

Columns: id, kind, variant, text, entity, expected_status, expected_grid, expected_address_id.
`kind` is the address kind for typed addresses (expected `matched` on the address's grid), or
`ambiguous` / `beyond_number` (expected `confirm`), `outside`, `no_place` (expected `ask`).
"""
from __future__ import annotations

import argparse
import csv
import random
import re
from collections import defaultdict
from pathlib import Path

SEEDS = {"dev": 20261201, "test": 20261202}
QUOTA = {"road_number": 150, "compound": 60, "building": 120, "landmark": 100,
         "intersection": 60, "ambiguous": 30, "beyond_number": 30, "outside": 90, "no_place": 90}
TYPO_RATE = 0.08  # share of typed names with one slip of the keyboard (fixed before any tuning)
ENTITY_RATE = 0.3  # share of messages for which the NLU handed over the place span

CN_DIGITS = "零一二三四五六七八九"
# Frequent characters, for substitution typos.
COMMON = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能"
          "下过子说产种面而方后多定行学法所民得经三之进着等部度家电力里如水化高自理起小物现实加量都"
          "两体制机当使点从业本去把性好应开它合还因由其些然前外天政日那社义事平形相全表间样与关各重新"
          "线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已")
POSITIONS = ("门口", "附近", "对面", "旁边", "楼下", "后面", "那边", "这里", "边上", "一带", "周边",
             "前面", "那里", "里面")
BODIES = (
    "{p}垃圾没人收", "{p}有人乱摆摊", "{p}的路灯坏了好几天", "{p}井盖不见了，很危险",
    "{p}晚上施工太吵了", "{p}有车乱停堵住消防通道", "{p}水管爆了，水流了一地", "{p}下水道堵了，很臭",
    "你好，{p}有人占道经营", "我要投诉{p}噪音扰民", "在{p}看到有人偷倒建筑垃圾", "{p}，大树倒了压着路",
    "请问{p}的垃圾站归谁管", "{p}污水横流没人管", "麻烦派人去{p}看看，有老人摔倒了",
    "举报：{p}有人违章搭建", "{p} 烧烤油烟太大了", "垃圾堆了三天没人收，地址：{p}", "路灯不亮，在{p}",
    "{p}有人卖假货", "{p}的共享单车堆成山", "我家在{p}，楼上天天装修", "{p}路面塌了一个坑",
    "{p}有流浪狗咬人", "{p}一直在漏水", "{p}有个井盖松了", "{p}那里有人聚众赌博", "{p}有煤气味",
)
NO_PLACE = (
    "你好", "您好，请问怎么投诉", "我要投诉", "垃圾没人收", "路灯坏了三天了", "楼下有人吵架，吵了一晚上",
    "小区门口乱停车", "附近有人摆摊", "我想查询一下我的工单", "谢谢你们", "怎么还没人处理啊",
    "12号提交的投诉有结果了吗", "我的电话是13800001234", "昨天下午三点左右发生的", "马路上有个坑",
    "地铁站里有人乞讨", "公园里有人遛狗不拴绳", "医院门口黄牛很多", "菜市场的卫生太差了", "好的，收到",
    "已经处理好了，谢谢", "不满意，没解决", "催一下，都一个星期了", "帮忙转给物业", "邻居家的狗一直叫",
    "楼上漏水到我家", "工地晚上十一点还在施工", "小区里的树该修剪了", "有人在河里钓鱼", "垃圾分类做得很差",
    "外卖电动车骑上人行道", "我的工资被拖欠了两个月", "隔壁饭店油烟很大", "家门口的路灯一闪一闪",
    "这边停水了", "电梯坏了，老人下不了楼", "帮帮忙吧", "请尽快处理", "大概在二楼", "有三个人在打架",
    "人民群众很不满意", "我早上七点出门看到的", "我们这栋楼的消防通道被堵了", "学校旁边有人卖烟给学生",
    "公交站的广告牌快掉下来了", "天桥上有人摆地摊", "路口的红绿灯坏了", "停车场收费太贵",
    "老旧小区加装电梯的事情", "社区什么时候打疫苗", "中午十二点半左右", "周末能上门吗",
)
# Places named without a name: the bot cannot place them and must ask.
UNNAMED_PLACES = ("小区门口", "我家楼下", "路边", "地铁站出口", "公园里", "菜市场旁边", "学校门口", "这条路上",
                  "马路对面", "十字路口", "3栋楼下", "12号门口", "前面路口", "单位后面", "巷子里", "河边",
                  "天桥下面", "公交站旁边", "医院对面", "我们小区", "隔壁楼", "五楼", "商场门口", "停车场")
OUTSIDE_DISTRICTS = ("天河区", "海珠区", "荔湾区", "白云区", "番禺区", "黄埔区", "花都区", "南沙区")
OUTSIDE_CITIES = ("深圳市南山区科技园", "深圳福田区华强北", "东莞市南城区", "佛山市禅城区祖庙路", "佛山南海",
                  "北京市朝阳区建国路88号", "上海市浦东新区世纪大道", "珠海市香洲区", "中山市石岐区",
                  "惠州市惠城区", "香港旺角", "江门市蓬江区")
OUTSIDE_PLACES = ("珠江新城", "天河城", "体育西路地铁站", "客村", "琶洲会展中心", "上下九步行街", "白云机场",
                  "长隆欢乐世界", "大学城", "天河路", "江南西路", "工业大道", "黄埔大道西", "广州大道中",
                  "岗顶", "石牌桥", "海珠湖公园", "中山大道西", "机场路", "滨江东路", "宝岗大道", "三元里",
                  "万达广场(白云)", "芳村花园", "番禺市桥", "增城广场", "从化温泉", "花都广场")
OUTSIDE_ROAD_CHARS = "金银山海华东南西北新丰和平安福康泰兴德广明光阳"


def corridor(road: str) -> str:
    """The name residents use for a whole corridor: 中山五路 → 中山路, 东风东路 → 东风路."""
    return re.sub(f"[东西南北中{CN_DIGITS}]路$", "路", road)


def read_addresses(path: Path) -> list[dict[str, str]]:
    with (path / "addresses.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def cn_number(n: int) -> str:
    """12 → 十二, 105 → 一百零五, as residents spell numbers out."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + CN_DIGITS[rest] if rest < 10 else
                                 ("一" + cn_number(rest) if rest < 20 else cn_number(rest)))
    return CN_DIGITS[n // 100] + "百" + tail


def full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


class Writer:
    """Writes messages the way residents do; each method returns (phrase, variant tags)."""

    def __init__(self, rows: list[dict[str, str]], seed: int):
        self.rng = random.Random(seed)
        self.rows = rows
        self.by_kind: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.numbers: dict[str, dict[int, dict[str, str]]] = defaultdict(dict)
        for r in rows:
            self.by_kind[r["kind"]].append(r)
            if r["kind"] == "road_number":
                self.numbers[r["road"]][int(r["number"])] = r
        self.buildings: dict[str, list[dict[str, str]]] = defaultdict(list)
        compounds = {r["name"]: r for r in self.by_kind["compound"]}
        for r in self.by_kind["building"]:
            m = re.fullmatch(r"(.+?)([0-9]+|[A-Z])([栋座])", r["name"])
            if m and m.group(1) in compounds:
                self.buildings[m.group(1)].append(r)
        self.crossing_pairs = [tuple(r["road"].split(";")) for r in self.by_kind["intersection"]]
        self.corridors: dict[str, list[str]] = defaultdict(list)  # 中山路 → 中山一路 … 中山六路
        for road in self.numbers:
            if corridor(road) != road and corridor(road) not in self.numbers:
                self.corridors[corridor(road)].append(road)

    # ---------------------------------------------------------------- spelling habits

    def typo(self, name: str, tags: list[str]) -> str:
        if len(name) < 3 or self.rng.random() >= TYPO_RATE:
            return name
        cjk = [i for i, c in enumerate(name) if "\u4e00" <= c <= "\u9fff"]
        if len(cjk) < 2:
            return name
        i = self.rng.choice(cjk)
        how = self.rng.choice(("drop", "swap", "double", "replace"))
        tags.append("typo_" + how)
        if how == "drop":
            return name[:i] + name[i + 1:]
        if how == "double":
            return name[:i] + name[i] + name[i:]
        if how == "swap":
            j = i + 1 if i + 1 in cjk else i - 1
            a, b = sorted((i, j))
            return name[:a] + name[b] + name[a] + name[b + 1:]
        return name[:i] + self.rng.choice([c for c in COMMON if c != name[i]]) + name[i + 1:]

    def number(self, n: int, tags: list[str]) -> str:
        style = self.rng.choices(("arabic", "chinese", "fullwidth"), (6, 3, 1))[0]
        if style != "arabic":
            tags.append(style + "_number")
        return {"arabic": str(n), "chinese": cn_number(n), "fullwidth": full_width(str(n))}[style]

    def road(self, road: str, tags: list[str]) -> str:
        m = re.search(f"[{CN_DIGITS}]路$", road)
        if m and self.rng.random() < 0.5:
            tags.append("arabic_road")
            road = road[:m.start()] + str(CN_DIGITS.index(m.group()[0])) + "路"
        return self.typo(road, tags)

    def space(self, a: str, b: str, tags: list[str]) -> str:
        if self.rng.random() < 0.12:
            tags.append("space")
            return a + " " + b
        return a + b

    def spelling(self, row: dict[str, str], tags: list[str]) -> str:
        aliases = [a for a in row["aliases"].split(";") if a]
        if aliases and self.rng.random() < 0.35:
            tags.append("alias")
            return self.rng.choice(aliases)
        return row["name"]

    def message(self, phrase: str, tags: list[str]) -> tuple[str, str]:
        """(text, entity): the phrase, maybe a position word, inside a complaint."""
        place = phrase
        if self.rng.random() < 0.45:
            word = self.rng.choice(POSITIONS)
            tags.append("position")
            place = phrase + word
        entity = place if self.rng.random() < ENTITY_RATE else ""
        return self.rng.choice(BODIES).format(p=place), entity

    # ---------------------------------------------------------------- typed addresses

    def road_number(self) -> tuple[str, list[str], dict[str, str]]:
        row = self.rng.choice(self.by_kind["road_number"])
        tags: list[str] = []
        road = self.road(row["road"], tags)
        number = self.number(int(row["number"]), tags)
        if self.rng.random() < 0.1:
            tags.append("no_hao")
        else:
            number += "号"
        return self.space(road, number, tags), tags, row

    def compound(self) -> tuple[str, list[str], dict[str, str]]:
        row = self.rng.choice(self.by_kind["compound"])
        tags: list[str] = []
        name = self.typo(self.spelling(row, tags), tags)
        if not name.endswith("小区") and self.rng.random() < 0.1:
            tags.append("xiaoqu")
            name += "小区"
        return name, tags, row

    def building(self) -> tuple[str, list[str], dict[str, str]]:
        compound = self.rng.choice([c for c in self.by_kind["compound"] if self.buildings[c["name"]]])
        row = self.rng.choice(self.buildings[compound["name"]])
        label = re.fullmatch(r".+?([0-9]+|[A-Z])[栋座]", row["name"]).group(1)
        tags: list[str] = []
        name = self.typo(self.spelling(compound, tags), tags)
        if label.isdigit():
            n = int(label)
            style = self.rng.choice(("{}栋", "{}号楼", "{c}栋", "{}座", "{}幢", "第{}栋", "{c}号楼", "{}号"))
            tags.append("building_" + style.format("n", c="cn"))
            text = style.format(n, c=cn_number(n))
        else:
            style = self.rng.choice(("{}座", "{}栋", "{l}座", "{f}座"))
            tags.append("building_" + style.format("X", l="x", f="fw"))
            text = style.format(label, l=label.lower(), f=full_width(label))
        return self.space(name, text, tags), tags, row

    def landmark(self) -> tuple[str, list[str], dict[str, str]]:
        row = self.rng.choice(self.by_kind["landmark"])
        tags: list[str] = []
        if row["name"].endswith("地铁站"):
            base = self.typo(row["name"][:-3], tags)
            style = self.rng.choice(("{}地铁站", "{}站", "地铁{}站", "{}地铁站{e}出口", "{}站{e}口",
                                     "{}地铁口", "{}地铁站{e}口"))
            tags.append("metro")
            return style.format(base, e=self.rng.choice("ABCDEF")), tags, row
        return self.typo(self.spelling(row, tags), tags), tags, row

    def intersection(self) -> tuple[str, list[str], dict[str, str]]:
        row = self.rng.choice(self.by_kind["intersection"])
        tags: list[str] = []
        a, b = row["road"].split(";")
        if self.rng.random() < 0.5:
            a, b = b, a
        short = corridor(a)
        unique = sum(1 for p in self.crossing_pairs
                     if b in p and any(corridor(x) == short for x in p if x != b)) == 1
        if short != a and self.rng.random() < 0.3 and len(self.corridors[short]) > 1 and unique:
            tags.append("short_road")
            a = short
        a = self.road(a, tags)
        b = self.road(b, tags)
        style = self.rng.choice(("{a}和{b}交叉口", "{a}与{b}交叉口", "{a}跟{b}交界处", "{a}{b}口",
                                 "{a}、{b}十字路口", "{a}和{b}路口", "{a}与{b}交汇处"))
        tags.append("crossing_" + style.format(a="A", b="B"))
        return style.format(a=a, b=b), tags, row

    # ---------------------------------------------------------------- the rest

    def ambiguous(self) -> tuple[str, list[str]]:
        """A corridor name without its segment (中山路12号): several roads fit."""
        short = self.rng.choice(sorted(s for s, roads in self.corridors.items() if len(roads) > 1))
        shared = sorted(set.intersection(*(set(self.numbers[r]) for r in self.corridors[short])))
        tags = ["family"]
        return short + self.number(self.rng.choice(shared), tags) + "号", tags

    def beyond_number(self) -> tuple[str, list[str]]:
        """A house number past the end of the road."""
        road = self.rng.choice(sorted(self.numbers))
        tags: list[str] = []
        n = max(self.numbers[road]) + self.rng.randint(20, 300)
        return self.road(road, tags) + self.number(n, tags) + "号", tags

    def outside(self) -> tuple[str, list[str]]:
        pick = self.rng.random()
        if pick < 0.35:
            road = "".join(self.rng.sample(OUTSIDE_ROAD_CHARS, 2)) + self.rng.choice(("路", "大道", "街"))
            district = self.rng.choice(OUTSIDE_DISTRICTS)
            return f"{district}{road}{self.rng.randint(1, 300)}号", ["district_road"]
        if pick < 0.6:
            return self.rng.choice(OUTSIDE_CITIES), ["city"]
        return self.rng.choice(OUTSIDE_PLACES), ["known_place"]


def build(district: Path, split: str, scale: float = 1.0) -> list[dict[str, str]]:
    w = Writer(read_addresses(district), SEEDS[split])
    out: list[dict[str, str]] = []
    for kind, quota in QUOTA.items():
        for _ in range(max(1, round(quota * scale))):
            row = None
            if kind in ("road_number", "compound", "building", "landmark", "intersection"):
                phrase, tags, row = getattr(w, kind)()
                status = "matched"
            elif kind in ("ambiguous", "beyond_number"):
                phrase, tags = getattr(w, kind)()
                status = "confirm"
            elif kind == "outside":
                phrase, tags = w.outside()
                status = "outside"
            else:
                phrase, tags, status = "", [], "ask"
            if kind == "no_place" and w.rng.random() < 0.5:
                text, entity = w.rng.choice(NO_PLACE), ""
            elif kind == "no_place":
                tags.append("unnamed")
                text, entity = w.rng.choice(BODIES).format(p=w.rng.choice(UNNAMED_PLACES)), ""
            else:
                text, entity = w.message(phrase, tags)
            if w.rng.random() < 0.05:
                tags.append("fullwidth_text")
                text = full_width(text)
            out.append({
                "id": f"{split}-{len(out) + 1:04d}", "kind": kind, "variant": ";".join(tags),
                "text": text, "entity": entity, "expected_status": status,
                "expected_grid": row["grid_id"] if row else "",
                "expected_address_id": row["address_id"] if row else "",
            })
    return out


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--district", type=Path, default=repo.parent / "shared/data/district")
    ap.add_argument("--split", choices=sorted(SEEDS), default="dev")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every quota")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    rows = build(args.district, args.split, args.scale)
    with args.out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} messages ({args.split}) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
