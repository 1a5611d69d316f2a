"""Broadcasts: the /broadcast conversation (compose, a button, preview, audience, now or
later), cancelling one that waits for its time, and stopping a fan-out in the middle."""

from __future__ import annotations

import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from clicksbot.context import BotContext
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
from clicksbot.services import moderation as service

B_TEXT, B_BUTTON, B_AUDIENCE, B_CONFIRM, B_WHEN, B_ZONE = range(6)
NAME = "broadcast"  # the conversation, and its draft in the store


async def broadcast_start(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    if await role_of(update, context, v) is None:
        return await unknown(update, context, v)
    await keep_draft(update, context, NAME, {})  # afresh
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
    draft = await draft_of(update, context, NAME)
    draft["html"] = _html_of(message)
    draft["photo"] = message.photo[-1].file_id if message.photo else None
    await keep_draft(update, context, NAME, draft)
    buttons = InlineKeyboardMarkup(
        [[InlineKeyboardButton(v.t("broadcast.no_button"), callback_data=cb.encode("bc", "skip"))]]
    )
    await send(update, context, Reply(v.t("broadcast.ask_button"), buttons))
    return B_BUTTON


async def broadcast_button(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    draft = await draft_of(update, context, NAME)
    if "html" not in draft:  # a button of a broadcast that is no more
        return await _stale(update, context, v)
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
    await keep_draft(update, context, NAME, draft)
    return await _preview(update, context, v, draft)


async def _stale(update: Update, context: BotContext, v: Visitor) -> int:
    """End a conversation whose draft is gone (sent already, or forgotten)."""
    if update.callback_query is not None:
        await update.callback_query.answer(v.t("button.stale"), show_alert=True)
    else:
        await send(update, context, Reply(v.t("moderation.cancelled")))
    return END


async def _preview(update: Update, context: BotContext, v: Visitor, draft: dict[str, Any]) -> int:
    """Show the broadcast exactly as recipients will see it; Telegram checks its formatting."""
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
    sizes = await audience_sizes(context)
    await send(update, context, render.audience_picker(v.t, languages(context), sizes))
    return B_AUDIENCE


async def broadcast_audience(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    audience = await pick_audience(update, context, v)
    if audience is None:
        return B_AUDIENCE
    if not isinstance(audience, dict):
        return END
    draft = await draft_of(update, context, NAME)
    draft["audience"] = audience
    await keep_draft(update, context, NAME, draft)
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
    if not {"html", "audience"} <= (await draft_of(update, context, NAME)).keys():
        return await _stale(update, context, v)  # sent already: once is enough
    await query.answer()
    if choice == "cancel":
        await query.edit_message_text(v.t("moderation.cancelled"))
        return END
    if choice == "later":
        return await ask_when(update, context, v, zone_state=B_ZONE, when_state=B_WHEN)
    await query.edit_message_text(v.t("broadcast.sending"))
    await _schedule_broadcast(update, context, v, context.now())
    return END


async def broadcast_zone(update: Update, context: BotContext) -> int:
    v = await visitor(update, context)
    return await zone_step(update, context, v, zone_state=B_ZONE, when_state=B_WHEN)


async def broadcast_when(update: Update, context: BotContext) -> int:
    """The day and time of a broadcast sent later: pressed, or typed."""
    v = await visitor(update, context)
    if not {"html", "audience"} <= (await draft_of(update, context, NAME)).keys():
        return await _stale(update, context, v)  # scheduled already: once is enough
    moment = await chosen_moment(update, context, v, NAME)
    if moment is None:
        return B_WHEN
    broadcast_id = await _schedule_broadcast(update, context, v, moment)
    when_text = render.when(v.t, moment, zone_of(context, v))
    await show(update, context, Reply(v.t("broadcast.scheduled", id=broadcast_id, when=when_text)))
    return END


async def _schedule_broadcast(update: Update, context: BotContext, v: Visitor, at: Any) -> int:
    draft = await draft_of(update, context, NAME)
    payload = {"html": draft["html"], "photo": draft.get("photo"), "button": draft.get("button")}
    audience = draft["audience"]
    broadcast_id = await context.store.create_broadcast(
        v.user.id, audience, payload, at, context.now()
    )
    await drop_drafts(update, context)  # at once: a step taken again cannot send it twice
    await audit(
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
    return broadcast_id


async def on_broadcast_cancel_button(update: Update, context: BotContext) -> None:
    """Cancel a broadcast waiting for its time (its button in /campaigns)."""
    query = update.callback_query
    assert query is not None
    pressed = await moderator_press(update, context)
    if pressed is None:
        return
    v, (raw_id,) = pressed
    cancelled = await context.store.cancel_broadcast(int(raw_id))
    if cancelled:
        await audit(context, v, "broadcast_cancel", f"broadcast:{raw_id}")
    await query.answer(v.t("campaign.cancelled") if cancelled else v.t("button.stale"))
    await show_listing(update, context, v)


async def on_stop_button(update: Update, context: BotContext) -> None:
    """Stop a fan-out in the middle (its progress message's button)."""
    query = update.callback_query
    assert query is not None
    pressed = await moderator_press(update, context)
    if pressed is None:
        return
    v, (raw_id,) = pressed
    job_id = int(raw_id)
    if context.runtime.outbox is not None:
        context.runtime.outbox.cancel(job_id)
    stopped = await context.store.cancel_job(job_id, context.now())
    progress = context.runtime.progress
    if progress is not None:
        progress.refresh(job_id)  # the summary now, not at the next look
    await audit(context, v, "stop_sending", f"job:{job_id}", cancelled=stopped)
    await query.answer(v.t.plural("sending.stopped", stopped))


def conversation() -> ConversationHandler[BotContext]:
    """The /broadcast conversation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # per chat and person, as intended
        return ConversationHandler(
            entry_points=[CommandHandler("broadcast", exclusive(broadcast_start), filters=PRIVATE)],
            states={
                B_TEXT: [MessageHandler(TEXT | (PRIVATE & filters.PHOTO), again(broadcast_text))],
                B_BUTTON: [
                    MessageHandler(TEXT, again(broadcast_button)),
                    CallbackQueryHandler(again(broadcast_button), pattern=r"^1\|bc\|skip$"),
                ],
                B_AUDIENCE: [
                    CallbackQueryHandler(again(broadcast_audience), pattern=cb.pattern("aud"))
                ],
                B_CONFIRM: [
                    CallbackQueryHandler(again(broadcast_confirm), pattern=cb.pattern("bc"))
                ],
                B_ZONE: [
                    MessageHandler(TEXT, again(broadcast_zone)),
                    CallbackQueryHandler(again(broadcast_zone), pattern=cb.pattern("mz")),
                ],
                B_WHEN: [
                    MessageHandler(TEXT, again(broadcast_when)),
                    CallbackQueryHandler(again(broadcast_when), pattern=WHEN_PRESSED),
                ],
            },
            fallbacks=fallbacks("broadcast.left"),
            conversation_timeout=TIMEOUT,
            name=NAME,
            persistent=True,  # its steps are kept in the store: see clicksbot.persistence
            allow_reentry=True,  # /broadcast again starts afresh
        )
