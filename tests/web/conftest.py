"""The command centre's tests run the real ASGI application on the bot's own services."""
from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from bot.clock import ManualClock
from gridsec.app import build_services
from web.app import create_app

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)  # 14:00 in the district
TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def services(config):
    """The bot's services on the test database (keyword NLU, a movable clock at NOW, a bot token)."""
    built = await build_services(config.copy_with(telegram=config.telegram.copy_with(token=TOKEN)), ManualClock(NOW))
    yield built
    await built.db.dispose()


def client_of(services) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services)), base_url="http://test")
