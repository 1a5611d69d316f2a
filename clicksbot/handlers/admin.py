"""/stats: the bot's figures, for the admins named in the config (nobody else sees them)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import NEW_MESSAGES, send, visitor
from clicksbot.render import Reply
from clicksbot.services.figures import delivery_figures


async def stats_command(update: Update, context: BotContext) -> None:
    """Show the admins the delivery figures; to anyone else, it is an unknown command."""
    v = await visitor(update, context)
    if v.user.id not in context.settings.admins:
        await send(update, context, Reply(v.t("fallback.text")))
        return
    zone = context.settings.default_timezone
    figures = await delivery_figures(context.store, context.now(), zone)
    await send(
        update,
        context,
        Reply(
            v.t(
                "stats.text",
                people=figures.people,
                subscribers=figures.subscribers,
                sent=figures.sent_since,
                failed=figures.failed_since,
                unreachable=figures.unreachable,
                pending=figures.pending,
                zone=zone,
            )
        ),
    )


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("stats", stats_command, filters=NEW_MESSAGES))
