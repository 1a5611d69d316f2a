"""What every handler does first: know who is talking and in which language."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ConversationHandler, filters

from clicksbot.context import BotContext
from clicksbot.i18n import Translator
from clicksbot.render import Reply, caption_fits, display_name
from clicksbot.services import people
from clicksbot.store import User
from clicksbot.updates import unread

logger = logging.getLogger(__name__)

# Commands answer new messages only: editing an old command must not run it again.
NEW_MESSAGES = filters.UpdateType.MESSAGE
# Conversations (typing a name, composing a broadcast) happen in private chats only.
PRIVATE = NEW_MESSAGES & filters.ChatType.PRIVATE

# Handler groups: flood control first, then presses on inline-posted messages, then the
# conversations, then the features (group 0). Each conversation has a group of its own: a
# command that ends one (see `leaving`) can still start another, then run as usual.
FLOOD_GROUP = -10
INLINE_PRESS_GROUP = -9
PACT_CONVERSATION_GROUP = -3
BROADCAST_CONVERSATION_GROUP = -2
CONVERSATION_GROUP = -1

Step = Callable[[Update, BotContext], Coroutine[Any, Any, object]]


def exclusive(step: Step) -> Step:
    """Wrap a conversation step so the update it handled goes no further (PTB's
    ApplicationHandlerStop, carrying the next state): the features' group does not answer a
    typed name, nor a button the conversation took."""

    async def only(update: Update, context: BotContext) -> object:
        raise ApplicationHandlerStop(await step(update, context))

    return only


async def leave(update: Update, context: BotContext) -> int:
    """A command in the middle of a conversation ends it; the command itself then runs as
    usual (this returns rather than stopping), so nothing typed later is taken for an answer.
    This one ends it silently: a question people answer wants `leaving`, which says so."""
    return ConversationHandler.END


def leaving(key: str) -> Step:
    """A conversation's way out by a command: say in one short line (the catalog's `key`)
    what was left, end the conversation, and let the command run as usual. /cancel is the
    way out itself: it runs no further."""

    async def left(update: Update, context: BotContext) -> int:
        v = await visitor(update, context)
        await send(update, context, Reply(v.t(key)))
        message = update.effective_message
        if message is not None and command_of(message.text) == "cancel":
            raise ApplicationHandlerStop(ConversationHandler.END)
        return ConversationHandler.END

    return left


def command_of(text: str | None) -> str | None:
    """Return the command a message starts with ("/tip@clicksbot x" → "tip"), or None."""
    if not text or not text.startswith("/"):
        return None
    word = text.split(maxsplit=1)[0][1:]
    return word.split("@", 1)[0].lower() or None


@dataclass(frozen=True)
class Visitor:
    """The person behind an update: their record, whether they are new, and their language."""

    user: User
    new: bool
    t: Translator
    name: str  # escaped, for echoing only; never stored


async def answering(update: Update, step: Awaitable[object]) -> None:
    """Answer the press behind `update`, silently, while the step it asked for goes out.

    Telegram's clients spin on a pressed button until the bot answers it, and what the press
    brings (the result, the next question) is a call of its own: the two do not depend on
    each other, so they go together, and the person waits one trip to Telegram less.

    The step runs whatever becomes of the answer, and its error is raised once both are done.
    An answer Telegram refuses (a press too old to answer, after a restart; a timeout) is only
    logged: the person has what they asked for, and what follows the step still comes.

    The answer runs in a task of its own and the step in the handler's (a task less than
    gathering both), so the step's call usually goes out first, the answer at once after it.
    """
    query = update.callback_query
    assert query is not None
    answer = asyncio.ensure_future(query.answer())
    answer.add_done_callback(_retrieved)  # even if nothing awaits it (the step was cancelled)
    try:
        await step
    except asyncio.CancelledError:
        answer.cancel()
        raise
    except BaseException:
        await _answered(answer, raising=False)
        raise
    await _answered(answer, raising=True)


def _retrieved(answer: asyncio.Future[bool]) -> None:
    """Mark a press's answer's error as seen: one that ends while its step is cancelled is
    not awaited (asyncio would log it as never retrieved)."""
    if not answer.cancelled():
        answer.exception()


async def _answered(answer: asyncio.Future[bool], *, raising: bool) -> None:
    """Wait for a press's answer: one Telegram refused is logged; any other error is raised
    when `raising` (the step went well), else left for the step's own error."""
    try:
        await answer
    except TelegramError as exc:
        logger.info("A press was not answered (%s)", exc.message)
    except Exception:
        if raising:
            raise


async def send(update: Update, context: BotContext, reply: Reply) -> None:
    """Send a rendered reply to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        raise ValueError("update without a chat")
    await send_to(context, chat.id, reply)


async def send_to(context: BotContext, chat_id: int, reply: Reply) -> None:
    """Send a rendered reply; one with a photo goes as the photo with the text as caption
    (or, when the text is too long for a caption, the photo then the text)."""
    if reply.photo is None:
        with unread():
            await context.bot.send_message(
                chat_id, reply.text, parse_mode="HTML", reply_markup=reply.keyboard
            )
        return
    photos = context.runtime.photos
    fits = caption_fits(reply.text)
    message = await context.bot.send_photo(
        chat_id,
        photos.get(reply.photo) or Path(reply.photo).read_bytes(),
        caption=reply.text if fits else None,
        parse_mode="HTML" if fits else None,
        reply_markup=reply.keyboard if fits else None,
    )
    if message.photo:  # Telegram keeps the upload: next time, its id (no upload on slow data)
        photos[reply.photo] = message.photo[-1].file_id
    if not fits:
        with unread():
            await context.bot.send_message(
                chat_id, reply.text, parse_mode="HTML", reply_markup=reply.keyboard
            )


async def visitor(update: Update, context: BotContext) -> Visitor:
    """Record the person behind this update and return them with their translator."""
    tg_user = update.effective_user
    if tg_user is None:
        raise ValueError("update without a user")
    language = context.catalogs.match(tg_user.language_code, context.settings.default_language)
    user, new = await people.meet(context.store, tg_user.id, language, context.now())
    t = context.catalogs.get(user.language)
    return Visitor(user, new, t, display_name(tg_user.first_name, fallback="👋"))


async def show(update: Update, context: BotContext, reply: Reply) -> None:
    """Put the next step in place of the pressed message (a new message if it cannot be)."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            with unread():
                await query.edit_message_text(
                    reply.text, parse_mode="HTML", reply_markup=reply.keyboard
                )
            return
        except BadRequest as exc:
            if "not modified" in exc.message:  # a double tap: it already shows this
                return
            logger.info("Message not edited (%s); sending the next step afresh", exc.message)
    await send(update, context, reply)
