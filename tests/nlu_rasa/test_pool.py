"""RasaPool: several servers behind one client — the least busy first, one down passed over, all
down the keyword fallback — against the real Rasa server behind proxies that count and can be cut."""
from __future__ import annotations

import asyncio
from urllib.parse import urlparse

from nlu.client import FallbackNlu, server_urls
from nlu.keywords import KeywordParser
from nlu.rasa_client import RasaClient, RasaPool
from tests.nlu_rasa.test_client_breaker import Proxy, dead_port

TEXT = "东风东路12号门口垃圾堆成山"


class CountingProxy(Proxy):
    """The proxy, counting the parse requests that went through it."""

    def __init__(self, target_port: int):
        super().__init__(target_port)
        self.parses = 0

    async def _handle(self, reader, writer):
        counted = CountingReader(reader, self)
        await super()._handle(counted, writer)


class CountingReader:
    def __init__(self, reader: asyncio.StreamReader, proxy: CountingProxy):
        self.reader, self.proxy = reader, proxy

    async def read(self, n: int) -> bytes:
        data = await self.reader.read(n)
        self.proxy.parses += data.count(b"POST /model/parse")
        return data


async def pool_of(*ports: int) -> RasaPool:
    return RasaPool([RasaClient(f"http://127.0.0.1:{p}", timeout=2.0, failure_threshold=2, reset_timeout=60)
                     for p in ports])


async def test_parses_at_once_are_spread_over_the_servers(rasa_url):
    target = urlparse(rasa_url).port
    first, second = CountingProxy(target), CountingProxy(target)
    await first.start(), await second.start()
    pool = await pool_of(first.port, second.port)
    try:
        parses = await asyncio.gather(*(pool.parse(f"{TEXT}{i}") for i in range(20)))
    finally:
        await pool.close()
        await first.cut(), await second.cut()
    assert {p.source for p in parses} == {"rasa"}
    assert first.parses + second.parses == 20 and min(first.parses, second.parses) >= 5, (first.parses, second.parses)


async def test_a_server_down_is_passed_over_and_its_circuit_opens(rasa_url):
    live = CountingProxy(urlparse(rasa_url).port)
    await live.start()
    pool = await pool_of(dead_port(), live.port)
    try:
        parses = [await pool.parse(TEXT) for _ in range(5)]
        assert [p.source for p in parses] == ["rasa"] * 5
        assert not pool.clients[0].available and pool.clients[1].available  # two failures opened it
        assert live.parses == 5
    finally:
        await pool.close()
        await live.cut()


async def test_every_server_down_falls_back_to_the_keyword_parser():
    nlu = FallbackNlu(await pool_of(dead_port(), dead_port()), KeywordParser())
    try:
        parse = await nlu.parse(TEXT)
    finally:
        await nlu.close()
    assert parse.source == "keyword" and parse.intent == "report"


def test_the_servers_are_the_url_and_the_ports_after_it():
    assert server_urls("http://127.0.0.1:5005", 3) == ["http://127.0.0.1:5005", "http://127.0.0.1:5006",
                                                       "http://127.0.0.1:5007"]
    assert server_urls("http://localhost:7000/", 1) == ["http://localhost:7000"]


def test_gridsec_run_starts_the_servers_nlu_servers_asks_for(rasa_model):
    """`gridsec run` (gridsec.cli.nlu_server) starts a Rasa server on each port nlu.servers names, and
    stops them when the bot stops."""
    from bot.config import load_config
    from gridsec.cli import nlu_server
    from nlu import server
    from tests.conftest import TEST_CONFIG
    from gridsec.nginx import free_ports_from

    config, port = load_config(TEST_CONFIG, env={}), free_ports_from(2)
    two = config.copy_with(nlu=config.nlu.copy_with(backend="rasa", url=f"http://127.0.0.1:{port}", servers=2))
    urls = server_urls(two.nlu.url, 2)
    with nlu_server(two):
        answers = [server.parse_sync(url, TEXT)["intent"]["name"] for url in urls]
    assert answers == ["report", "report"]
    assert not any(server.is_healthy(url) for url in urls)
