"""Texts and keyboards of the discernment checkup: the offer, each item, the report, and the
answers once it is over."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.i18n import Translator
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.render.learning import source_link
from clicksbot.services.checkup import Offer, Report, Step

# Every message here starts with a translated text, which carries the right-to-left mark that
# a right-to-left language needs. The answers are sent after the report, as many items to a
# message as fit well under Telegram's 4096 characters (an item is at most about 900
# characters: text, explanation, link).
REVIEW_CHUNK = 3000


def _day(t: Translator, day: date) -> str:
    return str(format_date(day, "medium", locale=t.language))


def _start_button(t: Translator, label: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(t(label), callback_data=cb.encode("ckgo"))


def offer_message(t: Translator, offer: Offer, skip_data: str) -> Reply:
    """Return the checkup offered at a quiz: a short line, take it, or skip to the question
    (`skip_data` is the press that asked for it)."""
    text = t("checkup.offer_first" if offer.first else "checkup.offer_again", total=offer.total)
    keyboard = InlineKeyboardMarkup(
        [
            [
                _start_button(t, "checkup.take"),
                InlineKeyboardButton(t("checkup.skip"), callback_data=skip_data),
            ]
        ]
    )
    return Reply(text, keyboard)


def intro_message(t: Translator, total: int, last: date | None) -> Reply:
    """Return what /checkup says before it starts: what it is, and the last one's date."""
    text = t("checkup.intro", total=total)
    if last is not None:
        text += "\n\n" + t("checkup.intro_last", date=esc(_day(t, last)))
    keyboard = InlineKeyboardMarkup([[_start_button(t, "checkup.start")]])
    return Reply(text, keyboard)


def item_message(t: Translator, step: Step) -> Reply:
    """Return one item to judge, with Real and Fake; nothing says whether earlier ones were
    right (feedback during the checkup would change what it measures)."""
    parts = [t("checkup.item_title", number=step.position + 1, total=step.total)]
    if step.item.language != t.language:
        parts[0] += "\n" + t("content.in_english")
    parts += [f"<i>{esc(step.item.text)}</i>", t("checkup.item_question")]
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("checkup.real"),
                    callback_data=cb.encode("ck", str(step.checkup_id), str(step.position), "r"),
                ),
                InlineKeyboardButton(
                    t("checkup.fake"),
                    callback_data=cb.encode("ck", str(step.checkup_id), str(step.position), "f"),
                ),
            ]
        ]
    )
    return Reply("\n\n".join(parts), keyboard)


def report_message(t: Translator, report: Report) -> Reply:
    """Return the person's result in plain words: how many right, how well they tell real
    from false, whether they lean to doubting or believing, and the change since their first
    checkup."""
    score = report.score
    parts = [
        t("checkup.report_title", date=esc(_day(t, report.day))),
        t(
            "checkup.report_counts",
            correct=score.correct,
            total=score.total,
            hits=score.hits,
            real=score.n_real,
            rejections=score.rejections,
            fake=score.n_fake,
        ),
        t(f"checkup.level_{score.level}"),
        t(
            f"checkup.lean_{score.leaning}",
            real_said=score.said_real,
            fake_said=score.total - score.said_real,
            total=score.total,
        ),
        t(
            "checkup.score",
            score=format_decimal(round(score.discernment, 1), "0.0", locale=t.language),
        ),
    ]
    change = report.change
    if change is not None:
        lines = [
            t("checkup.change_title", date=esc(_day(t, change.first_day))),
            t(
                f"checkup.change_{change.discernment(score)}",
                before=change.first.correct,
                total_before=change.first.total,
                now=score.correct,
                total=score.total,
            ),
        ]
        leaning = change.leaning(score)
        if leaning != "same":
            lines.append(t(f"checkup.change_{leaning}"))
        parts.append("\n".join(lines))
    parts.append(t("checkup.report_next"))
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t("checkup.quiz"), callback_data=cb.encode("topics"))]]
    )
    return Reply("\n\n".join(parts), keyboard)


def review_messages(t: Translator, report: Report) -> list[Reply]:
    """Return each item with its answer, what the person said, the explanation and the
    source, a few to a message."""
    blocks = []
    for number, (item, said_real) in enumerate(report.review, start=1):
        right = said_real == item.real
        lines = [
            t(
                "checkup.review_item",
                number=number,
                mark="✅" if right else "❌",
                text=esc(item.text),
                verdict=t("checkup.real" if item.real else "checkup.fake"),
                said=t("checkup.real" if said_real else "checkup.fake"),
            )
        ]
        if item.explanation:
            lines.append(esc(item.explanation))
        if item.source:
            lines.append(t("tip.source", link=source_link(item.source)))
        blocks.append("\n".join(lines))
    header = t("checkup.review_title")
    if report.language != t.language:
        header += "\n" + t("content.in_english")
    messages: list[str] = []
    current = header
    for block in blocks:
        if len(current) + len(block) + 2 > REVIEW_CHUNK:
            messages.append(current)
            current = block
        else:
            current += "\n\n" + block
    messages.append(current)
    return [Reply(text) for text in messages]
