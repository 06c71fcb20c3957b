"""`gridsec run --workers N`: N bot processes sharing one PostgreSQL database, behind one public port.

Each worker is a whole bot in webhook mode on its own port (telegram.webhook.port + its index);
a reverse proxy (nginx: docs/deploy/nginx.conf) spreads Telegram's posts over them. Whatever a
worker stores, any worker may handle: a person's updates and a chat's messages are claimed by one
worker at a time (storage/claims.py), and the scheduler runs in whichever holds its lease. Worker 0
alone registers the webhook and serves the command centre; each worker paces its sends to its
share of Telegram's overall limit. This process starts the workers, restarts one that dies, and
stops them all on SIGINT/SIGTERM.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from bot.config import Config
from nlu.server import die_with_parent

log = logging.getLogger(__name__)

RESTART_PAUSE_SECONDS = 1.0


class WorkersRefused(Exception):
    """Several workers cannot run with this configuration; the message says why."""


def check_workers(config: Config, count: int, webhook_url: str | None) -> None:
    if count < 2:
        raise WorkersRefused("--workers takes 2 or more")
    if not config.database.url.startswith("postgresql"):
        raise WorkersRefused("several workers share a PostgreSQL database; SQLite has one writer, so run one process")
    if not (webhook_url or config.telegram.webhook.url):
        raise WorkersRefused("several workers run in webhook mode (getUpdates cannot be shared): "
                             "give --webhook-url or telegram.webhook.url")


def worker_config(config: Config, index: int, count: int) -> Config:
    """What worker `index` of `count` runs with: its share of the overall send rate; the command
    centre only in worker 0 (one port)."""
    outbox = config.outbox.copy_with(global_per_second=config.outbox.global_per_second / count)
    web = config.web if index == 0 else config.web.copy_with(enabled=False)
    return config.copy_with(outbox=outbox, web=web)


def worker_command(index: int, count: int, webhook_url: str, options: list[str]) -> list[str]:
    return [sys.executable, "-m", "gridsec", *options, "run", "--webhook-url", webhook_url,
            "--worker", f"{index}/{count}"]


async def serve_workers(config: Config, count: int, webhook_url: str, options: list[str]) -> int:
    """Run `count` workers until signalled; `options` are the global options to pass on (--config,
    --database). The NLU server this process started is theirs too (GRIDSEC_NLU_URL)."""
    env = {**os.environ, "GRIDSEC_NLU_URL": config.nlu.url}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    workers = [asyncio.create_task(_keep_running(i, worker_command(i, count, webhook_url, options), env, stop))
               for i in range(count)]
    print(f"Grid Secretary is running ({count} webhook workers on ports "
          f"{config.telegram.webhook.port}-{config.telegram.webhook.port + count - 1}). Ctrl+C stops them.",
          file=sys.stderr)
    await asyncio.gather(*workers)
    return 0


async def _keep_running(index: int, command: list[str], env: dict, stop: asyncio.Event) -> None:
    """One worker, started again when it dies, until `stop`; then SIGTERM and wait for it."""
    while not stop.is_set():
        process = await asyncio.create_subprocess_exec(*command, env=env, preexec_fn=die_with_parent)
        ended, stopping = asyncio.create_task(process.wait()), asyncio.create_task(stop.wait())
        await asyncio.wait([ended, stopping], return_when=asyncio.FIRST_COMPLETED)
        if stopping.done():
            process.send_signal(signal.SIGTERM)
            await ended
            return
        stopping.cancel()
        log.error("worker %s ended (exit code %s); starting it again", index, process.returncode)
        await asyncio.sleep(RESTART_PAUSE_SECONDS)
