"""The real `gridsec run` as a separate process against an in-process stand-in, for crash tests:
its config file, starting it, SIGKILL, and waiting on what it does."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import yaml

from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.outbox import OWED
from bot.people import create_invite, ensure_person, redeem_invite
from handlers.texts import t
from standin import StandIn
from storage.db import Database
from storage.models import InboundUpdate, OutboxMessage

REPO = Path(__file__).resolve().parents[2]


def write_bot_config(path: Path, standin: StandIn, database_url: str, *, webhook_port: int | None = None,
                     outbox: dict | None = None) -> Path:
    """A config for `gridsec run` on the stand-in: keyword NLU, an outbox as fast as the stand-in
    lets it (or as `outbox` says), and (with `webhook_port`) a webhook served on that port."""
    telegram = {"token": standin.token, "base_url": standin.bot_base_url, "file_base_url": standin.file_base_url}
    if webhook_port is not None:
        telegram["webhook"] = {"listen": "127.0.0.1", "port": webhook_port, "url_path": "hook",
                               "secret_token": "crash-test-secret"}
    path.write_text(yaml.safe_dump({
        "telegram": telegram,
        "database": {"url": database_url},
        "storage": {"photo_dir": str(path.parent / "photos")},
        "nlu": {"backend": "keyword"},
        "outbox": outbox or {"per_chat_per_second": 100, "per_chat_burst": 100, "global_per_second": 1000,
                             "backoff_base_seconds": 0.2},
    }), encoding="utf-8")
    return path


class BotProcess:
    """`python -m gridsec run --config FILE [--webhook-url URL]`, its stderr kept in FILE.log."""

    def __init__(self, config: Path, webhook_url: str | None = None, workers: int = 1) -> None:
        self.config, self.webhook_url, self.workers, self.proc = config, webhook_url, workers, None
        self.log = config.with_suffix(".log")

    def start(self) -> None:
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "gridsec", "run", "--config", str(self.config)]
        if self.webhook_url:
            command += ["--webhook-url", self.webhook_url]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        self.proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                     stderr=self.log.open("ab"))

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no cleanup of any kind
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


async def join_officer(db: Database, tg_id: int, officer_id: str, name: str = "Wang") -> None:
    """The officer's Telegram account redeems a fresh invite, as `/join CODE` would."""
    now = SystemClock().now()
    async with db.session() as s:
        person = await ensure_person(s, tg_id, tg_id, name, None, now)
        invite = await create_invite(s, now, timedelta(hours=1), officer_id=officer_id)
        await redeem_invite(s, person, invite.code, now)


async def wait_for(predicate, timeout=90.0, what="condition"):
    """Poll `predicate` (sync or async) until it returns something true; fail after `timeout` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def sent_twice(standin: StandIn) -> dict[tuple[int, str], list[float]]:
    """(chat, text) of every text message the bot sent more than once, with when it was sent
    (edits are records of their own and count separately)."""
    sent: dict[tuple[int, str, bool], list[float]] = {}
    for r in standin.sent:
        if r["text"]:
            sent.setdefault((r["chat_id"], r["text"], r["edited"]), []).append(r["at"])
    return {(chat, text): times for (chat, text, _), times in sent.items() if len(times) > 1}


async def queued_twice(db: Database) -> Counter:
    """Outbox rows queued more than once for the same chat and case: what handling an update twice
    would leave (a location pin is the same for every case, so the case is part of the key)."""
    async with db.session() as s:
        rows = (await s.execute(select(OutboxMessage.chat_id, OutboxMessage.case_id, OutboxMessage.kind,
                                       OutboxMessage.payload))).all()
    queued = Counter((chat, case, kind, json.dumps(payload, sort_keys=True)) for chat, case, kind, payload in rows)
    return Counter({key: n for key, n in queued.items() if n > 1})


class Recorded(Database):
    """The bot's database, read from outside the bot."""

    async def ids(self, *where) -> set[int]:
        async with self.session() as s:
            return set((await s.execute(select(InboundUpdate.update_id).where(*where))).scalars())

    async def count(self, model, *where) -> int:
        async with self.session() as s:
            return await s.scalar(select(func.count()).select_from(model).where(*where))


async def finished(db: Recorded, standin: StandIn, injected: list[int]) -> bool:
    """Everything delivered, handled and sent."""
    return (not standin.unconfirmed()
            and await db.count(InboundUpdate, InboundUpdate.update_id.in_(injected),
                                  InboundUpdate.status == "done") == len(injected)
            and await db.count(OutboxMessage, OutboxMessage.status.in_(OWED)) == 0)


def confirm_button(standin: StandIn, chat: int, label: str = "确认") -> tuple[int, str]:
    for record in reversed(standin.messages_to(chat)):
        for row in (record.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label:
                    return record["message_id"], button["callback_data"]
    raise AssertionError(f"resident {chat} got no {label} button: {[r['text'] for r in standin.messages_to(chat)]}")


def offered(standin: StandIn, chat: int) -> bool:
    """Whether the resident was offered an open case nearby instead of filing (附近已有相同问题), the
    offer possibly resent marked （重发） after a kill."""
    return any((m["text"] or "").removeprefix(t("resend_mark")).startswith("附近已有相同问题")
               for m in standin.messages_to(chat))


@contextlib.asynccontextmanager
async def standin_with(residents: list[int], officer_chat: int):
    """A stand-in that knows the residents (named 居民0, 居民1, …) and the officer's chat."""
    async with StandIn() as server:
        for number, resident in enumerate(residents):
            server.add_user(resident, f"居民{number}")
        server.add_user(officer_chat, "Wang")
        yield server
