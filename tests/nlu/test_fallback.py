"""The keyword fallback answers while the server is down, and the log says so once each way."""
from __future__ import annotations

import logging

from bot.understanding import Parse
from nlu.client import FallbackNlu
from nlu.keywords import KeywordParser


class Flaky:
    def __init__(self, down: int) -> None:
        self.down = down

    async def parse(self, text: str) -> Parse:
        if self.down:
            self.down -= 1
            raise ConnectionError("refused")
        return Parse("report", 1.0, "garbage", 1.0, False, source="rasa")


async def test_fallback_is_logged_once_per_outage(caplog):
    nlu = FallbackNlu(Flaky(down=5), KeywordParser())
    caplog.set_level(logging.WARNING, logger="nlu.client")
    sources = [(await nlu.parse("楼下垃圾没人收")).source for _ in range(7)]
    assert sources == ["keyword"] * 5 + ["rasa"] * 2
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "using the keyword fallback" in messages[0] and "answers again" in messages[1]
