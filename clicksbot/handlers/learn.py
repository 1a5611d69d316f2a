"""/tip, /quiz and /progress: the minute of media literacy, and the buttons that go with it."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from clicksbot.content import Competency
from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers import checkup
from clicksbot.handlers.common import (
    FLOOD_GROUP,
    NEW_MESSAGES,
    PRIVATE,
    Visitor,
    send,
    show,
    visitor,
)
from clicksbot.i18n import SOURCE_LANGUAGE
from clicksbot.render import Reply
from clicksbot.render import callbacks as cb
from clicksbot.render import learning as render
from clicksbot.render import rounds as round_render
from clicksbot.services import learning, progress, rounds
from clicksbot.services.learning import AnswerStatus
from clicksbot.services.progress import Badge
from clicksbot.services.rounds import RoundQuestion

logger = logging.getLogger(__name__)

# Any command in a private chat ends the person's round. It looks before every other handler,
# the flood guard too: a command a conversation keeps to itself (/broadcast), or one dropped
# in a flood, still takes the person out of their round; it costs one read.
ROUND_EXIT_GROUP = FLOOD_GROUP - 1


async def _announce(update: Update, context: BotContext, v: Visitor, badges: list[Badge]) -> None:
    for badge in badges:
        await send(update, context, render.badge_announcement(v.t, badge))


async def _tip(update: Update, context: BotContext, v: Visitor) -> None:
    pick = await learning.next_tip(
        context.store, context.content, v.user, context.now(), context.settings.default_timezone
    )
    if pick is None:
        await send(update, context, Reply(v.t("tip.none")))
        return
    await send(update, context, render.tip_message(v.t, pick, context.bot.username))
    await _announce(update, context, v, pick.badges)


async def _ask(
    update: Update,
    context: BotContext,
    v: Visitor,
    topic: str,
    *,
    english: bool = False,
    in_round: bool = False,
) -> None:
    competency = None if topic == "any" else Competency(topic)
    own = learning.in_own_language(context.content, v.user.language, competency)
    if not own and not english and v.user.language != SOURCE_LANGUAGE:
        # Said plainly, in their language: English, or another topic; never English unasked.
        await send(update, context, render.none_in_language(v.t, topic, in_round=in_round))
        return
    if in_round:
        first = await rounds.start(
            context.store,
            context.content,
            v.user,
            topic,
            context.now(),
            context.runtime.rng,
            english=english or not own,
        )
        if first is None:
            await send(update, context, Reply(v.t("quiz.none")))
            return
        await _send_round_question(update, context, v, first)
        return
    if await checkup.offer_instead(update, context, v, topic, english=english):
        return  # the discernment checkup comes first (at the first quiz, then after a while)
    asked = await learning.ask(
        context.store,
        context.content,
        v.user,
        competency,
        context.now(),
        context.runtime.rng,
        english=english or not own,
    )
    if asked is None:
        await send(update, context, Reply(v.t("quiz.none")))
        return
    await send(update, context, render.question_message(v.t, asked))


async def _send_round_question(
    update: Update, context: BotContext, v: Visitor, step: RoundQuestion
) -> None:
    reply = render.question_message(v.t, step.asked, (step.number, step.size))
    await send(update, context, reply)


async def leave_round(update: Update, context: BotContext) -> None:
    """A command ends the person's round, if they have one; the command then runs as usual."""
    person = update.effective_user
    if person is not None and await rounds.leave(context.store, person.id):
        logger.debug("A round was left for a command")


async def tip_command(update: Update, context: BotContext) -> None:
    """Send the next tip."""
    await _tip(update, context, await visitor(update, context))


async def quiz_command(update: Update, context: BotContext) -> None:
    """Offer the quiz topics."""
    v = await visitor(update, context)
    topics = learning.topics(context.content, v.user.language)
    await send(update, context, render.topics_message(v.t, topics))


async def progress_command(update: Update, context: BotContext) -> None:
    """Show the person's progress, streak and badges."""
    v = await visitor(update, context)
    figures = await progress.stats(
        context.store, v.user, context.now(), context.settings.default_timezone
    )
    friends = await context.store.invitation_counts(v.user.id)
    await send(update, context, render.progress_message(v.t, figures, friends))


async def on_button(update: Update, context: BotContext) -> None:
    """Route a learning button: another tip, the topics, a question, an answer."""
    query = update.callback_query
    assert query is not None
    v = await visitor(update, context)
    try:
        press = cb.decode(query.data)
        if press.action in ("quiz", "quizen", "round", "rounden") and press.args[0] != "any":
            Competency(press.args[0])
    except (cb.CallbackError, ValueError):
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    if press.action == "tip":
        await query.answer()
        await _tip(update, context, v)
    elif press.action == "topics":
        await query.answer()
        topics = learning.topics(context.content, v.user.language)
        await send(update, context, render.topics_message(v.t, topics))
    elif press.action in ("quiz", "quizen"):
        await query.answer()
        await _ask(update, context, v, press.args[0], english=press.action == "quizen")
    elif press.action in ("rounds", "picker"):
        await query.answer()
        topics = learning.topics(context.content, v.user.language)
        if press.action == "picker":  # back to single questions, in place
            await show(update, context, render.topics_message(v.t, topics))
        elif press.args[0] == "edit":  # from the topic picker: it becomes the round's
            await show(update, context, round_render.round_topics_message(v.t, topics))
        else:  # from a score card, which stays
            await send(update, context, round_render.round_topics_message(v.t, topics))
    elif press.action in ("round", "rounden"):
        await query.answer()
        topic = press.args[0]
        await _ask(update, context, v, topic, english=press.action == "rounden", in_round=True)
    elif press.action == "ans":
        await _answer(update, context, v, int(press.args[0]), int(press.args[1]))


async def _answer(
    update: Update, context: BotContext, v: Visitor, asked_id: int, position: int
) -> None:
    query = update.callback_query
    assert query is not None
    outcome = await learning.answer(
        context.store,
        context.content,
        v.user,
        asked_id,
        position,
        context.now(),
        context.settings.default_timezone,
    )
    if outcome.status is AnswerStatus.INVALID:
        await query.answer(v.t("button.stale"), show_alert=True)
        return
    if outcome.status is AnswerStatus.GONE:
        await query.answer(v.t("quiz.gone"), show_alert=True)
        return
    if outcome.status is AnswerStatus.ALREADY:
        await query.answer(v.t("quiz.already"))
        return
    await query.answer()  # silently: the result replaces the question at once
    place = await rounds.place(context.store, v.user.id, asked_id)
    result = render.answer_message(v.t, outcome, place)
    shown = query.message
    if shown is not None and getattr(shown, "photo", None):
        # A question with a picture keeps it; its options go, and the result follows it.
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest as exc:
            logger.info("Options of an answered picture not removed (%s)", exc.message)
        await send(update, context, result)
    else:
        try:
            # The result takes the question's place: one message per question on the phone.
            await query.edit_message_text(
                result.text, parse_mode="HTML", reply_markup=result.keyboard
            )
        except BadRequest as exc:  # too old to edit, or deleted: send the result afresh
            logger.info("Answered question not edited (%s); sending the result", exc.message)
            await send(update, context, result)
    await _announce(update, context, v, list(outcome.badges))
    if place is not None:
        await _follow_round(update, context, v, asked_id)


async def _follow_round(update: Update, context: BotContext, v: Visitor, asked_id: int) -> None:
    """After an answer in a round: its next question, or its score card."""
    step = await rounds.advance(
        context.store, context.content, v.user, asked_id, context.now(), context.runtime.rng
    )
    if isinstance(step, RoundQuestion):
        await _send_round_question(update, context, v, step)
    elif step is not None:
        await send(update, context, round_render.score_message(v.t, step, context.bot.username))


def register(app: BotApplication) -> None:
    """Add this feature's handlers."""
    app.add_handler(CommandHandler("tip", tip_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("quiz", quiz_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("progress", progress_command, filters=NEW_MESSAGES))
    for action in ("tip", "topics", "quiz", "quizen", "ans"):
        app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern(action)))
    for action in ("rounds", "round", "rounden", "picker"):
        app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern(action)))
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, leave_round), group=ROUND_EXIT_GROUP)
