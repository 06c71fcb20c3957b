"""A background task that can be woken early and stopped gently: what the outbox worker, the
callback worker and the update dispatcher share. A worker that works in passes writes `drain_once`
(the default `_run` repeats it); one that does more writes `_run`, looping until `_stopping`, and waits
on `_wake` (clear it before a pass, so a wake() during the pass is not lost)."""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


class BackgroundWorker:
    name = "worker"

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, grace: float) -> None:
        """Let the work under way finish for up to `grace` seconds, then cancel it."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=grace)
        except asyncio.TimeoutError:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _idle(self, seconds: float) -> None:
        """Sleep until woken or `seconds` have passed."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    async def _passes(self) -> None:
        """Run `drain_once` until stopped, idling for as long as each pass says; a failed pass (a
        database hiccup) is logged and tried again a second later, the worker survives it."""
        while not self._stopping:
            self._wake.clear()  # before the pass: a wake() during the pass must not be lost
            try:
                delay = await self.drain_once()
            except Exception:
                log.exception("%s pass failed", self.name)
                delay = 1.0
            if self._stopping:
                break
            await self._idle(delay)

    async def drain_once(self) -> float:
        """One pass over the work owed; returns the seconds until the next is worth making."""
        raise NotImplementedError

    async def _run(self) -> None:
        await self._passes()
