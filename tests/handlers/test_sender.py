"""The transport tells a lost answer (the request went out) from a failure before Telegram had it,
against the stand-in on loopback."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram.ext import ApplicationBuilder

from bot.outbox import Outgoing, RetryLater, Uncertain
from handlers.render import CAPTION_LIMIT, TEXT_LIMIT
from handlers.sender import TelegramSender
from handlers.texts import t
from standin import StandIn

USER = 1001


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as gridsec/app.py sets it


@pytest.fixture
async def standin():
    async with StandIn() as server:
        server.add_user(USER, "Wang")
        yield server


async def sender_for(base_url: str, file_url: str, token: str):
    application = ApplicationBuilder().token(token).base_url(base_url).base_file_url(file_url).build()
    await application.initialize()
    return application, TelegramSender(application.bot)


@pytest.fixture
async def sender(standin):
    application, sender = await sender_for(standin.bot_base_url, standin.file_base_url, standin.token)
    yield sender
    await application.shutdown()


async def test_an_answer_slower_than_the_wait_is_uncertain_and_was_delivered(standin, sender):
    standin.set_delay(0.5, "sendMessage")
    with pytest.raises(Uncertain):
        await sender.send(Outgoing(USER, text="慢"), None, timeout=0.1)
    await standin.wait_for_sent(1, timeout=2)  # Telegram had it all along
    assert [r["text"] for r in standin.sent] == ["慢"]


async def test_telegram_answering_5xx_or_429_is_retried(standin, sender):
    standin.fail_next("sendMessage", status=500, count=1)
    standin.fail_next("sendMessage", status=429, retry_after=2, count=1)
    with pytest.raises(RetryLater) as first:
        await sender.send(Outgoing(USER, text="a"), None, timeout=5)
    with pytest.raises(RetryLater) as second:
        await sender.send(Outgoing(USER, text="a"), None, timeout=5)
    assert first.value.seconds is None and second.value.seconds == 2
    assert standin.sent == []


async def test_nobody_listening_is_retried():
    async with StandIn() as gone:
        application, sender = await sender_for(gone.bot_base_url, gone.file_base_url, gone.token)
    try:  # the stand-in has stopped: connection refused, the request never left
        with pytest.raises(RetryLater):
            await sender.send(Outgoing(USER, text="a"), None, timeout=1)
    finally:
        await application.shutdown()


async def test_a_resend_is_marked_and_nothing_is_too_long(standin, sender):
    image = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(image, "PNG")
    uploaded = await sender.bot.send_photo(USER, image.getvalue())
    standin.reset_observations()
    await sender.send(Outgoing(USER, text="工单已受理", resend=True), None, timeout=5)
    await sender.send(Outgoing(USER, text="长" * 5000), None, timeout=5)
    await sender.send(Outgoing(USER, "photo", text="图" * 2000, photos=[uploaded.photo[-1].file_id]), None, timeout=5)
    texts = [r["text"] for r in standin.sent]
    assert texts[0] == t("resend_mark") + "工单已受理"
    assert len(texts[1]) == TEXT_LIMIT and texts[1].endswith("…")
    assert len(texts[2]) == CAPTION_LIMIT and texts[2].endswith("…")
