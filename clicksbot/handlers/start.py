"""/start, /help and /language: meeting people and the language they talk in."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers import menus
from clicksbot.handlers.common import PRIVATE, send, show, visitor
from clicksbot.handlers.explain import explain
from clicksbot.render import callbacks as cb
from clicksbot.render import daily, deeplinks, messages
from clicksbot.services import moderation as roles
from clicksbot.services import pact, people

logger = logging.getLogger(__name__)


async def start(update: Update, context: BotContext) -> None:
    """Greet the person (new or returning) and offer the language choice; a deep link for a
    question's full explanation shows it."""
    v = await visitor(update, context)
    payload = context.args[0] if context.args else None
    wanted = deeplinks.decode(payload)
    if wanted is not None:  # through a link for a full explanation: greet only the new
        if v.new:
            greeting = messages.welcome(v.t, v.name, new=True, languages=context.catalogs.languages)
            await send(update, context, greeting)
        await explain(update, context, v, wanted)
        return
    arrival = await pact.arrive(context.store, v.user, v.new, payload, context.now())
    # New until first greeted: someone who wrote something else first, or came back after
    # /forget, is met as the newcomer they are.
    first = await context.store.greet(v.user.id, context.now())
    reply = messages.welcome(v.t, v.name, new=first, languages=context.catalogs.languages)
    await send(update, context, reply)
    # A moderator or admin Telegram could not find at start-up (or at /addmod) has a chat now.
    await menus.give_role_menu(context.bot, context.runtime, v.user.id)
    if arrival is not None:  # tell the friend, through the outbox (not the chat in front of us)
        notice = {"key": "invite.friend_joined", "params": {"count": arrival.joined}}
        job = f"invite:joined:{v.user.id}"
        queued = await context.store.queue_notice(job, arrival.inviter, notice, context.now())
        if queued and context.runtime.outbox is not None:
            context.runtime.outbox.wake()


async def help_command(update: Update, context: BotContext) -> None:
    """List what the bot can do; moderators and admins also hear where their commands are."""
    v = await visitor(update, context)
    role = await roles.role(context.store, context.settings.admins, v.user.id)
    await send(update, context, messages.help_text(v.t, role))


async def language(update: Update, context: BotContext) -> None:
    """Show the language picker."""
    v = await visitor(update, context)
    reply = messages.language_prompt(v.t, context.catalogs.languages)
    await send(update, context, reply)


async def choose_language(update: Update, context: BotContext) -> None:
    """Switch to the language whose button was pressed, and say so in it (from /settings:
    the settings again, in it)."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    try:
        press = cb.decode(query.data)
        (code,) = press.args
        changed = await people.choose_language(
            context.store, v.user, code, context.catalogs.languages, context.now()
        )
    except (cb.CallbackError, ValueError):
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    t = context.catalogs.get(code)
    await query.answer(t("language.changed") if changed else t("language.unchanged"))
    if press.origin == "s":
        user = replace(v.user, language=code)
        zone = user.time_zone or context.settings.default_timezone
        await show(update, context, daily.settings_message(t, user, zone, context.now()))
        return
    if changed and query.message is not None:
        try:
            await query.edit_message_reply_markup(
                messages.language_keyboard(context.catalogs.languages, code)
            )
        except BadRequest as exc:  # the message is too old to edit, or already shows this
            logger.debug("Language keyboard not updated: %s", exc)
        await context.bot.send_message(query.message.chat.id, t("language.changed"))
    if changed:  # a moderator's menu speaks their language too
        await menus.give_role_menu(context.bot, context.runtime, v.user.id)


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    # Private chats only: in a group, /start and /help are the group's (handlers.groups).
    app.add_handler(CommandHandler("start", start, filters=PRIVATE))
    app.add_handler(CommandHandler("help", help_command, filters=PRIVATE))
    app.add_handler(CommandHandler("language", language, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(choose_language, pattern=cb.pattern("lang")))
