"""Telegram's refusals reach PTB as the exceptions and words production would give.

PTB strips "Bad Request: " and capitalizes the rest, which also lowercases everything
after the first letter (``BUTTON_DATA_INVALID`` -> ``Button_data_invalid``).
"""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken

from standin.api import NOT_MODIFIED


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("press", callback_data=data)]])


async def refusal(call) -> str:
    with pytest.raises(BadRequest) as caught:
        await call
    return caught.value.message


async def test_text_limits(bot, user):
    assert await refusal(bot.send_message(user, "")) == "Message text is empty"
    assert await refusal(bot.send_message(user, " \n ")) == "Message text is empty"
    assert await refusal(bot.send_message(user, "字" * 4097)) == "Message is too long"
    assert (await bot.send_message(user, "字" * 4096)).text == "字" * 4096


async def test_caption_limit(bot, user, png):
    assert await refusal(bot.send_photo(user, png(), caption="c" * 1025)) == "Message caption is too long"
    assert (await bot.send_photo(user, png(), caption="c" * 1024)).caption == "c" * 1024


async def test_callback_data_is_limited_to_64_utf8_bytes(bot, user):
    too_long = "数" * 22  # 22 characters, 66 bytes
    assert await refusal(bot.send_message(user, "menu", reply_markup=keyboard(too_long))) == "Button_data_invalid"
    assert await bot.send_message(user, "menu", reply_markup=keyboard("a" * 64))


async def test_unknown_chat_and_unknown_reply(bot, user):
    assert await refusal(bot.send_message(424242, "hello")) == "Chat not found"
    assert await refusal(bot.send_message(user, "hi", reply_to_message_id=999)) == "Message to be replied not found"


async def test_edits(standin, bot, user):
    sent = await bot.send_message(user, "状态: 待处理", reply_markup=keyboard("take"))

    same = bot.edit_message_text("状态: 待处理", user, sent.message_id, reply_markup=keyboard("take"))
    assert await refusal(same) == NOT_MODIFIED.capitalize()
    assert await refusal(bot.edit_message_text("x", user, 999)) == "Message to edit not found"
    own = standin.inject_text(user, "a user's message")
    assert await refusal(bot.edit_message_text("x", user, own.message_id)) == "Message can't be edited"
    assert await refusal(bot.edit_message_caption(user, sent.message_id, caption="x")) == (
        "There is no caption in the message to edit"
    )

    edited = await bot.edit_message_reply_markup(user, sent.message_id)  # same text, keyboard removed
    assert edited.reply_markup is None and standin.sent[-1]["edited"]
    assert await bot.delete_message(user, sent.message_id)
    assert await refusal(bot.delete_message(user, sent.message_id)) == "Message to delete not found"


async def test_callback_query_can_be_answered_once(standin, bot, user):
    sent = await bot.send_message(user, "menu", reply_markup=keyboard("go"))
    query_id = standin.inject_callback(user, sent.message_id, "go").callback_query_id

    assert await bot.answer_callback_query(query_id, text="done")
    too_old = "Query is too old and response timeout expired or query id is invalid"
    assert await refusal(bot.answer_callback_query(query_id)) == too_old
    assert await refusal(bot.answer_callback_query("nonsense")) == too_old


async def test_html_is_parsed_like_telegram(standin, bot, user):
    sent = await bot.send_message(user, "  <b>事件</b> &lt;3&gt; <a href='https://x.cn'>链接</a>\n", parse_mode="HTML")
    assert sent.text == standin.sent[-1]["text"] == "事件 <3> 链接"  # trimmed, like Telegram
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 2), ("text_link", 7, 2)]
    assert sent.text_html == '<b>事件</b> &lt;3&gt; <a href="https://x.cn">链接</a>'
    restyled = await bot.edit_message_text(sent.text_html.replace("b>", "i>"), user, sent.message_id,
                                           parse_mode="HTML")  # same text, other entities: modified
    assert restyled.entities[0].type == "italic"
    code = await bot.send_message(user, '<pre><code class="language-python">x = 1</code></pre>', parse_mode="HTML")
    assert [(e.type, e.language) for e in code.entities] == [("pre", "python")]

    def html(text: str):
        return bot.send_message(user, text, parse_mode="HTML")

    assert await refusal(html("上报 <井盖> 缺失")) == (
        'Can\'t parse entities: unsupported start tag "井盖" at byte offset 7'
    )
    assert await refusal(html("a < b")) == 'Can\'t parse entities: unsupported start tag "" at byte offset 2'
    assert await refusal(html("<b>bold")) == "Can't parse entities: can't find end tag corresponding to start tag b"
    assert await refusal(html("<b><i>x</b></i>")) == (
        'Can\'t parse entities: unmatched end tag at byte offset 7, expected "</i>", found "</b>"'
    )


async def test_blocked_user_is_forbidden(standin, bot, user):
    standin.block(user)
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(user, "are you there?")
    assert caught.value.message == "Forbidden: bot was blocked by the user"

    standin.block(user, blocked=False)
    assert await bot.send_message(user, "welcome back")


async def test_wrong_token_and_unknown_method(standin, bot):
    stranger = Bot("2:WRONG", base_url=standin.bot_base_url, base_file_url=standin.file_base_url)
    with pytest.raises(InvalidToken):
        async with stranger:  # initialize() calls getMe
            pass

    with pytest.raises(EndPointNotFound) as caught:
        await bot.do_api_request("fooBar")
    assert caught.value.__cause__.message == "Not Found: method not found"
    assert standin.calls[-1]["method"] == "fooBar" and standin.calls[-1]["status"] == 404


async def test_unknown_file_id(bot, user):
    assert await refusal(bot.get_file("nope")) == "Invalid file_id"
    assert await refusal(bot.send_photo(user, "nope")) == "Wrong file identifier/http url specified"
