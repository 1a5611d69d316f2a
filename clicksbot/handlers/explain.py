"""The full explanation of a group's or a shared question, in the private chat: what a press
on such a question cannot show in its 200-character answer (see render.deeplinks)."""

from __future__ import annotations

from telegram import Update

from clicksbot.context import BotContext
from clicksbot.handlers.common import Visitor, send
from clicksbot.render import Reply
from clicksbot.render import inline as render
from clicksbot.render.deeplinks import Explain


async def explain(update: Update, context: BotContext, v: Visitor, wanted: Explain) -> None:
    """Send the explanation a deep link asked for: a group's question only to someone who
    answered it there (with whether they were right), a shared one with the chosen option."""
    if wanted.row is not None:
        posted = await context.store.group_question(wanted.row)
        question = context.content.question(posted[1]) if posted else None
        if question is None:
            await send(update, context, Reply(v.t("quiz.gone")))
            return
        correct = await context.store.group_answer(wanted.row, v.user.id)
        if correct is None:
            await send(update, context, render.answer_first(v.t))
            return
        await send(update, context, render.explanation_message(v.t, question, correct=correct))
        return
    question = context.content.question(wanted.question_id or "")
    if question is None or wanted.choice is None or wanted.choice >= len(question.options):
        await send(update, context, Reply(v.t("quiz.gone")))
        return
    await send(update, context, render.explanation_message(v.t, question, choice=wanted.choice))
