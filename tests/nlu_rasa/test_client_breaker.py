"""RasaClient: timeouts, circuit breaker, recovery — against the real server behind a cuttable proxy."""
from __future__ import annotations

import asyncio
import socket
import time

import pytest

from nlu.rasa_client import CircuitBreaker, RasaClient, RasaUnavailable


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    """A TCP forwarder to the Rasa server that the test can cut and restore."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.server: asyncio.base_events.Server | None = None
        self.port = dead_port()
        self.conns: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def cut(self) -> None:
        self.server.close()
        for w in list(self.conns):
            w.close()
        await self.server.wait_closed()

    async def _handle(self, reader, writer):
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.conns |= {writer, uw}

        async def pipe(r, w):
            try:
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                w.close()

        await asyncio.gather(pipe(reader, uw), pipe(ur, writer))


async def test_down_server_raises_fast_and_opens_circuit():
    c = RasaClient(f"http://127.0.0.1:{dead_port()}", timeout=1.0, failure_threshold=2, reset_timeout=60)
    try:
        for _ in range(2):
            with pytest.raises(RasaUnavailable):
                await c.parse("你好")
        assert c.breaker.state == "open" and not c.available
        t0 = time.monotonic()
        with pytest.raises(RasaUnavailable, match="circuit open"):
            await c.parse("你好")
        assert time.monotonic() - t0 < 0.05  # no network while open
    finally:
        await c.close()


async def test_timeout_is_a_failure():
    async def silent(reader, writer):
        await asyncio.sleep(5)
        writer.close()

    srv = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    c = RasaClient(f"http://127.0.0.1:{port}", timeout=0.3, failure_threshold=1)
    try:
        t0 = time.monotonic()
        with pytest.raises(RasaUnavailable):
            await c.parse("你好")
        assert time.monotonic() - t0 < 2
        assert c.breaker.state == "open"
    finally:
        await c.close()
        srv.close()


async def test_server_cut_mid_conversation_then_recovers(rasa_server):
    proxy = Proxy(rasa_server.port)
    await proxy.start()
    c = RasaClient(f"http://127.0.0.1:{proxy.port}", timeout=5, failure_threshold=2, reset_timeout=0.5)
    try:
        assert (await c.parse("你好")).intent == "greet"
        await proxy.cut()
        for _ in range(2):
            with pytest.raises(RasaUnavailable):
                await c.parse("催一下")
        assert c.breaker.state == "open"
        with pytest.raises(RasaUnavailable):
            await c.parse("催一下")
        proxy.server = None
        await proxy.start()  # same port, server back
        await asyncio.sleep(0.6)
        assert c.breaker.state == "half-open"
        assert (await c.parse("催一下")).intent == "urge"
        assert c.breaker.state == "closed"
    finally:
        await c.close()
        if proxy.server:
            await proxy.cut()


def test_breaker_half_open_allows_one_trial():
    now = [0.0]
    b = CircuitBreaker(failure_threshold=2, reset_timeout=10, clock=lambda: now[0])
    b.failure()
    assert b.allow()
    b.failure()
    assert b.state == "open" and not b.allow()
    now[0] = 10.5
    assert b.state == "half-open"
    assert b.allow() and not b.allow()  # one trial only
    b.failure()
    assert b.state == "open"
    now[0] = 21
    assert b.allow()
    b.success()
    assert b.state == "closed" and b.allow()
