"""/start, /help and /language: meeting people and the language they talk in."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import NEW_MESSAGES, send, show, visitor
from clicksbot.render import callbacks as cb
from clicksbot.render import daily, messages
from clicksbot.services import pact, people

logger = logging.getLogger(__name__)


async def start(update: Update, context: BotContext) -> None:
    """Greet the person (new or returning) and offer the language choice."""
    v = await visitor(update, context)
    payload = context.args[0] if context.args else None
    arrival = await pact.arrive(context.store, v.user, v.new, payload, context.now())
    # New until first greeted: someone who wrote something else first, or came back after
    # /forget, is met as the newcomer they are.
    first = await context.store.greet(v.user.id, context.now())
    reply = messages.welcome(v.t, v.name, new=first, languages=context.catalogs.languages)
    await send(update, context, reply)
    if arrival is not None:  # tell the friend, through the outbox (not the chat in front of us)
        notice = {"key": "invite.friend_joined", "params": {"count": arrival.joined}}
        job = f"invite:joined:{v.user.id}"
        queued = await context.store.queue_notice(job, arrival.inviter, notice, context.now())
        if queued and context.runtime.outbox is not None:
            context.runtime.outbox.wake()


async def help_command(update: Update, context: BotContext) -> None:
    """List what the bot can do."""
    v = await visitor(update, context)
    reply = messages.help_text(v.t)
    await send(update, context, reply)


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


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("start", start, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("help", help_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("language", language, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(choose_language, pattern=cb.pattern("lang")))
