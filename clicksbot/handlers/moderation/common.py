"""What the moderators' features share: the role checked again at each step, the draft a
conversation builds, the audit log, the audience picker, the list of what is scheduled, the
moderator's own time zone with the day and time of what they schedule, and the ways out of a
conversation.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from clicksbot.context import BotContext
from clicksbot.handlers import fallback
from clicksbot.handlers.common import (
    PRIVATE,
    Step,
    Visitor,
    exclusive,
    leaving,
    send,
    show,
    visitor,
)
from clicksbot.render import Reply, esc, scheduling
from clicksbot.render import callbacks as cb
from clicksbot.render import moderation as render
from clicksbot.services import moderation as service
from clicksbot.services import places, when
from clicksbot.services.moderation import Role

logger = logging.getLogger(__name__)

END = ConversationHandler.END
PLACE_SHOWN = 60  # characters of a typed place echoed back
TIMEOUT = timedelta(minutes=30)
TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND  # a step's answer typed in the private chat
WHEN_PRESSED = cb.pattern("when")


async def role_of(update: Update, context: BotContext, v: Visitor) -> Role | None:
    """The person's role, looked up afresh (None: neither moderator nor admin)."""
    return await service.role(context.store, context.settings.admins, v.user.id)


async def unknown(update: Update, context: BotContext, v: Visitor) -> int:
    """Answer as to any unknown command: a non-moderator learns nothing."""
    if update.callback_query is not None:
        await update.callback_query.answer(v.t("button.stale"), show_alert=True)
    else:
        await fallback.unknown(update, context, v)
    return END


async def moderator_press(
    update: Update, context: BotContext
) -> tuple[Visitor, tuple[str, ...]] | None:
    """A moderator's button: who pressed it and its arguments; None once it is answered (the
    presser is not a moderator, or the button is not one the bot made)."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    if await role_of(update, context, v) is None:
        await unknown(update, context, v)
        return None
    try:
        args = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return None
    return v, args


def still_moderator(step: Step) -> Step:
    """Wrap a step of /broadcast or /newcampaign so the role is checked again at each step:
    a moderator revoked in the middle is stopped at their next step, told why, and nothing
    is created or sent."""

    async def checked(update: Update, context: BotContext) -> object:
        v = await visitor(update, context)
        if await role_of(update, context, v) is not None:
            return await step(update, context)
        await drop_drafts(update, context)
        if update.callback_query is not None:
            await update.callback_query.answer()
        await send(update, context, Reply(v.t("moderation.revoked_midway")))
        return END

    return checked


def _chat_and_person(update: Update) -> tuple[int, int]:
    chat, person = update.effective_chat, update.effective_user
    assert chat is not None and person is not None
    return chat.id, person.id


async def draft_of(update: Update, context: BotContext, name: str) -> dict[str, Any]:
    """What the person's conversation `name` (a broadcast, a campaign) has gathered so far."""
    return await context.store.dialogue_draft(name, *_chat_and_person(update))


async def keep_draft(update: Update, context: BotContext, name: str, draft: dict[str, Any]) -> None:
    """Write what the conversation has gathered, before it asks its next question: the store
    is the only place it is kept, so a restart (or another instance) carries on from here."""
    chat_id, person = _chat_and_person(update)
    await context.store.save_dialogue_draft(name, chat_id, person, draft, context.now())


async def drop_drafts(update: Update, context: BotContext) -> None:
    """Forget what the person's conversations have gathered (cancelled, or stopped)."""
    await context.store.drop_dialogue_drafts(_chat_and_person(update)[1])


async def audit(
    context: BotContext, v: Visitor, action: str, target: str | None, **details: Any
) -> None:
    """Write a moderator's action to the audit log."""
    await context.store.audit(v.user.id, action, target, details, context.now())


async def audience_sizes(context: BotContext) -> dict[str, int]:
    """How many people each audience of the picker reaches."""
    keys = ["all", "subscribers", "pledged", "unpledged"]
    keys += [f"lang-{code}" for code in languages(context)]
    return {k: await context.store.audience_size(service.audience_of(k)) for k in keys}


def languages(context: BotContext) -> tuple[str, ...]:
    """The languages an audience can be, from the interface and the packs."""
    return tuple(sorted(set(context.catalogs.languages) | set(context.content.languages)))


async def pick_audience(
    update: Update, context: BotContext, v: Visitor
) -> dict[str, Any] | int | None:
    """Handle an audience press: the country list (and back from it), the audience chosen,
    or END when cancelled (None: still picking)."""
    query = update.callback_query
    assert query is not None
    try:
        (key,) = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return None
    await query.answer()
    if key == "cancel":
        await drop_drafts(update, context)
        await query.edit_message_text(v.t("moderation.cancelled"))
        return END
    if key in ("countries", "back"):
        if key == "countries":
            message = render.country_picker(v.t)
        else:
            message = render.audience_picker(v.t, languages(context), await audience_sizes(context))
        await query.edit_message_text(message.text, reply_markup=message.keyboard)
        return None
    return service.audience_of(key)


def zone_of(context: BotContext, v: Visitor) -> str:
    """The moderator's own time zone, or the configured default."""
    return v.user.time_zone or context.settings.default_timezone


async def ask_when(
    update: Update, context: BotContext, v: Visitor, *, zone_state: int, when_state: int
) -> int:
    """Ask for the day (then the time) of what is being scheduled, in the moderator's own
    time zone; one who has none yet is asked for it first, once: whatever they answer (a
    place, or keeping the default) is theirs from then on, and /settings changes it."""
    now = context.now()
    if v.user.time_zone is None:
        await show(
            update, context, scheduling.zone_question(v.t, context.settings.default_timezone)
        )
        return zone_state
    await show(update, context, scheduling.day_picker(v.t, zone_of(context, v), now))
    return when_state


async def zone_step(
    update: Update, context: BotContext, v: Visitor, *, zone_state: int, when_state: int
) -> int:
    """The answer to the time-zone question: a place typed (a city, a country, an offset;
    a doubt is offered as buttons), a button pressed, or the default kept."""
    now, default = context.now(), context.settings.default_timezone
    query = update.callback_query
    if query is not None:
        try:
            (choice,) = cb.decode(query.data).args
        except cb.CallbackError:
            choice = ""
        zone = default if choice == "keep" else choice
        if not places.known_zone(zone):
            await query.answer(v.t("button.stale"), show_alert=True)
            return zone_state
        await query.answer()
    else:
        message = update.effective_message
        typed = " ".join((message.text or "").split()) if message is not None else ""
        # (the first look builds the index of names: ~0.5 s, off the event loop)
        found = await asyncio.to_thread(places.find_zone, typed, context.catalogs.languages, now)
        if found.zone is None:
            shown = typed if len(typed) <= PLACE_SHOWN else typed[: PLACE_SHOWN - 1] + "…"
            await send(
                update, context, scheduling.zone_choices(v.t, shown, found.zones, default, now)
            )
            return zone_state
        zone = found.zone
    await context.store.set_place(v.user.id, v.user.country, zone)
    head = scheduling.zone_saved(v.t, zone, now)
    await show(update, context, scheduling.day_picker(v.t, zone, now, head=head))
    return when_state


async def chosen_moment(
    update: Update, context: BotContext, v: Visitor, name: str
) -> datetime | None:
    """A step of the day-and-time question of the conversation `name`: the next buttons
    shown (None), or the moment chosen, by buttons or typed ("tomorrow 8:00", "Friday 18:30",
    "2026-12-01 08:00", a time once the day is chosen). A day typed alone is asked its time;
    words that are no moment to come are answered with how to write one."""
    zone, now, t = zone_of(context, v), context.now(), v.t
    draft = await draft_of(update, context, name)
    chosen_day = date.fromisoformat(draft["day"]) if "day" in draft else None
    query = update.callback_query
    if query is None:
        message = update.effective_message
        text = (message.text or "") if message is not None else ""
        moment = when.parse_moment(text, zone, now, t.language, day=chosen_day)
        if moment is not None:
            return moment
        today = now.astimezone(ZoneInfo(zone)).date()
        day = when.parse_day(text, today, t.language)
        if day is not None and when.hours_left(day, now, zone):
            draft["day"] = day.isoformat()
            await keep_draft(update, context, name, draft)
            await send(update, context, scheduling.hour_picker(t, day, zone, now))
        else:
            name = esc(places.zone_name(zone, t.language))
            await send(update, context, Reply(t("when.bad", zone=name)))
        return None
    try:
        kind, value = cb.decode(query.data).args
    except cb.CallbackError:
        kind, value = "", ""
    days = when.days_offered(now, zone)
    if kind == "back":  # to the days: a time typed next needs its day again
        draft.pop("day", None)
        await keep_draft(update, context, name, draft)
        await query.answer()
        await show(update, context, scheduling.day_picker(t, zone, now))
        return None
    if kind == "day" and value.isdigit() and int(value) < len(days):
        draft["day"] = days[int(value)].isoformat()
        await keep_draft(update, context, name, draft)
        await query.answer()
        await show(update, context, scheduling.hour_picker(t, days[int(value)], zone, now))
        return None
    clock = when.parse_clock(value) if kind == "at" else None
    if chosen_day is None or not ((kind == "hour" and value.isdigit()) or clock is not None):
        await query.answer(t("button.stale"), show_alert=True)
        return None
    if clock is None:  # an hour: its minutes
        await query.answer()
        await show(update, context, scheduling.minute_picker(t, chosen_day, int(value), zone, now))
        return None
    moment = when.at(chosen_day, clock, zone)
    if moment <= now:  # the buttons were shown a while ago
        await query.answer(t("when.past"), show_alert=True)
        await show(update, context, scheduling.hour_picker(t, chosen_day, zone, now))
        return None
    await query.answer()
    return moment


async def listing(context: BotContext, v: Visitor) -> Reply:
    """The campaigns not finished and the broadcasts waiting for their time."""
    listed = await context.store.campaigns("active", "paused")
    waiting = await context.store.scheduled_broadcasts()
    return render.campaigns_message(v.t, listed, waiting, zone_of(context, v))


async def show_listing(update: Update, context: BotContext, v: Visitor) -> None:
    """Put the listing up to date in the message whose button was pressed."""
    query = update.callback_query
    assert query is not None
    reply = await listing(context, v)
    try:
        await query.edit_message_text(
            reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.keyboard
        )
    except BadRequest as exc:
        logger.info("Campaign list not edited: %s", exc.message)


async def cancel_command(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    await drop_drafts(update, context)
    await send(update, context, Reply(v.t("moderation.cancelled")))
    return END


def again(step: Step) -> Step:
    """A step of a conversation after the first: the role is checked again."""
    return exclusive(still_moderator(step))


def fallbacks(left: str) -> list[BaseHandler[Update, BotContext, Any]]:
    """The ways out of a conversation; `left` is the catalog key of the line that says so."""
    return [
        CommandHandler("cancel", exclusive(cancel_command), filters=PRIVATE),
        # Any other command ends the conversation, says so, and then runs as usual.
        MessageHandler(filters.COMMAND, leaving(left)),
    ]
