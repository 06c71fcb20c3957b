"""Department router vs the TF-IDF + logistic-regression baseline on TipDM 2020 dev, in one run.

    .venv-rasa/bin/python bench/nlu_router.py            # (from the bot venv it re-runs itself there)
    ... --train ../shared/data/tipdm2020/train_segmented.csv --dev ../shared/data/tipdm2020/dev_raw.csv

Both models are trained here on the same data (train is jieba-segmented with stop words removed; dev is
raw title + text). Baseline, as in the issue: TF-IDF (jieba words, sublinear) + LogisticRegression(C=10);
dev text is jieba-cut two ways — plain, and with the same stop-word/punctuation removal as the train set —
and the better of the two is the bar. Router: nlu.components.router_model.RouterModel (what
`gridsec nlu train-router` trains and the Rasa DepartmentRouter component serves). Prints macro-F1 and
accuracy of both, the difference, and the router's per-class report and confusion matrix.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "tipdm2020"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default=str(DATA / "train_segmented.csv"))
    ap.add_argument("--dev", default=str(DATA / "dev_raw.csv"))
    ap.add_argument("--stopwords", default=str(DATA / "stop_words.txt"))
    a = ap.parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        from nlu import paths

        os.execve(str(paths.rasa_python()), [str(paths.rasa_python()), __file__, *sys.argv[1:]], paths.rasa_env())

    import logging

    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from nlu.components.router_model import RouterModel, jieba_tokenizer, load_stopwords, presegmented, read_history, segment
    from nlu.metrics import classification_report, format_report

    jieba.setLogLevel(logging.WARNING)
    stops = load_stopwords(Path(a.stopwords))
    tr_texts, tr_y = read_history(Path(a.train), segmented=True)
    dv_texts, dv_y = read_history(Path(a.dev), segmented=False)
    print(f"train {len(tr_texts)} rows ({a.train}), dev {len(dv_texts)} rows ({a.dev}), {len(set(tr_y))} classes")

    # -- baseline --------------------------------------------------------------------------------
    t0 = time.time()
    tr_tok = [t.split() for t in tr_texts]
    ident = lambda x: x  # noqa: E731
    vec = TfidfVectorizer(analyzer=ident, sublinear_tf=True)
    X = vec.fit_transform(tr_tok)
    lr = LogisticRegression(C=10, max_iter=3000).fit(X, tr_y)
    base_time = time.time() - t0
    tk = jieba_tokenizer()
    dev_plain = [[w for w in tk.lcut(t) if w.strip()] for t in dv_texts]
    dev_stop = [segment(t, stops) for t in dv_texts]
    base = {}
    for name, docs in (("plain jieba", dev_plain), ("jieba − stop words", dev_stop)):
        base[name] = classification_report(dv_y, list(lr.predict(vec.transform(docs))))
    best_name = max(base, key=lambda k: base[k]["macro_f1"])
    b = base[best_name]

    # -- router ----------------------------------------------------------------------------------
    t0 = time.time()
    model = RouterModel.fit([presegmented(t, stops) for t in tr_texts], tr_y, stops, log=lambda s: None)
    router_time = time.time() - t0
    t0 = time.time()
    pred = [r[0][0] for r in model.predict_texts(dv_texts)]
    pred_ms = (time.time() - t0) * 1000 / len(dv_texts)
    r = classification_report(dv_y, pred)

    print()
    for name, rep in base.items():
        print(f"baseline TF-IDF+LR(C=10), dev {name:20}: macro-F1 {rep['macro_f1']:.4f}  accuracy {rep['accuracy']:.4f}")
    print(f"baseline train time {base_time:.1f} s")
    print(f"router (word 1-2 + char 1-3 TF-IDF, LinearSVC)   : macro-F1 {r['macro_f1']:.4f}  accuracy {r['accuracy']:.4f}"
          f"  (train {router_time:.1f} s, predict {pred_ms:.1f} ms/message incl. jieba)")
    delta = (r["macro_f1"] - b["macro_f1"]) * 100
    print(f"router − best baseline ({best_name}): {delta:+.2f} points macro-F1 "
          f"({'meets' if delta >= 2 else 'MISSES'} the +2 target)")
    print()
    print(format_report("router on dev", r))
    return 0 if delta >= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
