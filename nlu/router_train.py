"""`gridsec nlu train-router`: learn text → handling department from a city's past work orders.

    train_router("../shared/data/tipdm2020/train_segmented.csv", segmented=True)

The CSV has columns `text,label` or `title,text,label` (others ignored); `segmented` when the text is
already jieba-segmented with spaces. Stop words: `stopwords=` or a `stop_words.txt` beside the CSV, else
a small built-in list. The model goes to `var/nlu/router/router.pkl` (see nlu.paths.ROUTER_PATH) and is
packed into the Rasa model by the next `train()`; the DepartmentRouter component serves it.

Training needs scikit-learn, which lives in the Rasa venv: called from the bot's venv, this re-runs
itself there (`.venv-rasa/bin/python -m nlu.router_train ...`).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from nlu import paths
from nlu.metrics import classification_report


def _have_sklearn() -> bool:
    try:
        import sklearn  # noqa: F401
        import jieba  # noqa: F401
        return True
    except ImportError:
        return False


def train_router(data: str | Path, segmented: bool = False, out: str | Path | None = None,
                 stopwords: str | Path | None = None, eval_csv: str | Path | None = None) -> dict:
    """Trains and saves the router; returns its info dict (rows, classes, labels, path, metrics)."""
    out = Path(out) if out else paths.ROUTER_PATH
    if not _have_sklearn():
        py = paths.rasa_python()
        cmd = [str(py), "-m", "nlu.router_train", "--data", str(data), "--out", str(out)]
        if segmented:
            cmd.append("--segmented")
        if stopwords:
            cmd += ["--stopwords", str(stopwords)]
        if eval_csv:
            cmd += ["--eval", str(eval_csv)]
        env = paths.rasa_env()
        subprocess.run(cmd, check=True, cwd=paths.ROOT, env=env)
        return json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    return _train_here(Path(data), segmented, out, Path(stopwords) if stopwords else None,
                       Path(eval_csv) if eval_csv else None)


def _train_here(data: Path, segmented: bool, out: Path, stopwords: Path | None, eval_csv: Path | None) -> dict:
    from nlu.components.router_model import (RouterModel, file_sha, load_stopwords, presegmented,
                                             read_history, segment)

    t0 = time.time()
    if stopwords is None and (data.parent / "stop_words.txt").exists():
        stopwords = data.parent / "stop_words.txt"
    stops = load_stopwords(stopwords)
    texts, labels = read_history(data, segmented)
    if len(set(labels)) < 2:
        raise ValueError(f"{data}: need at least two departments, found {sorted(set(labels))}")
    prep = presegmented if segmented else segment
    print(f"router: {len(texts)} rows, {len(set(labels))} departments, stop words {len(stops)}", file=sys.stderr)
    docs = [prep(t, stops) for t in _progress(texts, "segment" if not segmented else "read")]
    model = RouterModel.fit(docs, labels, stops, log=lambda s: print(s, file=sys.stderr))
    model.info.update(data=str(data.resolve()), data_sha256=file_sha(data), segmented=segmented,
                      stopwords=str(stopwords) if stopwords else "builtin", labels=model.labels)
    if eval_csv:
        model.info["eval"] = evaluate_router(model, eval_csv)
    model.info["seconds"] = round(time.time() - t0, 1)
    model.save(out)
    info = dict(model.info, path=str(out))
    out.with_suffix(".json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"router saved to {out} ({out.stat().st_size / 1e6:.1f} MB) in {info['seconds']} s", file=sys.stderr)
    return info


def evaluate_router(model, csv_path: Path, segmented: bool = False) -> dict:
    from nlu.components.router_model import read_history

    texts, gold = read_history(Path(csv_path), segmented)
    pred = [r[0][0] for r in model.predict_texts(texts, segmented=segmented)]
    rep = classification_report(gold, pred)
    print(f"router on {csv_path}: accuracy {rep['accuracy']:.4f} macro-F1 {rep['macro_f1']:.4f}", file=sys.stderr)
    return {"csv": str(csv_path), "accuracy": rep["accuracy"], "macro_f1": rep["macro_f1"]}


def _progress(items, desc):
    try:
        from tqdm import tqdm

        return tqdm(items, desc=desc, unit="row", file=sys.stderr, disable=not sys.stderr.isatty())
    except ImportError:
        return items


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlu.router_train", description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="CSV with text,label or title,text,label")
    ap.add_argument("--segmented", action="store_true", help="text is jieba-segmented with spaces")
    ap.add_argument("--out", help="model path (default var/nlu/router/router.pkl)")
    ap.add_argument("--stopwords", help="stop word file, one per line")
    ap.add_argument("--eval", help="a labelled raw CSV to report accuracy / macro-F1 on")
    a = ap.parse_args(argv)
    info = train_router(a.data, a.segmented, a.out, a.stopwords, a.eval)
    print(json.dumps({k: v for k, v in info.items() if k != "labels"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
