"""SQLite called from the event loop's own thread, behind SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call in a thread of its own and wakes the loop for each answer; SQLAlchemy's
adapter makes four such calls per statement (cursor, execute, fetch, close). Measured here: 430-490 µs
of CPU per statement that way, 30-60 µs for the same statement called directly, and a report's
handling runs a dozen statements and more. A statement on a local SQLite file is over in
microseconds, and this process's transactions already take turns (storage/db.py), so none of ours
waits on another. The one wait left is for another process's write lock (a CLI command writing to
the same file): that must not freeze the loop, so SQLite's own busy wait is off here and a busy
answer is tried again after an asyncio sleep, for as long as the busy timeout it replaces.
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any, Callable

BUSY_PATIENCE_SECONDS = 10.0


async def connect(path: str) -> "Connection":
    """For create_async_engine(async_creator=...): what aiosqlite.connect would give SQLAlchemy."""
    # The pool may close a connection from another thread (garbage collection at exit).
    return Connection(sqlite3.connect(path, isolation_level=None, check_same_thread=False))


async def _patiently(call: Callable[..., Any], *args: Any) -> Any:
    """`call(*args)`, tried again while another process holds the write lock: a statement refused as
    busy did nothing, so it can simply be repeated."""
    delay, deadline = 0.001, time.monotonic() + BUSY_PATIENCE_SECONDS
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            if not (exc.sqlite_errorname or "").startswith("SQLITE_BUSY") or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


class Cursor:
    """The awaitable face of a sqlite3 cursor that SQLAlchemy's adapter expects."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def execute(self, operation: str, parameters: Any = ()) -> "Cursor":
        await _patiently(self._cursor.execute, operation, parameters)
        return self

    async def executemany(self, operation: str, seq_of_parameters: Any) -> "Cursor":
        await _patiently(self._cursor.executemany, operation, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self):
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid


class Connection:
    """The awaitable face of a sqlite3 connection that SQLAlchemy's adapter expects."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def execute(self, operation: str, parameters: Any = ()) -> Cursor:
        return await (await self.cursor()).execute(operation, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        await _patiently(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        """What the pool calls to end a connection it gives up on."""
        self._conn.close()
