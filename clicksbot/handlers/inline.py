"""Inline mode: `@bot words` in any chat offers tips and questions to post there; anyone in that
chat can then answer a posted question and see, privately, whether they were right and why
(pressing again opens the whole explanation in the private chat with the bot).

Nothing is stored for inline use: the person typing may never have started the bot.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    InlineQueryHandler,
    TypeHandler,
)

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import INLINE_PRESS_GROUP
from clicksbot.i18n import Translator
from clicksbot.render import callbacks as cb
from clicksbot.render import deeplinks
from clicksbot.render import inline as render
from clicksbot.render.learning import competency_name
from clicksbot.services import inline as service

CACHE_SECONDS = 300


async def _translator(update: Update, context: BotContext) -> Translator:
    """The person's language: the one they chose in the bot, or their Telegram language."""
    person = update.effective_user
    assert person is not None
    user = await context.store.get_user(person.id)
    if user is not None:
        return context.catalogs.get(user.language)
    code = context.catalogs.match(person.language_code, context.settings.default_language)
    return context.catalogs.get(code)


async def on_inline_query(update: Update, context: BotContext) -> None:
    """Answer `@bot words` with a page of matching tips and questions."""
    query = update.inline_query
    assert query is not None
    t = await _translator(update, context)
    found = service.search(
        context.content, t.language, query.query, lambda c: competency_name(t, c)
    )
    chunk, next_offset = service.page(found, query.offset)
    await query.answer(
        render.results(t, chunk, context.bot.username),
        cache_time=CACHE_SECONDS,
        is_personal=True,  # results follow the person's language
        next_offset=next_offset,
    )


async def on_shared_answer(update: Update, context: BotContext) -> None:
    """Someone pressed an option of a posted question: tell them alone, right or wrong, why."""
    press = update.callback_query
    assert press is not None
    t = await _translator(update, context)
    try:
        question_id, raw_choice = cb.decode(press.data).args
    except cb.CallbackError:
        await press.answer(t("button.stale"), show_alert=True)
        return
    question = context.content.question(question_id)
    choice = int(raw_choice)
    if question is None or choice >= len(question.options):
        await press.answer(t("quiz.gone"), show_alert=True)
        return
    person, shared = update.effective_user, press.inline_message_id
    presses = context.runtime.shared_presses
    if person is not None and shared is not None:
        earlier = presses.earlier(person.id, shared, context.now())
        if earlier is not None and not render.alert_is_whole(t, question, earlier):
            # Pressed again: the whole explanation, in the private chat (nothing to the chat).
            payload = deeplinks.explain_shared(question.id, earlier)
            await press.answer(url=deeplinks.start_link(context.bot.username, payload))
            return
        if earlier is None:
            presses.note(person.id, shared, choice, context.now())
    await press.answer(render.answer_alert(t, question, choice), show_alert=True)


async def on_press_without_chat(update: Update, context: BotContext) -> None:
    """A press on a message posted through inline mode carries no chat. Only a posted
    question's own buttons mean something there; any other button (outdated, or forged to look
    like a private one) is answered as stale and goes no further, so nothing changes."""
    press = update.callback_query
    if press is None or press.message is not None or press.inline_message_id is None:
        return
    try:
        action = cb.decode(press.data).action
    except cb.CallbackError:
        action = None
    if action == "iq":
        return  # on_shared_answer takes it
    t = await _translator(update, context)
    await press.answer(t("button.stale"), show_alert=True)
    raise ApplicationHandlerStop


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(InlineQueryHandler(on_inline_query))
    app.add_handler(CallbackQueryHandler(on_shared_answer, pattern=cb.pattern("iq")))
    app.add_handler(TypeHandler(Update, on_press_without_chat), group=INLINE_PRESS_GROUP)
