"""nlu.evaluate on a people's-set-shaped CSV (no server: predictions passed as records).

Rows carry an extra `writer` column; category and urgent are filled only on report rows and must be
scored only there; urgent's recall and precision are reported explicitly.
"""
from __future__ import annotations

import csv
import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pytest

from nlu.evaluate import evaluate, urgent_flag

EVAL = Path(__file__).resolve().parents[2] / "nlu" / "eval"


def rec(intent: str, category: str = "other", urgent: bool = False) -> dict:
    return {"intent": intent, "intent_confidence": 0.9, "category": category, "category_confidence": 0.9,
            "urgent": urgent, "department": None, "department_confidence": None, "entities": []}


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "intent", "category", "urgent", "writer"])
        w.writerows(rows)
    return path


def test_category_and_urgent_scored_only_where_filled(tmp_path):
    src = write(tmp_path / "e.csv", [
        ["煤气味好重", "report", "gas_emergency", "true", "elderly_cantonese"],
        ["路灯坏了", "report", "streetlight", "false", "student"],
        ["楼道电动车冒烟", "report", "fire_hazard", "true", "young_mother"],
        ["垃圾没人收", "report", "garbage", "false", "typo_typist"],
        ["唔该晒", "thanks", "", "", "elderly_cantonese"],
        ["搞掂未啊", "query_progress", "", "", "hk_retiree"],
    ])
    # predictions: the non-report rows get categories and urgent flags that must not be counted
    records = [rec("report", "gas_emergency", True), rec("report", "streetlight", True),
               rec("report", "garbage", False), rec("report", "garbage", False),
               rec("thanks", "noise", True), rec("urge", "streetlight", True)]
    buf = io.StringIO()
    res = evaluate(src, records=records, out=buf)
    assert res["intent"]["n"] == 6 and res["intent"]["accuracy"] == pytest.approx(5 / 6)
    assert res["category"]["n"] == 4 and res["category"]["accuracy"] == pytest.approx(3 / 4)
    assert res["urgent"]["n"] == 4
    flag = res["urgent_flag"]
    assert (flag["tp"], flag["fn"], flag["fp"]) == (1, 1, 1)
    assert flag["recall"] == pytest.approx(0.5) and flag["precision"] == pytest.approx(0.5)
    assert "urgent flag: recall 0.500 (1 of 2 urgent rows flagged), precision 0.500" in buf.getvalue()


def test_urgent_flag_without_flags():
    assert urgent_flag([("true", "false"), ("false", "false")]) == {
        "recall": 0.0, "precision": 0.0, "tp": 0, "fn": 1, "fp": 0}


def load_stats():
    spec = importlib.util.spec_from_file_location("eval_stats", EVAL / "stats.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EVAL_SETS = load_stats().SETS


def test_every_set_is_known():
    assert {p.name for p in EVAL_SETS} == {"people_eval.csv", "second_eval.csv", "third_eval.csv", "fourth_eval.csv",
                                          "fifth_eval.csv", "sixth_eval.csv", "seventh_eval.csv",
                                          "eighth_eval.csv", "ninth_eval.csv"}


@pytest.mark.parametrize("src", sorted(EVAL_SETS), ids=lambda p: p.stem)
def test_eval_set_reads_and_validates(src):
    """Each committed set passes its own checks (with its conversations, and sharing no text with the
    other set) and evaluates end to end with dummy predictions."""
    r = subprocess.run([sys.executable, str(EVAL / "stats.py"), str(src), "--conversations", str(EVAL_SETS[src])],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with src.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    res = evaluate(src, records=[rec("report")] * len(rows), out=io.StringIO())
    reports = [x for x in rows if x["intent"] == "report"]
    assert res["intent"]["n"] == len(rows)
    assert res["category"]["n"] == len(reports)
    assert res["urgent"]["n"] == len(reports)
    assert res["urgent_flag"]["tp"] == 0


def test_a_text_shared_between_sets_fails_the_check(tmp_path):
    """A row copied from another set is not a fresh row: stats.py refuses it."""
    stats = load_stats()
    first = [{"text": "楼下垃圾没人收！", "intent": "report"}, {"text": "👌", "intent": "affirm"}]
    second = [{"text": "谢谢", "intent": "thanks"}, {"text": "楼下 垃圾没人收", "intent": "report"},
              {"text": "👍", "intent": "affirm"}]
    errors = stats.check_across(second, {tmp_path / "first.csv": first})
    assert errors == ["line 3: also in first.csv line 2: 楼下 垃圾没人收"]


def test_calibration_suggests_the_lowest_threshold_that_is_right_often_enough():
    from nlu.evaluate import calibration
    scored = [(True, 0.95)] * 19 + [(False, 0.92)] + [(True, 0.65)] * 3 + [(False, 0.55)] * 5
    cal = calibration(scored, target=0.95)
    by_t = {r["threshold"]: r for r in cal["rows"]}
    assert by_t[0.9]["accuracy"] == 0.95 and by_t[0.9]["share"] == 20 / 28
    assert by_t[0.6]["accuracy"] == 22 / 23
    assert cal["suggested"] == 0.6
