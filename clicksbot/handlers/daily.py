"""/subscribe, /unsubscribe and /settings: a tip every day at the person's local time."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import PRIVATE, Visitor, send, show, visitor
from clicksbot.render import Reply, messages
from clicksbot.render import callbacks as cb
from clicksbot.render import daily as render
from clicksbot.services import places, reminders
from clicksbot.store import User

logger = logging.getLogger(__name__)

ANY_ZONE = ("lang", "show")  # settings buttons that need no time zone chosen first


def _likely_country(update: Update, v: Visitor) -> str | None:
    code = update.effective_user.language_code if update.effective_user else None
    return places.likely_country(code, v.user.language)


def _schedule(context: BotContext, user: User) -> None:
    daily = context.runtime.daily
    if daily is not None and user.time_zone and user.tip_time:
        daily.schedule(user.time_zone, user.tip_time)


async def subscribe_command(update: Update, context: BotContext) -> None:
    """Start choosing the daily tip: where (if not known yet), then what time."""
    v = await visitor(update, context)
    if v.user.time_zone:
        await send(update, context, render.hours_message(v.t, v.user.time_zone, context.now()))
    else:
        await send(update, context, render.where_message(v.t, _likely_country(update, v)))


async def unsubscribe_command(update: Update, context: BotContext) -> None:
    """Stop the daily tip."""
    v = await visitor(update, context)
    if v.user.tip_time is None:
        await send(update, context, Reply(v.t("daily.not_subscribed")))
        return
    await context.store.set_tip_time(v.user.id, None)
    await send(update, context, Reply(v.t("daily.unsubscribed")))


async def settings_command(update: Update, context: BotContext) -> None:
    """Show language, time zone and daily tip, with buttons to change them."""
    v = await visitor(update, context)
    zone = v.user.time_zone or context.settings.default_timezone
    reminder = await reminders.current(context.store, v.user)
    await send(update, context, render.settings_message(v.t, v.user, zone, context.now(), reminder))


async def on_button(update: Update, context: BotContext) -> None:
    """Route a press in the daily-tip pickers and the settings message."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    try:
        press = cb.decode(query.data)
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    action, args, origin = press.action, press.args, press.origin
    now, t, user = context.now(), v.t, v.user
    if action == "country" and args[0] not in places.ZONES:
        await query.answer(t("button.stale"), show_alert=True)
        return
    if action == "zone":
        country, zone = args
        offered = places.ZONES.get(country, ()) if country != "-" else places.offered_zones()
        if zone not in offered or not places.known_zone(zone):
            await query.answer(t("button.stale"), show_alert=True)
            return

    if action == "where":
        await query.answer()
        await show(update, context, render.where_message(t, _likely_country(update, v), origin))
    elif action == "region":
        await query.answer()
        if args[0] == "more":
            reply = render.more_countries_message(t, origin)
        else:
            reply = render.offsets_message(t, now, origin)
        await show(update, context, reply)
    elif action == "country" and len(places.ZONES[args[0]]) > 1:
        await query.answer()
        await show(update, context, render.zones_message(t, args[0], now, origin))
    elif action in ("country", "zone"):
        picked = args[0] if args[0] != "-" else None
        zone = places.ZONES[args[0]][0] if action == "country" else args[1]
        await context.store.set_place(user.id, picked, zone)
        user = _moved(user, picked, zone)
        _schedule(context, user)
        await query.answer(t("daily.place_saved", zone=places.zone_name(zone, t.language)))
        if origin == "s":  # from /settings: back to them, showing the new zone
            await show(update, context, render.settings_message(t, user, zone, now))
        elif user.tip_time:  # already subscribed: only the zone changed
            await show(update, context, render.subscribed_message(t, zone, user.tip_time))
        else:
            await show(update, context, render.hours_message(t, zone, now))
    elif user.time_zone is None and action in ("hour", "at", "daily") and args[0] not in ANY_ZONE:
        await query.answer()
        await show(update, context, render.where_message(t, _likely_country(update, v)))
    elif action == "hour":
        await query.answer()
        await show(update, context, render.minutes_message(t, int(args[0])))
    elif action == "at":
        assert user.time_zone is not None
        await context.store.set_tip_time(user.id, args[0])
        _schedule(context, _with_time(user, args[0]))
        await query.answer(t("daily.saved"))
        await show(update, context, render.subscribed_message(t, user.time_zone, args[0]))
    elif action == "daily":
        await _settings_button(update, context, v, args[0])


async def _settings_button(update: Update, context: BotContext, v: Visitor, choice: str) -> None:
    query = update.callback_query
    assert query is not None
    t, user, now = v.t, v.user, context.now()
    if choice == "lang":
        await query.answer()
        languages = context.catalogs.languages
        await show(update, context, messages.language_prompt(t, languages, from_settings=True))
    elif choice == "show":
        await query.answer()
        zone = user.time_zone or context.settings.default_timezone
        await show(update, context, render.settings_message(t, user, zone, now))
    elif choice in ("on", "time"):
        await query.answer()
        assert user.time_zone is not None
        await show(update, context, render.hours_message(t, user.time_zone, now))
    else:  # off
        await context.store.set_tip_time(user.id, None)
        await query.answer(t("daily.unsubscribed_short"))
        zone = user.time_zone or context.settings.default_timezone
        user = _with_time(user, None)
        reminder = await reminders.current(context.store, user)
        await show(update, context, render.settings_message(t, user, zone, now, reminder))


def _moved(user: User, country: str | None, zone: str) -> User:
    return replace(user, country=country, time_zone=zone)


def _with_time(user: User, tip_time: str | None) -> User:
    return replace(user, tip_time=tip_time)


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("subscribe", subscribe_command, filters=PRIVATE))
    app.add_handler(CommandHandler("unsubscribe", unsubscribe_command, filters=PRIVATE))
    app.add_handler(CommandHandler("settings", settings_command, filters=PRIVATE))
    for action in ("where", "region", "country", "zone", "hour", "at", "daily"):
        app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern(action)))
