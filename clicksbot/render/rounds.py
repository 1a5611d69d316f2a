"""Texts and keyboards of rounds: the topics to play a round on, and the score card."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.content import Competency
from clicksbot.i18n import Translator
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.render.learning import _rtl, competency_name, share_url
from clicksbot.services.progress import COMPETENCY_EMOJI
from clicksbot.services.rounds import ROUND_SIZE, Score

GOOD = 0.6  # the share of right answers from which a score is "good"


def topic_name(t: Translator, topic: str) -> str:
    """Return the name of a round's topic: a competency, or any topic."""
    return t("competency.any") if topic == "any" else competency_name(t, Competency(topic))


def round_topics_message(t: Translator, topics: list[Competency]) -> Reply:
    """Return the topics to play a round on, and the way back to single questions."""
    buttons = [InlineKeyboardButton(t("competency.any"), callback_data=cb.encode("round", "any"))]
    buttons += [
        InlineKeyboardButton(
            f"{COMPETENCY_EMOJI[c]} {competency_name(t, c)}",
            callback_data=cb.encode("round", c.value),
        )
        for c in topics
    ]
    rows = [buttons[:1]] + [buttons[i : i + 2] for i in range(1, len(buttons), 2)]
    rows.append([InlineKeyboardButton(t("round.single"), callback_data=cb.encode("picker"))])
    return Reply(_rtl(t, t("round.choose_topic", size=ROUND_SIZE)), InlineKeyboardMarkup(rows))


def cheer(t: Translator, score: Score) -> str:
    """Return the encouraging line that fits a score."""
    if score.correct == score.size:
        return t("round.cheer_perfect")
    if score.correct >= GOOD * score.size:
        return t("round.cheer_good")
    if score.correct:
        return t("round.cheer_fair")
    return t("round.cheer_low")


def score_message(t: Translator, score: Score, bot_username: str) -> Reply:
    """Return the score card: the score with a mark per question, the topic, a line that
    fits the score, and buttons to play again, pick another topic, or share the score (the
    score, the topic and the bot's link: nothing about the person)."""
    topic = topic_name(t, score.topic)
    marks = " ".join("✅" if right else "❌" for right in score.marks)
    text = "\n".join(
        (
            t("round.over", topic=esc(topic)),
            "",
            f"{t('round.score', correct=score.correct, size=score.size)}  {marks}",
            "",
            cheer(t, score),
        )
    )
    share = t(
        "share.round_text",
        correct=score.correct,
        size=score.size,
        topic=topic,
        bot="@" + bot_username,
    )
    again = cb.encode("rounden" if score.english else "round", score.topic)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("round.again"), callback_data=again),
                InlineKeyboardButton(t("round.another"), callback_data=cb.encode("rounds", "new")),
            ],
            [InlineKeyboardButton(t("share.button"), url=share_url(bot_username, share))],
        ]
    )
    return Reply(_rtl(t, text), keyboard)
