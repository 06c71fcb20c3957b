"""The real PTB Application converses with the stand-in over HTTP, in polling and webhook mode."""

from __future__ import annotations

import asyncio
import io

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import Conflict
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"echo: {update.message.text}")


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_echo_round_trip(standin, start_bot, user, mode):
    await start_bot(MessageHandler(filters.TEXT & ~filters.COMMAND, echo), mode=mode)

    first = standin.inject_text(user, "你好")
    standin.inject_text(user, "second")
    sent = await standin.wait_for_sent(2, chat_id=user)

    assert [r["text"] for r in sent] == ["echo: 你好", "echo: second"]
    assert sent[0]["reply_to_message_id"] is None
    assert sent[0]["message_id"] == first.message_id + 2  # ids are shared by both sides of a chat
    await standin.wait_idle()
    assert standin.pending_updates() == 0


async def test_webhook_mode_refuses_get_updates(standin, start_bot, bot):
    app = await start_bot(mode="webhook")

    info = await app.bot.get_webhook_info()
    assert info.url.endswith("/hook") and info.pending_update_count == 0
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()


async def test_webhook_failures_are_retried_until_the_bot_accepts(standin, start_bot, bot, user, webhook_secret):
    app = await start_bot(MessageHandler(filters.TEXT, echo), mode="webhook")
    hook = (await bot.get_webhook_info()).url
    await bot.set_webhook(hook, secret_token="wrong")  # PTB's server now answers 403
    standin.inject_text(user, "are you there?")

    await standin.wait_until(lambda: standin.world.webhook.last_error_message)
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
    assert info.pending_update_count == 1 and not standin.sent

    await app.bot.set_webhook(hook, secret_token=webhook_secret)
    sent = await standin.wait_for_sent(1)
    assert sent[0]["text"] == "echo: are you there?"


async def test_command_carries_bot_command_entity(standin, start_bot, user):
    seen = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(context.args)
        await update.message.reply_text("welcome")

    await start_bot(CommandHandler("start", start))
    standin.inject_command(user, "start", "grid-7")
    standin.inject_text(user, "/start@standin_bot")

    await standin.wait_for_sent(2)
    assert seen == [["grid-7"], []]


async def test_inline_keyboard_callback_and_edit(standin, start_bot, user):
    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("接单 accept", callback_data="accept:42")]])
        await update.message.reply_text("事件 #42", reply_markup=keyboard)

    accessible = []

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        accessible.append(query.message.is_accessible)  # False if the message's date were 0
        await query.answer("ok")
        await query.edit_message_text(f"{query.message.text} — accepted ({query.data})")

    await start_bot(CommandHandler("menu", menu), CallbackQueryHandler(pressed))
    standin.inject_command(user, "menu")
    [menu_record] = await standin.wait_for_sent(1)
    assert menu_record["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "accept:42"

    press = standin.inject_callback(user, menu_record["message_id"], "accept:42")
    sent = await standin.wait_for_sent(2)

    edit = sent[1]
    assert accessible == [True]
    assert edit["method"] == "editMessageText" and edit["edited"]
    assert edit["text"] == "事件 #42 — accepted (accept:42)"
    assert edit["message_id"] == menu_record["message_id"]
    assert edit["reply_markup"] is None  # an edit without reply_markup drops the keyboard
    assert press.callback_query_id not in standin.world.open_callbacks
    with pytest.raises(ValueError, match="no button"):
        standin.inject_callback(user, menu_record["message_id"], "accept:42")


async def test_photo_upload_and_download_round_trip(standin, start_bot, user, png):
    downloaded = []

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        photo_file = await update.message.photo[-1].get_file()
        data = bytes(await photo_file.download_as_bytearray())
        downloaded.append(data)
        await update.message.reply_photo(data, caption=f"got {len(data)} bytes")
        await update.message.reply_photo(update.message.photo[-1].file_id, caption="again")

    await start_bot(MessageHandler(filters.PHOTO, on_photo))
    image = png()
    injected = standin.inject_photo(user, image, caption="井盖缺失")
    sent = await standin.wait_for_sent(2)

    assert downloaded == [image]
    sizes = injected.message["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 54), (200, 120)]
    assert sent[0]["photo"] and sent[0]["text"] == f"got {len(image)} bytes"
    resent = standin.world.message(user, sent[1]["message_id"])
    assert resent["photo"] == sizes and resent["caption"] == "again"  # a file_id reuses the stored photo


async def test_bot_can_download_its_own_upload(standin, bot, user, png):
    message = await bot.send_photo(user, png(50, 40, "blue"))

    photo_file = await message.photo[-1].get_file()
    data = io.BytesIO()
    await photo_file.download_to_memory(data)

    assert data.getvalue() == png(50, 40, "blue")
    assert len(message.photo) == 1  # images of at most 90 px get no thumbnail


async def test_media_group_location_chat_action_commands_delete(standin, bot, user, png):
    photos = [InputMediaPhoto(png(), caption="before"), InputMediaPhoto(png(color="green"))]
    album = await bot.send_media_group(user, photos)
    await bot.send_location(user, 31.2304, 121.4737)
    assert await bot.send_chat_action(user, "typing")
    await bot.set_my_commands([("report", "上报事件"), ("status", "查询进度")])
    assert [c.command for c in await bot.get_my_commands()] == ["report", "status"]
    assert await bot.delete_message(user, album[1].message_id)

    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    group, location = standin.sent
    assert group["method"] == "sendMediaGroup" and group["photo"] and group["text"] == "before"
    assert [m["message_id"] for m in group["media"]] == [album[0].message_id, album[1].message_id]
    assert location["location"] == [31.2304, 121.4737]


async def test_replies_and_reply_keyboards(standin, bot, user):
    asked = standin.inject_text(user, "在哪里?")
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("发送位置", request_location=True)]], one_time_keyboard=True)

    sent = await bot.send_message(user, "请发送位置", reply_to_message_id=asked.message_id, reply_markup=keyboard)

    assert sent.reply_to_message.text == "在哪里?"
    assert sent.reply_markup is None  # messages only carry inline keyboards
    [record] = standin.sent
    assert record["reply_to_message_id"] == asked.message_id
    assert record["reply_markup"]["keyboard"][0][0]["request_location"] is True


async def test_every_injected_kind_parses_in_ptb(standin, start_bot, user, png):
    received: list = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        received.append(update.effective_message)

    await start_bot(MessageHandler(filters.ALL, record))
    standin.inject_location(user, 31.23, 121.47)
    standin.inject_contact(user, "+8613800000000", "Fang")
    standin.inject_sticker(user)
    standin.inject_voice(user, b"OggS voice", duration=3)
    standin.inject_video(user, b"video bytes", caption="录像")
    standin.inject_document(user, b"%PDF-1.4", "report.pdf")
    standin.inject_photo(user, png(), media_group_id="album-1")
    first = standin.inject_text(user, "first")
    standin.inject_text(user, "replying", reply_to_message_id=first.message_id)
    edited = {**first.message, "text": "first, edited", "edit_date": first.message["date"] + 5}
    raw = standin.inject_raw({"update_id": 1, "edited_message": edited})

    await standin.wait_until(lambda: len(received) == 10)
    location, contact, sticker, voice, video, document, photo, _, reply, edit = received
    assert (location.location.latitude, location.location.longitude) == (31.23, 121.47)
    assert contact.contact.user_id == user
    assert sticker.sticker.emoji == "👍"
    assert voice.voice.file_size == len(b"OggS voice")
    assert video.caption == "录像"
    assert (document.document.file_name, document.document.mime_type) == ("report.pdf", "application/pdf")
    assert photo.media_group_id == "album-1"
    assert reply.reply_to_message.text == "first"
    assert edit.text == "first, edited" and raw.update_id == 10  # update ids only increase


async def test_pending_updates_wait_for_confirmation(standin, start_bot, user):
    standin.inject_text(user, "queued before the bot starts")
    assert standin.pending_updates() == 1

    await start_bot()
    await standin.wait_idle()
    assert standin.pending_updates() == 0


async def test_stop_wakes_pending_long_poll(standin, bot):
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await standin.wait_until(lambda: any(c["method"] == "getUpdates" for c in standin.calls))

    loop = asyncio.get_running_loop()
    started = loop.time()
    await standin.stop()
    assert await asyncio.wait_for(poll, 2) == ()
    assert loop.time() - started < 1.5
