"""Tip campaigns: the /newcampaign conversation (name, pack, audience, first day and time,
repeat, preview), the /campaigns list, and its pause, resume and cancel buttons."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler
from telegram.warnings import PTBUserWarning

from clicksbot.context import BotContext
from clicksbot.delivery import campaigns as schedules
from clicksbot.delivery.campaigns import REPEATS, next_occurrence
from clicksbot.handlers.common import PRIVATE, Visitor, exclusive, send, show, visitor
from clicksbot.handlers.moderation.common import (
    END,
    TEXT,
    TIMEOUT,
    WHEN_PRESSED,
    again,
    ask_when,
    audience_sizes,
    audit,
    chosen_moment,
    draft_of,
    drop_drafts,
    fallbacks,
    keep_draft,
    languages,
    listing,
    moderator_press,
    pick_audience,
    role_of,
    show_listing,
    unknown,
    zone_of,
    zone_step,
)
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.render import moderation as render
from clicksbot.render.learning import tip_message
from clicksbot.services.learning import TipPick

C_NAME, C_PACK, C_AUDIENCE, C_START, C_ZONE, C_REPEAT, C_CONFIRM = range(10, 17)
NAME_MAX = 60
NAME = "campaign"  # the conversation, and its draft in the store
STEPS = ("name", "tips", "pack", "audience", "start", "time", "repeat")  # a draft complete


async def newcampaign_start(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    if await role_of(update, context, v) is None:
        return await unknown(update, context, v)
    await keep_draft(update, context, NAME, {})  # afresh
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
    draft = await draft_of(update, context, NAME)
    draft["name"] = name
    await keep_draft(update, context, NAME, draft)
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
    draft = await draft_of(update, context, NAME)
    draft["tips"], draft["pack"] = [tip.id for tip in pack.tips], pack.title
    await keep_draft(update, context, NAME, draft)
    sizes = await audience_sizes(context)
    await send(update, context, render.audience_picker(v.t, languages(context), sizes))
    return C_AUDIENCE


async def campaign_audience(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    audience = await pick_audience(update, context, v)
    if audience is None:
        return C_AUDIENCE
    if not isinstance(audience, dict):
        return END
    draft = await draft_of(update, context, NAME)
    draft["audience"] = audience
    await keep_draft(update, context, NAME, draft)
    return await ask_when(update, context, v, zone_state=C_ZONE, when_state=C_START)


async def campaign_zone(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    return await zone_step(update, context, v, zone_state=C_ZONE, when_state=C_START)


async def campaign_start_day(update: Update, context: BotContext) -> int:
    """The first day and the time of a campaign (to the minute): pressed, or typed."""
    v = await visitor(update, context)
    moment = await chosen_moment(update, context, v, NAME)
    if moment is None:
        return C_START
    zone = zone_of(context, v)
    local = moment.astimezone(ZoneInfo(zone))
    draft = await draft_of(update, context, NAME)
    draft["start"], draft["time"] = local.date().isoformat(), local.strftime("%H:%M")
    await keep_draft(update, context, NAME, draft)
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
    draft = await draft_of(update, context, NAME)
    if not {"name", "tips", "audience", "start", "time"} <= draft.keys():
        assert update.callback_query is not None  # a button of a campaign created already
        await update.callback_query.answer(v.t("button.stale"), show_alert=True)
        return END
    repeat = await _step(update, v, "repeat", lambda arg: arg in REPEATS)
    if repeat is None:
        return C_REPEAT
    draft["repeat"] = repeat
    await keep_draft(update, context, NAME, draft)
    # The preview: the first message exactly as recipients will see it, and the numbers.
    first = context.content.tip(draft["tips"][0])
    assert first is not None
    preview = tip_message(
        v.t, TipPick(first, False, []), context.bot.username, campaign=draft["name"]
    )
    await send(update, context, Reply(v.t("campaign.preview_title")))
    await send(update, context, preview)
    zone = zone_of(context, v)
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
    d = await draft_of(update, context, NAME)
    if not set(STEPS) <= d.keys():  # created already: once is enough
        await query.answer(v.t("button.stale"), show_alert=True)
        return END
    await query.answer()
    if choice != "go":
        await query.edit_message_text(v.t("moderation.cancelled"))
        return END
    campaign_id = await context.store.create_campaign(
        d["name"],
        d["audience"],
        d["tips"],
        date.fromisoformat(d["start"]),
        d["time"],
        zone_of(context, v),
        d["repeat"],
        "bot",
        v.user.id,
        context.now(),
    )
    await drop_drafts(update, context)  # at once: a step taken again cannot create it twice
    await audit(
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
    campaigns = context.runtime.campaigns
    if campaigns is not None:
        await campaigns.tick()
    return END


async def campaigns_command(update: Update, context: BotContext) -> None:
    v = await visitor(update, context)
    if await role_of(update, context, v) is None:
        await unknown(update, context, v)
        return
    await send(update, context, await listing(context, v))


async def on_campaign_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    pressed = await moderator_press(update, context)
    if pressed is None:
        return
    v, (action, raw_id) = pressed
    campaign = await context.store.campaign(int(raw_id))
    if campaign is None:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    status = schedules.ACTIONS[action]
    changed = await schedules.change(context.store, campaign, action, context.now())
    if changed:
        await audit(context, v, f"campaign_{action}", f"campaign:{campaign.id}")
    await query.answer(v.t(f"campaign.{status}") if changed else v.t("button.stale"))
    await show_listing(update, context, v)


def conversation() -> ConversationHandler[BotContext]:
    """The /newcampaign conversation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # per chat and person, as intended
        return ConversationHandler(
            entry_points=[
                CommandHandler("newcampaign", exclusive(newcampaign_start), filters=PRIVATE)
            ],
            states={
                C_NAME: [MessageHandler(TEXT, again(campaign_name))],
                C_PACK: [CallbackQueryHandler(again(campaign_pack), pattern=cb.pattern("cnew"))],
                C_AUDIENCE: [
                    CallbackQueryHandler(again(campaign_audience), pattern=cb.pattern("aud"))
                ],
                C_ZONE: [
                    MessageHandler(TEXT, again(campaign_zone)),
                    CallbackQueryHandler(again(campaign_zone), pattern=cb.pattern("mz")),
                ],
                C_START: [
                    MessageHandler(TEXT, again(campaign_start_day)),
                    CallbackQueryHandler(again(campaign_start_day), pattern=WHEN_PRESSED),
                ],
                C_REPEAT: [
                    CallbackQueryHandler(again(campaign_repeat), pattern=cb.pattern("cnew"))
                ],
                C_CONFIRM: [
                    CallbackQueryHandler(again(campaign_confirm), pattern=cb.pattern("cnew"))
                ],
            },
            fallbacks=fallbacks("campaign.left"),
            conversation_timeout=TIMEOUT,
            name=NAME,
            persistent=True,  # its steps are kept in the store: see clicksbot.persistence
            allow_reentry=True,  # /newcampaign again starts afresh
        )
