"""Posting a request's public status changes to its callback URL (the Deliver of bot/callbacks.py):
the request as GET requests/{id}.json?extensions=true answers it now, as one JSON object, with
`event` naming the change the post is for (a late post may find the case moved on since)."""
from __future__ import annotations

import asyncio
import json

import aiohttp

from bot.channels import Channels
from bot.outbox import PermanentFailure, RetryLater
from bot.services import Services
from web import open311_render as render


class HttpCallbacks:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, url: str, case_id: int, event_id: int, timeout: float) -> None:
        async with self.services.db.session() as session:
            view = await Channels(self.services, session).callback_view(case_id)
        if view is None:
            raise PermanentFailure(f"case {case_id} is gone")
        config = self.services.config
        event = next((e for e in view.events if e.id == event_id), None)
        body = {**render.request(view, config, extensions=True),  # the request as it is now, and what changed
                "event": {"id": event_id, "action": event.action if event else None,
                          "at": render.when(event.at, config) if event else None}}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as client:
                async with client.post(url, data=json.dumps(body, ensure_ascii=False).encode(),
                                       headers={"Content-Type": render.MEDIA[render.JSON]}) as answer:
                    if answer.status >= 500 or answer.status in (408, 429):
                        raise RetryLater(f"HTTP {answer.status}")
                    if answer.status >= 400:
                        raise PermanentFailure(f"HTTP {answer.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryLater(repr(exc)) from exc
