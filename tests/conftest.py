"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is required: if the server at $GRIDSEC_TEST_PG (default postgres@127.0.0.1:5432/test)
does not answer, the PostgreSQL half of the suite fails loudly instead of being skipped.
Each test gets a fresh database copied from a migrated template holding the bundled sample
district, so tests never see each other's data.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from bot.config import load_config

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
TEST_CONFIG = REPO / "tests" / "config.yaml"
PG_ADMIN = os.environ.get("GRIDSEC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


def pytest_collection_modifyitems(config, items):
    if not items:
        raise pytest.UsageError("no tests collected")


@pytest.fixture(scope="session")
def shared_district() -> Path:
    path = SHARED / "data" / "district"
    if not (path / "grids.geojson").is_file():
        pytest.fail(f"the shared district is missing: expected it at {path}")
    return path


def _in_thread(coro) -> object:
    """Run a coroutine to the end from sync code, even when called while an event loop is running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _migrate_template(url: str) -> None:
    from gridsec.app import ensure_district
    from storage.db import Database

    async def go():
        db = Database(url)
        await db.upgrade()
        await ensure_district(db, load_config(TEST_CONFIG, env={}))
        await db.dispose()

    _in_thread(go())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    _migrate_template(f"sqlite+aiosqlite:///{path}")
    return path


async def _pg_admin(sql: str) -> None:
    try:
        conn = await asyncpg.connect(PG_ADMIN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL is required for the test suite but {PG_ADMIN} does not answer: {exc}")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_template():
    name = f"gridsec_tmpl_{uuid.uuid4().hex[:8]}"
    _in_thread(_pg_admin(f'CREATE DATABASE "{name}"'))
    _migrate_template(_pg_url(name))
    yield name
    _in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request, tmp_path):
    """A fresh, migrated database holding the bundled sample district."""
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"gridsec_t_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _pg_url(name)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def config(database_url, tmp_path):
    """tests/config.yaml on the test database, with photos in a temporary folder and the keyword
    NLU (tests that need the Rasa server ask for it: see tests/e2e/test_rasa_nlu.py)."""
    base = load_config(TEST_CONFIG, env={})
    return base.copy_with(database=base.database.copy_with(url=database_url),
                          storage=base.storage.copy_with(photo_dir=str(tmp_path / "photos")))


@pytest.fixture
async def db(config):
    """The test database, opened (and disposed of after the test)."""
    from storage.db import Database

    database = Database(config.database.url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def rasa_model():
    """The trained Rasa model (trained now if its inputs changed; cached by their hash).
    Fails, does not skip, when the Rasa venv is missing: `bash scripts/setup_rasa.sh`."""
    from nlu import paths, server

    try:
        paths.rasa_python()
    except paths.RasaNotInstalled as exc:
        pytest.fail(str(exc))
    return server.train(progress=False)


@pytest.fixture(scope="session")
def rasa_server(rasa_model):
    """A real Rasa server process for the whole session."""
    from nlu import server

    srv = server.start_server(port=None, model=rasa_model, timeout=300)
    try:
        yield srv
    finally:
        srv.stop()
    assert srv.proc is None


@pytest.fixture(scope="session")
def rasa_url(rasa_server) -> str:
    return rasa_server.url
