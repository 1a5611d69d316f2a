"""Texts and keyboards of spaced boosters, the "how sure are you?" step, and the /progress
lines on boosters, calibration and techniques."""

from __future__ import annotations

from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.i18n import Translator
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.render.messages import next_steps
from clicksbot.render.streaks import _day
from clicksbot.services.boosters import Due, Placement
from clicksbot.services.insight import MIN_RATED, Insight
from clicksbot.services.learning import CONFIDENCE_LEVELS


def technique_name(t: Translator, technique: str) -> str:
    """Return the translated name of a manipulation technique, as "you spot …" reads it."""
    return t(f"technique.{technique.replace('-', '_')}")


def _when(t: Translator, day: date, today: date, tomorrow_key: str, on_key: str) -> str:
    if day <= today + timedelta(days=1):
        return t(tomorrow_key)
    return t(on_key, day=esc(_day(t, day)))


def placement_line(t: Translator, placement: Placement | None, today: date) -> str:
    """Return the result's line on when the question comes back ("" when it says nothing new:
    a question mastered before)."""
    if placement is None:
        return ""
    if placement.mastered:
        return t("booster.mastered") if placement.was_due else ""
    if placement.due is None:
        return ""
    return _when(t, placement.due, today, "booster.back_tomorrow", "booster.back_on")


def confidence_keyboard(t: Translator, asked_id: int, was_due: bool) -> InlineKeyboardMarkup:
    """Return the one-tap "how sure are you?" buttons, and Skip."""
    flag = "1" if was_due else "0"
    levels = [
        InlineKeyboardButton(
            t(f"confidence.{level}"),
            callback_data=cb.encode("sure", str(asked_id), str(level), flag),
        )
        for level in CONFIDENCE_LEVELS
    ]
    skip = InlineKeyboardButton(
        t("confidence.skip"), callback_data=cb.encode("sure", str(asked_id), "0", flag)
    )
    return InlineKeyboardMarkup([levels, [skip]])


def review_keyboard(t: Translator, more: bool) -> InlineKeyboardMarkup:
    """Return what follows a booster answered in /review: the next due one, or a question."""
    first = (
        InlineKeyboardButton(t("booster.next"), callback_data=cb.encode("review"))
        if more
        else InlineKeyboardButton(t("quiz.next"), callback_data=cb.encode("quiz", "any"))
    )
    return InlineKeyboardMarkup(
        [[first, InlineKeyboardButton(t("quiz.topics"), callback_data=cb.encode("topics"))]]
    )


def nothing_due(t: Translator, due: Due, today: date) -> Reply:
    """Return /review's answer when no booster is due: when the next one is, or what
    boosters are when there are none yet."""
    if due.next_day is None:
        return Reply(t("review.empty"), next_steps(t))
    when = _when(t, due.next_day, today, "review.next_tomorrow", "review.next_on")
    return Reply(f"{t('review.none')}\n{when}", next_steps(t))


def with_booster(t: Translator, tip: Reply) -> Reply:
    """Return a daily tip that also offers the booster due (a button)."""
    rows = [list(row) for row in tip.keyboard.inline_keyboard] if tip.keyboard else []
    rows.append([InlineKeyboardButton(t("tip.booster"), callback_data=cb.encode("review"))])
    return Reply(tip.text, InlineKeyboardMarkup(rows))


def progress_lines(t: Translator, insight: Insight, today: date) -> list[str]:
    """Return the /progress lines on boosters, calibration and techniques (each part only
    when there is something to say)."""
    lines: list[str] = []
    due = insight.due
    if due.now:
        lines.append(t("progress.boosters_due", count=due.now))
    elif due.next_day is not None:
        lines.append(
            _when(t, due.next_day, today, "progress.boosters_tomorrow", "progress.boosters_on")
        )
    if insight.levels:
        lines += ["", t("progress.calibration_title")]
        lines += [
            t(f"progress.calibration_{level.confidence}", right=level.out_of_ten)
            for level in insight.levels
        ]
    elif insight.rated:
        lines += ["", t("progress.calibration_soon", count=MIN_RATED)]
    if insight.techniques:
        lines += ["", t("progress.techniques_title")]
        lines += [
            t(
                "progress.technique_line",
                technique=esc(technique_name(t, technique.name)),
                right=technique.out_of_ten,
            )
            for technique in insight.techniques
        ]
    return lines
