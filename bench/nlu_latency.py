"""Rasa NLU server: /model/parse latency at 1 and 20 concurrent clients over loopback, memory, train cost.

    .venv/bin/python bench/nlu_latency.py                 # starts a server on the current model
    .venv/bin/python bench/nlu_latency.py --retrain       # also times a fresh `rasa train nlu` (forced)
    .venv/bin/python bench/nlu_latency.py --url http://127.0.0.1:5005   # measure a running server
    .venv/bin/python bench/nlu_latency.py --model var/nlu/models/nlu-….tar.gz   # that model, no training

Messages are the held-out split's texts (nlu/training_data/heldout.csv), cycled. Each client keeps one
keep-alive connection (aiohttp), like the bot. Server RSS is read from /proc (process + children) after
loading and after the load. Training time and peak RSS come from the model's .json (written by
nlu.server.train) or from the forced retrain.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from nlu import server  # noqa: E402
from nlu.keywords import KeywordParser  # noqa: E402

# Issue 11's limits, and the figures measured when it was filed (the model before the people corpus).
TARGETS = {"p50 ms": 30.0, "p99 ms": 80.0, "server RSS MB": 2048.0, "training s": 600.0}
BEFORE = {"p50 ms": 19.6, "p99 ms": 31.0, "server RSS MB": 1434.0, "training s": 220.0}


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


async def run_clients(url: str, texts: list[str], clients: int, per_client: int) -> tuple[list[float], float]:
    lat: list[float] = []

    async def client(cid: int) -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as s:
            for i in range(per_client):
                t = texts[(cid * per_client + i) % len(texts)]
                t0 = time.perf_counter()
                async with s.post(f"{url}/model/parse", json={"text": t}) as r:
                    await r.read()
                    assert r.status == 200, r.status
                lat.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    return lat, time.perf_counter() - t0


def report(name: str, lat: list[float], wall: float) -> str:
    return (f"{name:22} n={len(lat):4d}  p50 {pct(lat, 50):7.1f} ms  p95 {pct(lat, 95):7.1f} ms  "
            f"p99 {pct(lat, 99):7.1f} ms  mean {statistics.mean(lat):6.1f} ms  throughput {len(lat) / wall:6.1f}/s")


def keyword_baseline(texts: list[str], n: int) -> list[float]:
    """The fallback parser in this process on the same messages: the floor a server round trip is compared with."""
    parser, lat = KeywordParser(), []
    for i in range(n):
        t0 = time.perf_counter()
        parser.parse_sync(texts[i % len(texts)])
        lat.append((time.perf_counter() - t0) * 1000)
    return lat


def verdict(now: dict[str, float]) -> None:
    print(f"{'':16}{'now':>9}{'before':>9}{'limit':>9}  now/before  within limit")
    for key, limit in TARGETS.items():
        value = now[key]
        print(f"{key:16}{value:9.1f}{BEFORE[key]:9.1f}{limit:9.1f}  {value / BEFORE[key]:10.2f}  "
              f"{'yes' if value <= limit else 'NO'}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url")
    ap.add_argument("--retrain", action="store_true", help="force a fresh training run and time it")
    ap.add_argument("--model", type=Path, help="serve this model as it is (inputs changed since: no retraining)")
    ap.add_argument("--n1", type=int, default=400, help="requests for the single client")
    ap.add_argument("--per-client", type=int, default=30, help="requests per client at 20 clients")
    a = ap.parse_args()
    with (ROOT / "nlu" / "training_data" / "heldout.csv").open(encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f)]

    if a.model:
        model = a.model.resolve()
    elif a.retrain:
        model = server.train(force=True)
    else:
        model = server.train()
    info = json.loads(model.with_suffix("").with_suffix(".json").read_text())
    print(f"model {model.name}: {info['size_mb']} MB; training {info['train_seconds']} s wall, "
          f"peak RSS {info['peak_rss_mb']:.0f} MB (rasa train nlu, incl. router packing)")

    srv = None
    url = a.url
    if not url:
        t0 = time.time()
        srv = server.start_server(port=None, model=model, timeout=300)
        url = srv.url
        print(f"server start → first parse: {time.time() - t0:.1f} s; RSS after load {srv.rss_mb():.0f} MB")
    try:
        # warm-up
        asyncio.run(run_clients(url, texts, 1, 20))
        lat1, wall1 = asyncio.run(run_clients(url, texts, 1, a.n1))
        print(report("1 client", lat1, wall1))
        lat20, wall20 = asyncio.run(run_clients(url, texts, 20, a.per_client))
        print(report("20 concurrent clients", lat20, wall20))
        base = keyword_baseline(texts, a.n1)
        print(f"{'keyword parser':22} in-process p50 {pct(base, 50):.2f} ms: the server round trip is "
              f"{pct(lat1, 50) / pct(base, 50):.0f}x that at one client")
        if srv:
            rss = srv.rss_mb()
            print(f"server RSS after load test {rss:.0f} MB")
            verdict({"p50 ms": pct(lat1, 50), "p99 ms": pct(lat1, 99), "server RSS MB": rss,
                     "training s": float(info["train_seconds"])})
    finally:
        if srv:
            srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
