"""Fixtures that run the real PTB Application against a fresh stand-in per test."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from PIL import Image
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder, BaseHandler

from standin import StandIn

USER_ID = 1001
WEBHOOK_SECRET = "s3cret-Token_1"

StartBot = Callable[..., Awaitable[Application]]


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables; the stand-in is on loopback."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    async with StandIn() as server:
        server.add_user(USER_ID, "Wang", "Fang", username="wangfang")
        yield server


def _builder(standin: StandIn) -> ApplicationBuilder:
    return (
        ApplicationBuilder()
        .token(standin.token)
        .base_url(standin.bot_base_url)
        .base_file_url(standin.file_base_url)
    )


@pytest.fixture
async def bot(standin: StandIn) -> AsyncIterator[Bot]:
    """The bot of an initialized (not running) Application, for calling methods directly."""
    app = _builder(standin).build()
    await app.initialize()
    yield app.bot
    await app.shutdown()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def start_bot(standin: StandIn) -> AsyncIterator[StartBot]:
    """``await start_bot(handler, ..., mode="polling"|"webhook")`` -> a running Application."""
    running: list[Application] = []

    async def start(*handlers: BaseHandler, mode: str = "polling") -> Application:
        app = _builder(standin).build()
        for handler in handlers:
            app.add_handler(handler)
        await app.initialize()
        await app.start()
        running.append(app)
        if mode == "polling":
            await app.updater.start_polling(poll_interval=0, timeout=5)
        else:
            port = free_port()
            await app.updater.start_webhook(
                listen="127.0.0.1", port=port, url_path="hook",
                webhook_url=f"http://127.0.0.1:{port}/hook", secret_token=WEBHOOK_SECRET,
            )
        return app

    yield start
    for app in running:
        if app.updater.running:
            await app.updater.stop()
        await app.stop()
        await app.shutdown()


@pytest.fixture
def user() -> int:
    """The id of the user (and private chat) every stand-in starts with."""
    return USER_ID


@pytest.fixture
def webhook_secret() -> str:
    """The secret_token that ``start_bot(mode="webhook")`` registers."""
    return WEBHOOK_SECRET


@pytest.fixture
def png() -> Callable[..., bytes]:
    """``png(width, height, color)`` -> the bytes of a real PNG image."""

    def make(width: int = 200, height: int = 120, color: str = "red") -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), color).save(buffer, "PNG")
        return buffer.getvalue()

    return make
