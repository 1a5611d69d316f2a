"""The daily-tip pickers (where, what time) and the settings message."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.i18n import Translator
from clicksbot.render import Reply, esc, streaks
from clicksbot.render import callbacks as cb
from clicksbot.render.messages import next_steps
from clicksbot.services import places
from clicksbot.services.reminders import ReminderView
from clicksbot.store import User

COLUMNS = 3


def _rows(buttons: list[InlineKeyboardButton], columns: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + columns] for i in range(0, len(buttons), columns)]


def _country_button(t: Translator, country: str, origin: tuple[str, ...]) -> InlineKeyboardButton:
    label = f"{places.flag(country)} {places.country_name(country, t.language)}"
    return InlineKeyboardButton(label, callback_data=cb.encode("country", country, *origin))


def _countries(
    t: Translator, countries: Iterable[str], origin: tuple[str, ...]
) -> list[list[InlineKeyboardButton]]:
    buttons = [_country_button(t, c, origin) for c in countries]
    return _rows(buttons, COLUMNS)


def _origin(origin: str | None) -> tuple[str, ...]:
    return (origin,) if origin else ()


def _back_to_where(t: Translator, origin: str | None) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(t("daily.back"), callback_data=cb.encode("where", *_origin(origin)))
    ]


def where_message(t: Translator, likely: str | None, origin: str | None = None) -> Reply:
    """Ask where the person is: their likely country, ASEAN, Central Asia, more, an offset;
    opened from /settings (`origin` "s"), with Back to the settings, where it returns."""
    extra = _origin(origin)
    rows: list[list[InlineKeyboardButton]] = []
    if likely:
        rows.append([_country_button(t, likely, extra)])
    for region in places.REGIONS[:2]:
        rows += _countries(t, (c for c in region.countries if c != likely), extra)
    rows.append(
        [
            InlineKeyboardButton(
                t("daily.more"), callback_data=cb.encode("region", "more", *extra)
            ),
            InlineKeyboardButton(
                t("daily.offset"), callback_data=cb.encode("region", "offset", *extra)
            ),
        ]
    )
    if origin == "s":
        rows.append(
            [InlineKeyboardButton(t("daily.back"), callback_data=cb.encode("daily", "show"))]
        )
    return Reply(t("daily.where"), InlineKeyboardMarkup(rows))


def more_countries_message(t: Translator, origin: str | None = None) -> Reply:
    """The countries beyond ASEAN and Central Asia."""
    rows = _countries(t, places.REGIONS[2].countries, _origin(origin))
    rows.append(_back_to_where(t, origin))
    return Reply(t("daily.where"), InlineKeyboardMarkup(rows))


def offsets_message(t: Translator, now: datetime, origin: str | None = None) -> Reply:
    """Whole-hour UTC offsets, each showing the time it is there now."""
    buttons = []
    for hours in places.OFFSETS:
        zone = places.offset_zone(hours)
        label = f"{places.utc_label(zone)} · {places.local_clock(zone, now, t.language)}"
        data = cb.encode("zone", "-", zone, *_origin(origin))
        buttons.append(InlineKeyboardButton(label, callback_data=data))
    rows = _rows(buttons, COLUMNS)
    rows.append(_back_to_where(t, origin))
    return Reply(t("daily.offset_prompt"), InlineKeyboardMarkup(rows))


def zones_message(t: Translator, country: str, now: datetime, origin: str | None = None) -> Reply:
    """The time zones of a country that has several."""
    buttons = [
        InlineKeyboardButton(
            f"{places.zone_name(z, t.language)} · {places.local_clock(z, now, t.language)}",
            callback_data=cb.encode("zone", country, z, *_origin(origin)),
        )
        for z in places.ZONES[country]
    ]
    rows = _rows(buttons, 1)
    rows.append(_back_to_where(t, origin))
    name = esc(places.country_name(country, t.language))
    return Reply(t("daily.zone_prompt", country=name), InlineKeyboardMarkup(rows))


def hours_message(t: Translator, zone: str, now: datetime) -> Reply:
    """Ask for the hour of the daily tip, showing the person's local time to check the zone."""
    buttons = [
        InlineKeyboardButton(
            places.clock_text(time(hour, 0), t.language),
            callback_data=cb.encode("hour", f"{hour:02d}"),
        )
        for hour in range(24)
    ]
    rows = _rows(buttons, 4)
    rows.append([InlineKeyboardButton(t("daily.change_place"), callback_data=cb.encode("where"))])
    text = t(
        "daily.when",
        zone=esc(places.zone_name(zone, t.language)),
        now=esc(places.local_clock(zone, now, t.language)),
    )
    return Reply(text, InlineKeyboardMarkup(rows))


def minutes_message(t: Translator, hour: int) -> Reply:
    """Ask for the minutes within the chosen hour."""
    buttons = [
        InlineKeyboardButton(
            places.clock_text(time(hour, int(minutes)), t.language),
            callback_data=cb.encode("at", f"{hour:02d}:{minutes}"),
        )
        for minutes in places.MINUTES
    ]
    rows = [
        buttons,
        [InlineKeyboardButton(t("daily.back"), callback_data=cb.encode("daily", "time"))],
    ]
    return Reply(t("daily.minutes"), InlineKeyboardMarkup(rows))


def _tip_time(t: Translator, tip_time: str) -> str:
    return esc(places.clock_text(time.fromisoformat(tip_time), t.language))


def subscribed_message(t: Translator, zone: str, tip_time: str) -> Reply:
    """Confirm the daily tip, with a tip or a question for now."""
    zone_label = esc(places.zone_name(zone, t.language))
    text = t("daily.subscribed", time=_tip_time(t, tip_time), zone=zone_label)
    return Reply(text, next_steps(t))


def settings_message(
    t: Translator, user: User, zone: str, now: datetime, reminder: ReminderView | None = None
) -> Reply:
    """Show the person's language, time zone, daily tip and streak reminder, with buttons to
    change each."""
    daily = (
        t("settings.daily_at", time=_tip_time(t, user.tip_time))
        if user.tip_time
        else t("settings.daily_off")
    )
    zone_text = (
        t(
            "settings.zone",
            zone=esc(places.zone_name(zone, t.language)),
            now=esc(places.local_clock(zone, now, t.language)),
        )
        if user.time_zone
        else t("settings.zone_unset")
    )
    text = t("settings.text", language=esc(t.language_name), zone=zone_text, daily=daily)
    if user.tip_time:
        toggle = InlineKeyboardButton(t("settings.stop"), callback_data=cb.encode("daily", "off"))
        timing = [
            InlineKeyboardButton(t("settings.time"), callback_data=cb.encode("daily", "time"))
        ]
    else:
        toggle = InlineKeyboardButton(t("settings.start"), callback_data=cb.encode("daily", "on"))
        timing = []
    rows = [
        [toggle, *timing],
        [
            InlineKeyboardButton(t("settings.place"), callback_data=cb.encode("where", "s")),
            InlineKeyboardButton(t("settings.language"), callback_data=cb.encode("daily", "lang")),
        ],
    ]
    if reminder is not None:
        line = streaks.settings_line(t, reminder)
        text += f"\n{line}" if line else ""
        rows.append([streaks.settings_button(t, reminder)])
    return Reply(text, InlineKeyboardMarkup(rows))
