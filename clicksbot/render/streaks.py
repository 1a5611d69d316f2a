"""Texts and buttons for streak freezes and the streak reminder."""

from __future__ import annotations

from datetime import date, datetime, time

from babel.dates import format_skeleton
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.i18n import Translator
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.services import places
from clicksbot.services.progress import FREEZE_EVERY, FREEZES_MAX, Stats
from clicksbot.services.reminders import QUIET_FROM, QUIET_UNTIL, ReminderView


def _day(t: Translator, day: date) -> str:
    try:
        moment = datetime(day.year, day.month, day.day)
        return str(format_skeleton("MMMMEd", moment, locale=t.language))
    except (ValueError, TypeError):
        return day.isoformat()


def _clock(t: Translator, hhmm: str | time) -> str:
    moment = hhmm if isinstance(hhmm, time) else time.fromisoformat(hhmm)
    return esc(places.clock_text(moment, t.language))


def freezes_line(t: Translator, stats: Stats) -> str:
    """Return the /progress line on streak freezes: how many are held, how they are earned,
    and the day one last saved the current streak."""
    line = t("progress.freezes", count=stats.freezes, max=FREEZES_MAX, every=FREEZE_EVERY)
    if stats.saved_on is not None:
        line += "\n" + t("progress.freeze_saved", day=esc(_day(t, stats.saved_on)))
    return line


def _streak_text(t: Translator, stats: Stats) -> str:
    if stats.current_streak:
        return t.plural("reminder.streak", stats.current_streak)
    return t("reminder.no_streak")


def _stop_button(t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(t("reminder.stop"), callback_data=cb.encode("remind", "stop"))


def reminder_message(t: Translator, stats: Stats) -> Reply:
    """Return the daily reminder: the streak a minute today keeps, and one-tap buttons to
    play, or to stop the reminders."""
    text = f"{t('reminder.header')}\n\n{_streak_text(t, stats)}"
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("reminder.quiz"), callback_data=cb.encode("quiz", "any")),
                InlineKeyboardButton(t("reminder.tip"), callback_data=cb.encode("tip")),
            ],
            [_stop_button(t)],
        ]
    )
    return Reply(text, keyboard)


def with_reminder(t: Translator, tip: Reply, stats: Stats) -> Reply:
    """Return a daily tip that also carries the day's reminder (one message, not two)."""
    rows = [list(row) for row in tip.keyboard.inline_keyboard] if tip.keyboard else []
    rows.append(
        [
            InlineKeyboardButton(t("reminder.quiz"), callback_data=cb.encode("quiz", "any")),
            _stop_button(t),
        ]
    )
    text = f"{tip.text}\n\n{_streak_text(t, stats)}"
    return Reply(text, InlineKeyboardMarkup(rows))


def settings_line(t: Translator, reminder: ReminderView) -> str:
    """Return the /settings line on the streak reminder (nothing when it is off)."""
    if not reminder.on or reminder.usual is None:
        return ""
    if reminder.slot is None:
        return t(
            "settings.reminder_quiet",
            time=_clock(t, reminder.usual),
            quiet_from=_clock(t, QUIET_FROM),
            quiet_until=_clock(t, QUIET_UNTIL),
        )
    if reminder.with_tip:
        return t("settings.reminder_with_tip")
    return t("settings.reminder_at", time=_clock(t, reminder.slot))


def settings_button(t: Translator, reminder: ReminderView) -> InlineKeyboardButton:
    """Return the /settings button that turns the streak reminder on, or off."""
    if reminder.on:
        return InlineKeyboardButton(
            t("settings.reminder_off"), callback_data=cb.encode("remind", "off")
        )
    return InlineKeyboardButton(t("settings.reminder_on"), callback_data=cb.encode("remind", "on"))
