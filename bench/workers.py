#!/usr/bin/env python3
"""One webhook worker against two, behind Debian's nginx, on PostgreSQL.

    .venv/bin/python -m bench.workers [--residents 120] [--grids 14] [--workers 1,2]
                                      [--pg-url postgresql://postgres@127.0.0.1:5432/test]

Each system is the real `gridsec run` (`--workers N` for N > 1) as its own processes, on a fresh
copy of the sample district, with nginx in front and the stand-in (in this process) posting every
update through nginx as Telegram would. The keyword NLU is used, as in bench/core_loop.py, so the
figures are the bot's own and not the Rasa server's. `--residents` residents at once each send a
report, their location and press 确认 (仍然新报 when offered a same-spot case), spread over
`--grids` grids with their officers joined. Figures: residents' updates handled per second, cases
filed per second, first-reply p50/p99 under that load, the bot processes' CPU per update, and each
system's throughput beside one worker's (the ratio). Checked, not timed: every report filed once,
no update lost, handled twice or out of order, no message sent twice. Nothing is asserted: it prints.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import select, text

from bench.core_loop import DEFAULT_PG, BenchStandIn, Databases, _button_data, grid_targets, report_texts
from bot.clock import SystemClock
from bot.people import create_invite, ensure_person, redeem_invite
from gridsec.nginx import LocalNginx, free_ports_from
from gridsec.simulate import free_port
from nlu.keywords import KeywordParser
from storage.db import Database
from storage.models import Case, InboundUpdate

REPO = Path(__file__).resolve().parent.parent
FAST_OUTBOX = {"per_chat_per_second": 100, "per_chat_burst": 100, "global_per_second": 1000,
               "backoff_base_seconds": 0.2}  # the stand-in has no flood limit: the bot's own speed shows
WAIT = 300.0


def perf() -> float:
    return time.perf_counter()


def cpu_by_party(bot: int, nginx: int) -> dict[str, float]:
    """User + system CPU seconds so far, from /proc (Linux): the bot's processes (`bot` and its
    descendants), nginx's (`nginx` and its workers), PostgreSQL's (every process named postgres:
    the server's backends are not ours) and this process (the stand-in and the harness)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, fields = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        pid, fields = int(entry.name), fields.split()
        children.setdefault(int(fields[1]), []).append(pid)
        stats[pid] = (int(fields[11]) + int(fields[12])) / tick
        names[pid] = head.split("(", 1)[1]

    def tree(root: int) -> float:
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            total += stats.get(pid, 0.0)
            todo += children.get(pid, [])
        return total

    return {"bot": tree(bot), "nginx": tree(nginx), "bench": stats.get(os.getpid(), 0.0),
            "postgres": sum(cpu for pid, cpu in stats.items() if names[pid] == "postgres")}


class System:
    """nginx, the bot's processes and a stand-in, on a fresh database."""

    def __init__(self, workers: int, database_url: str, folder: Path, grids: list) -> None:
        self.workers, self.database_url, self.folder, self.grids = workers, database_url, folder, grids
        folder.mkdir(parents=True)
        self.hook_port, self.nginx_port = free_ports_from(workers), free_port()
        self.ids = iter(range(500001, 10 ** 7))

    async def __aenter__(self) -> "System":
        self.standin = BenchStandIn()
        await self.standin.start()
        db = Database(self.database_url)
        self.officer_chats = []
        for number, (_, officer, _) in enumerate(self.grids):
            chat = 200000 + number
            self.standin.add_user(chat, f"officer{number}")
            await join(db, chat, officer)
            self.officer_chats.append(chat)
        await db.dispose()
        self.standin.card_chats.update(self.officer_chats)
        config = self.folder / "bot.yaml"
        config.write_text(yaml.safe_dump({
            "telegram": {"token": self.standin.token, "base_url": self.standin.bot_base_url,
                         "file_base_url": self.standin.file_base_url,
                         "webhook": {"listen": "127.0.0.1", "port": self.hook_port, "url_path": "hook"}},
            "database": {"url": self.database_url}, "storage": {"photo_dir": str(self.folder / "photos")},
            "nlu": {"backend": "keyword"}, "outbox": FAST_OUTBOX, "web": {"enabled": False}}), encoding="utf-8")
        self.nginx = LocalNginx(self.folder / "nginx", self.nginx_port,
                                [self.hook_port + i for i in range(self.workers)])
        self.nginx.start()
        command = [sys.executable, "-m", "gridsec", "run", "--config", str(config),
                   "--webhook-url", self.nginx.url]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
        self.log = (self.folder / "bot.log").open("wb")
        self.bot = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = perf() + 60
        while sum(1 for c in self.standin.calls if c["method"] == "getMe") < self.workers or \
                not any(c["method"] == "setWebhook" for c in self.standin.calls):
            if perf() > deadline or self.bot.poll() is not None:
                raise SystemExit(f"the bot did not start; see {self.folder / 'bot.log'}")
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # every worker listening
        return self

    async def __aexit__(self, *exc) -> None:
        self.bot.terminate()
        self.bot.wait(30)
        self.nginx.stop()
        self.log.close()
        await self.standin.stop()

    def new_resident(self) -> int:
        uid = next(self.ids)
        self.standin.add_user(uid, f"r{uid}")
        return uid


async def join(db: Database, chat: int, officer_id: str) -> None:
    now = SystemClock().now()
    async with db.session() as s:
        person = await ensure_person(s, chat, chat, f"officer {officer_id}", None, now)
        invite = await create_invite(s, now, timedelta(hours=1), officer_id=officer_id)
        await redeem_invite(s, person, invite.code, now)


async def storm(system: System, texts: list[str], residents: int) -> dict:
    """Every resident at once: report, location, 确认 (and 仍然新报 when offered); until every card
    reached its officer."""
    s = system.standin
    first_replies: list[float] = []
    updates = Counter()

    async def one(i: int) -> None:
        uid, point = system.new_resident(), system.grids[i % len(system.grids)][2]
        t0 = perf()
        s.inject_text(uid, texts[i % len(texts)])
        first_replies.append((await s.nth(uid, 1, WAIT))["t"] - t0)
        s.inject_location(uid, *point)
        summary = await with_button(s, uid, "确认")
        s.inject_callback(uid, summary["message_id"], _button_data(summary, "确认"))
        answer = await found(s, lambda: answered(s, uid))
        updates[uid] = 3
        if not answer["text"].startswith("已受理"):  # 附近已有相同问题: reported anyway
            s.inject_callback(uid, answer["message_id"], _button_data(answer, "仍然新报"))
            await found(s, lambda: filed(s, uid))
            updates[uid] = 4

    cards_before = s.cards
    cpu0 = cpu_by_party(system.bot.pid, system.nginx.proc.pid)
    t0 = perf()
    await asyncio.gather(*(one(i) for i in range(residents)))
    last = await s.until(lambda: s.cards - cards_before >= residents, WAIT)
    cpu = {party: spent - cpu0[party] for party, spent in cpu_by_party(system.bot.pid, system.nginx.proc.pid).items()}
    seconds = last - t0
    handled = sum(updates.values())
    first_replies.sort()
    return {"seconds": seconds, "updates": handled, "cases": residents,
            "updates_per_s": handled / seconds, "cases_per_s": residents / seconds,
            "first_reply_p50_ms": 1000 * statistics.median(first_replies),
            "first_reply_p99_ms": 1000 * first_replies[min(len(first_replies) - 1, int(0.99 * len(first_replies)))],
            "cpu_ms_per_update": 1000 * cpu["bot"] / handled,
            **{f"{party}_cpu_ms_per_update": 1000 * cpu[party] / handled for party in ("postgres", "nginx", "bench")},
            "machine_busy": sum(cpu.values()) / seconds / os.cpu_count()}


async def found(s: BenchStandIn, lookup):
    """What `lookup` finds among the messages sent, once it finds something."""
    await s.until(lambda: lookup() is not None, WAIT)
    return lookup()


def with_button(s: BenchStandIn, uid: int, label: str):
    return found(s, lambda: next((r for r in s.records[uid] if has_button(r, label)), None))


def has_button(record: dict, label: str) -> bool:
    return any(b.get("text") == label for row in (record.get("reply_markup") or {}).get("inline_keyboard", [])
               for b in row)


def answered(s: BenchStandIn, uid: int) -> dict | None:
    """The answer to 确认: the filing notice, or the offer of a same-spot case."""
    return next((r for r in s.records[uid] if (r["text"] or "").startswith(("已受理", "附近已有相同问题"))), None)


def filed(s: BenchStandIn, uid: int) -> dict | None:
    return next((r for r in s.records[uid] if (r["text"] or "").startswith("已受理")), None)


async def transactions_so_far(database_url: str) -> int:
    """PostgreSQL's count of the database's transactions (committed and rolled back), once the
    backends have reported theirs (they do so at most once a second)."""
    await asyncio.sleep(1.5)
    db = Database(database_url)
    async with db.session() as s:
        count = await s.scalar(text("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                    "WHERE datname = current_database()"))
    await db.dispose()
    return count


async def checks(database_url: str, standin: BenchStandIn) -> dict:
    """What must hold whatever the speed: each report filed once, each update handled once and in
    order, no text sent twice."""
    db = Database(database_url)
    async with db.session() as s:
        rows = (await s.execute(select(InboundUpdate.update_id, InboundUpdate.tg_user_id, InboundUpdate.status,
                                       InboundUpdate.handled_at))).all()
        reporters = Counter((await s.execute(select(Case.reporter_id))).scalars())
    await db.dispose()
    by_person: dict[int, list] = {}
    for update_id, user, _, handled_at in sorted(rows):
        by_person.setdefault(user, []).append(handled_at)
    out_of_order = sum(1 for times in by_person.values() if any(a > b for a, b in zip(times, times[1:])))
    sent = Counter((r["chat_id"], r["text"], r["edited"]) for r in standin.sent if r["text"])
    return {"updates_stored": len(rows), "not_done": sum(1 for r in rows if r[2] != "done"),
            "cases_twice": sum(1 for n in reporters.values() if n > 1), "out_of_order": out_of_order,
            "sent_twice": sum(1 for n in sent.values() if n > 1)}


async def main_async(args) -> None:
    texts = report_texts(KeywordParser(), max(args.residents, 200), args.seed)
    grids = grid_targets(args.grids)
    results = {}
    with tempfile.TemporaryDirectory(prefix="gridsec-bench-workers-") as tmp:
        dbs = Databases(args.pg_url, Path(tmp))
        try:
            for workers in args.workers:
                print(f"[{workers} worker{'s' * (workers > 1)}] ...", file=sys.stderr, flush=True)
                url = await dbs.fresh("postgres")
                async with System(workers, url, Path(tmp) / f"w{workers}", grids) as system:
                    await storm(system, texts, max(2, args.residents // 10))  # warm-up, not measured
                    transactions = await transactions_so_far(url)
                    figures = await storm(system, texts, args.residents)
                    figures["transactions_per_update"] = (await transactions_so_far(url) - transactions) / figures["updates"]
                    figures.update(await checks(url, system.standin))
                    figures["handled_in_vain"] = (system.folder / "bot.log").read_text(errors="replace").count(
                        "its handling left nothing")
                results[workers] = figures
        finally:
            await dbs.drop_all()
    base = results[args.workers[0]]
    print(f"\nbench.workers: {args.residents} residents at once over {args.grids} grids, PostgreSQL, keyword NLU, "
          f"nginx in front; load average at start {args.load_start:.2f}")
    print(f"{'workers':>7} {'updates/s':>10} {'cases/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>8} "
          f"{'CPU ms/upd':>10} {'txn/upd':>7} {'PG':>5} {'nginx':>5} {'bench':>5} {'busy':>5}  checks")
    for workers, f in results.items():
        ratio = f["updates_per_s"] / base["updates_per_s"]
        check = ", ".join(f"{k} {f[k]}" for k in ("not_done", "cases_twice", "out_of_order", "sent_twice",
                                                    "handled_in_vain"))
        print(f"{workers:>7} {f['updates_per_s']:>10.1f} {f['cases_per_s']:>8.1f} {ratio:>5.2f}x "
              f"{f['first_reply_p50_ms']:>7.0f} {f['first_reply_p99_ms']:>8.0f} "
              f"{f['cpu_ms_per_update']:>10.1f} {f['transactions_per_update']:>7.1f} {f['postgres_cpu_ms_per_update']:>5.1f} "
              f"{f['nginx_cpu_ms_per_update']:>5.1f} {f['bench_cpu_ms_per_update']:>5.1f} {f['machine_busy']:>5.0%}  {check}")
    print("  (CPU ms per update: the bot's processes; txn/upd: PostgreSQL transactions per update, the bot's and"
          " this one's reads; then PostgreSQL's, nginx's and this process's, the stand-in"
          " and the harness; busy: all four together as a share of the machine's CPUs)")
    print(json.dumps([{"system": f"gridsec-postgres-{w}-workers", **{k: round(v, 3) if isinstance(v, float) else v
                                                                     for k, v in f.items()},
                       "throughput_ratio_to_one": round(f["updates_per_s"] / base["updates_per_s"], 3)}
                      for w, f in results.items()], ensure_ascii=False))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__.split("\n\n")[0])
    ap.add_argument("--residents", type=int, default=120, help="residents reporting at once (default 120)")
    ap.add_argument("--grids", type=int, default=14,
                    help="grids they report in, one officer each (default 14: all the sample district's)")
    ap.add_argument("--workers", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2],
                    help="worker counts to compare, the first is the baseline (default 1,2)")
    ap.add_argument("--pg-url", default=DEFAULT_PG)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    args.load_start = os.getloadavg()[0]
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
