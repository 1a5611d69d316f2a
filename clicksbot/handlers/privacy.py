"""/privacy, /mydata and /forget: what the bot keeps, all of it on request, none of it after."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import PRIVATE, send, visitor
from clicksbot.handlers.moderation.common import TIMEOUT as DRAFT_TIMEOUT
from clicksbot.handlers.pact import TIMEOUT as PACT_TIMEOUT
from clicksbot.i18n import Translator
from clicksbot.render import Reply
from clicksbot.render import callbacks as cb
from clicksbot.render.messages import next_steps
from clicksbot.store.privacy import Someone

logger = logging.getLogger(__name__)


def _json_default(t: Translator) -> Callable[[object], str]:
    def default(value: object) -> str:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Someone):  # another person: who they are to them, never an id
            return t(f"mydata.someone_{value.role}")
        return str(value)

    return default


def _minutes(timeout: timedelta) -> int:
    return int(timeout.total_seconds() // 60)


async def privacy_command(update: Update, context: BotContext) -> None:
    """Say in plain words what is kept, why and for how long."""
    v = await visitor(update, context)
    days = context.settings.retention_days
    keep = v.t.plural("privacy.retention", days) if days else v.t("privacy.retention_forever")
    text = "\n\n".join(
        (
            v.t("privacy.text", retention=keep),
            v.t("privacy.checkup"),
            v.t("privacy.boosters"),
            v.t("privacy.reminder"),
            # Conversations under way (store.dialogues): kept until they end or time out.
            v.t(
                "privacy.dialogues",
                minutes=_minutes(PACT_TIMEOUT),
                moderator_minutes=_minutes(DRAFT_TIMEOUT),
            ),
        )
    )
    await send(update, context, Reply(text, next_steps(v.t)))


async def mydata_command(update: Update, context: BotContext) -> None:
    """Send everything stored about the person: a summary, and the whole as a JSON file."""
    v = await visitor(update, context)
    data = await context.store.personal_data(v.user.id)
    counts = {table: len(rows) for table, rows in data.items()}
    invited = any(row.get("referred_by") for row in data.get("users", []))
    # The summary's list ends with {invited}: lines that only some people have go there.
    more = "\n" + v.t("mydata.invited") if invited else ""
    checkups = sum(1 for row in data.get("checkups", []) if row.get("finished_at"))
    if checkups:
        more += "\n" + v.t("mydata.checkups", checkups=checkups)
    boxed = sum(1 for row in data.get("boosters", []) if row.get("box"))
    rated = sum(1 for row in data.get("answers", []) if row.get("confidence"))
    if boxed or rated:
        more += "\n" + v.t("mydata.boosters", boxed=boxed, rated=rated)
    summary = v.t(
        "mydata.summary",
        language=v.t.language_name,
        tips=counts.get("seen_tips", 0),
        answers=counts.get("answers", 0),
        days=counts.get("activity_days", 0),
        badges=counts.get("badges", 0),
        pledges=counts.get("pledges", 0),
        messages=counts.get("deliveries", 0),
        invited=more,
    )
    await send(update, context, Reply(summary))
    document = json.dumps(
        {"telegram_user_id": v.user.id, "tables": data},
        indent=2,
        ensure_ascii=False,
        default=_json_default(v.t),
    ).encode()
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        document,
        filename="clicksbot-my-data.json",
        caption=v.t("mydata.caption"),
        reply_markup=next_steps(v.t),
    )


async def forget_command(update: Update, context: BotContext) -> None:
    """Ask for confirmation before deleting everything."""
    v = await visitor(update, context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(v.t("forget.yes"), callback_data=cb.encode("forget", "yes")),
                InlineKeyboardButton(v.t("forget.no"), callback_data=cb.encode("forget", "no")),
            ]
        ]
    )
    await send(update, context, Reply(v.t("forget.confirm"), keyboard))


async def on_forget(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    # No visitor() here: recording the person again is the last thing to do.
    user = await context.store.get_user(update.effective_user.id)
    t = context.catalogs.get(user.language if user else context.settings.default_language)
    try:
        (choice,) = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(t("button.stale"), show_alert=True)
        return
    if choice == "no":
        await query.answer()
        await query.edit_message_text(t("forget.kept"), reply_markup=next_steps(t))
        return
    # (their conversations under way, drafts included, go with them: see store.dialogues)
    forgotten = await context.store.forget(update.effective_user.id)
    logger.info("A person asked to be forgotten; their data is deleted")
    await query.answer()
    await query.edit_message_text(t("forget.done") if forgotten else t("forget.nothing"))


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("privacy", privacy_command, filters=PRIVATE))
    app.add_handler(CommandHandler("mydata", mydata_command, filters=PRIVATE))
    app.add_handler(CommandHandler("forget", forget_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_forget, pattern=cb.pattern("forget")))
