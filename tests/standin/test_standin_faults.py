"""Injected failures, slow answers and flood limits, as PTB experiences them."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from standin import ApiError, StandIn
from standin.traffic import FloodLimits


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB 22's future RetryAfter.retry_after type instead of its deprecation warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def test_injected_429_surfaces_as_retry_after(standin, bot, user):
    standin.fail_next("sendMessage", retry_after=3)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user, "first try")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert (await bot.send_message(user, "second try")).text == "second try"

    assert [c["status"] for c in standin.calls if c["method"] == "sendMessage"] == [429, 200]
    assert standin.calls[-2]["description"] == "Too Many Requests: retry after 3"
    assert standin.served_429 == 1
    assert [r["text"] for r in standin.sent] == ["second try"]


async def test_catch_all_faults_spare_the_poller(standin, start_bot, user):
    app = await start_bot()
    standin.fail_next(None, status=500, count=2)
    standin.inject_text(user, "wakes the poller, which polls again at once")
    await standin.wait_idle()  # that next getUpdates confirmed the update, so it was not failed

    with pytest.raises(NetworkError, match="Internal Server Error: injected failure"):
        await app.bot.send_chat_action(user, "typing")
    with pytest.raises(NetworkError):
        await app.bot.send_message(user, "x")
    assert await app.bot.send_message(user, "through")
    polls = [c for c in standin.calls if c["method"] == "getUpdates"]
    assert len(polls) >= 2 and all(c["status"] in (200, None) for c in polls)


async def test_injected_error_with_telegram_words(standin, bot, user):
    standin.fail_next("sendPhoto", status=400, description="Bad Request: chat not found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_photo(user, b"not an image")


async def test_slow_answers(standin, bot, user):
    loop = asyncio.get_running_loop()
    standin.set_delay(0.3, "sendMessage")

    started = loop.time()
    await bot.get_me()
    fast = loop.time() - started
    started = loop.time()
    await bot.send_message(user, "slow")
    slow = loop.time() - started
    assert fast < 0.2 <= 0.3 <= slow

    standin.set_delay(5, "sendMessage")
    with pytest.raises(TimedOut):
        await bot.send_message(user, "too slow", read_timeout=0.1)


async def test_server_enforces_flood_limits():
    async with StandIn(enforce_rate_limits=True) as limited:
        for user_id in range(1, 61):
            limited.add_user(user_id, f"u{user_id}")
        bot = Bot(limited.token, base_url=limited.bot_base_url, base_file_url=limited.file_base_url)
        async with bot:
            for _ in range(FloodLimits.CHAT_BURST):
                await bot.send_message(1, "burst")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(1, "one too many")
            assert caught.value.retry_after == dtm.timedelta(seconds=1)

            accepted = 0
            for user_id in range(2, 61):
                try:
                    await bot.send_message(user_id, "broadcast")
                    accepted += 1
                except RetryAfter:
                    pass
        assert FloodLimits.OVERALL_BURST - FloodLimits.CHAT_BURST <= accepted < 59
        assert limited.served_429 == 1 + 59 - accepted
        assert len(limited.sent) == FloodLimits.CHAT_BURST + accepted


def test_flood_limits_refill_over_time():
    now = [0.0]
    limits = FloodLimits(clock=lambda: now[0])
    for _ in range(3):
        limits.admit(7)
    with pytest.raises(ApiError) as caught:
        limits.admit(7)
    assert caught.value.status == 429 and caught.value.parameters == {"retry_after": 1}

    now[0] += 1.0
    limits.admit(7)  # one message per second per chat after the burst
    for chat in range(100, 129):
        limits.admit(chat)  # the overall bucket (30) is now empty
    with pytest.raises(ApiError):
        limits.admit(200)
    now[0] += 0.05  # 30 per second: 1.5 messages refilled
    limits.admit(200)
