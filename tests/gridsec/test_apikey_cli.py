"""`gridsec apikey create|list|revoke`: a key is printed once and stored only as its hash; a revoked
key stops working at once, and creating the channel again rotates its key."""
from __future__ import annotations

import asyncio
import hashlib

from sqlalchemy import select

from gridsec.cli import main
from storage.db import Database
from storage.models import ApiKey


def _rows(url: str) -> list[ApiKey]:
    async def go():
        db = Database(url)
        async with db.session() as s:
            rows = list((await s.execute(select(ApiKey))).scalars())
        await db.dispose()
        return rows
    return asyncio.run(go())


def test_keys_are_created_listed_revoked_and_rotated(database_url, capsys):
    cli = ["--database", database_url, "apikey"]
    assert main([*cli, "create", "12345热线"]) == 0
    first = capsys.readouterr().out.strip()
    (row,) = _rows(database_url)
    assert row.key_hash == hashlib.sha256(first.encode()).hexdigest() and first not in row.key_hash
    assert main([*cli, "create", "12345热线"]) == 2  # one key per channel: revoke to rotate
    assert main([*cli, "list"]) == 0
    assert "12345热线\tactive" in capsys.readouterr().out
    assert main([*cli, "revoke", "12345热线"]) == 0
    assert main([*cli, "revoke", "12345热线"]) == 2
    capsys.readouterr()
    assert main([*cli, "create", "12345热线"]) == 0
    second = capsys.readouterr().out.strip()
    (row,) = _rows(database_url)
    assert second != first and row.revoked_at is None and row.key_hash == hashlib.sha256(second.encode()).hexdigest()
