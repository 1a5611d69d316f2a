"""Where people are: the countries offered for daily tips and their time zones.

ASEAN and Central Asia come first (the networks this bot is made for), then countries where
the MIL CLICKS languages are spoken; anyone else picks a UTC offset. A country with one time
zone is one tap; Indonesia offers its three.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time

from babel import Locale
from babel.dates import format_time, get_timezone_location


@dataclass(frozen=True)
class Region:
    """A group of countries shown together in the picker."""

    key: str
    countries: tuple[str, ...]


ZONES: dict[str, tuple[str, ...]] = {
    # ASEAN
    "BN": ("Asia/Brunei",),
    "KH": ("Asia/Phnom_Penh",),
    "ID": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"),
    "LA": ("Asia/Vientiane",),
    "MY": ("Asia/Kuala_Lumpur",),
    "MM": ("Asia/Yangon",),
    "PH": ("Asia/Manila",),
    "SG": ("Asia/Singapore",),
    "TH": ("Asia/Bangkok",),
    "TL": ("Asia/Dili",),
    "VN": ("Asia/Ho_Chi_Minh",),
    # Central Asia
    "KZ": ("Asia/Almaty",),
    "KG": ("Asia/Bishkek",),
    "TJ": ("Asia/Dushanbe",),
    "TM": ("Asia/Ashgabat",),
    "UZ": ("Asia/Tashkent",),
    # More countries (MIL CLICKS languages: Portuguese, Serbian, Arabic; and neighbours)
    "PT": ("Europe/Lisbon",),
    "BR": ("America/Sao_Paulo",),
    "RS": ("Europe/Belgrade",),
    "EG": ("Africa/Cairo",),
    "MA": ("Africa/Casablanca",),
    "JO": ("Asia/Amman",),
    "SA": ("Asia/Riyadh",),
    "AE": ("Asia/Dubai",),
    "RU": ("Europe/Moscow",),
    "IN": ("Asia/Kolkata",),
    "CN": ("Asia/Shanghai",),
    "KR": ("Asia/Seoul",),
    "JP": ("Asia/Tokyo",),
    "AU": ("Australia/Sydney",),
}

MORE = ("PT", "BR", "RS", "EG", "MA", "JO", "SA", "AE", "RU", "IN", "CN", "KR", "JP", "AU")
REGIONS: tuple[Region, ...] = (
    Region("asean", ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN")),
    Region("central_asia", ("KZ", "KG", "TJ", "TM", "UZ")),
    Region("more", MORE),
)

# The country a person's Telegram language most likely means, offered first.
LIKELY_COUNTRY: dict[str, str] = {
    "ms": "MY", "id": "ID", "fil": "PH", "tl": "PH", "th": "TH", "km": "KH", "vi": "VN",
    "lo": "LA", "my": "MM", "kk": "KZ", "ky": "KG", "tg": "TJ", "tk": "TM", "uz": "UZ",
    "pt": "PT", "sr": "RS",
}  # fmt: skip

# Whole-hour offsets for everyone else: Etc/GMT-7 is UTC+7 (the sign is POSIX's, reversed).
OFFSETS: tuple[int, ...] = tuple(range(-12, 15))
_SLOT = re.compile(r"([01][0-9]|2[0-3]):(00|15|30|45)")
MINUTES = ("00", "15", "30", "45")


def likely_country(telegram_code: str | None, language: str) -> str | None:
    """Guess a person's country from their Telegram language tag: its region ("en-PH") if it
    has one the bot offers, else the country of the language ("ms"), else of `language`."""
    parts = (telegram_code or "").replace("_", "-").split("-")
    if len(parts) > 1 and parts[1].upper() in ZONES:
        return parts[1].upper()
    return LIKELY_COUNTRY.get(parts[0].lower()) or LIKELY_COUNTRY.get(language)


def offset_zone(hours: int) -> str:
    """Return the IANA zone of a whole-hour UTC offset."""
    if hours == 0:
        return "Etc/UTC"
    return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"


def offered_zones() -> frozenset[str]:
    """Return every zone the picker can set (payloads naming any other are refused)."""
    zones = {z for country in ZONES.values() for z in country}
    return frozenset(zones | {offset_zone(h) for h in OFFSETS})


def known_zone(name: str) -> bool:
    """Return whether `name` is an IANA zone this machine knows."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def valid_slot(value: str) -> bool:
    """Return whether `value` is a daily-tip time the bot offers ("HH:MM", quarter hours)."""
    return _SLOT.fullmatch(value) is not None


def country_name(country: str, language: str) -> str:
    """Return a country's name in a language (Babel's CLDR data), e.g. 'Filipina' in Malay."""
    for code in (language, "en"):
        try:
            name = Locale.parse(code).territories.get(country)
        except (ValueError, TypeError):
            continue
        if name:
            return str(name)
    return country


def flag(country: str) -> str:
    """Return a country's flag emoji."""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in country)


def zone_name(zone: str, language: str) -> str:
    """Return a zone's name for people, e.g. 'Jakarta' or 'UTC+7'."""
    if zone.startswith("Etc/"):
        return utc_label(zone)
    try:
        return str(get_timezone_location(zone, locale=language, return_city=True))
    except (ValueError, LookupError):
        return zone.rsplit("/", 1)[-1].replace("_", " ")


def utc_label(zone: str) -> str:
    """Return 'UTC+7' for Etc/GMT-7, 'UTC' for Etc/UTC."""
    if zone in ("Etc/UTC", "UTC", "Etc/GMT"):
        return "UTC"
    sign, hours = zone[len("Etc/GMT")], zone[len("Etc/GMT") + 1 :]
    return f"UTC{'-' if sign == '+' else '+'}{hours}"


def local_clock(zone: str, now: datetime, language: str) -> str:
    """Return the time it is now in a zone, written as the language writes times."""
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    return clock_text(local.time().replace(second=0, microsecond=0), language)


def clock_text(moment: time, language: str) -> str:
    """Return a time of day as a language writes it (7:30 AM, 07:30, ...)."""
    try:
        return str(format_time(moment, "short", locale=language))
    except (ValueError, TypeError):
        return moment.strftime("%H:%M")
