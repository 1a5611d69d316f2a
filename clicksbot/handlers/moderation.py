"""Moderators and admins: roles, broadcasts, tip campaigns, stopping a fan-out.

Every command here checks the role on the server; to anyone else it answers as to an unknown
command, so nobody learns these exist. The conversations that make a broadcast or a campaign
check it again at each step, so a role taken back in the middle stops them there. Every
action is written to the audit log.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from clicksbot.context import BotApplication, BotContext
from clicksbot.delivery import campaigns as schedules
from clicksbot.delivery.campaigns import REPEATS, next_occurrence
from clicksbot.handlers import fallback, menus
from clicksbot.handlers.common import (
    BROADCAST_CONVERSATION_GROUP,
    CONVERSATION_GROUP,
    NEW_MESSAGES,
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
from clicksbot.render.learning import tip_message
from clicksbot.services import moderation as service
from clicksbot.services import places, when
from clicksbot.services.learning import TipPick
from clicksbot.services.moderation import Role

logger = logging.getLogger(__name__)

END = ConversationHandler.END
B_TEXT, B_BUTTON, B_AUDIENCE, B_CONFIRM, B_WHEN, B_ZONE = range(6)
C_NAME, C_PACK, C_AUDIENCE, C_START, C_ZONE, C_REPEAT, C_CONFIRM = range(10, 17)
PLACE_SHOWN = 60  # characters of a typed place echoed back
NAME_MAX = 60
TIMEOUT = timedelta(minutes=30)


async def _role(update: Update, context: BotContext, v: Visitor) -> Role | None:
    return await service.role(context.store, context.settings.admins, v.user.id)


async def _unknown(update: Update, context: BotContext, v: Visitor) -> int:
    """Answer as to any unknown command: a non-moderator learns nothing."""
    if update.callback_query is not None:
        await update.callback_query.answer(v.t("button.stale"), show_alert=True)
    else:
        await fallback.unknown(update, context, v)
    return END


def _still_moderator(step: Step) -> Step:
    """Wrap a step of /broadcast or /newcampaign so the role is checked again at each step:
    a moderator revoked in the middle is stopped at their next step, told why, and nothing
    is created or sent."""

    async def checked(update: Update, context: BotContext) -> object:
        v = await visitor(update, context)
        if await _role(update, context, v) is not None:
            return await step(update, context)
        _draft(context).clear()
        if update.callback_query is not None:
            await update.callback_query.answer()
        await send(update, context, Reply(v.t("moderation.revoked_midway")))
        return END

    return checked


def _draft(context: BotContext) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    draft: dict[str, Any] = data.setdefault("moderation", {})
    return draft


async def _audit(
    context: BotContext, v: Visitor, action: str, target: str | None, **details: Any
) -> None:
    await context.store.audit(v.user.id, action, target, details, context.now())


async def _sizes(context: BotContext) -> dict[str, int]:
    keys = ["all", "subscribers", "pledged", "unpledged"]
    keys += [f"lang-{code}" for code in _languages(context)]
    return {k: await context.store.audience_size(service.audience_of(k)) for k in keys}


def _languages(context: BotContext) -> tuple[str, ...]:
    return tuple(sorted(set(context.catalogs.languages) | set(context.content.languages)))


# -- roles ---------------------------------------------------------------------------------


def _target(update: Update, context: BotContext) -> int | None:
    """The person an admin means: a user id argument, or the author of the message replied to
    (a forwarded message carries its original author, unless they hide it)."""
    if context.args:
        try:
            return int(context.args[0])
        except ValueError:
            return None
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is None:
        return None
    origin = replied.forward_origin
    if origin is not None:
        sender = getattr(origin, "sender_user", None)
        return sender.id if sender is not None else None
    return replied.from_user.id if replied.from_user is not None else None


async def addmod_command(update: Update, context: BotContext) -> None:
    """An admin makes a person a moderator."""
    await _set_moderator(update, context, grant=True)


async def delmod_command(update: Update, context: BotContext) -> None:
    """An admin takes the moderator role back."""
    await _set_moderator(update, context, grant=False)


async def _set_moderator(update: Update, context: BotContext, *, grant: bool) -> None:
    v = await visitor(update, context)
    if await _role(update, context, v) is not Role.ADMIN:
        await _unknown(update, context, v)
        return
    target = _target(update, context)
    if target is None or target <= 0:
        await send(update, context, Reply(v.t("moderation.who")))
        return
    cancelled: list[int] = []
    if grant:
        changed = await context.store.add_moderator(target, v.user.id, context.now())
        key = "moderation.granted" if changed else "moderation.already"
    else:
        changed = await context.store.remove_moderator(target)
        key = "moderation.revoked" if changed else "moderation.not_moderator"
        if changed and target not in context.settings.admins:
            # What they scheduled would go out in the name of someone who may no longer send.
            cancelled = await context.store.cancel_broadcasts_by(target)
    if changed:
        await _audit(context, v, "grant_moderator" if grant else "revoke_moderator", str(target))
        await menus.refresh(context.bot, context.runtime, target)  # their menu, theirs now
    for broadcast_id in cancelled:
        await _audit(context, v, "broadcast_cancel", f"broadcast:{broadcast_id}",
                     reason="moderator_revoked")  # fmt: skip
    text = v.t(key, id=target)
    if cancelled:
        ids = ", ".join(f"#{i}" for i in cancelled)
        text += "\n" + v.t.plural("moderation.revoked_broadcasts", len(cancelled), ids=ids)
    await send(update, context, Reply(text))


async def modhelp_command(update: Update, context: BotContext) -> None:
    """What moderators (and admins) can do; unknown to everyone else."""
    v = await visitor(update, context)
    role = await _role(update, context, v)
    if role is None:
        await _unknown(update, context, v)
        return
    text = v.t("moderation.help")
    if role is Role.ADMIN:
        text += "\n\n" + v.t("moderation.help_admin")
    await send(update, context, Reply(text))


async def mods_command(update: Update, context: BotContext) -> None:
    """List the moderators (admins only)."""
    v = await visitor(update, context)
    if await _role(update, context, v) is not Role.ADMIN:
        await _unknown(update, context, v)
        return
    mods = await context.store.moderators()
    if not mods:
        await send(update, context, Reply(v.t("moderation.list_empty")))
        return
    lines = [v.t.plural("moderation.list", len(mods))]
    lines += [
        v.t("moderation.line", id=uid, by=by, date=esc(at.date().isoformat()))
        for uid, by, at in mods
    ]
    await send(update, context, Reply("\n".join(lines)))


# -- broadcasts ----------------------------------------------------------------------------


async def broadcast_start(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    if await _role(update, context, v) is None:
        return await _unknown(update, context, v)
    _draft(context).clear()
    await send(update, context, Reply(v.t("broadcast.compose")))
    return B_TEXT


def _html_of(message: Message) -> str:
    """The message as Telegram HTML: formatting done in the app becomes tags; typed tags are
    kept as typed (a mistake in them is caught by the preview)."""
    if message.photo:
        if message.caption_entities:
            return message.caption_html
        return message.caption or ""
    if message.entities:
        return message.text_html
    return message.text or ""


async def broadcast_text(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    draft["html"] = _html_of(message)
    draft["photo"] = message.photo[-1].file_id if message.photo else None
    buttons = InlineKeyboardMarkup(
        [[InlineKeyboardButton(v.t("broadcast.no_button"), callback_data=cb.encode("bc", "skip"))]]
    )
    await send(update, context, Reply(v.t("broadcast.ask_button"), buttons))
    return B_BUTTON


async def broadcast_button(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    draft = _draft(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        draft["button"] = None
    else:
        message = update.effective_message
        assert message is not None
        parsed = service.parse_button(message.text or "")
        if parsed is None:
            await send(update, context, Reply(v.t("broadcast.bad_button")))
            return B_BUTTON
        draft["button"] = {"text": parsed[0], "url": parsed[1]}
    return await _preview(update, context, v)


async def _preview(update: Update, context: BotContext, v: Visitor) -> int:
    """Show the broadcast exactly as recipients will see it; Telegram checks its formatting."""
    draft = _draft(context)
    chat = update.effective_chat
    assert chat is not None
    problem = service.formatting_problem(draft["html"], caption=bool(draft.get("photo")))
    if problem is not None:  # caught before anything reaches Telegram, let alone thousands
        await send(update, context, Reply(v.t("broadcast.mistake", problem=esc(problem))))
        return B_TEXT
    await send(update, context, Reply(v.t("broadcast.preview_title")))
    reply = render.broadcast_reply(draft)
    try:
        if draft.get("photo"):
            await context.bot.send_photo(
                chat.id,
                draft["photo"],
                caption=reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=reply.keyboard,
            )
        else:
            await context.bot.send_message(
                chat.id, reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.keyboard
            )
    except BadRequest as exc:
        await send(update, context, Reply(v.t("broadcast.mistake", problem=esc(exc.message))))
        return B_TEXT
    sizes = await _sizes(context)
    await send(update, context, render.audience_picker(v.t, _languages(context), sizes))
    return B_AUDIENCE


async def _pick_audience(
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
        _draft(context).clear()
        await query.edit_message_text(v.t("moderation.cancelled"))
        return END
    if key in ("countries", "back"):
        if key == "countries":
            message = render.country_picker(v.t)
        else:
            message = render.audience_picker(v.t, _languages(context), await _sizes(context))
        await query.edit_message_text(message.text, reply_markup=message.keyboard)
        return None
    return service.audience_of(key)


async def broadcast_audience(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    audience = await _pick_audience(update, context, v)
    if audience is None:
        return B_AUDIENCE
    if not isinstance(audience, dict):
        return END
    _draft(context)["audience"] = audience
    size = await context.store.audience_size(audience)
    await send(update, context, render.broadcast_confirm(v.t, audience, size))
    return B_CONFIRM


async def broadcast_confirm(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    try:
        (choice,) = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return B_CONFIRM
    await query.answer()
    if choice == "cancel":
        await query.edit_message_text(v.t("moderation.cancelled"))
        return END
    if choice == "later":
        return await _ask_when(update, context, v, zone_state=B_ZONE, when_state=B_WHEN)
    await query.edit_message_text(v.t("broadcast.sending"))
    await _schedule_broadcast(update, context, v, context.now())
    return END


async def broadcast_zone(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    return await _zone_step(update, context, v, zone_state=B_ZONE, when_state=B_WHEN)


async def broadcast_when(update: Update, context: BotContext) -> int:
    """The day and time of a broadcast sent later: pressed, or typed."""
    v = await visitor(update, context)
    moment = await _chosen_moment(update, context, v)
    if moment is None:
        return B_WHEN
    broadcast_id = await _schedule_broadcast(update, context, v, moment)
    when_text = render.when(v.t, moment, _zone(context, v))
    await show(update, context, Reply(v.t("broadcast.scheduled", id=broadcast_id, when=when_text)))
    return END


# -- a moderator's time zone, a day and a time ---------------------------------------------


async def _ask_when(
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
    await show(update, context, scheduling.day_picker(v.t, _zone(context, v), now))
    return when_state


async def _zone_step(
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


async def _chosen_moment(update: Update, context: BotContext, v: Visitor) -> datetime | None:
    """A step of the day-and-time question: the next buttons shown (None), or the moment
    chosen, by buttons or typed ("tomorrow 8:00", "Friday 18:30", "2026-12-01 08:00", a time
    once the day is chosen). A day typed alone is asked its time; words that are no moment
    to come are answered with how to write one."""
    zone, now, t = _zone(context, v), context.now(), v.t
    draft = _draft(context)
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
        await query.answer()
        await show(update, context, scheduling.day_picker(t, zone, now))
        return None
    if kind == "day" and value.isdigit() and int(value) < len(days):
        draft["day"] = days[int(value)].isoformat()
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


async def _schedule_broadcast(update: Update, context: BotContext, v: Visitor, at: Any) -> int:
    draft = _draft(context)
    payload = {"html": draft["html"], "photo": draft.get("photo"), "button": draft.get("button")}
    audience = draft["audience"]
    broadcast_id = await context.store.create_broadcast(
        v.user.id, audience, payload, at, context.now()
    )
    await _audit(
        context,
        v,
        "broadcast",
        f"broadcast:{broadcast_id}",
        audience=audience,
        send_at=at.isoformat(),
        chars=len(payload["html"]),
    )
    campaigns = context.runtime.campaigns
    if campaigns is not None:
        await campaigns.tick()  # a broadcast for now goes at once
    draft.clear()
    return broadcast_id


async def cancel_command(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    _draft(context).clear()
    await send(update, context, Reply(v.t("moderation.cancelled")))
    return END


# -- campaigns -----------------------------------------------------------------------------


async def newcampaign_start(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    if await _role(update, context, v) is None:
        return await _unknown(update, context, v)
    _draft(context).clear()
    await send(update, context, Reply(v.t("campaign.ask_name")))
    return C_NAME


async def campaign_name(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    message = update.effective_message
    assert message is not None
    name = " ".join((message.text or "").split())
    if not name or len(name) > NAME_MAX:
        await send(update, context, Reply(v.t("campaign.bad_name", max=NAME_MAX)))
        return C_NAME
    _draft(context)["name"] = name
    rows = [
        [
            InlineKeyboardButton(
                f"{p.title} ({p.language}) · {len(p.tips)}",
                callback_data=cb.encode("cnew", "pack", p.id),
            )
        ]
        for p in context.content.packs
        if p.tips
    ]
    await send(update, context, Reply(v.t("campaign.ask_pack"), InlineKeyboardMarkup(rows)))
    return C_PACK


async def _step(update: Update, v: Visitor, kind: str, valid: Callable[[str], bool]) -> str | None:
    """The argument of a press on a new campaign's step `kind`, once it is checked and
    answered; None (told as stale) for any other press."""
    query = update.callback_query
    assert query is not None
    try:
        pressed, arg = cb.decode(query.data).args
    except cb.CallbackError:
        pressed, arg = "", ""
    if pressed != kind or not valid(arg):
        await query.answer(v.t("button.stale"), show_alert=True)
        return None
    await query.answer()
    return arg


async def campaign_pack(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    packs = {p.id: p for p in context.content.packs if p.tips}
    pack_id = await _step(update, v, "pack", lambda arg: arg in packs)
    if pack_id is None:
        return C_PACK
    pack = packs[pack_id]
    _draft(context)["tips"] = [tip.id for tip in pack.tips]
    _draft(context)["pack"] = pack.title
    sizes = await _sizes(context)
    await send(update, context, render.audience_picker(v.t, _languages(context), sizes))
    return C_AUDIENCE


async def campaign_audience(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    audience = await _pick_audience(update, context, v)
    if audience is None:
        return C_AUDIENCE
    if not isinstance(audience, dict):
        return END
    _draft(context)["audience"] = audience
    return await _ask_when(update, context, v, zone_state=C_ZONE, when_state=C_START)


def _zone(context: BotContext, v: Visitor) -> str:
    return v.user.time_zone or context.settings.default_timezone


async def campaign_zone(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    return await _zone_step(update, context, v, zone_state=C_ZONE, when_state=C_START)


async def campaign_start_day(update: Update, context: BotContext) -> int:
    """The first day and the time of a campaign (to the minute): pressed, or typed."""
    v = await visitor(update, context)
    moment = await _chosen_moment(update, context, v)
    if moment is None:
        return C_START
    zone = _zone(context, v)
    local = moment.astimezone(ZoneInfo(zone))
    draft = _draft(context)
    draft["start"], draft["time"] = local.date().isoformat(), local.strftime("%H:%M")
    starts = v.t("campaign.starts", when=render.when(v.t, moment, zone))
    await show(update, context, Reply(starts))
    rows = [
        [
            InlineKeyboardButton(
                v.t(f"campaign.repeat_{r}"), callback_data=cb.encode("cnew", "repeat", r)
            )
        ]
        for r in REPEATS
    ]
    await send(update, context, Reply(v.t("campaign.ask_repeat"), InlineKeyboardMarkup(rows)))
    return C_REPEAT


async def campaign_repeat(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    repeat = await _step(update, v, "repeat", lambda arg: arg in REPEATS)
    if repeat is None:
        return C_REPEAT
    draft = _draft(context)
    draft["repeat"] = repeat
    # The preview: the first message exactly as recipients will see it, and the numbers.
    first = context.content.tip(draft["tips"][0])
    assert first is not None
    preview = tip_message(
        v.t, TipPick(first, False, []), context.bot.username, campaign=draft["name"]
    )
    await send(update, context, Reply(v.t("campaign.preview_title")))
    await send(update, context, preview)
    zone = _zone(context, v)
    start = next_occurrence(
        draft["repeat"], date.fromisoformat(draft["start"]), draft["time"], zone, context.now()
    )
    size = await context.store.audience_size(draft["audience"])
    summary = v.t.plural(
        "campaign.summary",
        size,
        name=esc(draft["name"]),
        steps=len(draft["tips"]),
        audience=render.audience_name(v.t, draft["audience"]),
        first=render.when(v.t, start, zone) if start else "-",
        repeat=v.t(f"campaign.repeat_{draft['repeat']}"),
    )
    rows = [
        [
            InlineKeyboardButton(
                v.t("campaign.activate"), callback_data=cb.encode("cnew", "go", "-")
            ),
            InlineKeyboardButton(
                v.t("moderation.cancel"), callback_data=cb.encode("cnew", "cancel", "-")
            ),
        ]
    ]
    await send(update, context, Reply(summary, InlineKeyboardMarkup(rows)))
    return C_CONFIRM


async def campaign_confirm(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    query = update.callback_query
    assert query is not None
    try:
        choice, _ = cb.decode(query.data).args
    except cb.CallbackError:
        choice = "cancel"
    await query.answer()
    if choice != "go":
        await query.edit_message_text(v.t("moderation.cancelled"))
        return END
    d = _draft(context)
    campaign_id = await context.store.create_campaign(
        d["name"],
        d["audience"],
        d["tips"],
        date.fromisoformat(d["start"]),
        d["time"],
        _zone(context, v),
        d["repeat"],
        "bot",
        v.user.id,
        context.now(),
    )
    await _audit(
        context,
        v,
        "campaign_create",
        f"campaign:{campaign_id}",
        name=d["name"],
        audience=d["audience"],
        steps=len(d["tips"]),
        repeat=d["repeat"],
    )
    await query.edit_message_text(v.t("campaign.created", id=campaign_id, name=esc(d["name"])))
    d.clear()
    campaigns = context.runtime.campaigns
    if campaigns is not None:
        await campaigns.tick()
    return END


async def campaigns_command(update: Update, context: BotContext) -> None:
    v = await visitor(update, context)
    if await _role(update, context, v) is None:
        await _unknown(update, context, v)
        return
    await send(update, context, await _listing(context, v))


async def _listing(context: BotContext, v: Visitor) -> Reply:
    """The campaigns not finished and the broadcasts waiting for their time."""
    listed = await context.store.campaigns("active", "paused")
    waiting = await context.store.scheduled_broadcasts()
    return render.campaigns_message(v.t, listed, waiting, _zone(context, v))


async def _show_listing(update: Update, context: BotContext, v: Visitor) -> None:
    """Put the listing up to date in the message whose button was pressed."""
    query = update.callback_query
    assert query is not None
    reply = await _listing(context, v)
    try:
        await query.edit_message_text(
            reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.keyboard
        )
    except BadRequest as exc:
        logger.info("Campaign list not edited: %s", exc.message)


async def on_campaign_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    if await _role(update, context, v) is None:
        await _unknown(update, context, v)
        return
    try:
        action, raw_id = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    campaign = await context.store.campaign(int(raw_id))
    if campaign is None:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    status = schedules.ACTIONS[action]
    changed = await schedules.change(context.store, campaign, action, context.now())
    if changed:
        await _audit(context, v, f"campaign_{action}", f"campaign:{campaign.id}")
    await query.answer(v.t(f"campaign.{status}") if changed else v.t("button.stale"))
    await _show_listing(update, context, v)


async def on_broadcast_cancel_button(update: Update, context: BotContext) -> None:
    """Cancel a broadcast waiting for its time (its button in /campaigns)."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    if await _role(update, context, v) is None:
        await _unknown(update, context, v)
        return
    try:
        (raw_id,) = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    cancelled = await context.store.cancel_broadcast(int(raw_id))
    if cancelled:
        await _audit(context, v, "broadcast_cancel", f"broadcast:{raw_id}")
    await query.answer(v.t("campaign.cancelled") if cancelled else v.t("button.stale"))
    await _show_listing(update, context, v)


async def on_stop_button(update: Update, context: BotContext) -> None:
    """Stop a fan-out in the middle (its progress message's button)."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    if await _role(update, context, v) is None:
        await _unknown(update, context, v)
        return
    try:
        (raw_id,) = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    job_id = int(raw_id)
    if context.runtime.outbox is not None:
        context.runtime.outbox.cancel(job_id)
    stopped = await context.store.cancel_job(job_id, context.now())
    progress = context.runtime.progress
    if progress is not None:
        progress.refresh(job_id)  # the summary now, not at the next look
    await _audit(context, v, "stop_sending", f"job:{job_id}", cancelled=stopped)
    await query.answer(v.t.plural("sending.stopped", stopped))


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("addmod", addmod_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("delmod", delmod_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("mods", mods_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("modhelp", modhelp_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("campaigns", campaigns_command, filters=NEW_MESSAGES))
    text = PRIVATE & filters.TEXT & ~filters.COMMAND

    def x(step: Step) -> Step:  # a step after the first: the role is checked again
        return exclusive(_still_moderator(step))

    def fallbacks(left: str) -> list[BaseHandler[Update, BotContext, Any]]:
        return [
            CommandHandler("cancel", exclusive(cancel_command), filters=PRIVATE),
            # Any other command ends the conversation, says so, and then runs as usual.
            MessageHandler(filters.COMMAND, leaving(left)),
        ]

    when_pressed = cb.pattern("when")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # per chat and person, as intended
        broadcast = ConversationHandler(
            entry_points=[CommandHandler("broadcast", exclusive(broadcast_start), filters=PRIVATE)],
            states={
                B_TEXT: [MessageHandler(text | (PRIVATE & filters.PHOTO), x(broadcast_text))],
                B_BUTTON: [
                    MessageHandler(text, x(broadcast_button)),
                    CallbackQueryHandler(x(broadcast_button), pattern=r"^1\|bc\|skip$"),
                ],
                B_AUDIENCE: [
                    CallbackQueryHandler(x(broadcast_audience), pattern=cb.pattern("aud"))
                ],
                B_CONFIRM: [CallbackQueryHandler(x(broadcast_confirm), pattern=cb.pattern("bc"))],
                B_ZONE: [
                    MessageHandler(text, x(broadcast_zone)),
                    CallbackQueryHandler(x(broadcast_zone), pattern=cb.pattern("mz")),
                ],
                B_WHEN: [
                    MessageHandler(text, x(broadcast_when)),
                    CallbackQueryHandler(x(broadcast_when), pattern=when_pressed),
                ],
            },
            fallbacks=fallbacks("broadcast.left"),
            conversation_timeout=TIMEOUT,
            name="broadcast",
            allow_reentry=True,  # /broadcast again starts afresh
        )
        campaign = ConversationHandler(
            entry_points=[
                CommandHandler("newcampaign", exclusive(newcampaign_start), filters=PRIVATE)
            ],
            states={
                C_NAME: [MessageHandler(text, x(campaign_name))],
                C_PACK: [CallbackQueryHandler(x(campaign_pack), pattern=cb.pattern("cnew"))],
                C_AUDIENCE: [CallbackQueryHandler(x(campaign_audience), pattern=cb.pattern("aud"))],
                C_ZONE: [
                    MessageHandler(text, x(campaign_zone)),
                    CallbackQueryHandler(x(campaign_zone), pattern=cb.pattern("mz")),
                ],
                C_START: [
                    MessageHandler(text, x(campaign_start_day)),
                    CallbackQueryHandler(x(campaign_start_day), pattern=when_pressed),
                ],
                C_REPEAT: [CallbackQueryHandler(x(campaign_repeat), pattern=cb.pattern("cnew"))],
                C_CONFIRM: [CallbackQueryHandler(x(campaign_confirm), pattern=cb.pattern("cnew"))],
            },
            fallbacks=fallbacks("campaign.left"),
            conversation_timeout=TIMEOUT,
            name="campaign",
            allow_reentry=True,  # /newcampaign again starts afresh
        )
    # Each in a group of its own: a command that ends one can start the other.
    app.add_handler(broadcast, group=BROADCAST_CONVERSATION_GROUP)
    app.add_handler(campaign, group=CONVERSATION_GROUP)
    app.add_handler(CallbackQueryHandler(on_campaign_button, pattern=cb.pattern("camp")))
    app.add_handler(CallbackQueryHandler(on_broadcast_cancel_button, pattern=cb.pattern("bcx")))
    app.add_handler(CallbackQueryHandler(on_stop_button, pattern=cb.pattern("stop")))
