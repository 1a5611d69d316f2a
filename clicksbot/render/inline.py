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
from clicksbot.render import callbacks as cb
from clicksbot.render import esc
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


def answer_alert(t: Translator, question: Question, choice: int) -> str:
    """The private answer to one person's press on a shared question (plain, ≤ 200)."""
    head = (
        t("inline.right")
        if choice == question.answer
        else t("inline.wrong", answer=_short(question.correct_option, 60))
    )
    return _short(f"{head}\n{question.explanation}", ALERT_MAX)
