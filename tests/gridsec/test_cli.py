"""The command line reads --config and --database wherever they are written; `gridsec standin`
serves the stand-in on its own."""
from __future__ import annotations

import json
import signal
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import httpx
import pytest

from gridsec.cli import parser

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv", [
    ["--database", "sqlite+aiosqlite:///x.db", "district", "import", "dir"],
    ["district", "import", "dir", "--database", "sqlite+aiosqlite:///x.db"],
    ["--database", "sqlite+aiosqlite:///x.db", "route", "--text", "中山五路"],
])
def test_database_before_or_after_the_command(argv):
    assert parser().parse_args(argv).database == "sqlite+aiosqlite:///x.db"


def test_no_option_means_the_config_decides():
    args = parser().parse_args(["db", "upgrade"])
    assert args.database is None and args.config is None


def test_standin_runs_as_its_own_process_with_the_bot_api_and_its_control_api():
    proc = subprocess.Popen([sys.executable, "-m", "gridsec", "standin", "--port", "0", "--token", "7:CLI"],
                            cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"})
    try:
        where = json.loads(proc.stdout.readline())
        assert where["token"] == "7:CLI" and where["bot_api_url"] == where["base_url"] + "/bot"

        def call(path: str, body: dict | None = None) -> object:
            request = urllib.request.Request(where["base_url"] + path)
            if body is not None:
                request.data = json.dumps(body).encode()
                request.add_header("Content-Type", "application/json")
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())["result"]

        bot = f"/bot{where['token']}"
        assert call(f"{bot}/getMe")["id"] == 7
        call("/_sim/user", {"user_id": 42, "first_name": "Ada"})
        update_id = call("/_sim/update", {"type": "text", "user_id": 42, "text": "你好"})["update_id"]
        assert call("/_sim/unconfirmed") == [update_id]
        assert [u["message"]["text"] for u in call(f"{bot}/getUpdates", {"timeout": 0})] == ["你好"]
        call(f"{bot}/getUpdates", {"offset": update_id + 1, "timeout": 0})
        assert call("/_sim/unconfirmed") == []
        call(f"{bot}/sendMessage", {"chat_id": 42, "text": "收到"})
        assert [r["text"] for r in call("/_sim/sent?chat_id=42")] == ["收到"]
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_the_demo_prints_a_link_that_opens_its_command_centre_on_the_demo_district():
    from gridsec.simulate import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gridsec", "demo", "--nlu", "keyword", "--json", "--port", str(port)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"})
    try:
        lines = iter(proc.stdout.readline, "")
        shown = next(record for record in map(json.loads, lines) if "web_link" in record)
        link = shown["web_link"]
        assert link.startswith(f"http://127.0.0.1:{port}/")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as browser:
            landed = browser.get(link, follow_redirects=True)
            assert landed.status_code == 200 and landed.url.path == "/scope/YX"
            grids = browser.get("/api/map", params={"scope": "YX"}).json()
            assert grids["geojson"]["features"] and grids["areas"]
            figures = browser.get("/api/figures", params={"scope": "YX"}).json()
            assert figures["filed"] == 1  # the demo's one case
        with httpx.Client(timeout=30) as stranger:
            assert stranger.get(link).status_code == 403  # the link works once
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("argv, why", [
    (["--database", "sqlite+aiosqlite:///x.db", "run", "--workers", "2", "--webhook-url", "https://x/hook"],
     "PostgreSQL"),
    (["--database", "postgresql+asyncpg://u@h/db", "run", "--workers", "2"], "webhook"),
])
def test_several_workers_need_postgresql_and_a_webhook(argv, why):
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "1:TEST"}
    done = subprocess.run([sys.executable, "-m", "gridsec", *argv], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and why in done.stderr, done.stderr


def test_a_worker_index_reads_as_i_of_n():
    assert parser().parse_args(["run", "--worker", "1/2"]).worker == (1, 2)
    with pytest.raises(SystemExit):
        parser().parse_args(["run", "--worker", "2/2"])
