"""Times and days as people write them: "7:30", "7.30 pm", "tomorrow 8:00", "Friday 18:00",
"2026-12-01 08:00", "1 December 9:15", in the person's language (Babel's CLDR words) or
English. No Telegram here."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale

DAYS_OFFERED = 7  # today, tomorrow and the five days after, as buttons
MINUTE_STEP = 5  # the minute buttons: :00, :05, … :55 (any minute can be typed)
_CLOCK = re.compile(
    r"(?P<hour>[01]?\d|2[0-3])(?:\s*[:.h]\s*(?P<minute>[0-5]\d))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?"
)
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_MONTH = re.compile(r"(\d{1,2})\.?\s+(\D+?)(?:\s+(\d{4}))?|(\D+?)\s+(\d{1,2})(?:,?\s+(\d{4}))?")


def parse_clock(text: str) -> time | None:
    """Read a time of day: "07:30", "7:30", "7.30", "19h30", "7 pm", "7:30am"; None if the
    text is not one (a bare number is an hour only with am or pm)."""
    match = _CLOCK.fullmatch(text.strip().casefold())
    if match is None:
        return None
    hour, minute, half = int(match["hour"]), int(match["minute"] or 0), match["half"]
    if half is None and match["minute"] is None:
        return None  # "7" alone could be a day of the month, or anything
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    return time(hour, minute)


def parse_day(text: str, today: date, language: str) -> date | None:
    """Read a day on or after `today`: "today", "tomorrow", a weekday (the next one, today
    included), "2026-12-01", "1 December" or "December 1" (the next one); in `language` or
    English. None if the text is not a day, or a day already past."""
    words = _plain(text).rstrip(".")
    if not words:
        return None
    relative = _relative_days(language).get(words)
    if relative is not None:
        return today + timedelta(days=relative)
    weekday = _weekdays(language).get(words)
    if weekday is not None:
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    iso = _ISO_DAY.fullmatch(words)
    if iso is not None:
        try:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            return None
        return day if day >= today else None
    return _day_and_month(words, today, language)


def parse_moment(
    text: str, zone: str, now: datetime, language: str, day: date | None = None
) -> datetime | None:
    """Read a moment after `now` in `zone`: a day and a time ("tomorrow 8:00", "Friday 18:30",
    "2026-12-01 08:00"), or a time alone (on `day` if given, else today if it is still to
    come, else tomorrow). None if the text is not one, or names a moment already past."""
    words = text.strip()
    local_now = now.astimezone(ZoneInfo(zone))
    for split in _splits(words):
        day_words, clock_words = split
        moment = parse_clock(clock_words)
        if moment is None:
            continue
        if day_words:
            chosen = parse_day(day_words, local_now.date(), language)
            if chosen is None:
                continue
            return _future(chosen, moment, zone, now)
        if day is not None:
            return _future(day, moment, zone, now)
        today = _future(local_now.date(), moment, zone, now)
        return today or _future(local_now.date() + timedelta(days=1), moment, zone, now)
    return None


def at(day: date, moment: time, zone: str) -> datetime:
    """Return the moment a local day and time stand for in `zone`."""
    return datetime.combine(day, moment, tzinfo=ZoneInfo(zone))


def days_offered(now: datetime, zone: str) -> list[date]:
    """The days the "when" buttons offer: today and the next six, local to `zone`."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return [today + timedelta(days=n) for n in range(DAYS_OFFERED)]


def hours_left(day: date, now: datetime, zone: str) -> list[int]:
    """The hours of `day` (local to `zone`) that have a minute button still to come."""
    return [h for h in range(24) if minutes_left(day, h, now, zone)]


def minutes_left(day: date, hour: int, now: datetime, zone: str) -> list[int]:
    """The minute buttons of an hour of `day` that are still to come."""
    return [m for m in range(0, 60, MINUTE_STEP) if at(day, time(hour, m), zone) > now]


def _future(day: date, moment: time, zone: str, now: datetime) -> datetime | None:
    result = at(day, moment, zone)
    return result if result > now else None


def _splits(words: str) -> list[tuple[str, str]]:
    """Ways to read words as (day, time): the time is the last word or two ("7:30 pm")."""
    parts = words.split()
    splits = []
    for count in (2, 1):
        if len(parts) >= count:
            splits.append((" ".join(parts[:-count]), " ".join(parts[-count:])))
    if "T" in words and len(parts) == 1:  # 2026-12-01T08:00
        day, _, clock = words.partition("T")
        splits.append((day, clock))
    return splits


def _day_and_month(words: str, today: date, language: str) -> date | None:
    match = _DAY_MONTH.fullmatch(words)
    if match is None:
        return None
    if match[1] is not None:
        number, month_words, year = match[1], match[2], match[3]
    else:
        month_words, number, year = match[4], match[5], match[6]
    month = _months(language).get(_plain(month_words))
    if month is None:
        return None
    try:
        day = date(int(year) if year else today.year, month, int(number))
        if year is None and day < today:
            day = date(today.year + 1, month, int(number))
    except ValueError:
        return None
    return day if day >= today else None


def _plain(text: str) -> str:
    """Lower case, without accents or invisible marks, one space between words."""
    text = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))
    return " ".join(kept.replace(",", " ").split())


def _locales(language: str) -> list[Locale]:
    found = []
    for code in dict.fromkeys((language, "en")):
        try:
            found.append(Locale.parse(code))
        except (ValueError, TypeError):
            continue
    return found


@functools.cache
def _relative_days(language: str) -> dict[str, int]:
    """ "today", "tomorrow" (and "the day after" where the language has a word) → days ahead."""
    words: dict[str, int] = {}
    for locale in _locales(language):
        relative = locale._data["date_fields"]["day"]["relative"]
        for days in (0, 1, 2):
            if days in relative:
                words.setdefault(_plain(str(relative[days])), days)
    return words


@functools.cache
def _weekdays(language: str) -> dict[str, int]:
    """Weekday names, wide and abbreviated ("friday", "fri") → 0 (Monday) to 6."""
    words: dict[str, int] = {}
    for locale in _locales(language):
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.days[context][width].items():
                    words.setdefault(_plain(str(name)).rstrip("."), int(number))
    return words


@functools.cache
def _months(language: str) -> dict[str, int]:
    """Month names, wide and abbreviated ("december", "dec") → 1 to 12."""
    words: dict[str, int] = {}
    for locale in _locales(language):
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    words.setdefault(_plain(str(name)).rstrip("."), int(number))
    return words
