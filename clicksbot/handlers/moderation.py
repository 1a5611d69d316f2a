"""Moderators and admins: roles, broadcasts, tip campaigns, stopping a fan-out.

Every command here checks the role on the server; to anyone else it answers as to an unknown
command, so nobody learns these exist. The conversations that make a broadcast or a campaign
check it again at each step, so a role taken back in the middle stops them there. Every
action is written to the audit log.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from datetime import date, timedelta
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
from clicksbot.handlers import fallback
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
    visitor,
)
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.render import moderation as render
from clicksbot.render.learning import tip_message
from clicksbot.services import moderation as service
from clicksbot.services.learning import TipPick
from clicksbot.services.moderation import Role

logger = logging.getLogger(__name__)

END = ConversationHandler.END
B_TEXT, B_BUTTON, B_AUDIENCE, B_CONFIRM, B_WHEN = range(5)
C_NAME, C_PACK, C_AUDIENCE, C_START, C_HOUR, C_REPEAT, C_CONFIRM = range(10, 17)
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
        zone = v.user.time_zone or context.settings.default_timezone
        await query.edit_message_text(v.t("broadcast.ask_when", zone=esc(zone)))
        return B_WHEN
    await query.edit_message_text(v.t("broadcast.sending"))
    await _schedule_broadcast(update, context, v, context.now())
    return END


async def broadcast_when(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    message = update.effective_message
    assert message is not None
    zone = v.user.time_zone or context.settings.default_timezone
    moment = service.parse_when(message.text or "", zone, context.now())
    if moment is None:
        await send(update, context, Reply(v.t("broadcast.bad_when", zone=esc(zone))))
        return B_WHEN
    broadcast_id = await _schedule_broadcast(update, context, v, moment)
    await send(
        update,
        context,
        Reply(v.t("broadcast.scheduled", id=broadcast_id, when=render.when(v.t, moment, zone))),
    )
    return END


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
    rows = [
        [
            InlineKeyboardButton(
                v.t("campaign.today"), callback_data=cb.encode("cnew", "start", "0")
            ),
            InlineKeyboardButton(
                v.t("campaign.tomorrow"), callback_data=cb.encode("cnew", "start", "1")
            ),
        ]
    ]
    await send(update, context, Reply(v.t("campaign.ask_start"), InlineKeyboardMarkup(rows)))
    return C_START


def _zone(context: BotContext, v: Visitor) -> str:
    return v.user.time_zone or context.settings.default_timezone


async def campaign_start_day(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    days = await _step(update, v, "start", lambda arg: arg in ("0", "1"))
    if days is None:
        return C_START
    today = context.now().astimezone(ZoneInfo(_zone(context, v))).date()
    _draft(context)["start"] = (today + timedelta(days=int(days))).isoformat()
    buttons = [
        InlineKeyboardButton(f"{h:02d}:00", callback_data=cb.encode("cnew", "hour", f"{h:02d}"))
        for h in range(24)
    ]
    rows = [buttons[i : i + 6] for i in range(0, 24, 6)]
    text = v.t("campaign.ask_hour", zone=esc(_zone(context, v)))
    await send(update, context, Reply(text, InlineKeyboardMarkup(rows)))
    return C_HOUR


async def campaign_hour(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    hour = await _step(update, v, "hour", lambda arg: arg.isdigit() and int(arg) <= 23)
    if hour is None:
        return C_HOUR
    _draft(context)["time"] = f"{int(hour):02d}:00"
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
                B_WHEN: [MessageHandler(text, x(broadcast_when))],
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
                C_START: [CallbackQueryHandler(x(campaign_start_day), pattern=cb.pattern("cnew"))],
                C_HOUR: [CallbackQueryHandler(x(campaign_hour), pattern=cb.pattern("cnew"))],
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
