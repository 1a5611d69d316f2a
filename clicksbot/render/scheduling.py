"""Moderators' scheduling messages: their own time zone, and a day and a time as buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from babel.dates import format_skeleton
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.i18n import Translator
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.services import places, when

HOURS_PER_ROW = 4
MINUTES_PER_ROW = 4


def zone_label(t: Translator, zone: str, now: datetime) -> str:
    """A zone for people, with the time it is there now: "Almaty (13:05)"."""
    return f"{places.zone_name(zone, t.language)} · {places.local_clock(zone, now, t.language)}"


def day_label(t: Translator, day: date, today: date) -> str:
    """ "Today", "Tomorrow", else the weekday and date as the language writes them."""
    if day == today:
        return t("campaign.today")
    if (day - today).days == 1:
        return t("campaign.tomorrow")
    return str(format_skeleton("MMMEd", day, locale=t.language))


def _keep(t: Translator, default: str) -> InlineKeyboardButton:
    name = places.zone_name(default, t.language)
    return InlineKeyboardButton(
        t("when.keep_zone", zone=name), callback_data=cb.encode("mz", "keep")
    )


def zone_question(t: Translator, default: str) -> Reply:
    """Ask a moderator once for their own time zone, typed; or keep the default."""
    name = esc(places.zone_name(default, t.language))
    return Reply(t("when.ask_zone", zone=name), InlineKeyboardMarkup([[_keep(t, default)]]))


def zone_choices(
    t: Translator, typed: str, zones: Sequence[str], default: str, now: datetime
) -> Reply:
    """The zones typed words may mean ("did you mean"), or that none is known; the default
    stays one tap away."""
    rows = [
        [InlineKeyboardButton(zone_label(t, z, now), callback_data=cb.encode("mz", z))]
        for z in zones
    ]
    rows.append([_keep(t, default)])
    key = "when.did_you_mean" if zones else "when.unknown_place"
    return Reply(t(key, place=esc(typed)), InlineKeyboardMarkup(rows))


def zone_saved(t: Translator, zone: str, now: datetime) -> str:
    """The line that confirms a moderator's time zone."""
    return t(
        "when.zone_saved",
        zone=esc(places.zone_name(zone, t.language)),
        now=esc(places.local_clock(zone, now, t.language)),
    )


def day_picker(t: Translator, zone: str, now: datetime, head: str = "") -> Reply:
    """Ask for a day: today (while it has time left), tomorrow and the next days; or type."""
    days = when.days_offered(now, zone)
    buttons = [
        InlineKeyboardButton(
            day_label(t, d, days[0]), callback_data=cb.encode("when", "day", str(n))
        )
        for n, d in enumerate(days)
        if when.hours_left(d, now, zone)
    ]
    rows = [buttons[:2], *[buttons[i : i + 3] for i in range(2, len(buttons), 3)]]
    text = t(
        "when.ask_day",
        zone=esc(places.zone_name(zone, t.language)),
        now=esc(places.local_clock(zone, now, t.language)),
    )
    return Reply(f"{head}\n\n{text}" if head else text, InlineKeyboardMarkup(rows))


def hour_picker(t: Translator, day: date, zone: str, now: datetime) -> Reply:
    """Ask for the hour on a day (the hours still to come), or a typed time."""
    today = when.days_offered(now, zone)[0]
    buttons = [
        InlineKeyboardButton(
            places.clock_text(time(hour, 0), t.language),
            callback_data=cb.encode("when", "hour", f"{hour:02d}"),
        )
        for hour in when.hours_left(day, now, zone)
    ]
    rows = [buttons[i : i + HOURS_PER_ROW] for i in range(0, len(buttons), HOURS_PER_ROW)]
    rows.append(
        [InlineKeyboardButton(t("daily.back"), callback_data=cb.encode("when", "back", "-"))]
    )
    text = t("when.ask_time", day=esc(day_label(t, day, today)))
    return Reply(text, InlineKeyboardMarkup(rows))


def minute_picker(t: Translator, day: date, hour: int, zone: str, now: datetime) -> Reply:
    """Ask for the minutes within the hour (those still to come), or a typed time."""
    days = when.days_offered(now, zone)
    buttons = [
        InlineKeyboardButton(
            places.clock_text(time(hour, minute), t.language),
            callback_data=cb.encode("when", "at", f"{hour:02d}:{minute:02d}"),
        )
        for minute in when.minutes_left(day, hour, now, zone)
    ]
    rows = [buttons[i : i + MINUTES_PER_ROW] for i in range(0, len(buttons), MINUTES_PER_ROW)]
    back = cb.encode("when", "day", str(days.index(day)) if day in days else "0")
    rows.append([InlineKeyboardButton(t("daily.back"), callback_data=back)])
    text = t("when.ask_minutes", day=esc(day_label(t, day, days[0])))
    return Reply(text, InlineKeyboardMarkup(rows))
