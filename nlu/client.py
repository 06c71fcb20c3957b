"""Which NLU answers: the Rasa server when configured and reachable, the keyword parser otherwise.

The keyword parser is the documented fallback (docs/nlu.md): it keeps the bot answering while
the Rasa server is down, and its answers are marked `source="keyword"` so they can be re-parsed.
"""
from __future__ import annotations

import logging

from bot.understanding import NluClient, Parse
from nlu.keywords import KeywordParser

log = logging.getLogger(__name__)


class FallbackNlu:
    """Ask `primary`; on any failure (timeout, open circuit, server down) ask `fallback`."""

    def __init__(self, primary: NluClient, fallback: NluClient) -> None:
        self.primary, self.fallback = primary, fallback

    async def parse(self, text: str) -> Parse:
        try:
            return await self.primary.parse(text)
        except Exception as exc:
            log.warning("NLU server unavailable (%s); using the keyword fallback", exc)
            return await self.fallback.parse(text)

    async def close(self) -> None:
        close = getattr(self.primary, "close", None)
        if close is not None:
            await close()


def build_nlu(backend: str, url: str, timeout_seconds: float) -> NluClient:
    """The keyword parser alone (`backend` "keyword"), or the Rasa server at `url` with it as fallback."""
    keywords = KeywordParser()
    if backend == "keyword":
        return keywords
    from nlu.rasa_client import RasaClient

    return FallbackNlu(RasaClient(url, timeout=timeout_seconds), keywords)
