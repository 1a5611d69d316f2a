"""/pact, /certificate and /invite: taking the MIL CLICKS Pact and bringing friends.

Committing starts a short conversation (PTB's ConversationHandler): the name for the
certificate (typed, or skipped), then the country (a button, or skipped), then the certificate.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import (
    PACT_CONVERSATION_GROUP,
    PRIVATE,
    Visitor,
    exclusive,
    leaving,
    send,
    show,
    visitor,
)
from clicksbot.i18n import SOURCE_LANGUAGE
from clicksbot.render import Reply
from clicksbot.render import callbacks as cb
from clicksbot.render import pact as render
from clicksbot.render.certificate import certificate_png, clean_name
from clicksbot.render.messages import next_steps
from clicksbot.services import pact as service
from clicksbot.services import places
from clicksbot.store.pact import Pledge

logger = logging.getLogger(__name__)

NAME, COUNTRY, RENAME = range(3)
END = ConversationHandler.END
TIMEOUT = timedelta(minutes=15)  # an unfinished pledge forgets its questions after this


def _likely_country(update: Update, v: Visitor) -> str | None:
    code = update.effective_user.language_code if update.effective_user else None
    return v.user.country or places.likely_country(code, v.user.language)


async def pact_command(update: Update, context: BotContext) -> None:
    """Show the pact, the counter and the person's pledge (or the button to commit)."""
    v = await visitor(update, context)
    status = await service.status(context.store, context.runtime.pact, v.user)
    await send(update, context, render.pact_message(v.t, context.runtime.pact, status))


async def on_commit(update: Update, context: BotContext) -> int:
    """Record the pledge (once, however many taps), then ask for the certificate name."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    pact = context.runtime.pact
    try:
        _, version = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return END
    if version != str(pact.version):  # the pact changed since this button was shown
        await query.answer(v.t("pact.changed"), show_alert=True)
        status = await service.status(context.store, pact, v.user)
        await send(update, context, render.pact_message(v.t, pact, status))
        return END
    taken = await service.take(context.store, pact, v.user, context.now())
    if not taken.new:
        await query.answer(v.t("pact.already_short"))
        return END
    await query.answer(v.t("pact.thanks_short"))
    if taken.inviter is not None:
        await _tell_inviter(context, taken.inviter, "invite.friend_pledged", taken.inviter_pledged,
                            f"invite:pledged:{v.user.id}")  # fmt: skip
    await send(update, context, Reply(v.t("pact.thanks")))
    await send(update, context, render.name_prompt(v.t))
    return NAME


async def _tell_inviter(context: BotContext, inviter: int, key: str, count: int, job: str) -> None:
    """Tell a friend (through the outbox: not the chat in front of us) about their invitation."""
    payload = {"key": key, "params": {"count": count}}
    if await context.store.queue_notice(job, inviter, payload, context.now()):
        outbox = context.runtime.outbox
        if outbox is not None:
            outbox.wake()


async def on_name(update: Update, context: BotContext) -> int:
    """Keep the name typed for the certificate; ask for the country."""
    v = await visitor(update, context)
    assert update.effective_message is not None
    name = clean_name(update.effective_message.text or "")
    live = await context.store.live_pledge(v.user.id)
    pledge_id = live.id if live is not None else None
    if pledge_id is None:  # withdrawn, or forgotten, meanwhile: say so rather than nothing
        await send(update, context, Reply(v.t("pact.no_pledge")))
        return END
    if name is None:
        await send(update, context, render.name_prompt(v.t))
        return NAME
    await context.store.set_pledge_details(pledge_id, display_name=name)
    await send(update, context, render.country_prompt(v.t, _likely_country(update, v)))
    return COUNTRY


async def on_skip_name(update: Update, context: BotContext) -> int:
    """No name on the certificate; ask for the country."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    await query.answer()
    await show(update, context, render.country_prompt(v.t, _likely_country(update, v)))
    return COUNTRY


async def on_country(update: Update, context: BotContext) -> int:
    """Keep the country (or none); send the certificate and suggest inviting friends."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    try:
        press = cb.decode(query.data)
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return COUNTRY
    live = await context.store.live_pledge(v.user.id)
    if live is None:  # withdrawn meanwhile
        await query.answer(v.t("pact.no_pledge"), show_alert=True)
        return END
    if press.action == "pactc":
        if press.args[0] not in places.ZONES:
            await query.answer(v.t("button.stale"), show_alert=True)
            return COUNTRY
        await context.store.set_pledge_details(live.id, country=press.args[0])
    await query.answer()
    await show(update, context, Reply(v.t("pact.country_saved")))
    pledge = await context.store.live_pledge(v.user.id)
    if pledge is not None:
        await _send_certificate(update, context, v, pledge)
    await send(update, context, _invite_suggestion(v))
    return END


def _invite_suggestion(v: Visitor) -> Reply:
    button = InlineKeyboardButton(
        v.t("pact.invite"), callback_data=cb.encode("pact", "invite", "-")
    )
    return Reply(v.t("pact.after"), InlineKeyboardMarkup([[button]]))


async def _send_certificate(
    update: Update, context: BotContext, v: Visitor, pledge: Pledge
) -> None:
    chat = update.effective_chat
    assert chat is not None
    caption, keyboard = render.certificate_caption(v.t), render.certificate_keyboard(v.t)
    if pledge.certificate_file_id:  # Telegram keeps it: no upload on slow data
        try:
            await context.bot.send_photo(
                chat.id, pledge.certificate_file_id, caption=caption, reply_markup=keyboard
            )
            return
        except BadRequest as exc:
            logger.info("Stored certificate not usable (%s); drawing it again", exc.message)
    english = context.catalogs.get(SOURCE_LANGUAGE)
    text = render.certificate_text(v.t, english, context.runtime.pact, pledge, context.bot.username)
    image = await asyncio.to_thread(certificate_png, text)  # ~0.2 s of drawing: not on the loop
    message = await context.bot.send_photo(
        chat.id, image, caption=caption, filename="mil-clicks-pact.png", reply_markup=keyboard
    )
    if message.photo:
        await context.store.set_certificate_file_id(pledge.id, message.photo[-1].file_id)


async def certificate_command(update: Update, context: BotContext) -> None:
    """Send the certificate of the person's pledge again."""
    v = await visitor(update, context)
    pledge = await context.store.live_pledge(v.user.id)
    if pledge is None:
        await send(update, context, Reply(v.t("pact.no_pledge")))
        return
    await _send_certificate(update, context, v, pledge)


async def on_rename(update: Update, context: BotContext) -> int:
    """ "Change the name" under the certificate: ask for the new one."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    if await context.store.live_pledge(v.user.id) is None:
        await query.answer(v.t("pact.no_pledge"), show_alert=True)
        return END
    await query.answer()
    await send(update, context, render.rename_prompt(v.t))
    return RENAME


async def on_new_name(update: Update, context: BotContext) -> int:
    """The new name typed (or "No name" pressed): a new certificate with it."""
    v = await visitor(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        name = None
    else:
        assert update.effective_message is not None
        name = clean_name(update.effective_message.text or "")
        if name is None:
            await send(update, context, render.rename_prompt(v.t))
            return RENAME
    pledge = await context.store.live_pledge(v.user.id)
    if pledge is None:  # withdrawn, or forgotten, meanwhile: say so rather than nothing
        if update.callback_query is None:
            await send(update, context, Reply(v.t("pact.no_pledge")))
        return END
    await context.store.rename_pledge(pledge.id, name)
    renamed = await context.store.live_pledge(v.user.id)
    assert renamed is not None
    await send(update, context, Reply(v.t("pact.renamed")))
    await _send_certificate(update, context, v, renamed)
    return END


async def _invite(update: Update, context: BotContext, v: Visitor) -> None:
    payload = await service.invite_payload(context.store, v.user)
    joined, pledged = await context.store.invitation_counts(v.user.id)
    reply = render.invite_message(v.t, context.bot.username, payload, joined, pledged)
    await send(update, context, reply)


async def invite_command(update: Update, context: BotContext) -> None:
    """Give the person their invitation link and a one-tap share."""
    await _invite(update, context, await visitor(update, context))


async def on_button(update: Update, context: BotContext) -> None:
    """The pact's other buttons: certificate, invite, withdraw (with a second step)."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    try:
        kind, _ = cb.decode(query.data).args
    except cb.CallbackError:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    if kind == "commit":  # a second tap, once the conversation has moved on
        pledge = await context.store.live_pledge(v.user.id)
        current = pledge is not None and pledge.version == context.runtime.pact.version
        if current:
            await query.answer(v.t("pact.already_short"))
        else:
            await query.answer(v.t("button.stale"), show_alert=True)
        return
    if kind == "read":  # the commitments, in place of the short pact
        await query.answer()
        status = await service.status(context.store, context.runtime.pact, v.user)
        pact = context.runtime.pact
        await show(update, context, render.pact_message(v.t, pact, status, expanded=True))
    elif kind == "cert":
        await query.answer()
        await certificate_command(update, context)
    elif kind == "invite":
        await query.answer()
        await _invite(update, context, v)
    elif kind == "withdraw":
        await query.answer()
        await show(update, context, render.withdraw_prompt(v.t))
    elif kind == "unpledge":
        withdrawn = await context.store.withdraw_pledge(v.user.id, context.now())
        await query.answer(v.t("pact.withdrawn_short") if withdrawn else v.t("pact.no_pledge"))
        if withdrawn:
            await show(update, context, Reply(v.t("pact.withdrawn"), next_steps(v.t)))
    elif kind == "keep":
        await query.answer(v.t("pact.kept"))
        status = await service.status(context.store, context.runtime.pact, v.user)
        await show(update, context, render.pact_message(v.t, context.runtime.pact, status))
    elif kind in ("rename", "noname"):  # the question timed out, or the bot restarted
        if kind == "rename":
            await on_rename(update, context)
        else:
            await on_new_name(update, context)
    elif kind == "skipname":  # the questions timed out, or the bot restarted: carry on
        await on_skip_name(update, context)
    else:  # nocountry, likewise
        await on_country(update, context)


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("pact", pact_command, filters=PRIVATE))
    app.add_handler(CommandHandler("certificate", certificate_command, filters=PRIVATE))
    app.add_handler(CommandHandler("invite", invite_command, filters=PRIVATE))
    with warnings.catch_warnings():
        # PTB notes that with per_message=False it tracks a conversation per chat and person,
        # not per message: that is what we want (the name comes as a message).
        warnings.simplefilter("ignore", PTBUserWarning)
        conversation = ConversationHandler(
            entry_points=[
                CallbackQueryHandler(exclusive(on_commit), pattern=r"^1\|pact\|commit\|"),
                CallbackQueryHandler(exclusive(on_rename), pattern=r"^1\|pact\|rename\|"),
            ],
            states={
                NAME: [
                    MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, exclusive(on_name)),
                    CallbackQueryHandler(exclusive(on_skip_name), pattern=r"^1\|pact\|skipname\|"),
                ],
                COUNTRY: [
                    CallbackQueryHandler(exclusive(on_country), pattern=cb.pattern("pactc")),
                    CallbackQueryHandler(exclusive(on_country), pattern=r"^1\|pact\|nocountry\|"),
                ],
                RENAME: [
                    MessageHandler(
                        PRIVATE & filters.TEXT & ~filters.COMMAND, exclusive(on_new_name)
                    ),
                    CallbackQueryHandler(exclusive(on_new_name), pattern=r"^1\|pact\|noname\|"),
                ],
            },
            # Moving on (/tip, /quiz, ...) ends the questions, said in one line; the command
            # runs as usual.
            fallbacks=[MessageHandler(filters.COMMAND, leaving("pact.left"))],
            conversation_timeout=TIMEOUT,
            name="pact",
            persistent=True,  # its step is kept in the store: see clicksbot.persistence
        )
    app.add_handler(conversation, group=PACT_CONVERSATION_GROUP)
    app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern("pact")))
    # The country buttons still work after the questions timed out or the bot restarted.
    app.add_handler(CallbackQueryHandler(on_country, pattern=cb.pattern("pactc")))
