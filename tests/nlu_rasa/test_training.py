"""Training is cached by input hash; the router trains from a `text,label` / `title,text,label` CSV."""
from __future__ import annotations

import csv
import json
import time

from nlu import server
from nlu.router_train import train_router


def test_train_is_cached(rasa_model):
    t0 = time.time()
    again = server.train(progress=False)
    assert again == rasa_model
    assert time.time() - t0 < 10
    assert rasa_model.name == f"nlu-{server.input_hash()[:16]}.tar.gz"
    info = json.loads(rasa_model.with_suffix("").with_suffix(".json").read_text())
    assert info["train_seconds"] > 0 and info["peak_rss_mb"] > 0


def test_train_router_from_csv(tmp_path):
    rows = []
    for i in range(40):
        rows.append(["路灯", f"第{i}条路的路灯坏了晚上好黑", "城管"])
        rows.append(["欠薪", f"老板欠了{i}个月工资不发", "人社"])
        rows.append(["噪音", f"工地第{i}晚施工噪音扰民", "环保"])
    src = tmp_path / "history.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "text", "label"])
        w.writerows([[n, *r] for n, r in enumerate(rows)])
    out = tmp_path / "router.pkl"
    info = train_router(src, segmented=False, out=out)
    assert out.exists() and info["classes"] == 3 and sorted(info["labels"]) == ["人社", "城管", "环保"]
    assert json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["rows"] == 120
