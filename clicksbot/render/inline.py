"""Inline mode: tips and questions as results to post in any chat, and the answers to them."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

from clicksbot.content import Question, Tip
from clicksbot.i18n import Translator
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.render.learning import LETTERS, competency_name, question_text, source_link

DESCRIPTION_MAX = 90
ALERT_MAX = 200  # Telegram's limit for a button's answer


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _open_bot(t: Translator, bot_username: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(t("inline.open_bot"), url=f"https://t.me/{bot_username}")


def results(
    t: Translator, items: list[Tip | Question], bot_username: str
) -> list[InlineQueryResultArticle]:
    """Articles for the inline results: a tip with its source, or a question to answer."""
    out = []
    for item in items:
        competency = competency_name(t, item.competency)
        if isinstance(item, Tip):
            text = "\n\n".join(
                part
                for part in (
                    t("tip.title", competency=esc(competency)),
                    esc(item.text),
                    t("tip.source", link=source_link(item.source)) if item.source else "",
                    t("inline.footer", bot="@" + bot_username),
                )
                if part
            )
            keyboard = InlineKeyboardMarkup([[_open_bot(t, bot_username)]])
            title = t("inline.tip_title", competency=competency)
            kind = "t"
        else:
            text = question_text(t, item, list(item.options))
            text += "\n\n" + t("inline.question_footer")
            rows = [
                [
                    InlineKeyboardButton(
                        _short(f"{LETTERS[i]}. {option}", 64),
                        callback_data=cb.encode("iq", item.id, str(i)),
                    )
                ]
                for i, option in enumerate(item.options)
            ]
            rows.append([_open_bot(t, bot_username)])
            keyboard = InlineKeyboardMarkup(rows)
            title = t("inline.question_title", competency=competency)
            kind = "q"
        out.append(
            InlineQueryResultArticle(
                id=f"{kind}:{item.id}",
                title=title,
                description=_short(item.text, DESCRIPTION_MAX),
                input_message_content=InputTextMessageContent(text, parse_mode="HTML"),
                reply_markup=keyboard,
            )
        )
    return out


def _units(text: str) -> int:
    """Telegram counts an alert's length in UTF-16 code units (an emoji may take two)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> str:
    """Return the longest start of `text` within `units`, ending at a word when it can."""
    kept, used = [], 0
    for char in text:
        used += _units(char)
        if used > units:
            break
        kept.append(char)
    cut = "".join(kept)
    word = cut.rsplit(" ", 1)[0] if " " in cut[len(cut) // 2 :] else cut
    return word.rstrip(" ,;:.-–—")


def _alert_parts(t: Translator, question: Question, choice: int) -> tuple[str, str]:
    head = (
        t("inline.right")
        if choice == question.answer
        else t("inline.wrong", answer=_short(question.correct_option, 60))
    )
    return head, f"{head}\n{question.explanation}"


def alert_is_whole(t: Translator, question: Question, choice: int) -> bool:
    """Whether the answer to a press on a group's or a shared question holds the whole
    explanation (if not, the full explanation is one more tap away)."""
    return _units(_alert_parts(t, question, choice)[1]) <= ALERT_MAX


def answer_alert(t: Translator, question: Question, choice: int) -> str:
    """The private answer to one person's press on a shared or a group's question (plain,
    ≤ 200): right or wrong, then the explanation; when that is too long, its start and how to
    read the rest (tap the answer again: the private chat shows it, see render.deeplinks)."""
    head, whole = _alert_parts(t, question, choice)
    if _units(whole) <= ALERT_MAX:
        return whole
    more = "…\n" + t("explain.tap_again")
    room = ALERT_MAX - _units(head) - 1 - _units(more)
    return f"{head}\n{_cut(question.explanation, max(room, 0))}{more}"


def explanation_message(
    t: Translator, question: Question, *, correct: bool | None = None, choice: int | None = None
) -> Reply:
    """Return a group's or a shared question's full explanation, for the private chat: the
    question, the person's answer (the option they chose, or only whether it was right),
    the right answer, the whole explanation and the source, and more questions to try."""
    if choice is not None:
        correct = choice == question.answer
    parts = [t("explain.title"), question_text(t, question, list(question.options))]
    if choice is not None:
        mark = "✅" if correct else "❌"
        answer = esc(f"{LETTERS[choice]}. {question.options[choice]}")
        parts.append(t("quiz.your_answer", mark=mark, answer=answer))
    parts.append(
        t("quiz.right") if correct else t("quiz.wrong", answer=esc(question.correct_option))
    )
    parts.append(esc(question.explanation))
    if question.source:
        parts.append(t("quiz.source", link=source_link(question.source)))
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t("explain.more_questions"), callback_data=cb.encode("topics"))]]
    )
    return Reply("\n\n".join(parts), keyboard)


def answer_first(t: Translator) -> Reply:
    """Say that a group's question is explained here once answered in the group."""
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t("explain.more_questions"), callback_data=cb.encode("topics"))]]
    )
    return Reply(t("explain.answer_first"), keyboard)
