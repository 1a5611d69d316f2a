"""The streak reminder's buttons: on and off in /settings, and "no more reminders" on the
reminder itself."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import show, visitor
from clicksbot.render import callbacks as cb
from clicksbot.render import daily as render
from clicksbot.services import reminders

logger = logging.getLogger(__name__)


async def on_button(update: Update, context: BotContext) -> None:
    """Turn the reminder on or off, from /settings or from a reminder."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    try:
        (choice,) = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    now, default_tz = context.now(), context.settings.default_timezone
    if choice == "on":
        reminder = await reminders.turn_on(context.store, v.user, now, default_tz)
        clock = context.runtime.reminders
        if clock is not None and reminder.slot is not None:
            clock.schedule(v.user.time_zone or default_tz, reminder.slot)
        await query.answer(v.t("reminder.on_short"))
    else:
        await reminders.turn_off(context.store, v.user)
        reminder = reminders.ReminderView(False)
        await query.answer(v.t("reminder.off_short"), show_alert=choice == "stop")
    if choice == "stop":
        await _drop_reminder_buttons(update)
        return
    zone = v.user.time_zone or default_tz
    await show(update, context, render.settings_message(v.t, v.user, zone, now, reminder))


async def _drop_reminder_buttons(update: Update) -> None:
    """Take the reminder's buttons off the message it came in (a tip keeps its own)."""
    query = update.callback_query
    assert query is not None
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup):
        return
    rows = [
        row
        for row in markup.inline_keyboard
        if not any(b.callback_data == cb.encode("remind", "stop") for b in row)
    ]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
    except BadRequest as exc:  # too old, or already changed: the reminder is off all the same
        logger.info("Reminder buttons not removed (%s)", exc.message)


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern("remind")))
