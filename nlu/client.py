"""Which NLU answers: the Rasa server when configured and reachable, the keyword parser otherwise.

The keyword parser is the documented fallback (docs/nlu.md): it keeps the bot answering while
the Rasa server is down, and its answers are marked `source="keyword"` so they can be re-parsed.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from bot.understanding import NluClient, Parse
from nlu.keywords import KeywordParser

log = logging.getLogger(__name__)


class FallbackNlu:
    """Ask `primary`; on any failure (timeout, open circuit, server down) ask `fallback`. The switch
    is logged once each way, not once per message."""

    def __init__(self, primary: NluClient, fallback: NluClient) -> None:
        self.primary, self.fallback = primary, fallback
        self.falling_back = False

    async def parse(self, text: str) -> Parse:
        try:
            parse = await self.primary.parse(text)
        except Exception as exc:
            if not self.falling_back:
                log.warning("NLU server unavailable (%s); using the keyword fallback until it answers", exc)
                self.falling_back = True
            return await self.fallback.parse(text)
        if self.falling_back:
            log.warning("NLU server answers again; the keyword fallback is no longer used")
            self.falling_back = False
        return parse

    async def close(self) -> None:
        close = getattr(self.primary, "close", None)
        if close is not None:
            await close()


def server_urls(url: str, servers: int) -> list[str]:
    """The Rasa servers `nlu.servers` asks for: `url` and the ports after it."""
    parsed = urlsplit(url)
    port = parsed.port or 5005
    return [urlunsplit(parsed._replace(netloc=f"{parsed.hostname}:{port + i}")).rstrip("/") for i in range(servers)]


def build_nlu(backend: str, url: str, timeout_seconds: float, servers: int = 1) -> NluClient:
    """The keyword parser alone (`backend` "keyword"), or the Rasa server at `url` (and the
    `servers` - 1 on the ports after it) with it as fallback."""
    keywords = KeywordParser()
    if backend == "keyword":
        return keywords
    from nlu.rasa_client import RasaClient, RasaPool

    clients = [RasaClient(u, timeout=timeout_seconds) for u in server_urls(url, servers)]
    return FallbackNlu(clients[0] if servers == 1 else RasaPool(clients), keywords)
