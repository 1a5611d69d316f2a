"""/tip, /quiz, /review and /progress: the minute of media literacy, and the buttons that go
with it (an answer, how sure the person was, its result)."""

from __future__ import annotations

import logging
from datetime import date

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
    answering,
    send,
    show,
    visitor,
)
from clicksbot.i18n import SOURCE_LANGUAGE
from clicksbot.render import Reply
from clicksbot.render import boosters as booster_render
from clicksbot.render import callbacks as cb
from clicksbot.render import learning as render
from clicksbot.render import rounds as round_render
from clicksbot.services import insight, learning, progress, rounds
from clicksbot.services.learning import REVIEW, AnswerOutcome, AnswerStatus
from clicksbot.services.progress import Badge, local_day, time_zone_of
from clicksbot.services.rounds import RoundQuestion
from clicksbot.updates import unread

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
            default_tz=context.settings.default_timezone,
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
        default_tz=context.settings.default_timezone,
    )
    if asked is None:
        await send(update, context, Reply(v.t("quiz.none")))
        return
    await send(update, context, render.question_message(v.t, asked))


async def _review(update: Update, context: BotContext, v: Visitor) -> None:
    """Put the next due booster to the person, or say when the next one is due."""
    tz = context.settings.default_timezone
    asked = await learning.review(
        context.store, context.content, v.user, context.now(), context.runtime.rng, tz
    )
    if asked is not None:
        await send(update, context, render.question_message(v.t, asked))
        return
    due = await learning.booster_state(context.store, context.content, v.user, context.now(), tz)
    await send(update, context, booster_render.nothing_due(v.t, due, _today(context, v)))


def _today(context: BotContext, v: Visitor) -> date:
    """Return the person's day today, in their time zone."""
    zone = time_zone_of(v.user, context.settings.default_timezone)
    return local_day(context.now(), zone)


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


async def review_command(update: Update, context: BotContext) -> None:
    """Serve the next due booster."""
    await _review(update, context, await visitor(update, context))


async def progress_command(update: Update, context: BotContext) -> None:
    """Show the person's progress, streak, boosters due, calibration, techniques, badges."""
    v = await visitor(update, context)
    tz = context.settings.default_timezone
    figures = await progress.stats(context.store, v.user, context.now(), tz)
    friends = await context.store.invitation_counts(v.user.id)
    seen = await insight.insight(context.store, context.content, v.user, context.now(), tz)
    reply = render.progress_message(v.t, figures, friends, seen, _today(context, v))
    await send(update, context, reply)


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
        await answering(update, _tip(update, context, v))
    elif press.action == "topics":
        topics = learning.topics(context.content, v.user.language)
        await answering(update, send(update, context, render.topics_message(v.t, topics)))
    elif press.action in ("quiz", "quizen"):
        english = press.action == "quizen"
        await answering(update, _ask(update, context, v, press.args[0], english=english))
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
        topic = press.args[0]
        english = press.action == "rounden"
        await answering(update, _ask(update, context, v, topic, english=english, in_round=True))
    elif press.action == "ans":
        await _answer(update, context, v, int(press.args[0]), int(press.args[1]))
    elif press.action == "sure":
        level = int(press.args[1])
        await _rate(update, context, v, int(press.args[0]), level or None, press.args[2] == "1")
    elif press.action == "review":
        await answering(update, _review(update, context, v))


async def _refused(update: Update, v: Visitor, outcome: AnswerOutcome) -> bool:
    """Answer a press that records nothing (stale, changed, twice); return whether it was one."""
    query = update.callback_query
    assert query is not None
    if outcome.status is AnswerStatus.INVALID:
        await query.answer(v.t("button.stale"), show_alert=True)
    elif outcome.status is AnswerStatus.GONE:
        await query.answer(v.t("quiz.gone"), show_alert=True)
    elif outcome.status is AnswerStatus.ALREADY:
        await query.answer(v.t("quiz.already"))
    else:
        return False
    return True


async def _answer(
    update: Update, context: BotContext, v: Visitor, asked_id: int, position: int
) -> None:
    """An option pressed: the answer is recorded now; then "how sure are you?" (the result
    follows the rating), or the result at once when the setting is off."""
    outcome = await learning.answer(
        context.store,
        context.content,
        v.user,
        asked_id,
        position,
        context.now(),
        context.settings.default_timezone,
    )
    if await _refused(update, v, outcome):
        return
    place = rounds.place_in(outcome.round, asked_id)  # as read with the answer
    if context.settings.ask_confidence:
        confidence = render.confidence_message(v.t, outcome, place)
        await answering(update, _in_place(update, context, confidence))
        return
    result = await _result(context, v, outcome, place)
    await answering(update, _in_place(update, context, result))
    await _after_result(update, context, v, outcome, place)


async def _rate(
    update: Update, context: BotContext, v: Visitor, asked_id: int, level: int | None, due: bool
) -> None:
    """How sure the person was (or Skip): recorded once, then the result in its place."""
    outcome = await learning.rate(
        context.store, context.content, v.user, asked_id, level, context.now(), was_due=due
    )
    if await _refused(update, v, outcome):
        return
    place = rounds.place_in(outcome.round, asked_id)  # as read with the answer
    result = await _result(context, v, outcome, place)
    await answering(update, _rated(update, context, result))
    await _after_result(update, context, v, outcome, place)


async def _rated(update: Update, context: BotContext, result: Reply) -> None:
    """Put an answer's result in place of "how sure are you?" (always a text message)."""
    query = update.callback_query
    assert query is not None
    try:
        with unread():
            await query.edit_message_text(
                result.text, parse_mode="HTML", reply_markup=result.keyboard
            )
    except BadRequest as exc:
        logger.info("Rated answer not edited (%s); sending the result", exc.message)
        await send(update, context, result)


async def _result(
    context: BotContext, v: Visitor, outcome: AnswerOutcome, place: tuple[int, int] | None
) -> Reply:
    more = False
    if outcome.topic == REVIEW and place is None:
        tz = context.settings.default_timezone
        more = bool(
            await learning.due_count(context.store, context.content, v.user, context.now(), tz)
        )
    return render.answer_message(v.t, outcome, place, today=_today(context, v), more_due=more)


async def _in_place(update: Update, context: BotContext, reply: Reply) -> None:
    """Show what follows an answer in place of the question: a question with a picture keeps
    it and loses its options, and what follows comes as a message after it."""
    query = update.callback_query
    assert query is not None
    shown = query.message
    if shown is not None and getattr(shown, "photo", None):
        try:
            with unread():
                await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest as exc:
            logger.info("Options of an answered picture not removed (%s)", exc.message)
        await send(update, context, reply)
        return
    try:
        # One message per question on the phone.
        with unread():
            await query.edit_message_text(
                reply.text, parse_mode="HTML", reply_markup=reply.keyboard
            )
    except BadRequest as exc:  # too old to edit, or deleted: send it afresh
        logger.info("Answered question not edited (%s); sending afresh", exc.message)
        await send(update, context, reply)


async def _after_result(
    update: Update,
    context: BotContext,
    v: Visitor,
    outcome: AnswerOutcome,
    place: tuple[int, int] | None,
) -> None:
    """Once the result is shown: the badges the answer earned, then the round goes on."""
    await _announce(update, context, v, list(outcome.badges))
    if place is not None:
        await _follow_round(update, context, v, outcome.asked_id)


async def _follow_round(update: Update, context: BotContext, v: Visitor, asked_id: int) -> None:
    """After an answer in a round: its next question, or its score card."""
    step = await rounds.advance(
        context.store,
        context.content,
        v.user,
        asked_id,
        context.now(),
        context.runtime.rng,
        context.settings.default_timezone,
    )
    if isinstance(step, RoundQuestion):
        await _send_round_question(update, context, v, step)
    elif step is not None:
        await send(update, context, round_render.score_message(v.t, step, context.bot.username))


def register_buttons(app: BotApplication) -> None:
    """Add the handler of this feature's buttons: first of all in its group (see app), as
    what it handles is most of what the bot gets, and no other handler there takes these
    presses (each feature's buttons have actions of their own)."""
    # One handler for every button of this feature: PTB asks each handler in turn, and an
    # answer is the most frequent press there is.
    buttons = ("tip", "topics", "quiz", "quizen", "ans", "sure", "review")
    rounds_buttons = ("rounds", "round", "rounden", "picker")
    app.add_handler(CallbackQueryHandler(on_button, pattern=cb.pattern(*buttons, *rounds_buttons)))


def register(app: BotApplication) -> None:
    """Add this feature's commands (its buttons: `register_buttons`)."""
    app.add_handler(CommandHandler("tip", tip_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("quiz", quiz_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("progress", progress_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("review", review_command, filters=NEW_MESSAGES))
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, leave_round), group=ROUND_EXIT_GROUP)
