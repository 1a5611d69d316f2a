"""/impact: the impact report for moderators, as charts (an album of photos) and a CSV file.

The command asks how to group the figures; each press checks the role again, counts (on a
connection of its own, so the bot keeps answering), draws the charts off the event loop, and
sends them with the CSV, whose buttons group them another way.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import date
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Update
from telegram.constants import ParseMode

from clicksbot.context import BotContext
from clicksbot.handlers.common import Visitor, send, show, visitor
from clicksbot.handlers.moderation.common import audit, moderator_press, role_of, unknown, zone_of
from clicksbot.i18n import Translator
from clicksbot.render import Reply
from clicksbot.render import callbacks as cb
from clicksbot.render import impact as render
from clicksbot.services import impact as service
from clicksbot.services.impact import DEFAULT_WEEKS, MIN_PEOPLE, ImpactReport
from clicksbot.store.impact import COHORTS

logger = logging.getLogger(__name__)

# matplotlib draws one report at a time (its font cache and text layout are shared).
_DRAWING = threading.Lock()


def picker(t: Translator) -> InlineKeyboardMarkup:
    """The cohorts to group the report by, two to a row."""
    buttons = [
        InlineKeyboardButton(t(f"impact.by_{by}"), callback_data=cb.encode("impact", by))
        for by in COHORTS
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


async def impact_command(update: Update, context: BotContext) -> None:
    """Ask a moderator how to group the report; anyone else is answered as to an unknown
    command."""
    v = await visitor(update, context)
    if await role_of(update, context, v) is None:
        await unknown(update, context, v)
        return
    await send(update, context, Reply(v.t("impact.ask"), picker(v.t)))


async def on_impact_button(update: Update, context: BotContext) -> None:
    """Make and send the report grouped as pressed (the role checked again)."""
    pressed = await moderator_press(update, context)
    if pressed is None:
        return
    v, (by,) = pressed
    query = update.callback_query
    assert query is not None
    await query.answer()
    await show(update, context, Reply(v.t("impact.working")))
    report = await service.impact_report(context.store, by, DEFAULT_WEEKS, context.now(),
                                         today=_today(context, v))  # fmt: skip
    await audit(context, v, "impact_report", None, by=by, weeks=report.weeks)
    if report.empty:
        await show(update, context, Reply(v.t("impact.too_few", min=MIN_PEOPLE), picker(v.t)))
        return
    await send_report(context, v, report)


def _today(context: BotContext, v: Visitor) -> date:
    """Today where the moderator is: the report's weeks end with theirs."""
    return context.now().astimezone(ZoneInfo(zone_of(context, v))).date()


async def send_report(context: BotContext, v: Visitor, report: ImpactReport) -> None:
    """Send the charts as one album, captioned, then the CSV with the grouping buttons."""
    pictures = await asyncio.to_thread(_draw, report, v.t)
    chat_id = v.user.id
    caption = render.caption(report, v.t)
    media = [
        InputMediaPhoto(
            png,
            filename=name,
            caption=caption if i == 0 else None,
            parse_mode=ParseMode.HTML if i == 0 else None,
        )
        for i, (name, png) in enumerate(pictures)
    ]
    await context.bot.send_media_group(chat_id, media)
    await context.bot.send_document(
        chat_id,
        service.to_csv(report),
        filename=f"clicksbot-impact-{report.by}-{report.made_at.date().isoformat()}.csv",
        caption=v.t("impact.csv_caption"),
        reply_markup=picker(v.t),
    )


def _draw(report: ImpactReport, t: Translator) -> list[tuple[str, bytes]]:
    with _DRAWING:
        return render.charts(report, t)
