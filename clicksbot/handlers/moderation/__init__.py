"""Moderators and admins: roles, broadcasts, tip campaigns, stopping a fan-out.

Every command here checks the role on the server; to anyone else it answers as to an unknown
command, so nobody learns these exist. The conversations that make a broadcast or a campaign
check it again at each step, so a role taken back in the middle stops them there. Every
action is written to the audit log.

`roles` makes and lists moderators, `broadcasts` and `campaigns` are the two fan-outs a
moderator starts, `impact` the impact report, and `common` holds what they share.
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from clicksbot.context import BotApplication
from clicksbot.handlers.common import BROADCAST_CONVERSATION_GROUP, CONVERSATION_GROUP, NEW_MESSAGES
from clicksbot.handlers.moderation import broadcasts, campaigns, impact, roles
from clicksbot.render import callbacks as cb

__all__ = ["register"]


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("addmod", roles.addmod_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("delmod", roles.delmod_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("mods", roles.mods_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("modhelp", roles.modhelp_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("campaigns", campaigns.campaigns_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("impact", impact.impact_command, filters=NEW_MESSAGES))
    # Each in a group of its own: a command that ends one can start the other.
    app.add_handler(broadcasts.conversation(), group=BROADCAST_CONVERSATION_GROUP)
    app.add_handler(campaigns.conversation(), group=CONVERSATION_GROUP)
    app.add_handler(CallbackQueryHandler(campaigns.on_campaign_button, pattern=cb.pattern("camp")))
    app.add_handler(
        CallbackQueryHandler(broadcasts.on_broadcast_cancel_button, pattern=cb.pattern("bcx"))
    )
    app.add_handler(CallbackQueryHandler(broadcasts.on_stop_button, pattern=cb.pattern("stop")))
    app.add_handler(CallbackQueryHandler(impact.on_impact_button, pattern=cb.pattern("impact")))
