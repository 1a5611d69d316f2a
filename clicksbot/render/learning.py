"""Texts and keyboards for tips, quiz questions, answers, progress and badges."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlsplit

from babel.numbers import format_percent
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.content import Competency, Question, Tip
from clicksbot.i18n import Translator
from clicksbot.render import Reply, esc
from clicksbot.render import boosters as booster_render
from clicksbot.render import callbacks as cb
from clicksbot.render.messages import next_steps
from clicksbot.render.streaks import freezes_line
from clicksbot.services.insight import Insight
from clicksbot.services.learning import REVIEW, AnswerOutcome, AskedQuestion, TipPick
from clicksbot.services.progress import BADGES_BY_ID, COMPETENCY_EMOJI, Badge, Stats
from clicksbot.services.rounds import ROUND_SIZE

LETTERS = "ABCDEFGHIJKL"
SHARE_TEXT_MAX = 300  # share links stay short enough for every client
LONG_OPTION = 30  # options longer than this are also listed in the message text


def competency_name(t: Translator, competency: Competency) -> str:
    """Return the translated name of a competency."""
    return t(f"competency.{competency.key}")


def source_link(url: str) -> str:
    """Return a link to a source, labelled with its site's name."""
    host = urlsplit(url).hostname or url
    host = host.removeprefix("www.")
    return f'<a href="{esc(url).replace(chr(34), "&quot;")}">{esc(host)}</a>'


def _rtl(t: Translator, text: str) -> str:
    # A right-to-left mark first keeps a message that starts with an emoji or a Latin word
    # (a link, a name) laid out right to left.
    return "\u200f" + text if t.rtl and not text.startswith("\u200f") else text


def share_url(bot_username: str, text: str) -> str:
    """Return a t.me link that opens Telegram's 'share to a chat' with this text."""
    if len(text) > SHARE_TEXT_MAX:
        text = text[: SHARE_TEXT_MAX - 1].rstrip() + "…"
    return (
        f"https://t.me/share/url?url={quote(f'https://t.me/{bot_username}', safe='')}"
        f"&text={quote(text, safe='')}"
    )


def tip_message(
    t: Translator, pick: TipPick, bot_username: str, *, daily: bool = False, campaign: str = ""
) -> Reply:
    """Return a tip with its source, and buttons for another tip and for sharing it."""
    tip: Tip = pick.tip
    parts = []
    if daily:
        parts.append(t("daily.header"))
    if campaign:
        parts.append(t("campaign.header", name=esc(campaign)))
    if pick.restarted:
        parts.append(t("tip.restarted"))
    parts.append(t("tip.title", competency=esc(competency_name(t, tip.competency))))
    if tip.language != t.language:
        parts.append(t("content.in_english"))
    parts.append(esc(tip.text))
    if tip.source:
        parts.append(t("tip.source", link=source_link(tip.source)))
    share_text = f"{t('share.tip_text', bot='@' + bot_username)}\n\n{tip.text}"
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("tip.another"), callback_data=cb.encode("tip")),
                InlineKeyboardButton(t("share.button"), url=share_url(bot_username, share_text)),
            ]
        ]
    )
    return Reply(_rtl(t, "\n\n".join(parts)), keyboard)


def topics_message(t: Translator, topics: list[Competency]) -> Reply:
    """Return the quiz topic picker: any topic, then the competencies that have questions."""
    buttons = [InlineKeyboardButton(t("competency.any"), callback_data=cb.encode("quiz", "any"))]
    buttons += [
        InlineKeyboardButton(
            f"{COMPETENCY_EMOJI[c]} {competency_name(t, c)}",
            callback_data=cb.encode("quiz", c.value),
        )
        for c in topics
    ]
    rows = [buttons[:1]] + [buttons[i : i + 2] for i in range(1, len(buttons), 2)]
    # Beside single questions, a round with a score (see render.rounds).
    rows.append(
        [
            InlineKeyboardButton(
                t("round.button", size=ROUND_SIZE), callback_data=cb.encode("rounds", "edit")
            )
        ]
    )
    return Reply(_rtl(t, t("quiz.choose_topic")), InlineKeyboardMarkup(rows))


def none_in_language(t: Translator, topic: str, *, in_round: bool = False) -> Reply:
    """Say that the person's language has no questions on a topic yet; offer them in
    English (a round of them, for a round), or another topic."""
    name = t("competency.any") if topic == "any" else competency_name(t, Competency(topic))
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("quiz.in_english"),
                    callback_data=cb.encode("rounden" if in_round else "quizen", topic),
                ),
                InlineKeyboardButton(t("quiz.topics"), callback_data=cb.encode("topics")),
            ]
        ]
    )
    text = t("quiz.none_in_language", topic=esc(name), language=esc(t.language_name))
    return Reply(_rtl(t, text), keyboard)


def question_text(t: Translator, question: Question, options: list[str]) -> str:
    title = t(
        "quiz.title",
        kind=esc(t(f"kind.{question.kind}")),
        competency=esc(competency_name(t, question.competency)),
    )
    text = f"{title}\n\n{esc(question.text)}"
    if question.language != t.language:
        text = f"{title}\n{t('content.in_english')}\n\n{esc(question.text)}"
    if question.alt:  # the picture in words, for those who cannot see it (or where it is not)
        text += "\n\n" + t("quiz.picture", alt=esc(question.alt))
    if any(len(o) > LONG_OPTION for o in options):
        text += "\n\n" + "\n".join(f"{LETTERS[i]}. {esc(o)}" for i, o in enumerate(options))
    return text


def _in_round(t: Translator, text: str, place: tuple[int, int] | None) -> str:
    """Put "Question n of 5" above a question of a round."""
    if place is None:
        return text
    return f"{t('round.number', number=place[0], size=place[1])}\n{text}"


def question_message(
    t: Translator, asked: AskedQuestion, place: tuple[int, int] | None = None
) -> Reply:
    """Return a fact-check question with one button per option, in the shown order; `place`:
    its (number, size) in a round."""
    options = asked.shown_options
    text = question_text(t, asked.question, options)
    if asked.booster:  # said first: this one is back on purpose
        text = f"{t('booster.mark')}\n{text}"
    text = _in_round(t, text, place)
    if asked.restarted:
        text = f"{t('quiz.restarted')}\n\n{text}"
    rows = [
        [
            InlineKeyboardButton(
                f"{LETTERS[i]}. {option}", callback_data=cb.encode("ans", str(asked.id), str(i))
            )
        ]
        for i, option in enumerate(options)
    ]
    return Reply(_rtl(t, text), InlineKeyboardMarkup(rows), photo=asked.question.image)


def _chosen(outcome: AnswerOutcome) -> tuple[list[str], str]:
    """Return the options in the order shown, and the chosen one as "B. its text"."""
    question = outcome.question
    assert question is not None and outcome.choice is not None
    order = outcome.order
    options = [question.options[i] for i in order]
    letter = LETTERS[order.index(outcome.choice)] if outcome.choice in order else ""
    return options, f"{letter}. {question.options[outcome.choice]}"


def confidence_message(
    t: Translator, outcome: AnswerOutcome, place: tuple[int, int] | None = None
) -> Reply:
    """Return the question as it reads once an option is chosen, before the result: the
    answer chosen (not yet marked right or wrong) and "How sure are you?", three levels and
    Skip. The answer is already recorded: the step only adds how sure they were."""
    question = outcome.question
    assert question is not None
    options, chosen = _chosen(outcome)
    was_due = outcome.placement.was_due if outcome.placement else False
    text = "\n\n".join(
        (
            _in_round(t, question_text(t, question, options), place),
            t("confidence.your_answer", answer=esc(chosen)),
            t("confidence.ask"),
        )
    )
    return Reply(_rtl(t, text), booster_render.confidence_keyboard(t, outcome.asked_id, was_due))


def answer_message(
    t: Translator,
    outcome: AnswerOutcome,
    place: tuple[int, int] | None = None,
    *,
    today: date | None = None,
    more_due: bool = False,
) -> Reply:
    """Return the question as it reads once answered, in place of the one with the options:
    the answer marked, right or wrong, the right answer, the explanation, the source, when it
    comes back as a booster (`today`: the person's day), and buttons for what comes next (none
    in a round, `place`: the next question follows; the next due booster after one from
    /review, if `more_due`)."""
    question = outcome.question
    assert question is not None and outcome.choice is not None
    options, chosen = _chosen(outcome)
    right = outcome.choice == question.answer
    parts = [
        _in_round(t, question_text(t, question, options), place),
        t("quiz.your_answer", mark="✅" if right else "❌", answer=esc(chosen)),
        t("quiz.right") if right else t("quiz.wrong", answer=esc(question.correct_option)),
        esc(question.explanation),
    ]
    if question.source:
        parts.append(t("quiz.source", link=source_link(question.source)))
    if today is not None and (line := booster_render.placement_line(t, outcome.placement, today)):
        parts.append(line)
    if outcome.topic == REVIEW and place is None:
        if not more_due:
            parts.append(t("booster.last"))
        return Reply(_rtl(t, "\n\n".join(parts)), booster_render.review_keyboard(t, more_due))
    if place is not None:
        return Reply(_rtl(t, "\n\n".join(parts)))
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("quiz.next"),
                    # An English question to someone of another language: the next one too.
                    callback_data=cb.encode(
                        "quizen" if question.language != t.language else "quiz", outcome.topic
                    ),
                ),
                InlineKeyboardButton(t("quiz.topics"), callback_data=cb.encode("topics")),
            ]
        ]
    )
    return Reply(_rtl(t, "\n\n".join(parts)), keyboard)


def _percent(t: Translator, part: int, whole: int) -> str:
    return format_percent(part / whole if whole else 0, locale=t.language)


def progress_message(
    t: Translator,
    stats: Stats,
    friends: tuple[int, int] = (0, 0),
    insight: Insight | None = None,
    today: date | None = None,
) -> Reply:
    """Return /progress: answers and accuracy, per competency, streaks, boosters due,
    calibration and techniques (`insight`), badges, and the friends who came through the
    person's invitation (joined, took the pact)."""
    lines = [t("progress.title"), ""]
    if stats.answered:
        lines.append(
            t.plural(
                "progress.answered",
                stats.answered,
                correct=stats.correct,
                percent=_percent(t, stats.correct, stats.answered),
            )
        )
    else:
        lines.append(t("progress.nothing"))
    lines.append(t.plural("progress.tips", stats.tips_read))
    lines.append(t.plural("progress.streak", stats.current_streak, best=stats.best_streak))
    lines.append(freezes_line(t, stats))
    if stats.current_streak == 0:
        lines.append(t("progress.streak_hint"))
    joined, pledged = friends
    if joined:
        lines.append(t.plural("invite.joined", joined) + " " + t.plural("invite.pledged", pledged))
    if stats.scores:
        lines += ["", t("progress.by_competency")]
        order = list(Competency)
        for competency, score in sorted(stats.scores.items(), key=lambda kv: order.index(kv[0])):
            lines.append(
                t.plural(
                    "progress.competency_line",
                    score.answered,
                    emoji=COMPETENCY_EMOJI[competency],
                    competency=esc(competency_name(t, competency)),
                    percent=_percent(t, score.correct, score.answered),
                )
            )
    if insight is not None and today is not None:
        more = booster_render.progress_lines(t, insight, today)
        if more and more[0]:  # the boosters line stands apart from the topics
            more.insert(0, "")
        lines += more
    lines += ["", badges_section(t, stats.badges)]
    return Reply(_rtl(t, "\n".join(lines)), next_steps(t))


def badges_section(t: Translator, badge_ids: tuple[str, ...]) -> str:
    """Return the list of a person's badges, for /progress."""
    badges = [BADGES_BY_ID[b] for b in badge_ids if b in BADGES_BY_ID]
    if not badges:
        return t("progress.no_badges")
    lines = [t.plural("progress.badges", len(badges))]
    lines += [f"{b.emoji} {esc(t(f'badge.{b.id}'))}" for b in badges]
    return "\n".join(lines)


def badge_announcement(t: Translator, badge: Badge) -> Reply:
    """Return the message that celebrates a badge just earned."""
    return Reply(
        _rtl(
            t,
            t(
                "badge.announce",
                emoji=badge.emoji,
                name=esc(t(f"badge.{badge.id}")),
                about=esc(t(f"badge.{badge.id}.about")),
            ),
        )
    )
