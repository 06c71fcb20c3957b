"""Classification and entity-span metrics in plain Python (no scikit-learn in the bot's venv).

Used by the batch evaluation (nlu.evaluate), the router trainer (nlu.router_train, which runs in the Rasa
venv) and bench/; kept apart so that neither of the first two imports the other.
"""
from __future__ import annotations

from collections import Counter


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
