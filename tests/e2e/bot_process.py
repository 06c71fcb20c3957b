"""The real `gridsec run` as a separate process against an in-process stand-in, for crash tests:
its config file, starting it, SIGKILL, and waiting on what it does."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import yaml

from bot.clock import SystemClock
from bot.people import create_invite, ensure_person, redeem_invite
from standin import StandIn
from storage.db import Database

REPO = Path(__file__).resolve().parents[2]


def write_bot_config(path: Path, standin: StandIn, database_url: str, *, webhook_port: int | None = None) -> Path:
    """A config for `gridsec run` on the stand-in: keyword NLU, an outbox as fast as the stand-in
    lets it, and (with `webhook_port`) a webhook served on that port."""
    telegram = {"token": standin.token, "base_url": standin.bot_base_url, "file_base_url": standin.file_base_url}
    if webhook_port is not None:
        telegram["webhook"] = {"listen": "127.0.0.1", "port": webhook_port, "url_path": "hook",
                               "secret_token": "crash-test-secret"}
    path.write_text(yaml.safe_dump({
        "telegram": telegram,
        "database": {"url": database_url},
        "storage": {"photo_dir": str(path.parent / "photos")},
        "nlu": {"backend": "keyword"},
        "outbox": {"per_chat_per_second": 100, "per_chat_burst": 100, "global_per_second": 1000,
                   "backoff_base_seconds": 0.2},
    }), encoding="utf-8")
    return path


class BotProcess:
    """`python -m gridsec run --config FILE [--webhook-url URL]`, its stderr kept in FILE.log."""

    def __init__(self, config: Path, webhook_url: str | None = None) -> None:
        self.config, self.webhook_url, self.proc = config, webhook_url, None
        self.log = config.with_suffix(".log")

    def start(self) -> None:
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "gridsec", "run", "--config", str(self.config)]
        if self.webhook_url:
            command += ["--webhook-url", self.webhook_url]
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
