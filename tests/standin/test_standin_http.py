"""The wire protocol seen from outside PTB: getUpdates semantics, files, and /_sim for other processes."""

from __future__ import annotations

import base64

import httpx
import pytest


@pytest.fixture
async def http(standin):
    async with httpx.AsyncClient(base_url=standin.base_url, trust_env=False) as client:
        yield client


async def bot_api(http, standin, method: str, **params):
    """Call a Bot API method with a JSON body, which Telegram accepts as well as forms."""
    response = await http.post(f"/bot{standin.token}/{method}", json=params)
    return response.status_code, response.json()


async def test_get_updates_offset_limit_and_allowed_updates(standin, http, user):
    first = standin.inject_text(user, "one").update_id
    standin.inject_text(user, "two")
    standin.inject_text(user, "three")

    _, body = await bot_api(http, standin, "getUpdates", limit=2)
    assert [u["message"]["text"] for u in body["result"]] == ["one", "two"]
    assert standin.pending_updates() == 3  # delivered is not confirmed

    _, body = await bot_api(http, standin, "getUpdates", offset=first + 1)
    assert [u["message"]["text"] for u in body["result"]] == ["two", "three"]
    assert standin.pending_updates() == 2

    _, body = await bot_api(http, standin, "getUpdates", offset=-1)
    assert [u["message"]["text"] for u in body["result"]] == ["three"]

    _, body = await bot_api(http, standin, "getUpdates", allowed_updates=["callback_query"], timeout=0)
    assert body == {"ok": True, "result": []}
    assert standin.pending_updates() == 0  # messages the bot does not want are never delivered


async def test_method_names_are_case_insensitive_and_errors_are_telegram_json(standin, http):
    status, body = await bot_api(http, standin, "GETME")
    assert status == 200 and body["result"]["username"] == "standin_bot"

    status, body = await bot_api(http, standin, "sendMessage", chat_id=5, text="x")
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})

    standin.fail_next("getMe", retry_after=7)
    status, body = await bot_api(http, standin, "getMe")
    assert status == 429 and body["parameters"] == {"retry_after": 7}


async def test_file_download_needs_token_and_known_path(standin, http, user, png):
    file_id = standin.inject_photo(user, png()).message["photo"][-1]["file_id"]
    _, body = await bot_api(http, standin, "getFile", file_id=file_id)
    path = body["result"]["file_path"]

    assert (await http.get(f"/file/bot{standin.token}/{path}")).content == png()
    assert (await http.get(f"/file/bot9:NOPE/{path}")).status_code == 404
    assert (await http.get(f"/file/bot{standin.token}/photos/missing.jpg")).status_code == 404


async def test_sim_endpoints_drive_a_running_bot(standin, start_bot, http):
    from telegram.ext import MessageHandler, filters

    async def echo(update, context):
        await update.message.reply_text(update.message.text or update.message.caption or "?")

    await start_bot(MessageHandler(filters.ALL, echo))
    assert (await http.post("/_sim/user", json={"user_id": 7, "first_name": "Li"})).json()["ok"]

    response = await http.post("/_sim/update", json={"type": "text", "user_id": 7, "text": "巡查开始"})
    assert response.json()["result"]["message"]["text"] == "巡查开始"
    photo = base64.b64encode(b"not really a jpeg").decode()
    await http.post("/_sim/update", json={"type": "photo", "user_id": 7, "data": photo, "caption": "现场"})

    sent = (await http.get("/_sim/sent", params={"chat_id": 7, "count": 2, "timeout": 5})).json()["result"]
    assert [r["text"] for r in sent] == ["巡查开始", "现场"]

    await http.post("/_sim/fail_next", json={"method": "sendMessage", "status": 403,
                                             "description": "Forbidden: bot was blocked by the user"})
    await http.post("/_sim/update", json={"type": "command", "user_id": 7, "command": "help"})
    await standin.wait_until(lambda: [c["status"] for c in standin.calls if c["method"] == "sendMessage"][-1:] == [403])
    calls = (await http.get("/_sim/calls", params={"method": "sendMessage"})).json()["result"]
    assert [c["status"] for c in calls] == [200, 200, 403]

    assert (await http.post("/_sim/update", json={"type": "nope"})).status_code == 400
    assert (await http.post("/_sim/update", json={"type": "text", "user_id": 99, "text": "x"})).status_code == 400
    assert (await http.post("/_sim/explode", json={})).status_code == 404
    assert (await http.post("/_sim/reset")).json()["ok"] and standin.sent == []
