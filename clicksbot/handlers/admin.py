"""/stats: the bot's figures, for the admins named in the config (nobody else sees them)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers import fallback
from clicksbot.handlers.common import NEW_MESSAGES, send, visitor
from clicksbot.render import Reply, esc
from clicksbot.services import places
from clicksbot.services.figures import delivery_figures


async def stats_command(update: Update, context: BotContext) -> None:
    """Show the admins the delivery figures; to anyone else, it is an unknown command."""
    v = await visitor(update, context)
    if v.user.id not in context.settings.admins:
        await fallback.unknown(update, context, v)
        return
    zone = context.settings.default_timezone
    figures = await delivery_figures(context.store, context.now(), zone)
    pledges = await context.store.pledge_counts(days=7)
    if pledges.total:
        lines = [v.t.plural("stats.pledges", pledges.total)]
        for country, count in sorted(pledges.by_country.items(), key=lambda kv: -kv[1]):
            name = places.country_name(country, v.t.language) if country else None
            lines.append(f"  {esc(name or v.t('stats.no_country'))}: {count}")
    else:  # a new bot: no empty headings with nothing under them
        lines = [v.t("stats.no_pledges")]
    if pledges.by_day:
        lines.append(v.t("stats.by_day"))
        lines += [f"  {day.isoformat()}: {count}" for day, count in sorted(pledges.by_day.items())]
    elif pledges.total:
        lines.append(v.t("stats.no_new_pledges"))
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
            + "\n\n"
            + "\n".join(lines)
        ),
    )


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("stats", stats_command, filters=NEW_MESSAGES))
