"""The command menus Telegram shows: one for private chats, one for groups, and the
moderators' and admins' own, each in the interface languages (Telegram's command scopes)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from clicksbot.context import Runtime
from clicksbot.i18n import SOURCE_LANGUAGE, Translator
from clicksbot.services import moderation as roles
from clicksbot.services.moderation import Role

logger = logging.getLogger(__name__)

# The menus, in the order people see them; each command's description is `command.<name>`.
MENU = (
    "tip", "quiz", "review", "progress", "pact", "invite", "subscribe", "settings", "language",
    "privacy", "help", "start",
)  # fmt: skip
GROUP_MENU = ("quiz", "top", "groupdaily", "help")
# Moderators and admins see their own commands in their chat with the bot, after the
# learner's (which their menu replaces there) and before /help and /start.
MODERATOR_COMMANDS = ("modhelp", "broadcast", "newcampaign", "campaigns", "impact")
ADMIN_COMMANDS = (*MODERATOR_COMMANDS, "addmod", "delmod", "mods", "stats")
EVERY_COMMAND = frozenset((*MENU, *GROUP_MENU, *ADMIN_COMMANDS))
ROLE_MENUS_AT_ONCE = 16  # moderators' menus set at once at the start (a few of the pool)
TWO_LETTER = {"fil": "tl"}  # setMyCommands takes ISO 639-1 codes: Filipino is Telegram's "tl"


def commands(t: Translator, names: tuple[str, ...]) -> list[BotCommand]:
    """Return the commands of a menu, described in the translator's language."""
    return [BotCommand(name, t(f"command.{name}")) for name in names]


def role_menu(role: Role) -> tuple[str, ...]:
    """Return the menu of a moderator or an admin in their chat with the bot."""
    own = ADMIN_COMMANDS if role is Role.ADMIN else MODERATOR_COMMANDS
    learner = tuple(name for name in MENU if name not in ("help", "start"))
    return (*learner, *own, "help", "start")


async def set_menus(bot: Any, runtime: Runtime) -> None:
    """Register the private and the group menu in every interface language (English also
    for languages without their own), then the menus of every known moderator and admin.

    The menus are set all at once: one after another, their round trips (two a language) held
    back the bot's first look at its updates (by 0.2 s on loopback, seconds from afar). The
    role menus go ROLE_MENUS_AT_ONCE at a time, however many moderators there are."""
    menus: list[tuple[list[BotCommand], BotCommandScope, str | None]] = []
    for language in runtime.catalogs.languages:
        # A language's first text loads its locale data from Babel (whether it is written
        # right to left): 5-15 ms each, 125 ms for all at once, with the first replies waiting.
        await asyncio.sleep(0)
        code = TWO_LETTER.get(language, language)
        if language != SOURCE_LANGUAGE and len(code) != 2:
            continue  # Telegram has no two-letter code for it: English stands in
        t = runtime.catalogs.get(language)
        code_or_all = None if language == SOURCE_LANGUAGE else code
        menus.append((commands(t, MENU), BotCommandScopeAllPrivateChats(), code_or_all))
        menus.append((commands(t, GROUP_MENU), BotCommandScopeAllGroupChats(), code_or_all))
    await asyncio.gather(*(
        bot.set_my_commands(menu, scope=scope, language_code=code) for menu, scope, code in menus
    ))  # fmt: skip
    assert runtime.store is not None
    holders = {user_id for user_id, _, _ in await runtime.store.moderators()}
    holders |= runtime.settings.admins
    turns = asyncio.Semaphore(ROLE_MENUS_AT_ONCE)

    async def one_role_menu(user_id: int) -> None:
        assert runtime.store is not None
        async with turns:
            if await runtime.store.get_user(user_id) is not None:  # never met: Telegram
                await give_role_menu(bot, runtime, user_id)  # cannot find their chat

    await asyncio.gather(*(one_role_menu(user_id) for user_id in holders))


async def give_role_menu(bot: Any, runtime: Runtime, user_id: int) -> bool:
    """Give a moderator or an admin the menu of their role in their chat with the bot, in
    their language; return False (and change nothing) for anyone without a role."""
    assert runtime.store is not None
    role = await roles.role(runtime.store, runtime.settings.admins, user_id)
    if role is None:
        return False
    user = await runtime.store.get_user(user_id)
    t = runtime.catalogs.get(user.language if user else runtime.settings.default_language)
    try:
        await bot.set_my_commands(commands(t, role_menu(role)), scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:  # they blocked the bot, or never wrote to it: no chat to set
        logger.info("The %s menu of a person was not set: %s", role.value, exc.message)
    return True


async def refresh(bot: Any, runtime: Runtime, user_id: int) -> None:
    """After a role changed: the menu of the person's role, or the private menu again."""
    if await give_role_menu(bot, runtime, user_id):
        return
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:
        logger.info("The moderator menu of a person was not removed: %s", exc.message)
