"""Batch prediction and evaluation through the Rasa NLU server.

    predict(input_csv, output_jsonl, url=None) -> int      # `gridsec nlu predict --input F.csv --output F.jsonl`
    evaluate(csv, url=None) -> dict                         # `gridsec nlu eval F.csv`

Input CSV: a `text` column, or `title` and `text` (joined with "。"); other columns ignored. One JSON
object per row, in order, with keys intent, intent_confidence, category, category_confidence, urgent,
department, department_confidence, entities [{entity, value, start, end}]. `department` is the router's
best department (null without a router), `department_confidence` its confidence; the bot only takes it
when the confidence reaches its threshold (RasaClient.department_threshold).

Evaluation reads any of these label columns and prints accuracy, macro-F1 and a confusion matrix for
each: `intent`; `category` and `urgent` (only rows where they are non-empty, e.g. the report rows of
nlu/eval/people_eval.csv; for urgent also its recall and precision, `urgent_flag`); `department` or `label` (the
router; e.g. TipDM's dev set); `entities` (JSON list like the output) → precision/recall/F1 per entity
type on exact spans.

Server: `url` (or $GRIDSEC_NLU_URL) if it answers, else a server is started for the run (training the
model first if needed) and stopped afterwards. Metrics: nlu.metrics.
"""
from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from pathlib import Path
from typing import Iterable, TextIO

from nlu.metrics import classification_report, entity_report, format_entities, format_report

DEFAULT_URL = os.environ.get("GRIDSEC_NLU_URL", "http://127.0.0.1:5005")


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


def urgent_flag(pairs: Iterable[tuple[str, str]]) -> dict:
    """Recall and precision of urgent = true over (gold, predicted) pairs of "true"/"false"."""
    pairs = list(pairs)
    tp = sum(g == p == "true" for g, p in pairs)
    fn = sum(g == "true" and p != "true" for g, p in pairs)
    fp = sum(g != "true" and p == "true" for g, p in pairs)
    return {"recall": tp / (tp + fn) if tp + fn else 0.0, "precision": tp / (tp + fp) if tp + fp else 0.0,
            "tp": tp, "fn": fn, "fp": fp}


CONFIDENCE_STEPS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def calibration(scored: list[tuple[bool, float]], target: float = 0.95) -> dict:
    """For each threshold t: the share of messages at least t sure and their accuracy; `suggested`
    is the lowest t above which the intent is right at least `target` of the time (what
    intake.ask_below should be: below it the bot asks)."""
    rows = []
    for t in CONFIDENCE_STEPS:
        above = [right for right, conf in scored if conf >= t]
        rows.append({"threshold": t, "share": len(above) / len(scored) if scored else 0.0,
                     "accuracy": sum(above) / len(above) if above else 0.0})
    good = [r["threshold"] for r in rows if r["accuracy"] >= target and r["share"] > 0]
    return {"rows": rows, "target": target, "suggested": good[0] if good else None}


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
        scored = [(r["intent"] == p["intent"], p["intent_confidence"]) for r, p in zip(rows, records)
                  if r.get("intent")]
        results["intent_calibration"] = cal = calibration(scored)
        print("intent confidence → share of messages at least that sure, and their accuracy:", file=out)
        for r in cal["rows"]:
            print(f"  ≥{r['threshold']:.1f}  {r['share']:6.1%}  {r['accuracy']:.3f}", file=out)
        print(f"  lowest threshold with accuracy ≥ {cal['target']:.2f} above it: {cal['suggested']}", file=out)
    if "category" in cols:
        section("category", [(r["category"], p["category"]) for r, p in zip(rows, records) if r.get("category")])
    if "urgent" in cols:
        pairs = [(_bool(r["urgent"]), _bool(p["urgent"])) for r, p in zip(rows, records)
                 if str(r.get("urgent", "")).strip()]
        section("urgent", pairs)
        if pairs:
            results["urgent_flag"] = flag = urgent_flag(pairs)
            print(f"urgent flag: recall {flag['recall']:.3f} ({flag['tp']} of {flag['tp'] + flag['fn']} urgent rows "
                  f"flagged), precision {flag['precision']:.3f} ({flag['tp']} of {flag['tp'] + flag['fp']} flags "
                  f"right)", file=out)
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
