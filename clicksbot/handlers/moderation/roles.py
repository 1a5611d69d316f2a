"""Roles: admins make and unmake moderators, list them, and moderators learn what they can do."""

from __future__ import annotations

from telegram import Update

from clicksbot.context import BotContext
from clicksbot.handlers import menus
from clicksbot.handlers.common import send, visitor
from clicksbot.handlers.moderation.common import audit, role_of, unknown
from clicksbot.render import Reply, esc
from clicksbot.services.moderation import Role


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
    if await role_of(update, context, v) is not Role.ADMIN:
        await unknown(update, context, v)
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
        await audit(context, v, "grant_moderator" if grant else "revoke_moderator", str(target))
        await menus.refresh(context.bot, context.runtime, target)  # their menu, theirs now
    for broadcast_id in cancelled:
        await audit(context, v, "broadcast_cancel", f"broadcast:{broadcast_id}",
                     reason="moderator_revoked")  # fmt: skip
    text = v.t(key, id=target)
    if cancelled:
        ids = ", ".join(f"#{i}" for i in cancelled)
        text += "\n" + v.t.plural("moderation.revoked_broadcasts", len(cancelled), ids=ids)
    await send(update, context, Reply(text))


async def modhelp_command(update: Update, context: BotContext) -> None:
    """What moderators (and admins) can do; unknown to everyone else."""
    v = await visitor(update, context)
    role = await role_of(update, context, v)
    if role is None:
        await unknown(update, context, v)
        return
    text = v.t("moderation.help")
    if role is Role.ADMIN:
        text += "\n\n" + v.t("moderation.help_admin")
    await send(update, context, Reply(text))


async def mods_command(update: Update, context: BotContext) -> None:
    """List the moderators (admins only)."""
    v = await visitor(update, context)
    if await role_of(update, context, v) is not Role.ADMIN:
        await unknown(update, context, v)
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
