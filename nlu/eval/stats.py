"""Checks and describes the evaluation sets (SETS: people_eval.csv, second_eval.csv, third_eval.csv,
fourth_eval.csv, fifth_eval.csv, sixth_eval.csv, seventh_eval.csv, eighth_eval.csv, ninth_eval.csv, each with its conversations).

    .venv/bin/python nlu/eval/stats.py                      # every set in SETS
    .venv/bin/python nlu/eval/stats.py CSV [--conversations YAML]

Fails (exit 1) on: an unknown intent or category, a duplicate text (after removing spaces and
punctuation and folding case), also across sets (a row of one set repeated in another is not a fresh
row), a category or urgent value on a non-report row, a report row without a category or without urgent
true/false, a row without a writer, fewer than MIN_INTENT rows for an intent or MIN_CATEGORY report rows
for a category; and, for the conversations, an unknown `expect` or status, a conversation with fewer
than 3 or more than 6 resident turns.

Prints counts per intent, category, urgent, writer, and the shares of Cantonese, traditional
characters, planted typos, place mentions, emoji and English. Those shares are heuristics (marker
characters and word lists below), good enough to describe the set, not to label it.
"""
from __future__ import annotations

import csv
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.understanding import CATEGORIES, INTENTS  # noqa: E402

EVAL = Path(__file__).resolve().parent
# Each evaluation set and its conversations. The second and the third were written later, each by other
# imagined writers, without seeing the training data or the earlier sets (README: "The second set",
# "The third set").
SETS = {EVAL / "people_eval.csv": EVAL / "conversations.yaml",
        EVAL / "second_eval.csv": EVAL / "second_conversations.yaml",
        EVAL / "third_eval.csv": EVAL / "third_conversations.yaml",
        EVAL / "fourth_eval.csv": EVAL / "fourth_conversations.yaml",
        EVAL / "fifth_eval.csv": EVAL / "fifth_conversations.yaml",
        EVAL / "sixth_eval.csv": EVAL / "sixth_conversations.yaml",
        EVAL / "seventh_eval.csv": EVAL / "seventh_conversations.yaml",
        EVAL / "eighth_eval.csv": EVAL / "eighth_conversations.yaml",
        EVAL / "ninth_eval.csv": EVAL / "ninth_conversations.yaml"}
MIN_INTENT = 25
MIN_CATEGORY = 15
EXPECTS = {"urge", "add_info", "query_progress", "cancel", "rate_bad", "rate_good", "new_report", "ask"}
STATUSES = {"assigned", "accepted", "returned", "resolved"}

# Characters (and a few words) that written Mandarin does not use.
CANTONESE = re.compile(r"[唔咁嘅冇啲喺搵嗰咗哋佢嚟睇畀攞嘢啱㗎嘞咩乜噉嗮冚瞓揸嬲攰]|点解|點解|搞掂|仲未|仲有|仲係|仲系|屋企|"
                       r"系咪|係咪|靓仔|後生|后生|街坊|阿婆|阿伯|老细|老細|走佬|人工")
# Traditional-only characters (their simplified forms differ).
TRADITIONAL = set("這們個來時會說對點還過樓電燈門問題處請號經車場將專業東樂從廣區見開關滿濕議應幫麼實戶嚴師態讚謝讓"
                  "壞爛塊氣煙聲聽雞邊寫歲嗎線價錢買賣貓讀書頭隨準備資補內醫殘貼藥舊機網務證發顯隊運輸隻鐘鐵鋼飯飲"
                  "層難療園齊夠係裡話後媽廳閃觸驚淨張條兩萬禮與為無種帶遊錯盞麵鏡蓋傳訴報劃館陣嚇愛練計劑彈誰"
                  "課換緊鄰籬擺衛環單訴該譯雖總權聯職隨記級織變臺灣齡幾長黃紅綠藍燒乾濃壓臘鹽檔廚壩灑倉鋪舖")
# Misspellings and homophones planted on purpose (a row counts if it has one).
TYPOS = ("以经", "铁秀", "难文", "瘫换", "时的", "不时", "你号", "你门", "路登", "下水到", "摆滩", "然气", "撤消",
         "处里", "在也没人", "还再", "着边", "城管在那里", "由人接", "在不来", "溅的到处", "吵的人", "凶的很", "贴的到处",
         "钱去那里", "在那里办", "有科树", "消防通到", "被人到了", "照骗", "清里", "怎么在没人", "我在补充", "味到很重",
         "臭的很", "敲的咚咚",
         # second_eval.csv
         "垃级", "历害", "在次", "煤汽", "井改", "路当", "吵地", "管里费", "物叶", "楼到", "燃起味", "老版", "欠心",
         "居为会", "投素", "天然汽", "修的很好", "到那里了", "在说一下", "办的怎么样", "你在看看", "处里了",
         "恶心的要命", "听的到", "打子", "看一下把", "孩子门",
         # third_eval.csv
         "电题", "五叶", "拉吉", "经改", "几水", "早音", "消房", "盲到", "反应一下", "我反应的", "先反应一下", "拉圾",
         "师父", "再吗", "麻凡", "以近", "投述", "装休",
         # fourth_eval.csv
         "燃器", "勿业", "油焰", "辣鸡桶", "工姿", "花现", "下水倒", "瞅间", "出理", "没人官", "位一", "路等", "可连",
         "骑守", "鸡水", "线览", "在马", "进快", "麻番", "倒底", "修号", "巡罗", "一经", "取校", "谢射")
PLACES = re.compile(
    r"北京路|中山[一二三四五六七]路|东风[东中西]?路|東風|越秀|农林[上下]路|農林|东山|東山|署前路|解放[北中南]路|环市|環市|淘金|华乐|"
    r"華樂|建设|建設|小北|德政|文德|大南路|高第街|一德路|海珠广场|海珠廣場|起义路|西湖路|教育路|广卫路|仓边|倉邊|越华路|盘福|流花|"
    r"火车站|站南路|黄花岗|先烈|执信|梅花村|恤孤院|寺贝|新河浦|大沙头|白云路|东湖|東湖|五羊|寺右|東川|东川|东华|東華|豪贤|較場|"
    r"较场|百灵路|诗书|光塔|六榕|人民[北中南]路|大塘|榨粉|桂香|流水井|惠福|北較場|龙腾里|龍騰|华侨新村|东园|東園|广九|龙津|文明路|"
    r"梅东|大东|大東|仁生里|公园前|纪念堂|紀念堂|区庄|杨箕|二沙|竹丝岗|水荫|米市|登峰|矿泉|"
    r"[\u4e00-\u9fff]{1,3}(?:大院|新村|小区|市场|街市|地铁站|地鐵站|出口|医院|醫院|中学|小学|大厦|大廈|公园|公園)|"
    r"\d+号|[一二三四五六七八九十]+号|\d+號|号之|號之|"
    # second_eval.csv
    r"长塘街|長塘街|旧仓巷|芳草街|下塘|农讲所|大马站|朝天路|西门口|应元路|万福路|泰康路|东皋|東皋|培正路|烟墩路|团一大|"
    r"禺山路|大德路|吉祥路|素波巷|龟岗|合群路|达道路|法政路|海珠[中北]路|将军东路|陶街|桂花岗|瑶台|云泉|百子路|光孝|水均岗|"
    r"雅荷塘|烈士陵园|大新路|回龙路|沿江|福兴坊|青莲巷|仁安里|德宝楼|金桂苑|榕荫里|锦华|"
    # third_eval.csv
    r"昌兴街|昌興街|麓景路|麓湖|东濠涌|東濠涌|连新路|童心路|恒福路|珠光路|黄华路|都府街|三育路|庙前直街|西华路|"
    r"福今路|小马站|横枝岗|动物园|状元坊|长堤|纸行路|府学西街|府學西街|盐运西|木排头|"
    r"濠畔街|象岗|中华广场|中華廣場|五月花|小东营|"
    r"福临苑|聚贤坊|桂馨楼|嘉乐里|同庆坊|瑞康大楼|瑞康大樓|竹韵阁|长乐坊|宝源楼|和兴里|永安里|"
    # fourth_eval.csv
    r"仰忠街|天成路|海味街|广大路|司后街|秉政街|永福路|净慧路|八旗二马路|旧部前|清风桥|杉木栏|玉带濠|启明二马路|均益路|站前路|"
    r"府前路|正南路|海印桥|五仙观|城隍庙|大佛寺|镇海楼|流行前线|新大新|动漫星城|沙河顶|财厅前|清泉街|"
    r"长寿里|安和里|丽泉苑|德馨楼|翠云阁|福寿里|平安里|金穗楼|祥和苑|怡景台|荣光大院|兴隆坊|松鹤里|永泰坊|瑞华楼|起凤里|兴业里")
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
ENGLISH = re.compile(r"[A-Za-z]{2,}")


def norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in t if not (c.isspace() or unicodedata.category(c)[0] in "PS"))


def features(text: str) -> dict[str, bool]:
    return {"cantonese": bool(CANTONESE.search(text)),
            "traditional": any(c in TRADITIONAL for c in text),
            "typo": any(t in text for t in TYPOS),
            "place": bool(PLACES.search(text)),
            "emoji": bool(EMOJI.search(text)),
            "english": bool(ENGLISH.search(text)),
            "no_punctuation": len(text) > 12 and not re.search(r"[，。！？、；：,.!?;:]", text)}


def check_rows(rows: list[dict]) -> list[str]:
    errors, seen = [], {}
    for i, r in enumerate(rows, start=2):
        text, intent = (r.get("text") or "").strip(), (r.get("intent") or "").strip()
        cat, urg, writer = (r.get("category") or "").strip(), (r.get("urgent") or "").strip(), (r.get("writer") or "").strip()
        if not text:
            errors.append(f"line {i}: empty text")
        if intent not in INTENTS:
            errors.append(f"line {i}: unknown intent {intent!r}")
        if not writer:
            errors.append(f"line {i}: no writer")
        if intent == "report":
            if cat not in CATEGORIES:
                errors.append(f"line {i}: report with unknown or missing category {cat!r}")
            if urg not in ("true", "false"):
                errors.append(f"line {i}: report with urgent {urg!r} (needs true or false)")
        elif cat or urg:
            errors.append(f"line {i}: {intent} row with category {cat!r} / urgent {urg!r}")
        key = norm(text)
        if key in seen:
            errors.append(f"line {i}: duplicate of line {seen[key]}: {text}")
        seen.setdefault(key, i)
    ic = Counter(r["intent"] for r in rows)
    cc = Counter(r["category"] for r in rows if r["intent"] == "report")
    errors += [f"intent {l}: {ic[l]} rows (< {MIN_INTENT})" for l in INTENTS if l != "report" and ic[l] < MIN_INTENT]
    errors += [f"category {c}: {cc[c]} report rows (< {MIN_CATEGORY})" for c in CATEGORIES if cc[c] < MIN_CATEGORY]
    return errors


def check_conversations(path: Path) -> tuple[list[str], Counter, Counter]:
    import yaml

    convs = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    errors, expects, langs = [], Counter(), Counter()
    names = set()
    for c in convs:
        name = c.get("name")
        if not name or name in names:
            errors.append(f"conversation {name!r}: missing or repeated name")
        names.add(name)
        langs[c.get("language")] += 1
        steps = c.get("steps") or []
        if not 3 <= len(steps) <= 6:
            errors.append(f"conversation {name}: {len(steps)} turns (3–6)")
        for s in steps:
            if not (s.get("say") or "").strip():
                errors.append(f"conversation {name}: empty say")
            if s.get("expect") not in EXPECTS:
                errors.append(f"conversation {name}: unknown expect {s.get('expect')!r}")
            expects[s.get("expect")] += 1
        ctx = c.get("context") or {}
        if ctx.get("category") not in CATEGORIES:
            errors.append(f"conversation {name}: unknown context category {ctx.get('category')!r}")
        if ctx.get("status") not in STATUSES:
            errors.append(f"conversation {name}: unknown context status {ctx.get('status')!r}")
        if not ctx.get("place"):
            errors.append(f"conversation {name}: context without a place")
    return errors, expects, langs, len(convs)


def pct(n: int, d: int) -> str:
    return f"{n:4d} ({100 * n / max(d, 1):4.1f} %)"


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def check_across(rows: list[dict], others: dict[Path, list[dict]]) -> list[str]:
    """Rows whose text (normalised as for duplicates) is also in another set."""
    errors = []
    for other, other_rows in others.items():
        theirs = {}
        for j, r in enumerate(other_rows, start=2):
            theirs.setdefault(norm(r.get("text") or ""), j)
        theirs.pop("", None)  # emoji-only texts normalise to nothing
        errors += [f"line {i}: also in {other.name} line {theirs[norm(r['text'])]}: {r['text']}"
                   for i, r in enumerate(rows, start=2) if norm(r.get("text") or "") in theirs]
    return errors


def describe(rows: list[dict], conversations: Path) -> list[str]:
    """Prints the set's counts and shares; returns the problems found in its rows and conversations."""
    errors = check_rows(rows)
    n = len(rows)
    reports = [r for r in rows if r["intent"] == "report"]
    print(f"rows {n}, report rows {len(reports)}, writers {len({r['writer'] for r in rows})}")
    print("\nintent")
    for l, c in sorted(Counter(r["intent"] for r in rows).items(), key=lambda x: -x[1]):
        print(f"  {l:22} {c:4d}")
    print("\ncategory (report rows): total / urgent")
    cc = Counter(r["category"] for r in reports)
    uc = Counter(r["category"] for r in reports if r["urgent"] == "true")
    for c in CATEGORIES:
        print(f"  {c:22} {cc[c]:4d} {uc[c]:4d}")
    nu = sum(uc.values())
    print(f"\nurgent report rows {pct(nu, len(reports))} of report rows")
    feats = [features(r["text"]) for r in rows]
    print("\nshares (all rows; heuristic)")
    for k in ("cantonese", "traditional", "typo", "place", "emoji", "english", "no_punctuation"):
        print(f"  {k:22} {pct(sum(f[k] for f in feats), n)}")
    rf = [features(r["text"]) for r in reports]
    print(f"  place (report rows)    {pct(sum(f['place'] for f in rf), len(reports))}")
    ur = [features(r["text"]) for r in reports if r["urgent"] == "true"]
    print(f"  urgent in Cantonese    {sum(f['cantonese'] for f in ur)}, in traditional {sum(f['traditional'] for f in ur)}")
    lens = sorted(len(r["text"]) for r in rows)
    print(f"\nlength in characters: min {lens[0]}, median {lens[len(lens) // 2]}, max {lens[-1]}; "
          f"≤ 6 chars {sum(l <= 6 for l in lens)}, ≥ 60 chars {sum(l >= 60 for l in lens)}")
    print("\nwriter")
    for w, c in sorted(Counter(r["writer"] for r in rows).items(), key=lambda x: -x[1]):
        print(f"  {w:22} {c:4d}")
    if conversations.exists():
        cerr, expects, langs, nconv = check_conversations(conversations)
        errors += cerr
        print(f"\nconversations {nconv}: languages {dict(langs)}; resident turns by expect "
              f"{dict(sorted(expects.items()))}")
    else:
        errors.append(f"no conversations file {conversations}")
    return errors


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="nlu/eval/stats.py")
    ap.add_argument("csv", nargs="?", help="one set (default: every set in SETS)")
    ap.add_argument("--conversations", help="its conversations (default: the set's own in SETS)")
    a = ap.parse_args(argv)
    if a.csv:
        path = Path(a.csv).resolve()
        chosen = {path: Path(a.conversations) if a.conversations else SETS.get(path, EVAL / "conversations.yaml")}
    else:
        chosen = SETS
    problems = 0
    for path, conversations in chosen.items():
        print(f"== {path.name} / {conversations.name}")
        rows = read_rows(path)
        others = {p: read_rows(p) for p in SETS if p != path and p.exists()}
        errors = describe(rows, conversations) + check_across(rows, others)
        if errors:
            print(f"\n{path.name}: {len(errors)} problem(s):", file=sys.stderr)
            for e in errors:
                print("  " + e, file=sys.stderr)
        else:
            print("\nOK")
        problems += len(errors)
        print()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
