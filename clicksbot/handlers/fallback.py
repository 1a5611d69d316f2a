"""What the bot says to anything no feature handled: stale buttons, commands it does not
know, and stray private messages."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import PRIVATE, Visitor, send, visitor
from clicksbot.render import Reply, messages


async def stale_button(update: Update, context: BotContext) -> None:
    """Answer a press nothing understood (old, foreign or forged data), changing nothing."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    await query.answer(v.t("button.stale"), show_alert=True)


async def unknown(update: Update, context: BotContext, v: Visitor) -> None:
    """Say that the command in front of us is not one the bot knows, and point to /help."""
    message = update.effective_message
    text = message.text if message is not None and message.text else "/"
    await send(update, context, messages.unknown_command(v.t, text))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command no feature knows, in a private chat."""
    await unknown(update, context, await visitor(update, context))


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """/cancel with nothing under way (the conversations answer it while they run)."""
    v = await visitor(update, context)
    await send(update, context, Reply(v.t("fallback.nothing_to_cancel")))


async def private_text(update: Update, context: BotContext) -> None:
    """Point a person who wrote something outside any question to what the bot can do."""
    v = await visitor(update, context)
    await send(update, context, messages.friendly_pointer(v.t))


def register(app: BotApplication) -> None:
    """Add the catch-alls; call after every feature so they only see what nothing else took."""
    app.add_handler(CallbackQueryHandler(stale_button))
    # Only private chats: in groups the bot never answers ordinary chatter.
    app.add_handler(CommandHandler("cancel", nothing_to_cancel, filters=PRIVATE))
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL, private_text))
