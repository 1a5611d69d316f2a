"""Menus and help by place and role: Telegram's command scopes as Telegram receives them, /help
in a group, in private and for moderators, and private-only commands sent in a group."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import Clock, Running, started

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.handlers.groups import PRIVATE_ONLY
from clicksbot.handlers.menus import GROUP_MENU, MENU, TWO_LETTER
from clicksbot.sandbox import EmulatorServer, Person

PRIVATE = list(MENU)
GROUP = ["quiz", "top", "groupdaily", "help"]
MODERATOR = [
    "tip", "quiz", "review", "progress", "pact", "invite", "subscribe", "settings", "language",
    "privacy",
    "modhelp", "broadcast", "newcampaign", "campaigns", "impact", "help", "start",
]  # fmt: skip
ADMIN = [*MODERATOR[:-2], "addmod", "delmod", "mods", "stats", "help", "start"]
LINK = "https://t.me/clicksbot_sandbox_bot"


def scopes_received(bot: Running, method: str = "setMyCommands") -> list[tuple[Any, str]]:
    """Each (scope, language_code) the bot sent with a method, as Telegram received them."""
    found = []
    for call in bot.emulator.sent(method):
        scope = call.params.get("scope")
        scope = json.loads(scope) if isinstance(scope, str) else scope
        found.append((scope, call.params.get("language_code") or ""))
    return found


def make_admin(bot: Running, person: Person) -> None:
    object.__setattr__(bot.settings, "admins", frozenset({person.id}))


async def test_telegram_gets_a_private_and_a_group_menu_in_every_language(bot: Running) -> None:
    """At start the bot sets two menus per interface language: all private chats get the
    learner's commands, all groups /quiz, /top, /groupdaily and /help; English stands in for
    every other language, and Filipino goes as Telegram's "tl". People see them by place."""
    received = scopes_received(bot)
    assert {json.dumps(scope, sort_keys=True) for scope, _ in received} == {
        '{"type": "all_private_chats"}',
        '{"type": "all_group_chats"}',
    }
    languages = {code for _, code in received}
    assert {"", "ms", "id", "tl", "th", "vi", "km", "ru", "kk", "uz", "pt", "sr", "ar"} == languages
    assert bot.emulator.menu("all_private_chats") == PRIVATE
    assert bot.emulator.menu("all_group_chats") == GROUP == list(GROUP_MENU)
    assert bot.emulator.menu("default") is None  # nothing falls through to the default scope
    siti = await started(bot, "Siti", "ms")
    ana = await started(bot, "Ana", "en")
    chat = bot.emulator.group("Kelas 5A", siti, ana)
    assert bot.emulator.menu_seen_by(siti) == PRIVATE
    assert bot.emulator.menu_seen_by(siti, chat) == GROUP
    malay = bot.emulator.commands[next(k for k in bot.emulator.commands if k.language == "ms"
                                       and k.scope == "all_group_chats")]  # fmt: skip
    assert {"command": "top", "description": "Papan pendahulu kumpulan"} in malay


async def test_moderators_and_admins_have_their_own_menu_in_their_chat(bot: Running) -> None:
    """/addmod gives the new moderator their menu in their chat with the bot (in their
    language); /delmod takes it back (deleteMyCommands), so they see the private menu again.
    An admin gets theirs at /start; everyone else keeps the private menu."""
    admin = await started(bot, "Admin")
    make_admin(bot, admin)
    admin.send("/start")  # an admin from the config, met again: their menu
    await admin.receive()
    await asyncio.sleep(0.1)
    assert bot.emulator.menu_seen_by(admin) == ADMIN
    teacher = await started(bot, "Guru", "ms")
    pupil = await started(bot, "Murid", "ms")
    admin.send(f"/addmod {teacher.id}")
    assert "is now a moderator" in (await admin.receive()).text
    assert bot.emulator.menu_seen_by(teacher) == MODERATOR
    assert bot.emulator.menu_seen_by(pupil) == PRIVATE
    chat_scope = {"type": "chat", "chat_id": teacher.id}
    assert (chat_scope, "") in scopes_received(bot)  # one list for all their languages ...
    theirs = bot.emulator.commands[next(k for k in bot.emulator.commands
                                        if k.chat_id == teacher.id)]  # fmt: skip
    assert {"command": "broadcast", "description": "Hantar mesej kepada ramai orang"} in theirs
    chat = bot.emulator.group("Kelas", teacher, pupil)
    assert bot.emulator.menu_seen_by(teacher, chat) == GROUP  # ... in their own chat only
    admin.send(f"/delmod {teacher.id}")
    assert "no longer a moderator" in (await admin.receive()).text
    assert (chat_scope, "") in scopes_received(bot, "deleteMyCommands")
    assert bot.emulator.menu_seen_by(teacher) == PRIVATE


async def test_a_moderators_menu_follows_their_language(bot: Running) -> None:
    """A moderator who switches to Russian gets their menu described in Russian."""
    mod = await started(bot, "Mod")
    store = runtime_of(bot.app).store
    assert store is not None
    await store.add_moderator(mod.id, 42, datetime.now(UTC))
    mod.send("/language")
    await mod.press(await mod.receive(), "Русский")
    await mod.receive_edit()
    await mod.receive()
    await asyncio.sleep(0.1)
    theirs = bot.emulator.commands[next(k for k in bot.emulator.commands if k.chat_id == mod.id)]
    assert [c["command"] for c in theirs] == MODERATOR
    assert {"command": "modhelp", "description": "Что могут модераторы"} in theirs


async def test_someone_made_moderator_before_writing_to_the_bot_gets_the_menu_at_start(
    bot: Running,
) -> None:
    """Telegram cannot find the chat of someone who never wrote to the bot ("chat not found"):
    /addmod still works, and their menu comes when they first /start."""
    admin = await started(bot, "Admin")
    make_admin(bot, admin)
    newcomer = bot.emulator.person("Newcomer")  # has not opened the bot yet
    admin.send(f"/addmod {newcomer.id}")
    assert "is now a moderator" in (await admin.receive()).text
    failed = [c for c in bot.emulator.calls if c.method == "setMyCommands" and not c.ok]
    assert failed and failed[-1].error is not None
    assert "chat not found" in failed[-1].error.description
    newcomer.send("/start")
    await newcomer.receive()
    await asyncio.sleep(0.1)
    assert bot.emulator.menu_seen_by(newcomer) == MODERATOR


async def test_menus_of_known_moderators_and_admins_are_set_at_start(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """A restart sets every known moderator's and admin's menu again; an admin the bot has
    never met is not asked about (Telegram could not find them)."""
    emulator = server.emulator
    mod, admin = emulator.person("Mod", language_code="kk"), emulator.person("Admin")
    first = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
    async with polling(first, poll_timeout=1):
        for person in (mod, admin):
            person.send("/start")
            await person.receive()
        store = runtime_of(first).store
        assert store is not None
        await store.add_moderator(mod.id, 42, datetime.now(UTC))
    emulator.commands.clear()
    calls_before = len(emulator.calls)
    admins = frozenset({admin.id, 999_999_999})  # the second never wrote to the bot
    settings = dataclasses.replace(settings, admins=admins)
    second = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
    async with polling(second, poll_timeout=1):
        assert emulator.menu_seen_by(mod) == MODERATOR
        assert emulator.menu_seen_by(admin) == ADMIN
    made = [c for c in emulator.calls[calls_before:] if c.method == "setMyCommands"]
    assert all("999999999" not in str(c.params.get("scope")) for c in made)
    assert [c for c in emulator.calls[calls_before:] if not c.ok] == []


async def test_a_bot_far_from_telegram_sets_its_menus_without_keeping_people_waiting(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """With every call taking 0.25 s (a server far from Telegram's), the menus (two a
    language) are set at once: a /start sent while the bot was down is answered within 5 s
    of its start (1.6-1.8 s on an idle machine), not after 26 trips of 0.25 s one after
    another (8.0 s in all). Every menu is set."""
    emulator = server.emulator
    early = emulator.person("Early")
    early.send("/start")
    emulator.fail(None, 0, delay=0.25, times=10**9)
    began = time.monotonic()
    app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
    async with polling(app, poll_timeout=1):
        await early.receive(timeout=15)
        waited = time.monotonic() - began
    assert waited < 5.0, waited
    languages = runtime_of(app).catalogs.languages
    codes = [TWO_LETTER.get(code, code) for code in languages]
    assert len(emulator.sent("setMyCommands")) == 2 * sum(len(code) == 2 for code in codes)
    assert emulator.menu("all_private_chats") == PRIVATE


async def test_help_in_a_group_lists_the_group_commands(bot: Running) -> None:
    """/help (or /start) in a group is the group's help, with a button to the private chat;
    a class asking at once gets it once."""
    kids = [bot.emulator.person(f"Kid {i}") for i in range(6)]
    chat = bot.emulator.group("Class 7C", *kids)
    for kid in kids:
        kid.send("/help@clicksbot_sandbox_bot", chat)
    shown = await kids[0].receive_in(chat)
    for command in ("/quiz", "/top", "/groupdaily", "/help"):
        assert command in shown.text
    assert "/pact" not in shown.text and "/mydata" not in shown.text
    assert shown.buttons[0][0]["url"] == LINK
    await asyncio.sleep(1.0)
    assert chat.inbox.empty()  # the rush got one answer
    other = bot.emulator.group("Class 8A", kids[0])
    kids[0].send("/start", other)
    assert "What I do in this group" in (await kids[0].receive_in(other)).text


async def test_help_in_private_for_a_learner_a_moderator_and_an_admin(bot: Running) -> None:
    """In private, /help lists the learner's commands; a moderator's also points to /modhelp,
    and an admin's says they are an admin."""
    learner, mod, admin = [await started(bot, n) for n in ("Learner", "Mod", "Admin")]
    store = runtime_of(bot.app).store
    assert store is not None
    await store.add_moderator(mod.id, 42, datetime.now(UTC))
    make_admin(bot, admin)
    learner.send("/help")
    text = (await learner.receive()).text
    assert "/tip" in text and "/pact" in text and "/modhelp" not in text
    mod.send("/help")
    text = (await mod.receive()).text
    assert "/tip" in text and "You are a moderator: /modhelp" in text
    admin.send("/help")
    assert "You are an admin: /modhelp" in (await admin.receive()).text
    mod.send("/modhelp")
    assert "/broadcast" in (await mod.receive()).text


@pytest.mark.parametrize("command", PRIVATE_ONLY)
async def test_a_private_only_command_in_a_group_points_to_the_private_chat(
    bot: Running, command: str
) -> None:
    """A command about one person, sent in a group, gets a short pointer with a button that
    opens the private chat, and nothing personal is posted to the group."""
    kid = await started(bot, "Kid")
    chat = bot.emulator.group("Class", kid)
    kid.send(f"/{command}@clicksbot_sandbox_bot", chat)
    pointer = await kid.receive_in(chat)
    assert "private chat" in pointer.text and len(pointer.text) < 200
    assert pointer.buttons == [[{"text": "💬 Open our private chat", "url": LINK}]]
    await asyncio.sleep(0.3)
    assert chat.inbox.empty() and kid.chat.inbox.empty()
    assert bot.emulator.sent("sendDocument") == [] and bot.emulator.sent("sendPhoto") == []


async def test_a_rush_of_private_only_commands_is_one_pointer_in_the_group_language(
    bot: Running,
) -> None:
    """A class sending /tip, /progress, /pact ... at once gets one pointer (through the group's
    queue), in the group's language."""
    kids = [bot.emulator.person(f"Anak {i}", language_code="ms") for i in range(8)]
    chat = bot.emulator.group("Kelas", *kids)
    for kid, command in zip(kids, ("tip", "progress", "pact", "mydata", "settings", "invite",
                                   "subscribe", "certificate"), strict=True):  # fmt: skip
        kid.send(f"/{command}", chat)
    pointer = await kids[0].receive_in(chat)
    assert "sembang peribadi" in pointer.text
    assert pointer.button_texts == ["💬 Buka sembang peribadi kita"]
    await asyncio.sleep(1.0)
    assert chat.inbox.empty()


async def test_moderators_commands_in_a_group(bot: Running) -> None:
    """A moderator's command in a group points a moderator to the private chat; from anyone
    else, or an admin's command from a moderator, it gets no answer: nobody learns it exists."""
    kid, mod = await started(bot, "Kid"), await started(bot, "Mod")
    store = runtime_of(bot.app).store
    assert store is not None
    await store.add_moderator(mod.id, 42, datetime.now(UTC))
    chat = bot.emulator.group("Class", kid, mod)
    for command in ("/broadcast", "/mods", "/stats", "/modhelp"):
        kid.send(command, chat)
    mod.send("/addmod 123", chat)
    await asyncio.sleep(0.5)
    assert chat.inbox.empty()
    mod.send("/broadcast", chat)
    assert "private chat" in (await mod.receive_in(chat)).text
    assert mod.chat.inbox.empty()  # no broadcast was started


async def test_group_commands_still_work_after_the_new_handlers(bot: Running) -> None:
    """The group's own commands keep working alongside the pointers: /quiz posts a question."""
    kid = await started(bot, "Kid")
    chat = bot.emulator.group("Class", kid)
    kid.send("/quiz", chat)
    assert "Everyone can answer once" in (await kid.receive_in(chat)).text
