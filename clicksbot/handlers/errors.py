"""The one error handler: log the failure with its context, then tell the person kindly."""

from __future__ import annotations

import logging
import sqlite3

from telegram import Update
from telegram.error import BadRequest, TelegramError

from clicksbot.context import BotContext
from clicksbot.i18n import SOURCE_LANGUAGE

logger = logging.getLogger(__name__)
UPDATE_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "poll_answer",
    "my_chat_member",
    "chat_member",
)


async def on_error(update: object, context: BotContext) -> None:
    """Log an unexpected failure once, then apologise to the person if there is one."""
    update_id = update.update_id if isinstance(update, Update) else None
    # Which update and whose, never what it said: the context needed to find the bug.
    kind, person, chat = "?", None, None
    if isinstance(update, Update):
        kind = next((k for k in UPDATE_KINDS if getattr(update, k, None) is not None), "?")
        person = update.effective_user.id if update.effective_user else None
        chat = update.effective_chat.id if update.effective_chat else None
    logger.error(
        "Update %s (%s, person %s, chat %s) failed",
        update_id,
        kind,
        person,
        chat,
        exc_info=context.error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    language = SOURCE_LANGUAGE
    try:
        if update.effective_user is not None:
            user = await context.store.get_user(update.effective_user.id)
            if user is not None:
                language = user.language
    except Exception:  # the store may be what failed; English will do
        logger.debug("Could not read the language for the error reply", exc_info=True)
    t = context.catalogs.get(language)
    # The database locked or the disk full: nothing was saved; say so, so they try again.
    key = "error.busy" if isinstance(context.error, sqlite3.Error) else "error.generic"
    try:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(t(key), show_alert=True)
                return
            except BadRequest:  # the press was already answered before the failure
                pass
        await context.bot.send_message(update.effective_chat.id, t(key))
    except TelegramError:
        logger.warning("Could not tell chat about the failure of update %s", update_id)
