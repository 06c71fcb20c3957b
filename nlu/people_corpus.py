"""The hand-written "people" corpus: validation, statistics and conversion to Rasa training YAML.

    python -m nlu.people_corpus            # validates, writes nlu/rasa/data/nlu/people.yml and retired.yml
    python -m nlu.people_corpus --stats    # validates, prints row counts and shares (no writing)
    python -m nlu.people_corpus --check    # validates only (exit 1 on any problem)

Sources (written by hand, one message a row, see nlu/training_data/people/README.md):
  nlu/training_data/people/intents.csv   text,intent                         (non-report intents)
  nlu/training_data/people/reports.csv   text,category,urgent,cue,address    (intent report)

Retired evaluation sets (RETIRED_SETS, nlu/eval/README.md "Retired to training") are written to
retired.yml the same way, marked `source: retired_eval` so the address tagger, which they do not
annotate, leaves them out.

The YAML follows nlu/gen_training.py exactly: one block per (intent, category, urgent) with the
category and urgent flag as intent-level metadata, addresses annotated inline `[中山五路12号](address)`.
Blocks are sorted, examples keep their file order, so the output is deterministic.
Standard library and nlu.normalize (OpenCC), so it runs in either venv.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from nlu.normalize import fold

HERE = Path(__file__).resolve().parent
PEOPLE = HERE / "training_data" / "people"
INTENTS_CSV = PEOPLE / "intents.csv"
REPORTS_CSV = PEOPLE / "reports.csv"
OUT_YAML = HERE / "rasa" / "data" / "nlu" / "people.yml"
HANDWRITTEN_TXT = HERE / "training_data" / "handwritten.txt"  # an evaluation set: must not be trained on
RETIRED_YAML = HERE / "rasa" / "data" / "nlu" / "retired.yml"
# Evaluation sets whose figures have been used for decisions, so that they measure nothing any more: they are
# trained on. The newer ones in nlu/eval/ stay blind and are never trained on.
RETIRED_SETS = ("people_eval.csv", "second_eval.csv", "third_eval.csv", "fourth_eval.csv", "fifth_eval.csv",
                "sixth_eval.csv", "seventh_eval.csv", "eighth_eval.csv")
RETIRED_SOURCE = "retired_eval"
EVAL_SETS = sorted(p for p in (HERE / "eval").glob("*.csv") if p.name not in RETIRED_SETS)
# Fragments this short ("好的", "谢谢晒") are everyday replies any two corpora share; longer ones may not be.
SHARED_FRAGMENT_CHARS = 6

INTENTS = ["greet", "report", "query_progress", "urge", "add_info", "cancel", "rate_good", "rate_bad", "help",
           "affirm", "deny", "thanks", "out_of_scope"]
CATEGORIES = ["garbage", "street_vending", "illegal_parking", "streetlight", "road_damage", "water_leak", "drainage",
              "greenery", "illegal_construction", "noise", "air_pollution", "fire_hazard", "gas_emergency",
              "property_management", "neighbor_dispute", "public_security", "social_assistance", "wage_arrears",
              "food_safety", "other"]

# Heuristic markers, for the statistics only.
CANTONESE = re.compile(r"[唔冇嘅啲喺咗嚟佢咁嗰乜嘢哋㗎喎嘞咩揾睇啱冚攞俾畀嬲嘥囉噉嚿咪吖啩嚡佬哂晒]|点解|點解|搞掂|仲未|边度|邊度|边个"
                       r"|係咪|系咪|系唔系|系度|好似|成日|宜家|而家|今朝|琴晚|噚日|听日|下昼|返工|街坊")
TRADITIONAL = re.compile(r"[們個這說話時會來對發現處裡還沒點麼為樣讓幫問題務陽臺區電燈樓門車氣聲擾開關動見覺與從過經長東應該請謝網報單進壞邊壓積溝聞燒煙險員業費當錢賣買髒亂鐵礙傷醫護層雜結紙龍鳳華僑環圍濕風線輛頭廣場辦嗎偷這觸燈墻牆爛斷擋圾垃]")
TRAD_ONLY = re.compile(r"[們個這說話時會來對發現處裡還沒點麼為樣讓幫問題務陽臺區電燈樓門車氣聲擾開關動見覺與從過經長東應該請謝網報單進壞邊壓積溝聞燒煙險員業費當錢賣買髒亂鐵礙傷醫護層雜結紙龍鳳華僑環圍濕風線輛頭廣場辦嗎觸墻牆爛斷擋]")
TYPOS = re.compile(r"以经|拉圾|处里|燥音|现再|一只没|麻番|马尚|好象|头诉|进渡|在来|再那|在次|那里有人管|哪个路灯|"
                   r"的很快|跑的|修的好|做的|搞的|得事|因该|那么久都|在也|在不|再吗|是在太|帐|帐单|座位|幅务|服物|"
                   r"反应一下|反应个|帮忙下|冒似|神马|咋|木有|肿么|酱紫|滴|3q|蟹蟹|鸡毛|灰常|表|造吗|油烟机坏|"
                   r"已近|己经|以前就说|巳经|地址事|的话快|需要要|怎么还么|没人里|理会都没|管管把|快点把|"
                   r"修理理|谢谢了了|嗎吗|那里的路灯|在说|在报|在催|再家|再楼|再路|在一次|"
                   r"的很厉害|的很大声|的很严重|的很凶|的满地|的到处|从新|停再|堆再|放再|住再|坐再|摆再|睡再")
EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")
MARKUP = re.compile(r"[\[\]]")


class Problem(Exception):
    pass


def read_rows() -> tuple[list[dict], list[dict]]:
    def load(path: Path, cols: list[str]) -> list[dict]:
        with path.open(encoding="utf-8", newline="") as f:
            r = csv.reader(f)
            header = next(r)
            if header != cols:
                raise Problem(f"{path.name}: header {header} != {cols}")
            rows = []
            for n, rec in enumerate(r, start=2):
                if not rec or not "".join(rec).strip():
                    continue
                if len(rec) != len(cols):
                    raise Problem(f"{path.name}:{n}: {len(rec)} fields, expected {len(cols)}: {rec}")
                rows.append({**dict(zip(cols, rec)), "line": n, "file": path.name})
            return rows
    return (load(INTENTS_CSV, ["text", "intent"]),
            load(REPORTS_CSV, ["text", "category", "urgent", "cue", "address"]))


def read_retired() -> tuple[list[dict], list[dict]]:
    """The retired evaluation sets' rows as people rows (no cue, no address: they were not annotated)."""
    intents, reports = [], []
    for name in RETIRED_SETS:
        path = HERE / "eval" / name
        with path.open(encoding="utf-8", newline="") as f:
            for n, r in enumerate(csv.DictReader(f), start=2):
                row = {"text": r["text"].strip(), "line": n, "file": name}
                if not row["text"] or "\n" in row["text"] or MARKUP.search(row["text"]):
                    continue  # would break the annotation
                if r["intent"] == "report":
                    reports.append({**row, "category": r["category"], "urgent": r["urgent"], "cue": "", "address": ""})
                else:
                    intents.append({**row, "intent": r["intent"]})
    return intents, reports


def leak_key(text: str) -> str:
    """A text as the leak check compares it: folded, lower case, without spaces or punctuation."""
    return "".join(c for c in fold(text).casefold() if c.isalnum())


def eval_keys() -> set[str]:
    keys = set()
    for path in EVAL_SETS:
        with path.open(encoding="utf-8", newline="") as f:
            keys.update(k for k in (leak_key(r["text"]) for r in csv.DictReader(f)) if len(k) > SHARED_FRAGMENT_CHARS)
    return keys


def validate(intents: list[dict], reports: list[dict]) -> list[str]:
    errors: list[str] = []
    evaluation = eval_keys()
    seen: dict[str, str] = {}
    held = set()
    if HANDWRITTEN_TXT.exists():
        for line in HANDWRITTEN_TXT.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                held.add(re.sub(r"\[([^\]]+)\]\(\w+\)", r"\1", line.split("|", 3)[-1]).strip())

    def where(r):
        return f"{r['file']}:{r['line']}"

    for r in intents + reports:
        t = r["text"]
        if t != t.strip() or not t:
            errors.append(f"{where(r)}: empty or padded text {t!r}")
        if "\n" in t or MARKUP.search(t):
            errors.append(f"{where(r)}: newline or [ ] in text (would break the annotation)")
        if t in seen:
            errors.append(f"{where(r)}: duplicate of {seen[t]}: {t}")
        seen.setdefault(t, where(r))
        if t in held:
            errors.append(f"{where(r)}: text is in the hand-written evaluation set: {t}")
        if leak_key(t) in evaluation:  # the row is named, the evaluation text is not printed
            errors.append(f"{where(r)}: equals a text of an evaluation set in nlu/eval/ once normalised")
    for r in intents:
        if r["intent"] not in INTENTS:
            errors.append(f"{where(r)}: unknown intent {r['intent']!r}")
    for r in reports:
        if r["category"] not in CATEGORIES:
            errors.append(f"{where(r)}: unknown category {r['category']!r}")
        if r["urgent"] not in ("true", "false"):
            errors.append(f"{where(r)}: urgent must be true/false, not {r['urgent']!r}")
        if (r["urgent"] == "true") != bool(r["cue"]):
            errors.append(f"{where(r)}: a cue is required exactly on urgent rows")
        if r["cue"] and r["cue"] not in r["text"]:
            errors.append(f"{where(r)}: cue {r['cue']!r} not in text")
        if r["address"] and r["address"] not in r["text"]:
            errors.append(f"{where(r)}: address {r['address']!r} not in text")
        if r["address"] != r["address"].strip():
            errors.append(f"{where(r)}: padded address {r['address']!r}")
    return errors


# The entity regexes of nlu/rasa/data/nlu/regex.yml: ticket numbers, phones and plates written in a row are
# annotated the way gen_training.py annotates them, so DIET never sees one as a non-entity.
ENTITY_REGEXES = [
    ("ticket", re.compile(r"(?<![A-Za-z])[A-Za-z]{2}-\d{8}-\d{4}(?!\d)")),
    ("phone", re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")),
    ("plate", re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Za-z][A-Za-z0-9]{5,6}(?![A-Za-z0-9])")),
]


def spans(text: str, address: str) -> list[tuple[int, int, str]]:
    out = []
    if address:
        i = text.index(address)
        out.append((i, i + len(address), "address"))
    for name, rx in ENTITY_REGEXES:
        for m in rx.finditer(text):
            if all(m.end() <= a or m.start() >= b for a, b, _ in out):
                out.append((m.start(), m.end(), name))
    return sorted(out)


def annotate(text: str, address: str = "") -> str:
    out, pos = [], 0
    for a, b, name in spans(text, address):
        out.append(f"{text[pos:a]}[{text[a:b]}]({name})")
        pos = b
    return "".join(out) + text[pos:]


def to_yaml(intents: list[dict], reports: list[dict], source: str = "") -> str:
    blocks: dict[tuple, list[str]] = defaultdict(list)
    for r in intents:
        blocks[(r["intent"], "", False)].append(annotate(r["text"]))
    for r in reports:
        blocks[("report", r["category"], r["urgent"] == "true")].append(annotate(r["text"], r["address"]))
    chunks = []
    for (intent, category, urgent) in sorted(blocks, key=lambda k: (k[0], k[1], k[2])):
        lines = [f"- intent: {intent}"]
        if category or source:
            lines.append("  metadata:")
        if category:
            lines += [f"    category: {category}", f"    urgent: {'true' if urgent else 'false'}"]
        if source:
            lines.append(f"    source: {source}")
        lines.append("  examples: |")
        lines += [f"    - {t}" for t in blocks[(intent, category, urgent)]]
        chunks.append("\n".join(lines))
    origin = "the retired sets of nlu/eval/" if source else "nlu/training_data/people/*.csv"
    header = (f"# GENERATED by `python -m nlu.people_corpus` from {origin} — edit those, not this file.\n"
              'version: "3.1"\nnlu:\n')
    return header + "\n\n".join(chunks) + "\n"


def stats(intents: list[dict], reports: list[dict]) -> str:
    out = []
    allrows = intents + reports
    n = len(allrows)
    per_intent = Counter(r["intent"] for r in intents)
    per_intent["report"] += len(reports)
    out.append(f"rows: {n} (intents.csv {len(intents)}, reports.csv {len(reports)})")
    out.append("\nper intent:")
    out += [f"  {i:<15}{per_intent[i]:>6}" for i in INTENTS]
    out.append("\nper category (reports):          rows  urgent  with address")
    cat = Counter(r["category"] for r in reports)
    urg = Counter(r["category"] for r in reports if r["urgent"] == "true")
    adr = Counter(r["category"] for r in reports if r["address"])
    out += [f"  {c:<28}{cat[c]:>6}{urg[c]:>8}{adr[c]:>8}" for c in CATEGORIES]
    nu = sum(urg.values())
    out.append(f"  {'total':<28}{len(reports):>6}{nu:>8}{sum(adr.values()):>8}")
    out.append(f"\nurgent share of report rows: {nu / max(1, len(reports)):.1%}")

    def share(rx, rows):
        k = sum(1 for r in rows if rx.search(r["text"]))
        return f"{k} ({k / max(1, len(rows)):.1%})"
    out.append("\nshares (heuristic markers):      all rows       reports        other intents")
    for name, rx in (("Cantonese", CANTONESE), ("traditional characters", TRAD_ONLY), ("typos/homophones", TYPOS),
                     ("emoji", EMOJI)):
        out.append(f"  {name:<28}{share(rx, allrows):<15}{share(rx, reports):<15}{share(rx, intents)}")
    out.append(f"  {'no punctuation at all':<28}"
               + share(re.compile(r"^[^，。！？、,.!?~…：:；;（）()\s]+$"), allrows))
    out.append(f"  {'long (≥ 60 characters)':<28}" + share(re.compile(r"^.{60,}$"), allrows))
    urows = [r for r in reports if r["urgent"] == "true"]
    out.append(f"  {'urgent: Cantonese':<28}{share(CANTONESE, urows)}")
    out.append(f"  {'urgent: traditional':<28}{share(TRAD_ONLY, urows)}")
    return "\n".join(out)


def gen_conflicts(intents: list[dict], reports: list[dict]) -> list[str]:
    """People texts that the template files label with another intent (warnings)."""
    gen = {}
    for p in sorted((HERE / "rasa" / "data" / "nlu").glob("gen_*.yml")):
        intent = None
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.startswith("- intent: "):
                intent = line.split(": ", 1)[1].strip()
            elif line.startswith("    - ") and intent:
                gen[re.sub(r"\[([^\]]+)\]\(\w+\)", r"\1", line[6:])] = intent
    out = []
    for r in intents:
        if gen.get(r["text"], r["intent"]) != r["intent"]:
            out.append(f"{r['text']!r}: people {r['intent']}, templates {gen[r['text']]}")
    for r in reports:
        if gen.get(r["text"], "report") != "report":
            out.append(f"{r['text']!r}: people report, templates {gen[r['text']]}")
    return out


def outputs(intents: list[dict], reports: list[dict]) -> dict[Path, tuple[str, int]]:
    """Each generated YAML file: its text and number of examples. A retired row whose text is also a
    people row is left out (one label per text)."""
    written = {leak_key(r["text"]) for r in intents + reports}
    old_intents, old_reports = ([r for r in rows if leak_key(r["text"]) not in written] for rows in read_retired())
    return {OUT_YAML: (to_yaml(intents, reports), len(intents) + len(reports)),
            RETIRED_YAML: (to_yaml(old_intents, old_reports, RETIRED_SOURCE), len(old_intents) + len(old_reports))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stats", action="store_true", help="print counts and shares, write nothing")
    ap.add_argument("--check", action="store_true", help="validate only")
    a = ap.parse_args(argv)
    try:
        intents, reports = read_rows()
    except Problem as e:
        print(e, file=sys.stderr)
        return 1
    errors = validate(intents, reports)
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    for w in gen_conflicts(intents, reports):
        print("WARNING", w, file=sys.stderr)
    if errors:
        return 1
    if a.stats:
        print(stats(intents, reports))
        return 0
    if a.check:
        return 0
    for path, (text, examples) in outputs(intents, reports).items():
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(HERE.parent)}: {examples} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
