"""What the bot says to anything no feature handled: stale buttons and stray private messages."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import send, visitor
from clicksbot.render import Reply


async def stale_button(update: Update, context: BotContext) -> None:
    """Answer a press nothing understood (old, foreign or forged data), changing nothing."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    await query.answer(v.t("button.stale"), show_alert=True)


async def private_text(update: Update, context: BotContext) -> None:
    """Point a person who wrote something we do not understand to /help."""
    v = await visitor(update, context)
    await send(update, context, Reply(v.t("fallback.text")))


def register(app: BotApplication) -> None:
    """Add the catch-alls; call after every feature so they only see what nothing else took."""
    app.add_handler(CallbackQueryHandler(stale_button))
    # Only private chats: in groups the bot never answers ordinary chatter.
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & filters.UpdateType.MESSAGE, private_text
        )
    )
