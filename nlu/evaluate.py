"""Batch prediction and evaluation through the Rasa NLU server.

    predict(input_csv, output_jsonl, url=None) -> int      # `gridsec nlu predict --input F.csv --output F.jsonl`
    evaluate(csv, url=None) -> dict                         # `gridsec nlu eval F.csv`

Input CSV: a `text` column, or `title` and `text` (joined with "。"); other columns ignored. One JSON
object per row, in order, with keys intent, intent_confidence, category, category_confidence, urgent,
department, department_confidence, entities [{entity, value, start, end}]. `department` is the router's
best department (null without a router), `department_confidence` its confidence; the bot only takes it
when the confidence reaches its threshold (RasaClient.department_threshold).

Evaluation reads any of these label columns and prints accuracy, macro-F1 and a confusion matrix for
each: `intent`; `category` and `urgent` (rows where they are non-empty); `department` or `label` (the
router; e.g. TipDM's dev set); `entities` (JSON list like the output) → precision/recall/F1 per entity
type on exact spans.

Server: `url` (or $GRIDSEC_NLU_URL) if it answers, else a server is started for the run (training the
model first if needed) and stopped afterwards. Metrics are plain Python (no scikit-learn needed).
"""
from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Iterable, TextIO

DEFAULT_URL = os.environ.get("GRIDSEC_NLU_URL", "http://127.0.0.1:5005")


# -- metrics --------------------------------------------------------------------------------------
def classification_report(gold: list[str], pred: list[str], labels: list[str] | None = None) -> dict:
    labels = labels or sorted(set(gold) | set(pred))
    idx = {l: i for i, l in enumerate(labels)}
    cm = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        cm[idx[g]][idx[p]] += 1
    per = {}
    for l, i in idx.items():
        tp = cm[i][i]
        fp = sum(cm[r][i] for r in range(len(labels))) - tp
        fn = sum(cm[i]) - tp
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        per[l] = {"precision": pr, "recall": rc, "f1": f1, "support": tp + fn}
    present = [l for l in labels if per[l]["support"] > 0]
    acc = sum(cm[i][i] for i in range(len(labels))) / max(len(gold), 1)
    macro = sum(per[l]["f1"] for l in present) / max(len(present), 1)
    return {"n": len(gold), "accuracy": acc, "macro_f1": macro, "per_class": per, "labels": labels,
            "confusion": cm}


def entity_report(gold: list[list[dict]], pred: list[list[dict]]) -> dict:
    """Exact-span precision / recall / F1 per entity type (spans compared as (type, start, end))."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred):
        gs = {(e["entity"], e["start"], e["end"]) for e in g}
        ps = {(e["entity"], e["start"], e["end"]) for e in p}
        for e in gs & ps:
            tp[e[0]] += 1
        for e in ps - gs:
            fp[e[0]] += 1
        for e in gs - ps:
            fn[e[0]] += 1
    out = {}
    for t in sorted(set(tp) | set(fp) | set(fn)):
        pr = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 0.0
        rc = tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 0.0
        out[t] = {"precision": pr, "recall": rc, "f1": 2 * pr * rc / (pr + rc) if pr + rc else 0.0,
                  "support": tp[t] + fn[t], "predicted": tp[t] + fp[t]}
    return out


def format_report(title: str, rep: dict, confusion: bool = True) -> str:
    lines = [f"== {title}: n={rep['n']}  accuracy {rep['accuracy']:.4f}  macro-F1 {rep['macro_f1']:.4f}"]
    labels = rep["labels"]
    w = max(8, max(len(l) for l in labels) + 1)
    lines.append(f"{'':{w}} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>5}")
    for l in labels:
        p = rep["per_class"][l]
        lines.append(f"{l:{w}} {p['precision']:6.3f} {p['recall']:6.3f} {p['f1']:6.3f} {p['support']:5d}")
    if confusion:
        short = [str(i) for i in range(len(labels))]
        lines.append("confusion matrix (rows gold, columns predicted; columns numbered as rows):")
        lines.append(f"{'':{w + 4}}" + "".join(f"{s:>5}" for s in short))
        for i, l in enumerate(labels):
            lines.append(f"{i:>3} {l:{w}}" + "".join(f"{v:>5}" for v in rep["confusion"][i]))
    return "\n".join(lines)


def format_entities(rep: dict) -> str:
    lines = ["== entities (exact spans)", f"{'type':10} {'prec':>6} {'rec':>6} {'f1':>6} {'gold':>5} {'pred':>5}"]
    for t, r in rep.items():
        lines.append(f"{t:10} {r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f} {r['support']:5d} "
                     f"{r['predicted']:5d}")
    return "\n".join(lines)


# -- I/O ------------------------------------------------------------------------------------------
def read_rows(path: str | Path) -> list[dict]:
    csv.field_size_limit(sys.maxsize)
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and "text" not in rows[0]:
        raise ValueError(f"{path}: needs a `text` column (or `title` and `text`)")
    return rows


def row_text(row: dict) -> str:
    title, text = (row.get("title") or "").strip(), row.get("text") or ""
    return f"{title}。{text}" if title else text


def to_record(data: dict) -> dict:
    """Rasa JSON → the JSONL record."""
    from nlu.rasa_client import to_parse

    p = to_parse(data, department_threshold=0.0)
    dept = data.get("department") or {}
    return {"intent": p.intent, "intent_confidence": p.intent_confidence, "category": p.category,
            "category_confidence": p.category_confidence, "urgent": p.urgent,
            "department": dept.get("name"), "department_confidence": dept.get("confidence"),
            "entities": [{"entity": e.entity, "value": e.value, "start": e.start, "end": e.end}
                         for e in p.entities]}


async def _parse_all(url: str, texts: list[str], concurrency: int = 4, progress: bool = True) -> list[dict]:
    from nlu.rasa_client import RasaClient

    out: list[dict | None] = [None] * len(texts)
    done = 0
    async with RasaClient(url, timeout=60.0, failure_threshold=5) as client:
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int, t: str) -> None:
            nonlocal done
            async with sem:
                out[i] = to_record(await client.parse_raw(t))
            done += 1
            if progress and sys.stderr.isatty() and (done % 20 == 0 or done == len(texts)):
                sys.stderr.write(f"\rparsed {done}/{len(texts)}")
                sys.stderr.flush()

        await asyncio.gather(*(one(i, t) for i, t in enumerate(texts)))
    if progress and sys.stderr.isatty():
        sys.stderr.write("\n")
    return out  # type: ignore[return-value]


class _Server:
    """Uses the server at `url` if it answers, else starts one for the duration."""

    def __init__(self, url: str | None):
        self.url = url or DEFAULT_URL
        self.server = None

    def __enter__(self) -> str:
        from nlu import server

        if server.is_healthy(self.url):
            return self.url
        print(f"no NLU server at {self.url}: starting one for this run", file=sys.stderr)
        model = server.train()
        self.server = server.start_server(port=None, model=model)
        return self.server.url

    def __exit__(self, *exc) -> None:
        if self.server:
            self.server.stop()


def parse_texts(texts: list[str], url: str | None = None, concurrency: int = 4) -> list[dict]:
    with _Server(url) as u:
        return asyncio.run(_parse_all(u, texts, concurrency))


def predict(input_csv: str | Path, output_jsonl: str | Path, url: str | None = None,
            concurrency: int = 4) -> int:
    """Writes one JSON object per input row, in order; returns the number of rows."""
    texts = [row_text(r) for r in read_rows(input_csv)]
    records = parse_texts(texts, url, concurrency)
    with Path(output_jsonl).open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return len(records)


def _bool(v: str) -> str:
    return "true" if str(v).strip().lower() in ("1", "true", "yes", "y", "是") else "false"


def evaluate(csv_path: str | Path, url: str | None = None, out: TextIO | None = None,
             records: list[dict] | None = None, concurrency: int = 4) -> dict:
    """Prints accuracy, macro-F1 and confusion matrices for every label column present; returns them."""
    out = out or sys.stdout
    rows = read_rows(csv_path)
    if records is None:
        records = parse_texts([row_text(r) for r in rows], url, concurrency)
    results: dict = {}
    cols = set(rows[0]) if rows else set()

    def section(name: str, pairs: Iterable[tuple[str, str]], confusion: bool = True) -> None:
        pairs = list(pairs)
        if not pairs:
            return
        rep = classification_report([g for g, _ in pairs], [p for _, p in pairs])
        results[name] = rep
        print(format_report(name, rep, confusion), file=out)

    if "intent" in cols:
        section("intent", [(r["intent"], p["intent"]) for r, p in zip(rows, records) if r.get("intent")])
        fb = sum(1 for r, p in zip(rows, records) if r.get("intent") and p["intent_confidence"] < 0.3)
        print(f"(low-confidence intents < 0.3: {fb})", file=out)
    if "category" in cols:
        section("category", [(r["category"], p["category"]) for r, p in zip(rows, records) if r.get("category")])
    if "urgent" in cols:
        section("urgent", [(_bool(r["urgent"]), _bool(p["urgent"])) for r, p in zip(rows, records)
                           if str(r.get("urgent", "")).strip()])
    dept_col = "department" if "department" in cols else ("label" if "label" in cols else None)
    if dept_col:
        section(f"department ({dept_col})", [(r[dept_col], p["department"] or "-") for r, p in zip(rows, records)
                                             if r.get(dept_col)])
    if "entities" in cols:
        gold = [json.loads(r["entities"] or "[]") for r in rows]
        rep = entity_report(gold, [p["entities"] for p in records])
        results["entities"] = rep
        print(format_entities(rep), file=out)
    return results


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m nlu.evaluate")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p1 = sub.add_parser("predict")
    p1.add_argument("--input", required=True)
    p1.add_argument("--output", required=True)
    p1.add_argument("--url")
    p2 = sub.add_parser("eval")
    p2.add_argument("csv")
    p2.add_argument("--url")
    p2.add_argument("--json", help="also write the metrics here")
    a = ap.parse_args(argv)
    if a.cmd == "predict":
        n = predict(a.input, a.output, a.url)
        print(f"{n} rows → {a.output}", file=sys.stderr)
    else:
        res = evaluate(a.csv, a.url)
        if a.json:
            Path(a.json).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
