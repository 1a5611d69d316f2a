"""The one error handler: log the failure with its context, then tell the person kindly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError

from clicksbot.context import BotContext
from clicksbot.i18n import SOURCE_LANGUAGE

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log an unexpected failure once, then apologise to the person if there is one."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("Update %s failed", update_id, exc_info=context.error)
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
    try:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(t("error.generic"), show_alert=True)
                return
            except BadRequest:  # the press was already answered before the failure
                pass
        await context.bot.send_message(update.effective_chat.id, t("error.generic"))
    except TelegramError:
        logger.warning("Could not tell chat about the failure of update %s", update_id)
