"""Async client for the Rasa NLU server (POST /model/parse), implementing bot.understanding.NluClient.

    client = RasaClient("http://127.0.0.1:5005", timeout=3.0)
    try:
        parse = await client.parse("东风东路12号门口垃圾堆成山")
    except RasaUnavailable:
        parse = await keyword_parser.parse(text)       # the documented fallback
    ...
    await client.close()

Circuit breaker: after `failure_threshold` consecutive failures (timeout, connection error, HTTP 5xx,
bad JSON) the circuit opens and every parse raises RasaUnavailable at once, without touching the
network, for `reset_timeout` seconds; then one trial request is let through (half-open): success closes
the circuit, failure opens it again. `client.available` tells whether a parse would be attempted.

Several servers (`RasaPool`): each parse goes to the least busy server whose circuit is not open;
one that fails is passed over for the next, so a server down costs its share of parses one
timeout at most, until its circuit opens.

Mapping of Rasa's answer to Parse: `nlu_fallback` (should a FallbackClassifier be configured again)
and unknown intent names become `fallback_intent` ("out_of_scope") with the best real intent's
confidence; category comes from the CategoryClassifier head (unknown → "other"); urgent from the
UrgencyDetector; department only when the router's confidence ≥ `department_threshold`.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from bot.understanding import CATEGORIES, INTENTS, Entity, Parse

ENTITY_TYPES = ("address", "ticket", "phone", "plate", "time")


class RasaUnavailable(Exception):
    """The Rasa server is down, slow or the circuit is open: use the fallback parser."""


class CircuitBreaker:
    def __init__(self, failure_threshold: int = 3, reset_timeout: float = 15.0, clock=time.monotonic):
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.reset_timeout:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        st = self.state
        if st == "closed":
            return True
        if st == "half-open" and not self._trial:
            self._trial = True  # exactly one trial request
            return True
        return False

    def success(self) -> None:
        self.failures, self.opened_at, self._trial = 0, None, False

    def failure(self) -> None:
        self.failures += 1
        self._trial = False
        if self.opened_at is not None or self.failures >= self.failure_threshold:
            self.opened_at = self.clock()


class RasaClient:
    def __init__(self, url: str = "http://127.0.0.1:5005", timeout: float = 3.0, failure_threshold: int = 3,
                 reset_timeout: float = 15.0, department_threshold: float = 0.5,
                 fallback_intent: str = "out_of_scope", session: aiohttp.ClientSession | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.breaker = CircuitBreaker(failure_threshold, reset_timeout)
        self.department_threshold = department_threshold
        self.fallback_intent = fallback_intent
        self._session = session
        self._own_session = session is None

    @property
    def available(self) -> bool:
        return self.breaker.state != "open"

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32))
            self._own_session = True
        return self._session

    async def parse_raw(self, text: str) -> dict[str, Any]:
        """Rasa's JSON for `text`; raises RasaUnavailable on any failure or while the circuit is open."""
        if not self.breaker.allow():
            raise RasaUnavailable(f"circuit open ({self.breaker.failures} failures), retry after "
                                  f"{self.breaker.reset_timeout:.0f} s")
        session = await self._get_session()
        try:
            async with session.post(f"{self.url}/model/parse", json={"text": text},
                                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                if resp.status >= 500:
                    raise RasaUnavailable(f"HTTP {resp.status}")
                if resp.status != 200:
                    # a 4xx is our request's fault, not the server's health
                    self.breaker.success()
                    raise RasaUnavailable(f"HTTP {resp.status}: {(await resp.text())[:200]}")
                data = await resp.json(content_type=None)
                if not isinstance(data, dict) or "intent" not in data:
                    raise RasaUnavailable("unexpected answer from Rasa")
        except RasaUnavailable as e:
            if not str(e).startswith("HTTP 4"):
                self.breaker.failure()
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, OSError) as e:
            self.breaker.failure()
            raise RasaUnavailable(f"{type(e).__name__}: {e}") from e
        self.breaker.success()
        return data

    async def parse(self, text: str) -> Parse:
        return to_parse(await self.parse_raw(text), self.department_threshold, self.fallback_intent)

    async def close(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def __aenter__(self) -> "RasaClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()


class RasaPool:
    """Several Rasa servers behind one client (nlu.servers): the least busy first, each with its own
    circuit breaker; RasaUnavailable only when none answered."""

    def __init__(self, clients: list[RasaClient]) -> None:
        self.clients = clients
        self.busy = [0] * len(clients)  # parses under way, per server

    async def parse(self, text: str) -> Parse:
        failures: list[str] = []
        for index in sorted(range(len(self.clients)), key=lambda i: self.busy[i]):  # ties: first listed
            client = self.clients[index]
            if not client.available:
                failures.append(f"{client.url}: circuit open")
                continue
            self.busy[index] += 1
            try:
                return await client.parse(text)
            except RasaUnavailable as exc:
                failures.append(f"{client.url}: {exc}")
            finally:
                self.busy[index] -= 1
        raise RasaUnavailable("; ".join(failures))

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


def to_parse(data: dict[str, Any], department_threshold: float = 0.5,
             fallback_intent: str = "out_of_scope") -> Parse:
    """Rasa /model/parse JSON (with the custom heads' keys) → Parse."""
    intent = (data.get("intent") or {}).get("name")
    conf = float((data.get("intent") or {}).get("confidence") or 0.0)
    if intent not in INTENTS:
        ranking = [r for r in data.get("intent_ranking") or [] if r.get("name") in INTENTS]
        intent = fallback_intent
        conf = float(ranking[0]["confidence"]) if ranking else 0.0
    cat = data.get("category") or {}
    category = cat.get("name") if cat.get("name") in CATEGORIES else "other"
    ranking = tuple((r["name"], round(float(r["confidence"]), 4)) for r in data.get("category_ranking") or []
                    if r.get("name") in CATEGORIES)
    urgent = data.get("urgent") or {}
    dept = data.get("department") or {}
    department = dept.get("name") if dept.get("name") and float(dept.get("confidence") or 0) >= department_threshold \
        else None
    entities = tuple(
        Entity(e["entity"], str(e.get("value", "")), int(e["start"]), int(e["end"]))
        for e in data.get("entities") or [] if e.get("entity") in ENTITY_TYPES
    )
    cue = urgent.get("rule") if isinstance(urgent, dict) and isinstance(urgent.get("rule"), str) else None
    return Parse(intent=intent, intent_confidence=round(conf, 4), category=category,
                 category_confidence=round(float(cat.get("confidence") or 0.0), 4),
                 urgent=bool(urgent.get("value")) if isinstance(urgent, dict) else bool(urgent),
                 department=department, entities=entities, source="rasa", category_ranking=ranking,
                 urgent_cue=cue)
