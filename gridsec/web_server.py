"""The command centre (web/) served by uvicorn inside the caller's event loop.

`gridsec run` serves it beside the bot (config `web.enabled`), `gridsec web` on its own and
`gridsec demo` for the demo; the caller owns the signals, so uvicorn installs no handlers of its own.
The process that serves the Open311 API also posts its callbacks (bot/callbacks.py)."""
from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from bot.callbacks import CallbackWorker
from bot.services import Services
from web.app import create_app
from web.open311_callbacks import HttpCallbacks


class WebPortTaken(RuntimeError):
    """The command centre's address is in use (or cannot be bound)."""


class _InLoopServer(uvicorn.Server):
    """uvicorn's server, saying when it listens and leaving Ctrl+C to the process that embeds it."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        self.listening.set()

    def capture_signals(self):
        return contextlib.nullcontext()


class WebServer:
    """Starts the command centre on `web.listen:web.port` as a task and stops it cleanly."""

    def __init__(self, services: Services) -> None:
        web = services.config.web
        self.address = f"{web.listen}:{web.port}"
        self._server = _InLoopServer(uvicorn.Config(create_app(services), host=web.listen, port=web.port,
                                                    log_level="warning", lifespan="off"))
        self._task: asyncio.Task | None = None
        self.services = services
        self.callbacks = CallbackWorker(services.db, HttpCallbacks(services), services.config.open311)

    async def start(self) -> None:
        """Returns once the port is listening; raises when it cannot listen (uvicorn exits then)."""
        self._task = asyncio.create_task(self._serve(), name="web-server")
        listening = asyncio.create_task(self._server.listening.wait())
        await asyncio.wait([self._task, listening], return_when=asyncio.FIRST_COMPLETED)
        if not self._server.listening.is_set():
            listening.cancel()
            self._task = None
            raise WebPortTaken(f"the command centre cannot listen on {self.address}")
        self.services.callbacks = self.callbacks
        self.callbacks.start()

    async def _serve(self) -> None:
        try:
            await self._server.serve()
        except SystemExit:  # how uvicorn gives up when it cannot bind; start() says so
            pass

    async def stop(self) -> None:
        if self._task is None:
            return
        await self.callbacks.stop(grace=5.0)
        self.services.callbacks = None
        self._server.should_exit = True
        await self._task
        self._task = None
