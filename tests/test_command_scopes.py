"""The emulator's command menus: scopes read as strictly as Telegram reads them, one list per
scope, chat and language, and the menu a person sees found as Telegram finds it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import TOKEN
from telegram import (
    Bot,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeChatMember,
)
from telegram.error import BadRequest

from clicksbot.sandbox import Emulator, EmulatorServer


async def call(emulator: Emulator, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    return await emulator.call(TOKEN, method, params)


COMMANDS = [{"command": "quiz", "description": "A quiz"}]


@pytest.mark.parametrize(
    ("scope", "description"),
    [
        ("[1]", "can't parse BotCommandScope: BotCommandScope must be an Object"),
        ("{", "can't parse BotCommandScope JSON object"),
        ({}, "can't parse BotCommandScope: Can't find field \"type\""),
        ({"type": 1}, 'can\'t parse BotCommandScope: Field "type" must be of type String'),
        ({"type": "everyone"}, "can't parse BotCommandScope: Unsupported type specified"),
        ({"type": "chat"}, "can't parse BotCommandScope: Can't find field \"chat_id\""),
        ({"type": "chat", "chat_id": ""}, "can't parse BotCommandScope: Empty chat_id specified"),
        ({"type": "chat", "chat_id": True}, 'BotCommandScope: Field "chat_id" must be of type'),
        ({"type": "chat_member", "chat_id": -1}, 'BotCommandScope: Can\'t find field "user_id"'),
        ({"type": "chat_member", "chat_id": -1, "user_id": 0}, "Invalid user_id specified"),
        ({"type": "all_private_chats", "chat_id": 5}, 'Unexpected field "chat_id"'),
        ({"type": "chat", "chat_id": 5}, "chat not found"),
        ({"type": "chat", "chat_id": "@somewhere"}, "chat not found"),
    ],
)
async def test_the_emulator_reads_command_scopes_as_telegram_does(
    scope: object, description: str
) -> None:
    """A scope Telegram would refuse is refused with Telegram's words, in every command
    method; the emulator is stricter where Telegram ignores a bot's mistake (an extra field)."""
    emulator = Emulator(token=TOKEN)
    for method, extra in (("setMyCommands", {"commands": COMMANDS}), ("getMyCommands", {}),
                          ("deleteMyCommands", {})):  # fmt: skip
        status, body = await call(emulator, method, scope=scope, **extra)
        assert status == 400 and description in body["description"], (method, body)
    assert emulator.commands == {}


async def test_the_emulator_keeps_one_list_per_scope_chat_and_language() -> None:
    """Each scope, chat and language has its own list; a private chat takes only the "chat"
    scope; an empty list or deleteMyCommands removes one list and no other; language codes
    are two letters."""
    emulator = Emulator(token=TOKEN)
    alice = emulator.person("Alice")
    status, body = await call(emulator, "setMyCommands", commands=COMMANDS,
                              scope={"type": "chat", "chat_id": alice.id})  # fmt: skip
    assert status == 400 and "chat not found" in body["description"]  # never wrote to the bot
    alice.send("/start")
    group = emulator.group("Class", alice)
    for scope in ({"type": "chat_administrators", "chat_id": alice.id},
                  {"type": "chat_member", "chat_id": alice.id, "user_id": alice.id}):  # fmt: skip
        status, body = await call(emulator, "setMyCommands", commands=COMMANDS, scope=scope)
        assert body["description"] == "Bad Request: can't use specified scope in private chats"
    status, body = await call(emulator, "setMyCommands", commands=COMMANDS, language_code="eng")
    assert body["description"] == "Bad Request: invalid language code specified"
    lists = {
        json.dumps({"type": "all_private_chats"}): [{"command": "tip", "description": "Tip"}],
        json.dumps({"type": "chat", "chat_id": str(alice.id)}): COMMANDS,  # as a form sends it
        json.dumps({"type": "chat_member", "chat_id": group.id, "user_id": alice.id}): COMMANDS,
    }
    for scope, commands in lists.items():
        assert (await call(emulator, "setMyCommands", commands=commands, scope=scope))[0] == 200
    await call(emulator, "setMyCommands", commands=COMMANDS, scope={"type": "default"},
               language_code="ms")  # fmt: skip
    assert emulator.menu("chat", alice.chat) == ["quiz"]
    assert emulator.menu_seen_by(alice) == ["quiz"]
    assert emulator.menu_seen_by(alice, group) == ["quiz"]  # her own list in that group
    hers = {"type": "chat", "chat_id": alice.id}
    assert (await call(emulator, "getMyCommands", scope=hers))[1]["result"] == COMMANDS
    await call(emulator, "deleteMyCommands", scope=hers)
    assert emulator.menu_seen_by(alice) == ["tip"]
    await call(emulator, "setMyCommands", commands=[], scope={"type": "all_private_chats"})
    assert emulator.menu("all_private_chats") is None
    assert emulator.menu_seen_by(alice) == []  # Alice's Telegram is English: not the ms list
    assert emulator.menu("default", language="ms") == ["quiz"]


async def test_ptb_scopes_reach_the_emulator_as_telegram_reads_them() -> None:
    """PTB's own scope objects, over HTTP: accepted where Telegram accepts them and refused
    with Telegram's words where it refuses them."""
    emulator = Emulator(token=TOKEN)
    async with EmulatorServer(emulator) as server, Bot(TOKEN, base_url=server.api_url) as bot:
        alice = emulator.person("Alice", language_code="ru")
        alice.send("/start")
        group = emulator.group("Class", alice)
        await bot.set_my_commands([("quiz", "Квиз")], scope=BotCommandScopeAllGroupChats(),
                                  language_code="ru")  # fmt: skip
        await bot.set_my_commands([("tip", "Tip")], scope=BotCommandScopeChat(alice.id))
        got = await bot.get_my_commands(scope=BotCommandScopeChat(alice.id))
        assert [c.command for c in got] == ["tip"]
        assert emulator.menu_seen_by(alice) == ["tip"]
        assert emulator.menu_seen_by(alice, group) == ["quiz"]
        with pytest.raises(BadRequest, match="(?i)can.t use specified scope in private chats"):
            await bot.set_my_commands(
                [("tip", "Tip")], scope=BotCommandScopeChatMember(alice.id, 1)
            )
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.delete_my_commands(scope=BotCommandScopeChat(123))
        assert await bot.delete_my_commands(scope=BotCommandScopeChat(alice.id))
        assert emulator.menu_seen_by(alice) == []
