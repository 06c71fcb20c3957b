"""setChatMenuButton / getChatMenuButton as Telegram answers them: per chat or the bot's default,
Web App buttons only over https."""
from __future__ import annotations

import pytest
from telegram import MenuButtonCommands, MenuButtonDefault, MenuButtonWebApp, WebAppInfo
from telegram.error import BadRequest

MINI_APP = MenuButtonWebApp("指挥中心", WebAppInfo("https://gridsec.example.org/app"))


async def test_a_chat_gets_its_own_web_app_button_and_others_the_default(standin, bot, user):
    assert await bot.get_chat_menu_button(user) == MenuButtonDefault()
    assert await bot.set_chat_menu_button(user, MINI_APP)
    assert await bot.get_chat_menu_button(user) == MINI_APP
    assert standin.world.menu_buttons[user]["web_app"]["url"] == "https://gridsec.example.org/app"
    await bot.set_chat_menu_button(menu_button=MenuButtonCommands())  # the bot's default
    assert await bot.get_chat_menu_button(user) == MINI_APP
    await bot.set_chat_menu_button(user, MenuButtonDefault())
    assert await bot.get_chat_menu_button(user) == MenuButtonCommands()


async def test_a_web_app_button_needs_https_and_a_known_chat(bot, user):
    with pytest.raises(BadRequest, match="(?i)only https"):
        await bot.set_chat_menu_button(user, MenuButtonWebApp("指挥中心", WebAppInfo("http://127.0.0.1:8080/app")))
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.set_chat_menu_button(999_999_999, MINI_APP)
