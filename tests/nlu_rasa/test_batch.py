"""predict (CSV → JSONL) and evaluate through the real server."""
from __future__ import annotations

import csv
import io
import json

from nlu.evaluate import evaluate, predict
from nlu.metrics import classification_report

KEYS = {"intent", "intent_confidence", "category", "category_confidence", "urgent", "department", "entities"}


def write_csv(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_predict_writes_one_object_per_row_in_order(tmp_path, rasa_url):
    src = tmp_path / "in.csv"
    write_csv(src, ["id", "text", "other"], [
        [1, "你好", "x"], [2, "东风东路12号门口垃圾堆成山", "y"], [3, "催一下", "z"], [4, "闻到好大煤气味", ""]])
    out = tmp_path / "out.jsonl"
    assert predict(src, out, url=rasa_url) == 4
    recs = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert len(recs) == 4
    for r in recs:
        assert KEYS <= set(r)
        for e in r["entities"]:
            assert set(e) == {"entity", "value", "start", "end"}
    assert [r["intent"] for r in recs] == ["greet", "report", "urge", "report"]
    assert recs[1]["category"] == "garbage" and recs[3]["urgent"] is True
    assert {"entity": "address", "value": "东风东路12号", "start": 0, "end": 7} in recs[1]["entities"]


def test_predict_title_and_text(tmp_path, rasa_url):
    src = tmp_path / "in.csv"
    write_csv(src, ["title", "text", "label"], [["路灯坏了", "中山五路的路灯一直不亮", "城乡建设"]])
    out = tmp_path / "out.jsonl"
    predict(src, out, url=rasa_url)
    rec = json.loads(out.read_text(encoding="utf-8"))
    assert rec["category"] == "streetlight"


def test_evaluate_prints_metrics_and_confusion(tmp_path, rasa_url):
    src = tmp_path / "gold.csv"
    write_csv(src, ["text", "intent", "category", "urgent", "entities"], [
        ["你好", "greet", "", "", "[]"],
        ["东风东路12号门口垃圾堆成山", "report", "garbage", "false",
         json.dumps([{"entity": "address", "value": "东风东路12号", "start": 0, "end": 7}], ensure_ascii=False)],
        ["闻到好大煤气味", "report", "gas_emergency", "true", "[]"],
    ])
    buf = io.StringIO()
    res = evaluate(src, url=rasa_url, out=buf)
    text = buf.getvalue()
    assert "accuracy" in text and "macro-F1" in text and "confusion matrix" in text
    assert res["intent"]["accuracy"] == 1.0
    assert res["category"]["accuracy"] == 1.0
    assert res["entities"]["address"]["f1"] == 1.0


def test_classification_report_math():
    rep = classification_report(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert rep["accuracy"] == 0.75
    assert abs(rep["per_class"]["a"]["f1"] - 2 / 3) < 1e-9
    assert abs(rep["per_class"]["b"]["f1"] - 0.8) < 1e-9
    assert rep["confusion"] == [[1, 1], [0, 2]]
