"""/checkup: the discernment check, its items one message edited in place, and the offer made
at a quiz."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import PRIVATE, Visitor, answering, send, show, visitor
from clicksbot.render import Reply
from clicksbot.render import callbacks as cb
from clicksbot.render import checkup as render
from clicksbot.services import checkup
from clicksbot.services.checkup import Status

logger = logging.getLogger(__name__)


async def offer_instead(
    update: Update, context: BotContext, v: Visitor, topic: str, *, english: bool = False
) -> bool:
    """Offer the checkup in place of the question asked for, when one is due (the first quiz;
    again after a while); return whether it was offered. Skipping asks for the question."""
    chat = update.effective_chat
    if not context.settings.checkup_offer or chat is None or chat.type != ChatType.PRIVATE:
        return False
    offer = await checkup.offer_due(context.store, context.content, v.user, context.now())
    if offer is None:
        return False
    await checkup.mark_offered(context.store, v.user, context.now())
    skip = cb.encode("quizen" if english else "quiz", topic)
    await send(update, context, render.offer_message(v.t, offer, skip))
    return True


async def checkup_command(update: Update, context: BotContext) -> None:
    """Carry on the checkup under way, or say what it is and offer to start."""
    v = await visitor(update, context)
    step = await checkup.current(context.store, context.content, v.user, context.now())
    if step is not None:
        await send(update, context, render.item_message(v.t, step))
        return
    total = checkup.size(context.content, v.user.language)
    if not total:
        await send(update, context, Reply(v.t("checkup.none")))
        return
    last = await checkup.last_finished(context.store, v.user, context.settings.default_timezone)
    await send(update, context, render.intro_message(v.t, total, last))


async def on_start(update: Update, context: BotContext) -> None:
    """Start the checkup (or carry on with the one under way) in place of the pressed message."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    step = await checkup.begin(
        context.store, context.content, v.user, context.now(), context.runtime.rng
    )
    if step is None:
        await query.answer(v.t("checkup.none"), show_alert=True)
        return
    await answering(update, show(update, context, render.item_message(v.t, step)))


async def on_answer(update: Update, context: BotContext) -> None:
    """Record Real or Fake, then show the next item in the same message; after the last, the
    report in its place and the answers below it."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    try:
        checkup_id, position, said = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    outcome = await checkup.answer(
        context.store,
        context.content,
        v.user,
        int(checkup_id),
        int(position),
        said == "r",
        context.now(),
        context.settings.default_timezone,
    )
    if outcome.status is Status.INVALID:
        await query.answer(v.t("button.stale"), show_alert=True)
    elif outcome.status is Status.ALREADY:
        await query.answer(v.t("checkup.already"))
    elif outcome.status is Status.GONE:
        await query.answer(v.t("checkup.gone"), show_alert=True)
    elif outcome.status is Status.NEXT:
        assert outcome.step is not None
        await answering(update, show(update, context, render.item_message(v.t, outcome.step)))
    else:
        assert outcome.report is not None
        await answering(update, show(update, context, render.report_message(v.t, outcome.report)))
        for reply in render.review_messages(v.t, outcome.report):
            await send(update, context, reply)


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("checkup", checkup_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_start, pattern=cb.pattern("ckgo")))
    app.add_handler(CallbackQueryHandler(on_answer, pattern=cb.pattern("ck")))
